package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// bulkBatches is an import as a log gives it: shares in order with a few in the same
// millisecond across two batches, repeats, bad records, samples, and (when late is set) an
// event older than what came before, which ends the stream.
func bulkBatches(late bool) []Batch {
	t0 := time.Date(2025, 3, 1, 23, 59, 0, 0, time.UTC)
	var batches []Batch
	n := 0
	for b := range 6 {
		var batch Batch
		for i := range 400 {
			at := t0.Add(time.Duration(n) * 250 * time.Millisecond)
			if i >= 397 {
				at = t0.Add(time.Duration(n-i+396) * 250 * time.Millisecond) // same instant as the one before
			}
			e := model.Event{Time: at, Kind: model.KindShare, ID: model.HashID(fmt.Appendf(nil, "%d", n)), Host: fmt.Sprintf("rig-%02d", n%7), Effort: float64(n)}
			batch.Events = append(batch.Events, e)
			n++
		}
		batch.Events = append(batch.Events, batch.Events[3]) // a line read twice
		batch.Skips = append(batch.Skips, Skip{ID: fmt.Sprintf("bad%d", b%2), Seen: t0, Source: "x", Reason: "r", Record: "rec"})
		batch.Samples = append(batch.Samples, model.Sample{Series: "worker/rig-01", Time: t0.Add(time.Duration(b) * time.Minute), Value: float64(b)})
		if late && b == 4 {
			old := model.Event{Time: t0.Add(-time.Hour), Kind: model.KindPayment, ID: "00000000000000ff", Piconero: model.PiconeroFromInt(5), Height: 1}
			batch.Events = append(batch.Events, old)
		}
		batches = append(batches, batch)
	}
	// The first batch again: every event in it is stored already.
	return append(batches, batches[0])
}

// storeContents is every key and value but the bad records' own times.
func storeContents(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key())] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func importBatches(t *testing.T, dir string, bulk bool, batches []Batch) (Applied, *Store) {
	t.Helper()
	s, err := Open(dir, Config{Timezone: "Europe/Berlin", SeriesRetentionDays: 30000, MinFreeMB: 1, Bulk: bulk, MaxHosts: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var total Applied
	for i := range batches {
		b := batches[i]
		b.Events = append([]model.Event(nil), b.Events...)
		a, err := s.Apply(&b)
		if err != nil {
			t.Fatal(err)
		}
		total.Added += a.Added
		total.Duplicates += a.Duplicates
		total.Skipped += a.Skipped
	}
	return total, s
}

// TestBulkLoadStoresWhatApplyStores: a bulk load into a fresh store leaves the same keys and
// values, and says the same counts, as the same batches applied one by one, in order or not.
func TestBulkLoadStoresWhatApplyStores(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("late=%v", late), func(t *testing.T) {
			batches := bulkBatches(late)
			wantRes, plain := importBatches(t, t.TempDir(), false, batches)
			want := storeContents(t, plain)
			plain.Close()

			dir := t.TempDir()
			gotRes, bulk := importBatches(t, dir, true, batches)
			if err := bulk.Close(); err != nil {
				t.Fatal(err)
			}
			if gotRes.Added != wantRes.Added || gotRes.Duplicates != wantRes.Duplicates || gotRes.Skipped != wantRes.Skipped {
				t.Errorf("bulk load said %+v, Apply %+v", gotRes, wantRes)
			}
			if _, err := os.Stat(filepath.Join(dir, bulkMarker)); err == nil {
				t.Error("the bulk load marker is left behind")
			}
			s, err := Open(dir, Config{Timezone: "Europe/Berlin", SeriesRetentionDays: 30000, MinFreeMB: 1, MaxHosts: 5}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := storeContents(t, s)
			for k, v := range want {
				if bytes.HasPrefix([]byte(k), []byte(prefixSkip)) {
					continue // its time is when it was read
				}
				if got[k] != v {
					t.Errorf("%q: bulk %q, Apply %q", k, got[k], v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("bulk load left %d keys, Apply %d", len(got), len(want))
			}
			if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 {
				t.Fatalf("check: %+v %v", r, err)
			}
		})
	}
}

// TestBulkLoadCutShortRebuildsItsViews: a bulk load that never ends (a crash) leaves its marker;
// the next open rebuilds the views from the events that made it to disk.
func TestBulkLoadCutShortRebuildsItsViews(t *testing.T) {
	dir := t.TempDir()
	_, s := importBatches(t, dir, true, bulkBatches(false)[:3])
	// What kill -9 leaves: the stream's tables so far, no views, the marker.
	if err := s.bulk.streamOut(); err != nil {
		t.Fatal(err)
	}
	if err := s.bulk.sw.Flush(); err != nil {
		t.Fatal(err)
	}
	s.bulk = nil
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, bulkMarker)); err != nil {
		t.Fatal("no marker while the load was under way")
	}
	s, err := Open(dir, Config{Timezone: "Europe/Berlin", MinFreeMB: 1, MaxHosts: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, bulkMarker)); err == nil {
		t.Error("the marker outlived the rebuild")
	}
	n, err := s.CountEvents()
	if err != nil || n == 0 {
		t.Fatalf("%d events after the crash, %v", n, err)
	}
	days, err := s.Days("", "")
	if err != nil {
		t.Fatal(err)
	}
	var shares uint64
	for _, d := range days {
		shares += d.Shares
	}
	if int(shares) != n {
		t.Errorf("views count %d shares, the log holds %d", shares, n)
	}
}
