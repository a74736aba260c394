package store

import (
	"context"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

// testdata/layout1 is a store the first release wrote: sample.log followed by the service (a
// checkpoint) and stopped. Opened by this release, its views and checkpoint are where they
// were, under the new prefixes; a reader on a full disk reads it where it is.
func TestLayout1StoreIsMoved(t *testing.T) {
	want := []DayTotals{{Date: "2025-03-01", Shares: 4, Blocks: 2, Payments: 2}, {Date: "2025-03-02", Shares: 2}}
	for _, tc := range []struct {
		name  string
		cfg   Config
		moved bool
	}{
		{"reader on a full disk", Config{Timezone: "UTC", Reader: true, MinFreeMB: 1 << 30}, false},
		{"writer", Config{Timezone: "UTC", MinFreeMB: 1}, true},
		{"reader", Config{Timezone: "UTC", Reader: true, MinFreeMB: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, "testdata/layout1", dir)
			s, err := Open(dir, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			days, err := s.Days("", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(days) != len(want) {
				t.Fatalf("days %+v", days)
			}
			for i, d := range days {
				if d.Date != want[i].Date || d.Shares != want[i].Shares || d.Blocks != want[i].Blocks || d.Payments != want[i].Payments {
					t.Fatalf("day %d: %+v, want %+v", i, d, want[i])
				}
			}
			if xmr := days[0].Piconero.XMR(); xmr != "0.001611286503" {
				t.Fatalf("XMR %s", xmr)
			}
			cp, err := s.Checkpoint("p2pool")
			if err != nil || len(cp) == 0 {
				t.Fatalf("checkpoint %q %v", cp, err)
			}
			if days, _ := s.Days("2025-03-02", ""); len(days) != 1 {
				t.Fatalf("from 2025-03-02: %+v", days)
			}
			old := 0
			s.db.View(func(txn *badger.Txn) error {
				for _, p := range []string{layout1.day, layout1.checkpoint} {
					it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(p)})
					for it.Rewind(); it.Valid(); it.Next() {
						old++
					}
					it.Close()
				}
				return nil
			})
			if moved := old == 0; moved != tc.moved {
				t.Fatalf("%d key(s) left under layout 1's prefixes", old)
			}
			if tc.moved {
				r, err := s.Check(context.Background())
				if err != nil || len(r.Problems) > 0 || r.Events != 10 {
					t.Fatalf("check %+v %v", r, err)
				}
			}
		})
	}
}
