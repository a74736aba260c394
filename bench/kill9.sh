#!/usr/bin/env bash
# The kill -9 tests with many more rounds than CI runs: an import and the service are killed at
# random moments, and every event must be counted exactly once in the end.
#   bench/kill9.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
DB4E_KILL_ROUNDS=${1:-200} go test -count=1 -timeout 60m -run 'Kill9' -v . | grep -E '^(---|\s+main_test|ok|FAIL)'
