#!/usr/bin/env bash
# Builds the benchmarks in Release, runs them in one process against one Redis, and rewrites the
# tables in docs/benchmarks.md.
#
#   bench/run.sh                          every suite (about 10 minutes on 2 cores; hard limit 15)
#   bench/run.sh --filter '*PeerHit*'     only matching suites (BenchmarkDotNet globs; repeatable)
#   bench/run.sh --quick                  a smoke run with tiny counts (numbers mean nothing)
#   bench/run.sh --no-docs                leave docs/benchmarks.md alone
#
# Anything else is passed to BenchmarkDotNet. After the suites, when the core or hit suite is among
# them, an interleaved hit check of the Redis-bound peers (--paired, Core/InterleavedHitCheck.cs)
# runs for 2 x 20 s, and when the rate-limit suite is, an interleaved check of the limiters against
# RedisRateLimiting (--paired-ratelimit, RateLimiting/InterleavedRateLimiterCheck.cs) for 3 x 10 s. With
# HOTPATH_BENCH_REDIS unset, a throwaway redis-server is started on a free 127.0.0.1 port (no
# persistence) and stopped afterwards. The whole command stops itself after HOTPATH_BENCH_TIME_LIMIT
# seconds (900). Results: bench/artifacts/results (markdown and CSV per suite, host.json,
# observations.tsv, paired.tsv, paired-ratelimit.tsv).
set -euo pipefail
started=$SECONDS
cd "$(dirname "$0")/.."
root=$(pwd)
artifacts="$root/bench/artifacts"
limit_seconds=${HOTPATH_BENCH_TIME_LIMIT:-900}
paired_seconds=${HOTPATH_BENCH_PAIRED_SECONDS:-20}

log() { printf '[bench] %s\n' "$*"; }

filters=()
extra=()
docs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --filter)
      shift
      while [ $# -gt 0 ] && [[ "$1" != --* ]]; do filters+=("$1"); shift; done
      ;;
    --quick) export HOTPATH_BENCH_QUICK=1; shift ;;
    --no-docs) docs=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
[ ${#filters[@]} -gt 0 ] || filters=('*')

work=$(mktemp -d /tmp/hotpath-bench.XXXXXX)
redis_port=""
cleanup() {
  if [ -n "$redis_port" ]; then
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    if [ -f "$work/redis.pid" ]; then
      pid=$(cat "$work/redis.pid" 2>/dev/null || true)
      for _ in $(seq 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null || true
    fi
    log "stopped redis on 127.0.0.1:$redis_port"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${HOTPATH_BENCH_REDIS:-}" ]; then
  command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server), or set HOTPATH_BENCH_REDIS" >&2; exit 1; }
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$work" --logfile "$work/redis.log" --pidfile "$work/redis.pid"
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null || { echo "redis-server did not start; see $work/redis.log" >&2; cat "$work/redis.log" >&2 || true; exit 1; }
  export HOTPATH_BENCH_REDIS="redis://127.0.0.1:$redis_port"
  log "redis $(redis-server --version | awk '{print $3}' | sed 's/v=//') on 127.0.0.1:$redis_port"
else
  log "using HOTPATH_BENCH_REDIS from the environment"
fi

log "building (Release)"
dotnet build "$root/bench/Hotpath.Benchmarks/Hotpath.Benchmarks.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly

paired=0
for f in "${filters[@]}"; do
  case "$f" in '*'|*Core*|*PeerHit*|*Paired*|*paired*) paired=1 ;; esac
done
[ -n "${HOTPATH_BENCH_QUICK:-}" ] && paired_seconds=3
ratelimit=0
for f in "${filters[@]}"; do
  case "$f" in '*'|*RateLimit*) ratelimit=1 ;; esac
done
reserve=$(( (paired == 1 ? 2 * paired_seconds + 30 : 0) + (ratelimit == 1 ? 75 : 0) ))
budget=$(( limit_seconds - (SECONDS - started) - reserve - 15 ))
[ "$budget" -gt 60 ] || budget=60

rm -rf "$artifacts/results"
mkdir -p "$artifacts"
log "running ${filters[*]} (limit ${budget}s)"
set +e
timeout --signal=INT --kill-after=30 "$budget" \
  dotnet "$root/bench/Hotpath.Benchmarks/bin/Release/net10.0/Hotpath.Benchmarks.dll" \
  --filter "${filters[@]}" --artifacts "$artifacts" ${extra[@]+"${extra[@]}"} 2>&1 | tee "$artifacts/run.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
  log "stopped after ${budget}s; tables are rewritten from the suites that finished"
elif [ "$status" -ne 0 ]; then
  log "benchmarks exited with $status"
fi

# One of the measurements that run outside BenchmarkDotNet: run_check SECONDS WHAT ARGS...
run_check() {
  local seconds=$1 what=$2
  shift 2
  log "$what"
  set +e
  timeout --signal=INT --kill-after=10 "$seconds" \
    dotnet "$root/bench/Hotpath.Benchmarks/bin/Release/net10.0/Hotpath.Benchmarks.dll" \
    "$@" --artifacts "$artifacts" 2>&1 | tee -a "$artifacts/run.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || log "failed: $what"
  set -e
}

if [ "$paired" -eq 1 ]; then
  run_check $(( 2 * paired_seconds + 25 )) "interleaved hit check, ${paired_seconds}s per payload" --paired "$paired_seconds"
  run_check 120 "backplane propagation between two instances, 500 writes (results/backplane.tsv)" --backplane-latency 500
fi

if [ "$ratelimit" -eq 1 ]; then
  run_check 75 "interleaved rate-limit check against RedisRateLimiting, 10s per algorithm (results/paired-ratelimit.tsv)" --paired-ratelimit 10
fi

if [ "$docs" -eq 1 ] && compgen -G "$artifacts/results/*-report.csv" >/dev/null; then
  python3 "$root/bench/update_docs.py" "$artifacts" "$root/docs/benchmarks.md"
fi
exit "$status"
