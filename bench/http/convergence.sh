#!/usr/bin/env bash
# Cross-process convergence under load: three processes of the sample on one Redis, one key prefix and
# one SQLite file; wrk loads the product reads of all three while a probe writes one product through
# the first and polls all three, and measures how long after each write returned the other two
# served it (p50/p90/p99/max).
#
#   bench/http/convergence.sh                         # 300 writes (at most 30 s), wrk -t1 -c8 on each process: about a minute with the build
#   WRITES=100 bench/http/convergence.sh              # a quick look
#   CONNECTIONS=0 bench/http/convergence.sh           # no wrk load: the probe alone
#   REDIS_URL=redis://127.0.0.1:6379 bench/http/convergence.sh   # a Redis you already run (keys under hotpath-convergence-*)
#
# Starts a redis-server of its own on a free 127.0.0.1 port (no persistence) unless REDIS_URL is set,
# builds the sample in Release and starts it three times on ports the kernel picks (read back from each
# log), the Production environment, the /api token bucket raised out of reach through RateLimits:Api
# (the sample's limits are configuration; its defaults stay as they are). The first process creates
# and seeds the database, then the other two start. wrk (one thread, CONNECTIONS connections per
# process, bench/http/convergence.lua) cycles through the probed item, the featured list, the first
# page and other items, warmed up for WARMUP first. The probe (bench/http/convergence.py) then runs
# alongside: see its header for what it measures. Prints the result and writes it to
# bench/http/results/convergence-<time>.json; stops everything it started, by process id, on exit.
# Needs wrk, curl, python3, redis-server and redis-cli, and the .NET SDK.
#
# Settings (environment): WRITES (300), PROBE_SECONDS (30, the probe's bound), CONNECTIONS (8 per process;
# 0 for no load), WARMUP (5s), PRODUCT (7), BOUND (1, seconds: a read of another process that began
# later than this after a write returned and still showed an older version counts as late), PAUSE_MS
# (20-80, between writes), POLL_PAUSE_MS (1, between two polls of one probe reader), TIMEOUT (2s per
# wrk request).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
here="$root/bench/http"

writes=${WRITES:-300}
seconds=${PROBE_SECONDS:-30}
connections=${CONNECTIONS:-8}
warmup=${WARMUP:-5s}
product=${PRODUCT:-7}
bound=${BOUND:-1}
pause_ms=${PAUSE_MS:-20-80}
poll_pause_ms=${POLL_PAUSE_MS:-1}
timeout_per_request=${TIMEOUT:-2s}

for tool in curl python3 redis-cli dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
if [ "$connections" != 0 ]; then
  command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install wrk), or set CONNECTIONS=0" >&2; exit 1; }
fi

