#!/usr/bin/env bash
# The paged product list uncached, from Hotpath's response cache, and from ASP.NET Core's OutputCache on
# its Redis store, in one run on one Redis, plus the service-level cache (the featured list), with wrk.
#
#   bench/http/compare.sh                     # 3 rounds of 5 scenarios, 10 s each, wrk -t2 -c32
#   ROUNDS=1 DURATION=5s bench/http/compare.sh
#   REDIS_URL=redis://127.0.0.1:6379 bench/http/compare.sh   # a Redis you already run (keys under hotpath-compare-*)
#
# Starts a redis-server of its own on a free 127.0.0.1 port (no persistence) unless REDIS_URL is set,
# builds the sample and the benchmarks' host (bench/Hotpath.Bench.Host) in Release, and starts four apps
# on free 127.0.0.1 ports: the sample as it ships (Hotpath), the sample with its /api token bucket off
# (HotpathNoLimit, to see what the limiter costs in the same run), and the host with Bench:Engine
# OutputCache (the sample's reads behind ASP.NET Core's output cache on its Redis store) and None (no
# cache), each with a SQLite file of its own (or DATABASE_URL when set) and the /api token bucket raised
# out of reach through RateLimits:Api (its algorithm and local-admission batch as the sample ships them;
# the sample's limits are configuration, the defaults stay as they are). Every
# scenario is warmed up (WARMUP) and checked once (status 200, X-Cache on the cached ones), then every
# round runs each scenario for DURATION, in an
# order that rotates from round to round so load that comes and goes on a shared machine is spread
# over all of them. Around each run the script reads the sample's /api/_stats and Redis's
# commandstats, to show that the cached runs really were hits (the handler ran only when an entry
# expired) and how many Redis commands and round trips a request cost. Prints one table and the ratios the targets
# are about; raw rows go to bench/http/results/compare-<time>.tsv. Stops everything it started on
# exit. Needs wrk, curl, python3, redis-server and redis-cli, and the .NET SDK.
#
# Settings (environment): ROUNDS (3), DURATION (10s), WARMUP (10s per scenario), THREADS (2),
# CONNECTIONS (32), TIMEOUT (2s per request), PAGE (page=1&pageSize=20), API_LIMIT (raised: the /api
# token bucket still runs, admitting locally from leased batches as the sample ships; off:
# RateLimits:Api:Enabled false in every app, to measure the caches alone).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
here="$root/bench/http"

rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
warmup=${WARMUP:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
timeout_per_request=${TIMEOUT:-2s}
page=${PAGE:-page=1&pageSize=20}
case "${API_LIMIT:-raised}" in
  raised) api_limit_enabled=true ;;
  off) api_limit_enabled=false ;;
  *) echo "API_LIMIT must be raised or off, not ${API_LIMIT}" >&2; exit 2 ;;
esac

for tool in wrk curl python3 redis-cli dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hotpath-compare.XXXXXX)
log() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

