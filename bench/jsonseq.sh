#!/usr/bin/env bash
# Import of a generated RFC 7464 stream (a third of the records with a text prefix, a third
# with 0x1E, a third bare) into a fresh store, side by side, from the same run, with `jq -c .`
# parsing the same records and with bench/seqdecode, a Go program that only decodes the fields
# db4e reads. Best of 3 wall times each; RSS, bytes written and store size of the best db4e run.
#   bench/jsonseq.sh [records]     (default 600000: the issue's check; 2570000 is ~256 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
records=${1:-600000}
out=bench/out
mkdir -p $out
go build -o $out/db4e .
go build -o $out/seqdecode ./bench/seqdecode
seq=$out/stream-$records.seq
[ -f "$seq" ] || go run ./bench/genseq -o "$seq" -records "$records"
# jq reads JSON texts: the same records with their prefixes and 0x1E taken off.
json=$out/stream-$records.json
[ -f "$json" ] || LC_ALL=C sed 's/^[^{]*//' "$seq" > "$json"
cat "$seq" "$json" > /dev/null
jq_s=$(for _ in 1 2 3; do measure jq -c . "$json"; echo "$secs $rss_kb"; done | best)
dec_s=$(for _ in 1 2 3; do measure $out/seqdecode "$seq"; echo "$secs $rss_kb"; done | best)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
runs=""
for _ in 1 2 3; do
  rm -rf "$d/data"
  measure $out/db4e --data "$d/data" import --format jsonseq "$seq"
  runs+="$secs $rss_kb $written $(du -sb "$d/data" | cut -f1)"$'\n'
done
read -r secs rss_kb written store < <(printf '%s' "$runs" | sort -n | head -1)
peak=$(printf '%s' "$runs" | awk '$2>m{m=$2}END{print m}')
stored=$($out/db4e --data "$d/data" check --json 2>/dev/null | jq .events)
bytes=$(stat -c %s "$seq")
printf 'stream: %d MB, %d records\n' $((bytes >> 20)) "$records"
printf 'jq -c .:    %ss, peak RSS %d MB\n' "${jq_s% *}" $((${jq_s#* } / 1024))
printf 'seqdecode:  %ss, peak RSS %d MB\n' "${dec_s% *}" $((${dec_s#* } / 1024))
printf 'db4e:       %ss = %sx jq, %d records/s, peak RSS %d MB (highest of 3 runs %d MB)\n' "$secs" "$(echo "scale=2; $secs / ${jq_s% *}" | bc)" "$(echo "$records / $secs" | bc)" $((rss_kb / 1024)) $((peak / 1024))
printf 'kept:       %d of %d records\n' "$stored" "$records"
printf 'store:      %d MB = %sx the stream; %d MB written = %sx the store\n' $((store >> 20)) "$(echo "scale=2; $store / $bytes" | bc)" $((written >> 20)) "$(echo "scale=2; $written / $store" | bc)"
