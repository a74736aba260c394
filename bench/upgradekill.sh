#!/usr/bin/env bash
# An upgrade after a crash: the service of an older db4e (by default the last with 4 MB
# memtables) is killed -9 at a random moment while `db4e import` sends it a log, then this
# build's service starts on the store it left and the same log is imported again. Every event
# must be stored once: the second import's new and already-stored events add up to the log's,
# and `db4e check` finds nothing. Before the store opened such a store with its memtables'
# own size (store.memTableSizeIn; badger #2002), this build's service exited at once ("Arena
# too small"), and so did check.
#   bench/upgradekill.sh [rounds [old-revision]]
# DB4E_BIN=path runs that binary as the newer one instead of building this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/iostat.sh
rounds=${1:-5}
rev=${2:-d03089b}
out=bench/out
db4e_binary
tree=$(mktemp -d)
work=
trap 'kill -9 $svc 2>/dev/null || true; wait 2>/dev/null || true; git worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$tree" "$work"' EXIT
git worktree add --detach "$tree" "$rev" >/dev/null 2>&1
(cd "$tree" && go build -o "$tree/db4e-old" .)
log=$(p2pool_log 104857600 1)
events=$(LC_ALL=C grep -cE 'SHARE FOUND|BLOCK FOUND|got a payout' "$log")
exact=0
svc=
for round in $(seq "$rounds"); do
  work=$(mktemp -d)
  service_config "$work"
  : > "$work/p2pool.log"
  "$tree/db4e-old" --config "$work/db4e.yaml" --headless 2>"$work/old.log" &
  svc=$!
  for _ in $(seq 50); do [ -S "$work/db4e.sock" ] && break; sleep 0.1; done
  "$tree/db4e-old" --config "$work/db4e.yaml" import "$log" >/dev/null 2>&1 &
  imp=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.5 + r % 250 / 100 }')"
  kill -9 $svc; wait $svc 2>/dev/null || true; wait $imp 2>/dev/null || true
  # Each memtable log with the KB written in it (the file is sparse, twice the memtable).
  left=$(cd "$work/data" && for f in *.mem; do [ -f "$f" ] && printf '%s (%s KB) ' "$f" "$(du -k "$f" | cut -f1)"; done || true)
  rm -f "$work/db4e.sock" # what the kill left
  $out/db4e --config "$work/db4e.yaml" --headless 2>"$work/new.log" &
  svc=$!
  for _ in $(seq 100); do [ -S "$work/db4e.sock" ] || ! kill -0 $svc 2>/dev/null && break; sleep 0.1; done
  again=$($out/db4e --config "$work/db4e.yaml" import "$log" 2>&1 | tail -1 || true)
  kill -TERM $svc 2>/dev/null || true
  status=0; wait $svc || status=$?
  check=$($out/db4e --config "$work/db4e.yaml" check 2>&1 | tail -1 || true)
  added=$(grep -oE '[0-9]+ new event' <<<"$again" | cut -d' ' -f1 || true)
  stored=$(grep -oE '[0-9]+ already stored' <<<"$again" | cut -d' ' -f1 || true)
  verdict=WRONG
  if [ "$status" = 0 ] && [ -n "$added" ] && [ $((added + stored)) = "$events" ] && [ "$check" = "no damage found" ]; then
    verdict=exact exact=$((exact + 1))
  fi
  echo "round $round: memtable logs left ${left:-none}; this build's service exit $status; again: ${added:-?} new + ${stored:-?} already stored of $events; check: $check: $verdict"
  [ "$verdict" = exact ] || tail -3 "$work/new.log"
  rm -rf "$work"
done
echo "$exact of $rounds rounds exact"
[ "$exact" = "$rounds" ]