redis_pid=""
app_pids=()
cleanup() {
  for pid in ${app_pids[@]+"${app_pids[@]}"}; do
    # Each sample runs in a process group of its own (setsid).
    kill -- "-$pid" 2>/dev/null || true
  done
  for pid in ${app_pids[@]+"${app_pids[@]}"}; do
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

log "building the sample and the benchmarks' host (Release)"
# The host references the sample, so one build makes both.
dotnet build "$root/bench/Hotpath.Bench.Host/Hotpath.Bench.Host.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
sample_bin="$root/samples/Hotpath.Api/bin/Release/net10.0"
host_bin="$root/bench/Hotpath.Bench.Host/bin/Release/net10.0"

declare -A base
# engine: Hotpath (and HotpathNoLimit) is the sample itself; OutputCache and None are the host with Bench:Engine set.
start_app() {
  local engine=$1 port bin dll limit=$api_limit_enabled bench_engine=$1
  port=$(free_port)
  mkdir -p "$work/$engine"
  case "$engine" in
    Hotpath) bin=$sample_bin dll=Hotpath.Api.dll bench_engine= ;;
    HotpathNoLimit) bin=$sample_bin dll=Hotpath.Api.dll bench_engine= limit=false ;;
    *) bin=$host_bin dll=Hotpath.Bench.Host.dll ;;
  esac
  # Content root = the build output (the sample's appsettings.json is in both); Production, the environment of a deployment.
  ASPNETCORE_ENVIRONMENT=Production REDIS_URL="$redis_url" Bench__Engine="$bench_engine" \
    Hotpath__KeyPrefix="hotpath-compare-$$-$engine:" Database__SqlitePath="$work/$engine/hotpath.db" \
    RateLimits__Api__TokenLimit=1000000 RateLimits__Api__TokensPerPeriod=1000000 RateLimits__Api__Enabled="$limit" \
    setsid dotnet "$bin/$dll" --contentRoot "$bin" --urls "http://127.0.0.1:$port" >"$work/$engine.log" 2>&1 &
  app_pids+=($!)
  base[$engine]="http://127.0.0.1:$port"
  for _ in $(seq 240); do
    curl -sf "${base[$engine]}/healthz" >/dev/null 2>&1 && { log "$dll ($engine) on 127.0.0.1:$port"; return; }
    sleep 0.5
  done
  cat "$work/$engine.log" >&2
  log "$dll ($engine) did not start"
  exit 1
}
engines=(None Hotpath OutputCache)
[ "$api_limit_enabled" = true ] && engines+=(HotpathNoLimit)
for engine in "${engines[@]}"; do start_app "$engine"; done

# name engine path expected-X-Cache-on-a-repeat ('' for none)
scenarios=(
  "uncached None /api/products?$page -"
  "service-cache Hotpath /api/products/featured HIT"
  "response-cache Hotpath /api/products?$page HIT"
  "output-cache OutputCache /api/products?$page HIT"
)
[ "$api_limit_enabled" = true ] && scenarios+=("response-cache-no-limit HotpathNoLimit /api/products?$page HIT")

stats() { curl -s "$1/api/_stats"; }
# Every command Redis executed (commands inside scripts too), and the round trips among them: all but
# what the rate-limit scripts call inside (TIME, HMGET, HSET, PEXPIRE). INFO, this script's own, is neither.
redis_calls() {
  redis-cli -u "$redis_url" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*/\1 \2/p' |
    awk '$1 != "info" { all += $2; if ($1 !~ /^(time|hmget|hset|pexpire)$/) trips += $2 } END { print all+0, trips+0 }'
}

for spec in "${scenarios[@]}"; do
  read -r name engine path expected <<<"$spec"
  url="${base[$engine]}$path"
  wrk -t"$threads" -c"$connections" -d"$warmup" --timeout "$timeout_per_request" "$url" >/dev/null
  headers=$(curl -s -D - -o /dev/null "$url" | tr -d '\r')
  status=$(head -1 <<<"$headers" | awk '{print $2}')
  cache=$(sed -n 's/^[Xx]-[Cc]ache: *//p' <<<"$headers")
  [ "$status" = 200 ] || { log "$name: $url answered $status after the warm-up"; exit 1; }
  if [ "$expected" != - ] && [ "$cache" != "$expected" ]; then
    log "$name: $url answered X-Cache '${cache:-none}' after the warm-up, not $expected"; exit 1
  fi
  log "$name: warmed up ($warmup), X-Cache ${cache:-none}"
done

out_dir="$here/results"
mkdir -p "$out_dir"
out="$out_dir/compare-$(date -u +%Y%m%dT%H%M%SZ).tsv"
printf 'round\tscenario\tengine\tpath\trequests\treq_per_s\tp50_us\tp90_us\tp99_us\tmax_us\tnon_2xx_3xx\tsocket_errors\tdb_commands\thandler_reads\tredis_commands\tredis_round_trips\n' >"$out"