# The machine's load before anything here starts: what else competes for the cores.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/hotpath-convergence.XXXXXX)
log() { printf '[convergence %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

redis_pid=""
app_pids=()
wrk_pids=()
cleanup() {
  for pid in ${wrk_pids[@]+"${wrk_pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${app_pids[@]+"${app_pids[@]}"}; do
    # Each sample runs in a process group of its own (setsid).
    kill -- "-$pid" 2>/dev/null || true
  done
  for pid in ${wrk_pids[@]+"${wrk_pids[@]}"} ${app_pids[@]+"${app_pids[@]}"}; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null || { echo "redis-server is not installed, or set REDIS_URL" >&2; exit 1; }
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$work" --pidfile "$work/redis.pid" --logfile "$work/redis.log"
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  redis_pid=$(cat "$work/redis.pid")
  redis_url="redis://127.0.0.1:$redis_port"
  log "redis $(redis-server --version | awk '{print $3}' | sed 's/v=//') on 127.0.0.1:$redis_port"
else
  redis_url=$REDIS_URL
  log "using REDIS_URL from the environment"
fi
redis_version=$(redis-cli -u "$redis_url" info server | tr -d '\r' | sed -n 's/^redis_version://p')

log "building the sample (Release)"
dotnet build "$root/samples/Hotpath.Api/Hotpath.Api.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
bin="$root/samples/Hotpath.Api/bin/Release/net10.0"

password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
prefix="hotpath-convergence-$$:"
urls=()
start_sample() {
  local name=$1
  # Content root = the build output (appsettings.json is there); every process shares the prefix and the file.
  ASPNETCORE_ENVIRONMENT=Production REDIS_URL="$redis_url" DATABASE_URL='' Hotpath__KeyPrefix="$prefix" \
    Database__SqlitePath="$work/hotpath.db" Seed__AlicePassword="$password" \
    RateLimits__Api__TokenLimit=1000000 RateLimits__Api__TokensPerPeriod=1000000 \
    RateLimits__Login__PerEmailAndIp=100000 RateLimits__Login__PerIp=100000 \
    setsid dotnet "$bin/Hotpath.Api.dll" --contentRoot "$bin" --urls "http://127.0.0.1:0" >"$work/$name.log" 2>&1 &
  app_pids+=($!)
}
wait_sample() {
  local name=$1 url=""
  for _ in $(seq 240); do
    url=$(sed -n 's/.*Now listening on: \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/$name.log" | head -1)
    if [ -n "$url" ] && curl -sf "$url/healthz" >/dev/null 2>&1; then
      log "$name on $url"
      urls+=("$url")
      return
    fi
    sleep 0.5
  done
  cat "$work/$name.log" >&2
  log "$name did not start"
  exit 1
}
start_sample sample-0
wait_sample sample-0
start_sample sample-1
start_sample sample-2
wait_sample sample-1
wait_sample sample-2

if [ "$connections" != 0 ]; then
  for url in "${urls[@]}"; do
    wrk -t1 -c"$connections" -d"$warmup" --timeout "$timeout_per_request" -s "$here/convergence.lua" "$url" >/dev/null
  done
  log "warmed up ($warmup per process); loading all three (wrk -t1 -c$connections each) while the probe runs"
  # Long enough to outlast the probe, which is bounded by PROBE_SECONDS; killed at the end anyway.
  for i in 0 1 2; do
    PRODUCT="$product" wrk -t1 -c"$connections" -d"$((seconds + 30))s" --timeout "$timeout_per_request" \
      -s "$here/convergence.lua" "${urls[$i]}" >"$work/wrk-$i.txt" 2>&1 &
    wrk_pids+=($!)
  done
  sleep 1
fi

stats_before=$(for url in "${urls[@]}"; do curl -s "$url/api/_stats"; echo; done)
result=$(python3 "$here/convergence.py" "${urls[@]}" --password "$password" --product "$product" \
  --writes "$writes" --seconds "$seconds" --bound "$bound" --pause-ms "$pause_ms" --poll-pause-ms "$poll_pause_ms")
stats_after=$(for url in "${urls[@]}"; do curl -s "$url/api/_stats"; echo; done)

if [ ${#wrk_pids[@]} -gt 0 ]; then
  # wrk prints its summary when interrupted.
  for pid in "${wrk_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${wrk_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  wrk_pids=()
fi

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $load_before before the run, $(cut -d' ' -f1-3 /proc/loadavg) after"
mkdir -p "$here/results"
out="$here/results/convergence-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$result" "$machine" "$redis_version" "$connections" "$work" "$out" "$stats_before" "$stats_after" <<'EOF'
import json, re, sys
result, machine, redis_version, connections, work, out, before, after = sys.argv[1:]
r = json.loads(result)
loads = []
for i in range(3):
    try:
        text = open(f"{work}/wrk-{i}.txt").read()
    except OSError:
        continue
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    loads.append({"process": i, "req_per_s": float(rps.group(1)) if rps else None, "latency_avg": lat.group(1) if lat else None,
                  "latency_max": lat.group(3) if lat else None, "non_2xx": int(non2xx.group(1)) if non2xx else 0})
r["load"] = loads
r["machine"] = machine
r["redis"] = redis_version
r["connections_per_process"] = int(connections)
b = [json.loads(x) for x in before.splitlines() if x.strip()]
a = [json.loads(x) for x in after.splitlines() if x.strip()]
r["db_commands_during_probe"] = [y["dbCommands"] - x["dbCommands"] for x, y in zip(b, a)]
json.dump(r, open(out, "w"), indent=1)

c = r["convergence_ms"]
print()
print(f"three processes on Redis {redis_version}; {machine}")
load = ", ".join(f"{l['req_per_s']:,.0f} req/s" for l in loads if l["req_per_s"]) or "none"
print(f"load: wrk -t1 -c{connections} per process ({load}); non-2xx {sum(l['non_2xx'] for l in loads)}")
print(f"writes: {r['writes']} through process 0 (PUT p50 {r['write_ms']['p50']:.1f} ms, p99 {r['write_ms']['p99']:.1f} ms), {r['failed_writes']} failed {r['failed_write_statuses'] or ''}")
print(f"probe reads: {r['reads']}, {r['read_errors']} errors")
print()
print(f"convergence (PUT returned -> the other process serves the new version), {c['n']} write x process pairs:")
print(f"  p50 {c['p50']:.1f} ms   p90 {c['p90']:.1f} ms   p99 {c['p99']:.1f} ms   max {c['max']:.1f} ms   ({r['unmeasured']} unmeasured)")
for i, p in r["per_process_ms"].items():
    lag = r["backplane_lag_bucket_ms"].get(i, {})
    poll = r["poll_read_ms"][i]
    print(f"  process {i}: p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms, max {p['max']:.1f} ms; its probe reads took p50 {poll['p50']:.1f} ms, p99 {poll['p99']:.1f} ms;"
          f" backplane lag (bucket bound) p50 <= {lag.get('p50')} ms, p99 <= {lag.get('p99')} ms over {lag.get('messages', 0):.0f} messages")
print(f"  process 0 (the writer): its probe reads took p50 {r['poll_read_ms']['0']['p50']:.1f} ms, p99 {r['poll_read_ms']['0']['p99']:.1f} ms" if '0' in r['poll_read_ms'] else "")
print()
print(f"reads on the writer that began after a write returned and showed an older version: {r['writer_stale']} (must be 0)")
print(f"reads on the others that began more than {r['bound_s']:g} s after a write returned and showed an older version: {r['late_stale']} (must be 0)")
p99 = c["p99"]
print(f"goal p99 <= 50 ms: {'met' if p99 <= 50 else 'NOT met'} ({p99:.1f} ms)")
EOF
if grep -q '"failed_writes": [1-9]' "$out"; then
  log "writes failed; what sample-0 logged about it:"
  grep -E -A3 '^(fail|crit|warn)' "$work/sample-0.log" | head -40 >&2 || true
fi
log "written to $out"
