package store

import (
	"bytes"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// layout names the prefixes that changed between key layouts (see the prefixes in store.go).
type layout struct{ day, checkpoint string }

var (
	currentLayout = layout{day: prefixDay, checkpoint: prefixCheckpoint}
	// layout1 is db4e's first: views and checkpoints sorted before the event log.
	layout1 = layout{day: "d/", checkpoint: "c/"}
)

// moveLayout moves a store's day views and checkpoints from layout 1 to the current layout,
// at open, before anything else reads or writes them. Each key is written under its new
// prefix before its old one is deleted, so a crash half way leaves a store the next open
// finishes moving. A store opened read-only (a full disk) is read where it is.
func (s *Store) moveLayout() error {
	// A day per day of history and a checkpoint per reader: few enough to hold at once.
	var old, values [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		for _, prefix := range []string{layout1.day, layout1.checkpoint} {
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte(prefix)})
			for it.Rewind(); it.Valid(); it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					it.Close()
					return fmt.Errorf("read %q to move it: %w", it.Item().Key(), err)
				}
				old, values = append(old, it.Item().KeyCopy(nil)), append(values, v)
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("open store %s: look for keys of layout 1: %w", s.dir, err)
	}
	if len(old) == 0 {
		return nil
	}
	if s.readOnly {
		s.log.Warn("the store is in db4e's first key layout; it is read as it is and moved once there is free space", "dir", s.dir)
		s.keys = layout1
		return nil
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i, k := range old {
		if err := wb.Set(renamed(k), values[i]); err != nil {
			return fmt.Errorf("open store %s: move %q: %w", s.dir, k, err)
		}
		if err := wb.Delete(k); err != nil {
			return fmt.Errorf("open store %s: move %q: %w", s.dir, k, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("open store %s: move the views after the event log: %w", s.dir, err)
	}
	s.log.Info("moved the day views and checkpoints after the event log (key layout 2)", "keys", len(old), "dir", s.dir)
	return nil
}

// renamed is a layout-1 key under the current layout's prefix.
func renamed(k []byte) []byte {
	if rest, ok := bytes.CutPrefix(k, []byte(layout1.day)); ok {
		return append([]byte(currentLayout.day), rest...)
	}
	rest, _ := bytes.CutPrefix(k, []byte(layout1.checkpoint))
	return append([]byte(currentLayout.checkpoint), rest...)
}
