// Package opstest gives tests outside ops a real store with the sample P2Pool log imported
// (ops/testdata/sample.log).
package opstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/store"
)

// Fixture opens a store in a temp dir with cfg (days cut in UTC), imports the shared fixture,
// has monerod confirm its payouts (as a farm with monerod.rpc sees them: the totals count
// them), and stops the clock at now. The store closes when the test ends.
func Fixture(t *testing.T, cfg ops.Config, now time.Time) *ops.Local {
	t.Helper()
	l, err := ops.OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Store.Close() })
	l.Now = func() time.Time { return now }
	_, here, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(here), "..", "..", "ops", "testdata", "sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := l.Import(context.Background(), api.FormatP2Pool, "sample.log", f); err != nil {
		t.Fatal(err)
	}
	ps, err := l.Store.Payouts()
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	for _, p := range ps {
		at := p.Time.Add(30 * time.Minute) // 10 blocks of 2 minutes, and some
		b.Events = append(b.Events, model.Event{Time: at, Kind: model.KindPayout, Height: p.Height, State: model.PayoutConfirmed,
			Result: "10 confirmations", ID: model.HashID(fmt.Appendf(nil, "confirmed %d", p.Height))})
	}
	if _, err := l.Store.Apply(&b); err != nil {
		t.Fatal(err)
	}
	return l
}
