#!/usr/bin/env bash
# Import throughput on a generated 1 GiB P2Pool log (about one event per 200 lines), side by
# side with the grep an operator would use to count the same events. Best of 3 wall times each.
#   bench/import.sh [size-bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-$((1<<30))}
out=bench/out
mkdir -p $out
go build -o $out/db4e .
log=$out/p2pool-$size.log
[ -f "$log" ] || go run ./bench/genlog -o "$log" -size "$size"
cat "$log" > /dev/null # page cache warm for both
best() { sort -n | head -1; }
grep_s=$(for _ in 1 2 3; do /usr/bin/time -f %e sh -c "LC_ALL=C grep -cE 'SHARE FOUND|BLOCK FOUND|got a payout' '$log' | cat >/dev/null" 2>&1; done | best)
db4e_s=$(for _ in 1 2 3; do d=$(mktemp -d); /usr/bin/time -f %e $out/db4e --data "$d/data" import "$log" 2>&1 >/dev/null | grep -v '^time=' | tail -1; rm -rf "$d"; done | best)
events=$(LC_ALL=C grep -cE 'SHARE FOUND|BLOCK FOUND|got a payout' "$log")
echo "import of $(du -h "$log" | cut -f1) ($events events): db4e ${db4e_s}s, grep ${grep_s}s, ratio $(echo "scale=2; $db4e_s / $grep_s" | bc)"
