#!/usr/bin/env bash
# Load on the sample's cached endpoints while its Redis crashes and comes back.
#
#   bench/http/outage.sh                  # 20 s of wrk -t2 -c16, Redis killed at 5 s and 14 s, back at 10 s and 16 s
#   DURATION=30 CONNECTIONS=32 bench/http/outage.sh
#   OUTAGE=0 bench/http/outage.sh         # the same load with Redis up throughout, to compare
#
# Starts a redis-server of its own on a free 127.0.0.1 port (append-only file, so it restarts with
# its data) and the sample in Release with REDIS_URL pointing at it and a SQLite file in a temporary
# folder, warms up for 3 s, then runs wrk with outage.lua while it kills redis-server (SIGKILL, a
# crash) and starts it again. Prints the status codes (non-2xx), socket errors and latency
# percentiles, and the sample's database commands during the run (the reads that fell back to the
# database). Stops everything it started on exit. Needs wrk, redis-server, redis-cli, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

duration=${DURATION:-20}
threads=${THREADS:-2}
connections=${CONNECTIONS:-16}
outage=${OUTAGE:-1}
work=$(mktemp -d /tmp/hotpath-outage.XXXXXX)

log() { printf '[outage %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

redis_port=$(free_port)
app_port=$(free_port)
app_pid=""

start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
    --dir "$work" --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  log "redis-server did not start"; exit 1
}

kill_redis() {
  kill -9 "$(cat "$work/redis.pid")"
  rm -f "$work/redis.pid"
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 || return 0; sleep 0.02; done
}

# Sleeps until $1 seconds after the load started.
at() { python3 -c "import time,sys; time.sleep(max(0.0, $start + $1 - time.time()))"; }

cleanup() {
  if [ -n "$app_pid" ]; then
    # The sample runs in a process group of its own (setsid): dotnet run and the app it started.
    kill -- "-$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  if [ -f "$work/redis.pid" ]; then
    kill "$(cat "$work/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

start_redis
log "redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$redis_port"

log "starting the sample (Release build) on 127.0.0.1:$app_port"
# The /api token bucket (1200, then 100 a second per client address) would refuse most of the load.
REDIS_URL="redis://127.0.0.1:$redis_port" Database__SqlitePath="$work/hotpath.db" \
  RateLimits__Api__TokenLimit=1000000 RateLimits__Api__TokensPerPeriod=1000000 \
  setsid dotnet run --project "$root/samples/Hotpath.Api" -c Release -- --urls "http://127.0.0.1:$app_port" \
  >"$work/app.log" 2>&1 &
app_pid=$!
base="http://127.0.0.1:$app_port"
for _ in $(seq 600); do
  curl -sf "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || { cat "$work/app.log"; log "the sample exited"; exit 1; }
  sleep 0.5
done
curl -sf "$base/healthz" >/dev/null || { log "the sample did not answer /healthz"; exit 1; }

log "warming up for 3 s"
wrk -t"$threads" -c"$connections" -d3s -s bench/http/outage.lua "$base" >/dev/null

stats_before=$(curl -s "$base/api/_stats")
start=$(date +%s.%N)
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s bench/http/outage.lua "$base" >"$work/wrk.txt" &
wrk_pid=$!
if [ "$outage" = 1 ]; then
  log "load: wrk -t$threads -c$connections -d${duration}s --latency; redis killed at 5 s and 14 s, started again at 10 s and 16 s"
  at 5;  kill_redis;  log "redis-server killed"
  at 10; start_redis; log "redis-server started again"
  at 14; kill_redis;  log "redis-server killed"
  at 16; start_redis; log "redis-server started again"
else
  log "load: wrk -t$threads -c$connections -d${duration}s --latency; redis up throughout"
fi
wait "$wrk_pid"
stats_after=$(curl -s "$base/api/_stats")

cat "$work/wrk.txt"
echo "sample stats before: $stats_before"
echo "sample stats after:  $stats_after"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
