#!/usr/bin/env bash
# Resident memory of `db4e --headless` over a farm of RIGS miners whose xmrig APIs it polls
# every INTERVAL, with P2Pool's data-api and log live (bench/farm), on the 5-year store of
# bench/genstore. Samples VmRSS every second for SECS and prints the peak; the time series are
# sealed every 10 minutes (ops.seriesUpkeep), so run it past 10 minutes to see one.
# STORE=dir starts on a copy of another store instead (a store of single samples made by
# `go run ./bench/seriesdisk -seal=false -data dir`: the first start after an upgrade seals it);
# SETTLE=1 starts the service once for 10 s first, as a farm's service has run before.
#   bench/rss-farm.sh [secs [rigs [interval]]]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
secs=${1:-720}; rigs=${2:-50}; interval=${3:-5s}
out=bench/out
mkdir -p $out
db4e_binary
go build -o $out/farm ./bench/farm
[ -d $out/store-5y ] || go run ./bench/genstore -data $out/store-5y
work=$(mktemp -d)
trap 'kill $farm $svc 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "${STORE:-$out/store-5y}" "$work/data"
$out/farm -dir "$work" -rigs "$rigs" > "$work/farm.url" &
farm=$!
for _ in $(seq 50); do [ -s "$work/farm.url" ] && break; sleep 0.1; done
base=$(cat "$work/farm.url")
service_config "$work"
{
  cat <<YAML
  data_api: $work/data-api
  api_interval: $interval
miners:
  interval: $interval
  xmrig:
YAML
  for i in $(seq "$rigs"); do printf '    - {name: rig-%02d, url: %s/rig-%02d}\n' "$i" "$base" "$i"; done
} >> "$work/db4e.yaml"
if [ -n "${SETTLE:-}" ]; then
  $out/db4e --config "$work/db4e.yaml" --headless 2>/dev/null &
  svc=$!; sleep 10; kill -TERM $svc; wait $svc || true
fi
$out/db4e --config "$work/db4e.yaml" --headless 2>"$work/svc.log" &
svc=$!
peak=0; last=0
for _ in $(seq "$secs"); do
  sleep 1
  last=$(awk '/VmRSS/{print $2}' /proc/$svc/status)
  [ "$last" -gt "$peak" ] && peak=$last
  [ -n "${VERBOSE:-}" ] && grep -E "RssAnon|RssFile" /proc/$svc/status | tr -s " \t\n" " " && echo
done
hwm=$(awk '/VmHWM/{print $2}' /proc/$svc/status)
kill -TERM $svc; wait $svc || true
warns=$(grep -c '"level":"WARN"\|level=WARN' "$work/svc.log" || true)
echo "headless over $rigs miners polled every $interval for ${secs}s (5-year store): RSS peak $((peak/1024)) MB (VmHWM $((hwm/1024)) MB), last $((last/1024)) MB; $warns warnings in its log"
$out/db4e --config "$work/db4e.yaml" check 2>&1 | tail -3
