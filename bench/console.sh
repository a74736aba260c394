#!/usr/bin/env bash
# The console against five years of a 50-rig farm: time to the first full screen, and the CPU
# one dashboard refresh costs (snapshot from the views, widgets, draw).
#   bench/console.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p $out
[ -d $out/store-5y ] || go run ./bench/genstore -data $out/store-5y
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r $out/store-5y "$work/store"
DB4E_BENCH_STORE="$work/store" go test -run XXX -bench '5y' -benchtime 20x -count 1 ./ui | grep -E 'Benchmark|ok'
