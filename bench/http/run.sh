#!/usr/bin/env bash
# Loads the sample API's endpoints with wrk, one scenario after another, bounded in time, and prints
# a table (also written to bench/http/results/<timestamp>.tsv).
#
#   bench/http/run.sh BASE_URL [NAME=]PATH...
#   bench/http/run.sh http://127.0.0.1:5080 \
#       service-cache=/api/products/featured \
#       'response-cache=/api/products?page=1&pageSize=20' \
#       item=/api/products/42
#
# BASE_URL must be on this machine (127.0.0.1, localhost or [::1]); anything else is refused. Start the
# sample with RateLimits__Api__TokenLimit and RateLimits__Api__TokensPerPeriod raised (say to 1000000),
# or its /api token bucket refuses most of the load. compare.sh runs the response-cache comparison
# (uncached, Hotpath, OutputCache) on its own.
# Settings (environment): THREADS (2), CONNECTIONS (32), DURATION (10s), WARMUP (3s, not recorded),
# TIMEOUT (2s per request). Every scenario costs WARMUP + DURATION, so four take under a minute.
# See bench/http/README.md for what each scenario means and how to read the numbers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 2 ]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install wrk)" >&2; exit 1; }

base=${1%/}
shift
case "$base" in
  http://127.0.0.1|http://127.0.0.1:*|http://localhost|http://localhost:*|http://\[::1\]|http://\[::1\]:*) ;;
  *) echo "refusing $base: load is only ever sent to this machine (http://127.0.0.1:PORT, localhost or [::1])" >&2; exit 2 ;;
esac

threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
duration=${DURATION:-10s}
warmup=${WARMUP:-3s}
timeout_per_request=${TIMEOUT:-2s}

mkdir -p "$here/results"
out="$here/results/$(date -u +%Y%m%dT%H%M%SZ).tsv"
printf 'scenario\tpath\trequests\treq_per_s\tp50_us\tp90_us\tp99_us\tmax_us\tnon_2xx_3xx\tsocket_errors\n' > "$out"

for spec in "$@"; do
  if [[ "$spec" == *=/* ]]; then name=${spec%%=*}; path=${spec#*=}; else name=$spec; path=$spec; fi
  [[ "$path" == /* ]] || { echo "path must start with /: $path" >&2; exit 2; }
  url="$base$path"
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url") || true
  if [ -z "$status" ] || [ "$status" = 000 ]; then echo "$url does not answer; is the sample running?" >&2; exit 1; fi
  echo "== $name: $url (HTTP $status) — warm-up $warmup, then $duration with $threads threads, $connections connections" >&2
  wrk -t"$threads" -c"$connections" -d"$warmup" --timeout "$timeout_per_request" "$url" >/dev/null
  line=$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout "$timeout_per_request" -s "$here/report.lua" "$url" | grep '^WRK_RESULT' || true)
  [ -n "$line" ] || { echo "wrk printed no result for $url" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$name" "$path" "$(cut -f2- <<<"$line")" >> "$out"
done

echo >&2
column -t -s $'\t' "$out"
echo >&2
echo "written to $out" >&2
