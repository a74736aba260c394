package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// A store whose memtable log was written with larger memtables than today's (db4e before 2
// MB memtables, killed while writing) opens with every write in it: Open sizes this open's
// memtables for the log (memTableSizeIn). With today's size Badger exits the process ("Arena
// too small", log.Fatal in an assertion, badger #2002): the service could not start, nor db4e
// check.
func TestBadgerReplaysALogOfLargerMemtables(t *testing.T) {
	dir := t.TempDir()
	old := badgerOptions(dir, nil).WithMemTableSize(8 << 20).WithCompactL0OnClose(false)
	if old.MemTableSize <= badgerOptions(dir, nil).MemTableSize {
		t.Fatal("the test's older memtable is no larger than today's")
	}
	db, err := badger.Open(old)
	if err != nil {
		t.Fatal(err)
	}
	// Small entries, as db4e's samples and views are: the skiplist's share of every entry (a node of
	// up to 96 bytes) is larger than the log's.
	const n = 60000
	for i := 0; i < n; i += 1000 {
		err := db.Update(func(txn *badger.Txn) error {
			for j := i; j < i+1000; j++ {
				if err := txn.Set(fmt.Appendf(nil, "s/rig-%06d/hashrate/20260101", j), fmt.Appendf(nil, "%d", j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if lsm, _ := db.Size(); lsm != 0 {
		t.Fatalf("%d bytes of tables: the writes left the memtable, nothing to replay", lsm)
	}
	// What a kill -9 leaves: the files as they are, the memtable only in its log.
	crashed := t.TempDir()
	copyDir(t, dir, crashed)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(crashed, Config{}, nil)
	if err != nil {
		t.Fatalf("open the store a crash left with larger memtables: %v", err)
	}
	defer s.Close()
	got := 0
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("s/rig-")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			got++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("%d of the %d writes replayed", got, n)
	}
}

// A kill -9 between the creation of a value log file and its first write leaves it empty
// (0 bytes). The published Badger then refuses the store for good ("During db.vlog.open err:
// Open existing file ... err: Create a new file": logFile.open hands back z.NewFile, its
// "this file was new" signal, and valueLog.open takes it for a failure); third_party/badger
// bootstraps the empty file as the new one it is. Seen once in 20 rounds of
// TestBulkImportSurvivesKill9.
func TestBadgerOpensAnEmptyValueLog(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Config{Timezone: "UTC"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	vlogs, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if len(vlogs) == 0 {
		t.Fatal("no value log file")
	}
	for _, v := range vlogs {
		if err := os.Truncate(v, 0); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(dir, Config{Timezone: "UTC"}, nil)
	if err != nil {
		t.Fatalf("open a store whose value log a kill left empty: %v", err)
	}
	defer s.Close()
	if _, err := s.Apply(&Batch{Events: []model.Event{{Time: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Kind: model.KindShare, Host: "r", ID: "0123456789abcdef"}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountEvents(); err != nil || n != 1 {
		t.Fatalf("%d events, %v", n, err)
	}
}

// The memtables a store is opened with: today's, or those of the run whose logs a crash left,
// up to Badger's default (a larger file is no log of db4e's).
func TestMemTableSizeIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		logs []int64 // sizes of the .mem files in the data dir
		want int64
	}{
		{"no log", nil, memTableSize},
		{"a log of today's memtables", []int64{2 * memTableSize}, memTableSize},
		{"a log of 4 MB memtables", []int64{2 * memTableSize, 8 << 20}, 4 << 20},
		{"an empty log", []int64{0}, memTableSize},
		{"a file of 1 GB", []int64{1 << 30}, 64 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, size := range tc.logs {
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%05d.mem", i+1)))
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Truncate(size); err != nil { // sparse, as Badger's are
					t.Fatal(err)
				}
				f.Close()
			}
			if got := memTableSizeIn(dir); got != tc.want {
				t.Fatalf("memTableSizeIn = %d, want %d", got, tc.want)
			}
			if got := badgerOptions(dir, nil).MemTableSize; got != tc.want {
				t.Fatalf("badgerOptions' MemTableSize = %d, want %d", got, tc.want)
			}
		})
	}
}
