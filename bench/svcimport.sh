#!/usr/bin/env bash
# Resident memory of the running service while `db4e import` sends it a log (the import goes
# through the service's socket when the service holds the store): the service starts on a fresh
# store, the import runs, and the script prints the service's peak RSS (VmHWM, the kernel's
# high-water mark), with its anonymous and file-backed parts at the highest sample (status read
# every few ms), over RUNS imports.
#   bench/svcimport.sh [log-size-bytes [lines-per-event]]
# Defaults: 256 MiB, every line an event (1.5M events, the heaviest import).
# FORMAT=jsonseq imports an RFC 7464 stream instead (bench/genseq's, as bench/jsonseq.sh):
#   FORMAT=jsonseq bench/svcimport.sh [records]     (default 600k)
# DB4E_BIN=path runs that binary instead of building one (to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
size=${1:-268435456}
every=${2:-1}
out=bench/out
mkdir -p $out
db4e_binary
if [ "${FORMAT:-p2pool}" = jsonseq ]; then
  records=${1:-600000}
  log=$out/stream-$records.seq
  [ -f "$log" ] || go run ./bench/genseq -o "$log" -records "$records"
else
  log=$(p2pool_log "$size" "$every")
fi
work=$(mktemp -d)
svc= sampler=
trap 'kill $svc $sampler 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
: > "$work/p2pool.log"
service_config "$work"
runs=${RUNS:-3}
over=0
for run in $(seq "$runs"); do
  rm -rf "$work/data"
  $out/db4e --config "$work/db4e.yaml" --headless 2>"$work/svc.log" &
  svc=$!
  for _ in $(seq 100); do [ -S "$work/db4e.sock" ] && break; sleep 0.1; done
  # The highest VmRSS sampled, with its parts: VmHWM says how high, this says of what. Shell
  # builtins only: a grep, an awk and a sleep every 3 ms took a core from the import being timed.
  ( peak=0
    exec {nap}<> <(:) # read -t on a pipe nobody writes: a 3 ms wait without forking sleep
    while [ -e /proc/$svc/status ]; do
      rss= parts=
      while read -r key kb _; do
        case $key in VmRSS:|RssAnon:|RssFile:) parts+="$key $((kb / 1024)) "; [ "$key" = VmRSS: ] && rss=$((kb / 1024));; esac
      done < /proc/$svc/status 2>/dev/null || break
      [ -n "$rss" ] && [ "$rss" -gt "$peak" ] && { peak=$rss; echo "$parts" > "$work/parts"; }
      read -r -t 0.003 -u "$nap" _ || true
    done ) &
  sampler=$!
  t0=$(date +%s%N)
  $out/db4e --config "$work/db4e.yaml" import --format "${FORMAT:-p2pool}" "$log" > "$work/import.out" 2>&1 || { cat "$work/import.out"; exit 1; }
  secs=$(since "$t0")
  hwm=$(awk '/VmHWM/{print $2}' /proc/$svc/status)
  kill -TERM $svc; wait $svc || true
  kill $sampler 2>/dev/null || true; wait $sampler 2>/dev/null || true
  printf '%3d: import %s s (%s); service peak RSS (VmHWM) %d MB; at the highest sample (MB): %s\n' \
    "$run" "$secs" "$(tail -1 "$work/import.out")" $((hwm / 1024)) "$(cat "$work/parts" 2>/dev/null)"
  [ $((hwm / 1024)) -le 40 ] || over=$((over + 1))
done
echo "$over of $runs imports took the service over 40 MB; the file: $(du -h "$log" | cut -f1), $(grep -c . "$log") lines"
