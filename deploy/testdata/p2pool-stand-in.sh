#!/bin/sh
# A STAND-IN for P2Pool, for tests only: no P2Pool binary can run here (it needs a synced
# mainnet monerod; it refuses regtest). It takes P2Pool's options as the unit passes them,
# writes p2pool.log in --data-dir and pool/stats in --data-api (what db4e's health check
# reads), and answers P2Pool's console commands read on stdin in P2Pool's log format.
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) dir=$2; shift ;;
    --data-api) api=$2; shift ;;
    --wallet) wallet=$2; shift ;;
  esac
  shift
done
log="$dir/p2pool.log"
now() { date -u '+%Y-%m-%d %H:%M:%S.0000'; }
mkdir -p "$api/pool" "$api/local"
echo '{"pool_list":["pplns"],"pool_statistics":{"hashRate":0,"miners":0,"totalHashes":0}}' > "$api/pool/stats"
echo '{"hashrate_15m":0,"hashrate_1h":0,"hashrate_24h":0,"total_hashes":0,"shares_found":0,"shares_failed":0,"average_effort":0,"current_effort":0,"connections":0,"incoming_connections":0,"workers":[]}' > "$api/local/stratum"
echo "$(now) P2Pool v4.18 (STAND-IN) wallet $wallet" >> "$log"
# P2Pool rewrites its data-api files as it runs; db4e counts old ones as P2Pool down.
( while sleep 10; do touch "$api/pool/stats" "$api/local/stratum"; done ) & refresher=$!
trap 'kill $refresher; exit 0' TERM INT
while read -r cmd rest; do
  case "$cmd" in
    status)
      { echo "$(now) SideChain status"
        echo "Main chain height         = 3350105"
        echo "Side chain ID             = mini"
        echo "$(now) StratumServer status"
        echo "Connections    = 0 (0 incoming)"; } >> "$log" ;;
    workers) echo "$(now) StratumServer No workers connected" >> "$log" ;;
    version) echo "$(now) P2Pool v4.18 (STAND-IN)" >> "$log" ;;
    *) echo "$(now) ConsoleCommands Unknown command $cmd" >> "$log" ;;
  esac
done
kill $refresher
