#!/usr/bin/env bash
# The service's first start after a bulk import: `db4e import` of a generated log into a fresh
# store, then `db4e --headless` on that store for a while; prints the import's peak RSS and the
# service's (VmHWM, the kernel's high-water mark, which a sampler cannot miss).
#   bench/firststart.sh [log-size-bytes [seconds [lines-per-event]]]
# Defaults: 1 GiB at the normal density (one event per 200 lines), 30 s. A big store:
#   bench/firststart.sh 268435456 30 1     (1.5M events, ~140 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
size=${1:-$((1<<30))}
run_for=${2:-30}
every=${3:-200}
out=bench/out
mkdir -p $out
go build -o $out/db4e .
log=$(p2pool_log "$size" "$every")
work=$(mktemp -d)
trap 'kill $svc 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
: > "$work/p2pool.log"
service_config "$work"
measure $out/db4e --config "$work/db4e.yaml" import "$log"
import_rss=$rss_kb
$out/db4e --config "$work/db4e.yaml" --headless 2>"$work/svc.log" &
svc=$!
sleep "$run_for"
hwm=$(awk '/VmHWM/{print $2}' /proc/$svc/status)
rss=$(awk '/VmRSS/{print $2}' /proc/$svc/status)
echo "store of $(du -sh "$work/data" | cut -f1) from a $(du -h "$log" | cut -f1) log; the import's peak RSS $((import_rss / 1024)) MB"
echo "service, first start on it: peak RSS (VmHWM) $((hwm / 1024)) MB, now $((rss / 1024)) MB, after ${run_for} s"
