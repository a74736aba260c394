package model

import "time"

// RetiredAfter is how long a miner may be silent (no share, sample or answer; for a worker of
// xmrig-proxy, no hash) before it is taken as retired from the farm: not alerted on, and not
// shown DOWN, forever.
const RetiredAfter = 7 * 24 * time.Hour
