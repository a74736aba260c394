package ops

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/store"
)

// earningsLocal is sample.log imported, with the clock at 2025-03-01 12:00 UTC and, with
// dataAPI, the recorded data-api read at that time.
func earningsLocal(t *testing.T, dataAPI bool) (*Local, *time.Time) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Miners.StaleAfter = 6 * time.Hour // the log's workers table is from 09:30
	if dataAPI {
		cfg.P2Pool.DataAPI, cfg.P2Pool.APIMaxAge = "../collect/testdata/data-api", 0
	}
	l, err := OpenLocal(filepath.Join(t.TempDir(), "data"), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Store.Close() })
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { return clock }
	f, _ := os.Open("testdata/sample.log")
	defer f.Close()
	if _, err := l.Import(context.Background(), api.FormatP2Pool, "sample.log", f); err != nil {
		t.Fatal(err)
	}
	l.PollOnce(context.Background())
	return l, &clock
}

// figureCase is one figure and the value worked by hand.
type figureCase struct {
	name      string
	got       api.Figure
	want, tol float64
}

func checkFigures(t *testing.T, cases []figureCase) {
	t.Helper()
	for _, c := range cases {
		if !c.got.Ok() || math.Abs(c.got.Value-c.want) > c.tol {
			t.Errorf("%s: %+v, want %v", c.name, c.got, c.want)
		}
	}
}

// earningsNow is the earnings of a snapshot at l's clock.
func earningsNow(t *testing.T, l *Local) api.Earnings {
	t.Helper()
	snap, err := l.Snapshot(context.Background(), api.SnapshotQuery{Days: 7})
	if err != nil {
		t.Fatal(err)
	}
	return snap.Earnings
}

// With P2Pool's data-api, every figure, worked by hand in earnings/earnings_test.go.
func TestEarningsFromTheDataAPI(t *testing.T) {
	l, clock := earningsLocal(t, true)
	e := earningsNow(t, l)
	checkFigures(t, []figureCase{
		// The window holds sidechain heights 10412721..10414880; of our shares before noon,
		// 10413012 is in it and 10412233 is not.
		{"window shares", e.WindowShares, 1, 0},
		{"window blocks", e.WindowBlocks, 2160, 0},
		{"window seconds", e.WindowSeconds, 23176, 0},
		{"effort", e.Effort, 48.219, 1e-9},
		{"average effort", e.AverageEffort, 98.112, 1e-9},
		{"time to share", e.TimeToShare, 10039, 0},
		{"per block (piconero)", e.PerBlock, 642e6, 1},
		{"per day (piconero)", e.PerDay, 1.853364e9, 1e4},
		{"hashrate", e.Hashrate, 13137, 0},
		{"24 h hashrate", e.Hashrate24h, 12810, 0},
	})
	// Ten minutes on with no new read, P2Pool's figures are no longer shown as current.
	*clock = clock.Add(10 * time.Minute)
	if f := earningsNow(t, l).PerDay; f.Ok() || !strings.Contains(f.Why, "not updated for 10m") {
		t.Errorf("stale per day: %+v", f)
	}
}

// Without the data-api, what the log gives: the last share's difficulty and the miners' own
// hashrates; the window and XMR say what they need.
func TestEarningsFromTheLogAlone(t *testing.T) {
	l, _ := earningsLocal(t, false)
	e := earningsNow(t, l)
	// workers at 09:30: 6201 + 5874 + 788 = 12863 H/s; last share 02:47:05.556 at diff 130117723
	checkFigures(t, []figureCase{
		{"hashrate", e.Hashrate, 12863, 0},
		{"time to share", e.TimeToShare, 10116, 0},                           // 130117723 / 12863 = 10115.66 s
		{"effort", e.Effort, 327.951, 0.001},                                 // 100 × 12863 × 33174.444 / 130117723
		{"average effort (the log's shares)", e.AverageEffort, 84.613, 1e-9}, // (48.219 + 121.007) / 2
	})
	for name, f := range map[string]api.Figure{"window shares": e.WindowShares, "per day": e.PerDay} {
		if f.Ok() || f.Why != "needs p2pool.data_api" {
			t.Errorf("%s: %+v", name, f)
		}
	}
	if e.LastShare.Format("15:04:05") != "02:47:05" || e.MinersUp != 3 {
		t.Errorf("last share %v, miners up %d", e.LastShare, e.MinersUp)
	}
}
