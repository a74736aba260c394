#!/usr/bin/env bash
# Import of a generated P2Pool log into a fresh store, side by side with the grep an operator
# would use to count the same events, from the same run. Best of 3 wall times each; bytes
# written and peak RSS of the best db4e run.
#   bench/import.sh [size-bytes [lines-per-event]]
# Defaults: 1 GiB at the normal density (one event per 200 lines). The issue's checks:
#   bench/import.sh 158000000 20    (1.2M lines, one event per 20: goal <= 2x grep)
#   bench/import.sh 104857600 1     (every line an event: goal >= 300k events/s)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
size=${1:-$((1<<30))}
every=${2:-200}
out=bench/out
mkdir -p $out
go build -o $out/db4e .
log=$(p2pool_log "$size" "$every")
cat "$log" > /dev/null # page cache warm for both
pattern='SHARE FOUND|BLOCK FOUND|got a payout'
grep_s=$(for _ in 1 2 3; do wall env LC_ALL=C grep -cE "$pattern" "$log"; done | best)
events=$(LC_ALL=C grep -cE "$pattern" "$log")
lines=$(wc -l < "$log")
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
runs=""
for i in 1 2 3; do
  rm -rf "$d/data"
  measure $out/db4e --data "$d/data" import "$log"
  store=$(du -sb "$d/data" | cut -f1)
  runs+="$secs $rss_kb $written $written_raw $store"$'\n'
done
read -r db4e_s rss_kb written written_raw store < <(printf '%s' "$runs" | sort -n | head -1)
stored=$($out/db4e --data "$d/data" check --json 2>/dev/null | jq .events) || stored="?"
printf 'log: %s, %d lines, %d events (one per %d lines)\n' "$(du -h "$log" | cut -f1)" "$lines" "$events" $((lines / (events > 0 ? events : 1)))
printf 'grep -cE: %ss\n' "$grep_s"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
printf 'db4e import: %ss = %sx grep, %s events/s, %d events stored, peak RSS %d MB\n' "$db4e_s" "$(ratio "$db4e_s" "$grep_s")" "$(ratio "$events" "$db4e_s")" "$stored" $((rss_kb / 1024))
printf 'disk: %d MB written (%d MB before cancelled writes) for a %d MB store = %sx\n' $((written >> 20)) $((written_raw >> 20)) $((store >> 20)) "$(ratio "$written" "$store")"
