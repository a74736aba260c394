#!/usr/bin/env bash
# Import of a generated 1 GiB RFC 7464 stream (prefixed, 0x1E and bare records, each kept as
# an event), wall time, records per second and peak RSS.
#   bench/jsonseq.sh [size-bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-$((1<<30))}
out=bench/out
mkdir -p $out
go build -o $out/db4e .
seq=$out/stream-$size.seq
[ -f "$seq" ] || go run ./bench/genseq -o "$seq" -size "$size"
cat "$seq" > /dev/null
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
/usr/bin/time -f '%e %M' -o "$d/time" $out/db4e --data "$d/data" import --format jsonseq "$seq" 2>/dev/null | tail -1
read -r secs kb < "$d/time"
records=$(grep -c '' "$seq")
echo "jsonseq import of $(du -h "$seq" | cut -f1), $records records: ${secs}s, $(echo "$records / $secs" | bc) records/s, peak RSS $((kb/1024)) MB, store $(du -sh "$d/data" | cut -f1)"