count=${#scenarios[@]}
for round in $(seq 1 "$rounds"); do
  for i in $(seq 0 $((count - 1))); do
    spec=${scenarios[$(( (i + round - 1) % count ))]}
    read -r name engine path _ <<<"$spec"
    url="${base[$engine]}$path"
    before=$(stats "${base[$engine]}"); read -r calls_before trips_before <<<"$(redis_calls)"
    line=$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout "$timeout_per_request" -s "$here/report.lua" "$url" | grep '^WRK_RESULT' || true)
    after=$(stats "${base[$engine]}"); read -r calls_after trips_after <<<"$(redis_calls)"
    [ -n "$line" ] || { log "wrk printed no result for $url"; exit 1; }
    # db commands and handler reads (cache hits + misses counted by the handlers) during the run.
    deltas=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(b["dbCommands"]-a["dbCommands"], (b["cacheHits"]+b["cacheMisses"])-(a["cacheHits"]+a["cacheMisses"]), sep="\t")' "$before" "$after")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$engine" "$path" "$(cut -f2- <<<"$line")" "$deltas" "$((calls_after - calls_before))" "$((trips_after - trips_before))" >>"$out"
    log "round $round/$rounds: $name $(cut -f3 <<<"$line") req/s"
  done
done

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg); /api token bucket ${API_LIMIT:-raised}"
python3 - "$out" "$machine" "$redis_version" "$threads" "$connections" "$duration" "$rounds" <<'EOF'
import csv, statistics, sys
path, machine, redis_version, threads, connections, duration, rounds = sys.argv[1:]
rows = list(csv.DictReader(open(path), delimiter="\t"))
order = ["uncached", "service-cache", "response-cache", "response-cache-no-limit", "output-cache"]
by = {n: [r for r in rows if r["scenario"] == n] for n in order}

def med(values):
    return statistics.median(values) if values else float("nan")

print()
print(f"wrk -t{threads} -c{connections} -d{duration} x {rounds} rounds on 127.0.0.1; Redis {redis_version}; {machine}")
print()
head = ["scenario", "engine", "req/s (median)", "req/s (rounds)", "p50 ms", "p99 ms", "non-2xx", "socket err",
        "handler ran", "db cmds/req", "redis cmds/req", "redis round trips/req"]
table = []
for n in order:
    rs = by[n]
    if not rs:
        continue
    reqs = sum(int(r["requests"]) for r in rs)
    table.append([
        n, rs[0]["engine"],
        f"{med([float(r['req_per_s']) for r in rs]):,.0f}",
        " / ".join(f"{float(r['req_per_s']):,.0f}" for r in rs),
        f"{med([int(r['p50_us']) for r in rs]) / 1000:.2f}",
        f"{med([int(r['p99_us']) for r in rs]) / 1000:.2f}",
        str(sum(int(r["non_2xx_3xx"]) for r in rs)),
        str(sum(int(r["socket_errors"]) for r in rs)),
        f"{100 * sum(int(r['handler_reads']) for r in rs) / max(reqs, 1):.2f}%" if n != "uncached" else "every request",
        f"{sum(int(r['db_commands']) for r in rs) / max(reqs, 1):.3f}",
        f"{sum(int(r['redis_commands']) for r in rs) / max(reqs, 1):.2f}",
        f"{sum(int(r['redis_round_trips']) for r in rs) / max(reqs, 1):.3f}",
    ])
widths = [max(len(x) for x in col) for col in zip(head, *table)]
for line in [head] + table:
    print("  ".join(c.ljust(w) for c, w in zip(line, widths)))

def ratios(a, b):
    per_round = {}
    for r in rows:
        per_round.setdefault(r["round"], {})[r["scenario"]] = float(r["req_per_s"])
    values = [x[a] / x[b] for x in per_round.values() if a in x and b in x and x[b] > 0]
    return values

print()
for a, b, target in (("response-cache", "output-cache", 1.0), ("response-cache", "uncached", 5.0), ("response-cache", "response-cache-no-limit", None),
                     ("output-cache", "uncached", None), ("service-cache", "uncached", None)):
    values = ratios(a, b)
    if not values:
        continue
    m = statistics.median(values)
    verdict = "" if target is None else f"  (target >= {target:g}x: {'met' if m >= target else 'NOT met'})"
    print(f"{a} / {b} req/s: {m:.2f}x median of rounds [{', '.join(f'{v:.2f}' for v in values)}]{verdict}")
print()
print("handler ran: requests whose handler ran (the cached entry had expired: the response TTL is 30 s); db cmds/req and")
print("redis cmds/req: the sample's database commands and every Redis command (rate limiter included) per request;")
print("redis round trips/req: those commands but the ones the rate-limit scripts run inside them (a script run is one).")
EOF
log "raw rows: $out"
