package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

// filledStore makes a store with n shares over several hosts and days, closed, and returns
// its directory.
func filledStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	var b Batch
	for i := range n {
		ts := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		b.Events = append(b.Events, share(ts, fmt.Sprintf("rig-%02d", i%7)))
	}
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tables(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(m) == 0 {
		t.Fatal("no table written")
	}
	return m
}

// Without MANIFEST, Badger would start an empty store and delete the tables; db4e refuses,
// names the file and says what to do, and deletes nothing, reader or writer.
func TestMissingManifestRefused(t *testing.T) {
	dir := filledStore(t, 3000)
	before := tables(t, dir)
	os.Remove(filepath.Join(dir, "MANIFEST"))
	for _, reader := range []bool{true, false} {
		_, err := Open(dir, Config{Timezone: "UTC", Reader: reader}, nil)
		if !errors.Is(err, model.ErrDamaged) || !strings.Contains(err.Error(), "MANIFEST") || !strings.Contains(err.Error(), "restore") {
			t.Fatalf("reader=%v: %v", reader, err)
		}
	}
	if after := tables(t, dir); len(after) != len(before) {
		t.Fatalf("%d tables before, %d after", len(before), len(after))
	}
}

// A byte flipped anywhere in a table is an error naming the table, never a wrong count.
func TestFlippedByteIsAnError(t *testing.T) {
	clean := filledStore(t, 3000)
	for trial := range 12 {
		dir := t.TempDir()
		copyDir(t, clean, dir)
		tb := tables(t, dir)[0]
		b, _ := os.ReadFile(tb)
		pos := (len(b) - 1) * trial / 11
		b[pos] ^= 0x10
		os.WriteFile(tb, b, 0o644)
		s, err := Open(dir, Config{Timezone: "UTC", Reader: true}, nil)
		if err == nil {
			n, cerr := s.CountEvents()
			s.Close()
			t.Fatalf("byte %d of %d flipped: opened, %d events (%v)", pos, len(b), n, cerr)
		}
		if !errors.Is(err, model.ErrDamaged) || !strings.Contains(err.Error(), filepath.Base(tb)) {
			t.Fatalf("byte %d of %d flipped: %v", pos, len(b), err)
		}
	}
}

// A table cut short is an error naming it, not a panic.
func TestTruncatedTableIsAnError(t *testing.T) {
	for _, keep := range []float64{0, 0.01, 0.5, 0.99} {
		dir := filledStore(t, 3000)
		tb := tables(t, dir)[0]
		fi, _ := os.Stat(tb)
		os.Truncate(tb, int64(float64(fi.Size())*keep))
		_, err := Open(dir, Config{Timezone: "UTC"}, nil)
		if !errors.Is(err, model.ErrDamaged) || !strings.Contains(err.Error(), filepath.Base(tb)) {
			t.Fatalf("table cut to %.0f%%: %v", keep*100, err)
		}
	}
}

// kill -9 between creating a memtable file and sizing it leaves it empty: the next start
// removes it, says so, and has everything stored before.
func TestEmptyMemtableLeftByAKill(t *testing.T) {
	dir := filledStore(t, 500)
	os.WriteFile(filepath.Join(dir, "00099.mem"), nil, 0o644)
	s, err := Open(dir, Config{Timezone: "UTC"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.CountEvents(); n != 500 {
		t.Fatalf("%d events after recovery", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "00099.mem")); err == nil {
		t.Fatal("the empty memtable is still there")
	}
}

// A second open of a store another has open looks at none of its files: an empty memtable log
// there is the holder's, just made, not a crash's, and stays; the open is refused as locked,
// read-write or read-only. (A service started beside a console once removed the console's log
// and read a table being written: SIGBUS.)
func TestSecondOpenLeavesTheHoldersFiles(t *testing.T) {
	dir := filledStore(t, 500)
	holder, err := Open(dir, Config{Timezone: "UTC"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	made := filepath.Join(dir, "00099.mem")
	if err := os.WriteFile(made, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{{Timezone: "UTC"}, {Timezone: "UTC", Reader: true}} {
		s, err := Open(dir, cfg, nil)
		if err == nil {
			s.Close()
			t.Fatalf("reader %v: opened a store another holds", cfg.Reader)
		}
		if !errors.Is(err, model.ErrLocked) {
			t.Fatalf("reader %v: %v, want ErrLocked", cfg.Reader, err)
		}
		if _, err := os.Stat(made); err != nil {
			t.Fatalf("reader %v: the holder's memtable log is gone: %v", cfg.Reader, err)
		}
	}
	if n, _ := holder.CountEvents(); n != 500 {
		t.Fatalf("%d events in the holder's store", n)
	}
}

// A reader never creates a store where there is none.
func TestReaderCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo", "data")
	if _, err := Open(dir, Config{Reader: true}, nil); !errors.Is(err, model.ErrNoStore) {
		t.Fatalf("%v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a reader created the directory")
	}
}

// Pruning old series while a writer is busy never fails a write (DropPrefix blocked them).
func TestPruneUnderABusyWriter(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	old := time.Now().UTC().AddDate(0, 0, -60)
	var b Batch
	for i := range 40000 {
		b.Samples = append(b.Samples, model.Sample{Series: fmt.Sprintf("worker/rig-%02d", i%20), Time: old.Add(time.Duration(i) * time.Second), Value: 1})
	}
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var werr error
		writes := 0
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ts := time.Now().UTC().Add(time.Duration(round*1_000_000+i) * time.Millisecond).Format(time.RFC3339Nano)
				if _, err := s.Apply(&Batch{Events: []model.Event{share(ts, "rig-01")}, Checkpoints: []Checkpoint{{Name: "p2pool", Value: []byte(ts)}}}); err != nil {
					werr = err
					return
				}
				writes++
			}
		})
		if _, err := s.PruneSeries(time.Now()); err != nil {
			t.Fatal(err)
		}
		close(stop)
		wg.Wait()
		if werr != nil {
			t.Fatalf("round %d: a write failed during pruning after %d writes: %v", round, writes, werr)
		}
		var more Batch
		for i := range 8000 {
			more.Samples = append(more.Samples, model.Sample{Series: "worker/rig-01", Time: old.Add(time.Duration(i) * time.Second), Value: 1})
		}
		s.Apply(&more)
	}
	if got, _ := s.Series("worker/rig-01", time.Time{}, time.Now().AddDate(0, 0, -31)); len(got) != 8000 {
		t.Fatalf("%d old samples left, want the last round's 8000", len(got))
	}
}

