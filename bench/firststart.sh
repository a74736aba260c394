#!/usr/bin/env bash
# The service's first start after a bulk import: `db4e import` of a generated log into a fresh
# store, then `db4e --headless` on that store for a while; prints the import's peak RSS and the
# service's (VmHWM, the kernel's high-water mark, which a sampler cannot miss), and its peak over its
# whole life, the stop included.
#   bench/firststart.sh [log-size-bytes [seconds [lines-per-event]]]
# Defaults: 1 GiB at the normal density (one event per 200 lines), 30 s. A big store:
#   bench/firststart.sh 268435456 30 1     (1.5M events, ~140 MB)
# STORE=dir skips the import and starts the service on a copy of that store instead (a store
# written through the log at full speed, e.g. by bench/genstore, or one of an older db4e):
#   go run ./bench/genstore -data /tmp/s5y && STORE=/tmp/s5y bench/firststart.sh 0 20
# DB4E_BIN=path runs that binary instead of building one (to compare two builds).
# RUNS=n starts the service n times, each on a fresh copy of the same store (the import runs
# once), and prints each start's peaks and how many went over 40 MB: a rare peak needs many
# starts to show (on a store of db4e before chunks, 17 of 20 went over with the published
# Badger, 0 of 50 with third_party/badger).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
size=${1:-$((1<<30))}
run_for=${2:-30}
every=${3:-200}
out=bench/out
mkdir -p $out
db4e_binary
work=$(mktemp -d)
svc= timer=
trap 'kill $svc $timer 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
: > "$work/p2pool.log"
service_config "$work"
if [ -n "${STORE:-}" ]; then
  cp -a "$STORE" "$work/store"
  from="a copy of $STORE"
else
  log=$(p2pool_log "$size" "$every")
  measure $out/db4e --config "$work/db4e.yaml" import "$log"
  from="a $(du -h "$log" | cut -f1) log; the import's peak RSS $((rss_kb / 1024)) MB"
  mv "$work/data" "$work/store"
fi
echo "store of $(du -sh "$work/store" | cut -f1) from $from"
runs=${RUNS:-1}
over=0
for run in $(seq "$runs"); do
  rm -rf "$work/data"
  cp -a "$work/store" "$work/data"
  # GNU time reports the peak over the whole life, the stop (Badger's close flushes the memtable
  # and compacts level 0) included.
  /usr/bin/time -f '%M' -o "$work/life" $out/db4e --config "$work/db4e.yaml" --headless 2>"$work/svc.log" &
  timer=$!
  for _ in $(seq 50); do svc=$(pgrep -P $timer || true); [ -n "$svc" ] && break; sleep 0.1; done
  sleep "$run_for"
  hwm=$(awk '/VmHWM/{print $2}' /proc/$svc/status)
  rss=$(awk '/VmRSS/{print $2}' /proc/$svc/status)
  kill -TERM $svc
  wait $timer || true
  read -r life < "$work/life"
  [ "$runs" = 1 ] || printf '%3d: ' "$run"
  echo "service, first start on it: peak RSS (VmHWM) $((hwm / 1024)) MB, now $((rss / 1024)) MB, after ${run_for} s; peak over its life, the stop included, $((life / 1024)) MB"
  [ $((hwm / 1024)) -le 40 ] && [ $((life / 1024)) -le 40 ] || over=$((over + 1))
done
[ "$runs" = 1 ] || echo "$over of $runs starts went over 40 MB (VmHWM or the life peak)"
