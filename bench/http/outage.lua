-- wrk script for outage.sh: spreads GETs over the sample's cached endpoints (50 products, the
-- featured list, the first pages of the list) and counts responses by status code across threads.
local paths = {}
for id = 1, 50 do
  paths[#paths + 1] = "/api/products/" .. id
end
paths[#paths + 1] = "/api/products/featured"
for page = 1, 5 do
  paths[#paths + 1] = "/api/products?page=" .. page .. "&pageSize=20"
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  next_path = (id * 7) % #paths
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, answered, non2xx = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
      answered = answered + n
      if status < 200 or status > 299 then
        non2xx = non2xx + n
      end
    end
  end

  local codes = {}
  for status, n in pairs(total) do
    codes[#codes + 1] = status .. "=" .. n
  end
  table.sort(codes)

  local e = summary.errors
  io.write("---- outage summary ----\n")
  io.write(string.format("responses %d (%s), non-2xx %d\n", answered, table.concat(codes, " "), non2xx))
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n", e.connect, e.read, e.write, e.timeout))
  io.write(string.format("requests/s %.0f over %.1f s\n", summary.requests / (summary.duration / 1e6), summary.duration / 1e6))
  io.write(string.format("latency ms: p50 %.2f, p90 %.2f, p99 %.2f, p99.9 %.2f, max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
