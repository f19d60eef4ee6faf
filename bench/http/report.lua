-- Prints one tab-separated line when wrk finishes, for bench/http/run.sh to collect:
-- requests, requests/s, latency p50/p90/p99/max (µs), non-2xx/3xx responses, socket errors.
-- Deliberately no request()/response() hooks: they would slow wrk down and measure Lua, not the API.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("WRK_RESULT\t%d\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\n",
    summary.requests,
    summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.status, errors))
end
