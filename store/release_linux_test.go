package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

// Reading the whole store maps every table; the watcher gives those pages back within moments,
// where without it they stay counted in the process's memory.
func TestMappedPagesAreGivenBack(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for batch := range 40 {
		var b Batch
		for i := range 5000 {
			at := start.Add(time.Duration(batch*5000+i) * time.Second)
			b.Events = append(b.Events, model.Event{Time: at, Kind: model.KindShare, ID: model.HashID(fmt.Appendf(nil, "%d", at.UnixNano())),
				Host: fmt.Sprintf("rig-%02d", i%50), ClientIP: "192.168.1.20", MainHeight: 3_000_000, SideHeight: 9_000_000, Difficulty: 130_000_000, Effort: 12.5})
		}
		if _, err := s.Apply(&b); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openTest(t, dir, "UTC")
	defer s.Close()
	readAll := func() int64 {
		before, _ := residentFileBytes()
		if err := s.Events(context.Background(), time.Time{}, time.Time{}, func(*model.Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
		after, _ := residentFileBytes()
		return after - before
	}
	s.ReleaseMappedPages()
	if grew := readAll(); grew < 4*releaseStep {
		t.Skipf("reading the store mapped only %d KB; nothing to measure", grew>>10)
	}
	s.ReleaseMappedPages()
	base, _ := residentFileBytes()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.KeepMappedPagesLow(ctx)
	time.Sleep(50 * time.Millisecond)
	readAll()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, _ := residentFileBytes()
		if n <= base+2*releaseStep {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("resident file pages %d KB over what they were before the read, 3 s after it", (n-base)>>10)
		}
	}
}
