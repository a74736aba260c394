#!/usr/bin/env bash
# The logrotate trial at length (CI runs a short one): for each style (create, dateext,
# compress+delaycompress, rotate 1 + compress, copytruncate), Debian's logrotate every 1-5 s,
# the service killed -9 about as often, P2Pool writing throughout. Prints, per style, what was
# written, stored and left in files, and what was lost, duplicated or in no file.
#   bench/logrotate.sh [rotations per style] [longest gap]
set -euo pipefail
cd "$(dirname "$0")/.."
DB4E_TRIAL_ROTATIONS=${1:-50} DB4E_TRIAL_GAP=${2:-5s} \
  go test -count=1 -timeout 120m -run 'TestLogrotateTrial' -v . | grep -E '^(\s*---|\s+trial_test|ok|FAIL)'
