// Package opstest gives tests outside ops a real store with the sample P2Pool log imported
// (ops/testdata/sample.log).
package opstest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/store"
)

// Fixture opens a store in a temp dir with cfg (days cut in UTC), imports the shared fixture,
// and stops the clock at now. The store closes when the test ends.
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
	return l
}
