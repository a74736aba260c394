#!/usr/bin/env bash
# Resident memory of `db4e --headless` following a live P2Pool log with a store holding five
# years of a 50-rig farm. Prints the peak and the last VmRSS seen.
#   bench/rss.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
secs=${1:-60}
out=bench/out
mkdir -p $out
go build -o $out/db4e .
[ -d $out/store-5y ] || go run ./bench/genstore -data $out/store-5y
[ -f $out/live-src.log ] || go run ./bench/genlog -o $out/live-src.log -size $((20<<20)) -event-every 20
work=$(mktemp -d)
trap 'kill $writer $svc 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r $out/store-5y "$work/data"
: > "$work/p2pool.log"
service_config "$work"
# The generator leaves level 0 uncompacted: the first start compacts it (a transient peak of
# mapped table pages), which a service that ran before has already done. Start once to settle.
$out/db4e --config "$work/db4e.yaml" --headless 2>/dev/null &
svc=$!
first=0
for _ in $(seq 20); do
  sleep 0.5
  r=$(awk '/VmRSS/{print $2}' /proc/$svc/status)
  [ "$r" -gt "$first" ] && first=$r
done
kill -TERM $svc; wait $svc || true
# P2Pool: 40 lines every half second, about two events a second
( exec 3<$out/live-src.log; while true; do for _ in $(seq 40); do IFS= read -r l <&3 && printf '%s\n' "$l"; done >> "$work/p2pool.log"; sleep 0.5; done ) >/dev/null 2>&1 &
writer=$!
$out/db4e --config "$work/db4e.yaml" --headless 2>"$work/svc.log" &
svc=$!
peak=0; last=0; steady=0; i=0
for _ in $(seq "$secs"); do
  sleep 1; i=$((i+1))
  last=$(awk '/VmRSS/{print $2}' /proc/$svc/status)
  grep -E "RssAnon|RssFile" /proc/$svc/status | tr -s " " | tr "\n" " "; echo
  [ "$last" -gt "$peak" ] && peak=$last
  [ $i -gt 15 ] && [ "$last" -gt "$steady" ] && steady=$last
done
events=$(grep -c 'SHARE FOUND\|BLOCK FOUND\|got a payout' "$work/p2pool.log" || true)
# CPU the service used following (utime + stime, clock ticks): what a tighter heap limit costs.
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' /proc/$svc/stat)
echo "headless RSS with the 5-year store: first start (compacting the generator's level 0) peak $((first/1024)) MB; then, following for ${secs}s: peak $((peak/1024)) MB, after 15 s at most $((steady/1024)) MB, last $((last/1024)) MB; $events events appended meanwhile; CPU ${cpu} s"