// Many distinct names: no batch is too big for Badger, and past miners.max_hosts the views
// count shares under one "(other)" row while every event keeps its name; a rebuild and a check
// agree.
func TestManyNamesBoundedViews(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Config{Timezone: "UTC", MaxHosts: 50}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b Batch
	for i := range 30000 {
		ts := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		e := share(ts, fmt.Sprintf("worker-%06d-%s", i, strings.Repeat("x", 40)))
		b.Events = append(b.Events, e)
		b.Samples = append(b.Samples, model.Sample{Series: "worker/" + e.Host, Time: e.Time, Value: 1})
	}
	b.Checkpoints = []Checkpoint{{Name: "p2pool", Value: []byte("end")}}
	a, err := s.Apply(&b)
	if err != nil || a.Added != 30000 {
		t.Fatalf("%+v %v", a, err)
	}
	hosts, _ := s.Hosts()
	if len(hosts) != 51 {
		t.Fatalf("%d host rows, want 50 and (other)", len(hosts))
	}
	days, _ := s.Days("", "")
	if len(days[0].SharesByHost) != 51 || days[0].SharesByHost[OtherHost] != 30000-50 {
		t.Fatalf("%d rows, (other) %d", len(days[0].SharesByHost), days[0].SharesByHost[OtherHost])
	}
	latest, _ := s.Latest("worker/")
	if len(latest) != 50 {
		t.Fatalf("%d worker series, want 50", len(latest))
	}
	if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 {
		t.Fatalf("check: %+v %v", r, err)
	}
	if _, err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Days("", "")
	if !sameDay(again[0], days[0]) {
		t.Fatal("a rebuild gave other rows")
	}
	if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 {
		t.Fatalf("check after rebuild: %+v %v", r, err)
	}
	if cp, _ := s.Checkpoint("p2pool"); string(cp) != "end" {
		t.Fatalf("checkpoint %q", cp)
	}
}

// check finds a view that does not match the log.
func TestCheckFindsAWrongView(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	if _, err := s.Apply(&Batch{Events: []model.Event{share("2025-03-01T10:00:00Z", "a"), share("2025-03-01T11:00:00Z", "b")}}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 || r.Events != 2 {
		t.Fatalf("clean store: %+v %v", r, err)
	}
	w := s.newTxnWriter()
	setJSON(w.txn, dayKey("2025-03-01"), DayTotals{Date: "2025-03-01", Shares: 7})
	w.txn.Commit()
	r, err := s.Check(context.Background())
	if err != nil || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "2025-03-01") {
		t.Fatalf("%+v %v", r, err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, e.Name()), b, 0o644)
	}
}

// Bad records far beyond one transaction are each counted once, split or not.
func TestManySkipsCountedOnce(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	var b Batch
	for i := range 20000 {
		rec := fmt.Sprintf("bad record %d %s", i, strings.Repeat("x", 150))
		b.Skips = append(b.Skips, Skip{ID: model.HashID([]byte(rec)), Seen: time.Now(), Source: "t", Reason: "bad", Record: rec})
	}
	for range 2 {
		if _, err := s.Apply(&b); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.Skipped(); n != 20000 {
		t.Fatalf("%d bad records counted, want 20000", n)
	}
}
