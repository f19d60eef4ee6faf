-- Counts the X-Cache header of every response, so a run shows whether it measured cache hits, and
-- prints p50/p99 latency. Usage (the endpoint must be response-cached):
--   wrk -t2 -c64 -d30s --latency -s bench/http/response-cache.lua 'http://127.0.0.1:5000/api/products?page=1&pageSize=20'
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  hits, misses, none = 0, 0, 0
end

function response(status, headers, body)
  local cache = headers["X-Cache"]
  if cache == "HIT" then
    hits = hits + 1
  elseif cache == "MISS" then
    misses = misses + 1
  else
    none = none + 1
  end
end

function done(summary, latency, requests)
  local h, m, n = 0, 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
    n = n + thread:get("none")
  end
  io.write(string.format("X-Cache: %d HIT, %d MISS, %d without the header\n", h, m, n))
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
