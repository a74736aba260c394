package earnings

import (
	"math"
	"testing"
	"time"
)

// The figures below are worked by hand from the recorded data-api answers in
// collect/testdata/data-api (pool/stats, network/stats, local/stratum).
const (
	tip          = 10414880     // pool/stats sidechainHeight
	windowSize   = 2160         // pool/stats pplnsWindowSize
	sideDiff     = 131880441    // pool/stats sidechainDifficulty
	poolHashrate = 12291000     // pool/stats hashRate
	ourHashrate  = 13137        // local/stratum hashrate_15m
	netDiff      = 367854023412 // network/stats difficulty
	reward       = 600000000000 // network/stats reward: 0.6 XMR
	sharePercent = 0.107        // local/stratum block_reward_share_percent
)

func TestSharesInWindow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		heights []uint64
		want    int
	}{
		{"none", nil, 0},
		{"the tip itself", []uint64{tip}, 1},
		{"the window's oldest block", []uint64{tip - windowSize + 1}, 1},
		{"just out of it", []uint64{tip - windowSize}, 0},
		{"the sample log's two shares and an old one", []uint64{10414880 - 40, 10414880 - 1500, 10400000}, 2},
		{"a share above the tip asked", []uint64{tip + 3}, 1},
	} {
		if got := SharesInWindow(tc.heights, tip, windowSize); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if SharesInWindow([]uint64{tip}, tip, 0) != 0 {
		t.Error("a window of no blocks holds shares")
	}
}

func TestWindowDuration(t *testing.T) {
	// 2160 × 131880441 / 12291000 = 284861752560 / 12291000 = 23176.45 s = 6h26m16s
	d, ok := WindowDuration(windowSize, sideDiff, poolHashrate)
	if !ok || d != 6*time.Hour+26*time.Minute+16*time.Second {
		t.Fatalf("%v %v, want 6h26m16s", d, ok)
	}
	if _, ok := WindowDuration(windowSize, sideDiff, 0); ok {
		t.Error("a window over no hashrate")
	}
}

func TestTimeToShare(t *testing.T) {
	// 131880441 / 13137 = 10038.9 s = 2h47m19s
	d, ok := TimeToShare(sideDiff, ourHashrate)
	if !ok || d != 2*time.Hour+47*time.Minute+19*time.Second {
		t.Fatalf("%v %v, want 2h47m19s", d, ok)
	}
	for _, hr := range []float64{0, -1, math.NaN()} {
		if _, ok := TimeToShare(sideDiff, hr); ok {
			t.Errorf("a time to share at %v H/s", hr)
		}
	}
}

func TestEffort(t *testing.T) {
	// 1h at 13137 H/s = 47293200 hashes; 100 × 47293200 / 131880441 = 35.86 %
	e, ok := Effort(13137*3600, sideDiff)
	if !ok || math.Abs(e-35.8606) > 0.001 {
		t.Fatalf("%v %v, want 35.86", e, ok)
	}
	if _, ok := Effort(1, 0); ok {
		t.Error("effort against no difficulty")
	}
}

func TestPerBlockAndPerDay(t *testing.T) {
	// 0.6 XMR × 0.107 % = 0.000642 XMR = 642000000 piconero
	pb, ok := PerBlock(reward, sharePercent)
	if !ok || math.Abs(pb-642e6) > 1 {
		t.Fatalf("per block %v %v, want 642000000", pb, ok)
	}
	// 12291000 × 86400 / 367854023412 = 2.88686 blocks a day
	bpd, ok := PoolBlocksPerDay(poolHashrate, netDiff)
	if !ok || math.Abs(bpd-2.88686) > 1e-5 {
		t.Fatalf("blocks/day %v %v, want 2.88686", bpd, ok)
	}
	// 642000000 × 2.88686 = 1853364000 piconero = 0.001853 XMR a day
	if pd := PerDay(pb, bpd); math.Abs(pd-1.853364e9) > 1e4 {
		t.Fatalf("per day %v, want 1853364000", pd)
	}
	if _, ok := PerBlock(reward, 101); ok {
		t.Error("a share over 100 %")
	}
}

func TestDailyAverage(t *testing.T) {
	// 7 days: 4+6+5+0+3+5+7 = 30 → 4.2857 a day
	avg, ok := DailyAverage([]uint64{4, 6, 5, 0, 3, 5, 7})
	if !ok || math.Abs(avg-30.0/7) > 1e-9 {
		t.Fatalf("%v %v", avg, ok)
	}
	if _, ok := DailyAverage(nil); ok {
		t.Error("an average of no days")
	}
}
