package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
)

// A one-off import into a fresh store writes its events straight into the last level's tables
// with Badger's StreamWriter: no write-ahead log, no level 0, no compaction. That is what makes
// an import cost about what reading its input costs, write each byte once, and leave a store a
// service opens without compacting anything.
//
// It only works while events arrive in key order, which is how a log is written. The views are
// summed in memory and written with the samples and bad records once the stream is done: at
// Close, or at the first batch it cannot take (an event older than the last one streamed, or
// more samples and bad records than it holds), after which the import goes on as any other.
//
// A crash during the stream leaves some of its events and none of the views; the file
// bulkMarker, written before the stream starts and removed once the views are stored, makes the
// next open rebuild the views from the log.
type bulkLoad struct {
	sw      *badger.StreamWriter
	kvs     []pb.KV         // the events streamed next, pointing into values and the held keys
	values  []byte          // their encodings, one after the other
	last    []byte          // the greatest event key streamed
	views   *txnWriter      // the views summed so far, with no transaction: nothing to read yet
	held    Batch           // samples and bad records, written when the stream is done
	heldIDs map[string]bool // the held bad records' ids: one read twice is held once
	pending []heldEvent     // events not yet streamed, in key order (see holdBack)
}

// bulkMarker names the file that says a bulk load is under way (see bulkLoad).
const bulkMarker = "db4e-bulk-load"

// maxHeld bounds the samples and bad records a bulk load keeps in memory.
const maxHeld = 100_000

// startBulk begins a bulk load if the store holds nothing yet but its meta keys.
func (s *Store) startBulk() error {
	fresh := true
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if k := string(it.Item().Key()); k != keyMeta && k != keyViews {
				fresh = false
				break
			}
		}
		return nil
	})
	if err != nil || !fresh {
		return err
	}
	if err := writeMarker(s.dir); err != nil {
		return err
	}
	sw := s.db.NewStreamWriter()
	// Prepare empties the store, which holds nothing but its zone (written again at the end).
	if err := sw.Prepare(); err != nil {
		sw.Cancel()
		return fmt.Errorf("start a bulk load into %s: %w", s.dir, err)
	}
	s.bulk = &bulkLoad{sw: sw, views: s.writerOn(nil), heldIDs: map[string]bool{}}
	s.log.Info("bulk load: a fresh store, written straight into tables", "dir", s.dir)
	return nil
}

// holdBack is how far behind the newest event the stream stays: events this close to it are
// held in memory, sorted, so that a log's lines a little out of order (two events in the same
// millisecond, threads that log late) still arrive in key order.
const holdBack = 10 * time.Second

// heldEvent is an event received but not yet streamed.
type heldEvent struct {
	key   []byte
	event model.Event
	fresh bool // from the batch being applied
}

// applyBulk streams what it can of b; ok false means the stream had to end first and b is
// still to be applied the usual way.
func (s *Store) applyBulk(b *Batch) (Applied, bool, error) {
	bl := s.bulk
	if len(b.Checkpoints) > 0 || len(bl.held.Skips)+len(bl.held.Samples)+len(b.Skips)+len(b.Samples) > maxHeld {
		s.log.Info("bulk load: ends here, as the batch carries checkpoints or too much to hold", "samples", len(bl.held.Samples), "skips", len(bl.held.Skips))
		return Applied{}, false, s.endBulk()
	}
	var res Applied
	n := len(bl.pending)
	for i := range b.Events {
		e := &b.Events[i]
		k := eventKey(e)
		switch c := bytes.Compare(k, bl.last); {
		case c == 0:
			res.Duplicates++
			continue
		case c < 0:
			bl.pending = bl.pending[:n]
			s.log.Info("bulk load: ends here, at an event older than the last streamed; the rest is written the usual way",
				"event", e.Time, "last", keyTime(bl.last))
			return Applied{}, false, s.endBulk()
		}
		bl.pending = append(bl.pending, heldEvent{key: k, event: *e, fresh: true})
	}
	// Stable: of two equal keys, the one held already comes first and the new one is the repeat.
	slices.SortStableFunc(bl.pending, func(a, b heldEvent) int { return bytes.Compare(a.key, b.key) })
	kept := bl.pending[:0]
	for _, h := range bl.pending {
		if len(kept) > 0 && bytes.Equal(kept[len(kept)-1].key, h.key) {
			res.Duplicates++
			continue
		}
		if h.fresh {
			h.fresh = false
			if err := bl.views.addToViews(&h.event); err != nil {
				return Applied{}, true, err
			}
			res.Added++
		}
		kept = append(kept, h)
	}
	bl.pending = kept
	if len(kept) > 0 {
		cut := kept[len(kept)-1].event.Time.Add(-holdBack)
		i := 0
		for i < len(kept) && kept[i].event.Time.Before(cut) {
			i++
		}
		if err := bl.stream(i); err != nil {
			return Applied{}, true, fmt.Errorf("bulk load into %s: %w", s.dir, err)
		}
	}
	// Bad records are counted when they are written; those held here are new but for repeats.
	for _, sk := range b.Skips {
		if id := sk.id(); !bl.heldIDs[id] {
			bl.heldIDs[id] = true
			bl.held.Skips = append(bl.held.Skips, sk)
			res.Skipped++
		}
	}
	bl.held.Samples = append(bl.held.Samples, b.Samples...)
	return res, true, nil
}

// streamChunk is how many bytes of encoded events the stream writer gets at a time. Its table
// writer queues up to 3 such requests behind the one it builds from, each event there a copy with
// its entry: a smaller chunk holds less at peak, and the import ran no slower (figures:
// bench/RESULTS.md, "streamChunk").
const streamChunk = 256 << 10

// stream moves the first n held events into the stream.
func (bl *bulkLoad) stream(n int) error {
	for _, h := range bl.pending[:n] {
		start := len(bl.values)
		bl.values = appendEvent(bl.values, &h.event)
		// values may move as it grows; a value already pointed to stays in the array it was written to.
		bl.kvs = append(bl.kvs, pb.KV{Key: h.key, Value: bl.values[start:], Version: 1})
		bl.last = h.key
		if len(bl.values) >= streamChunk {
			if err := bl.streamOut(); err != nil {
				return err
			}
		}
	}
	bl.pending = append(bl.pending[:0], bl.pending[n:]...)
	return nil
}

// streamOut hands the encoded events to the stream writer, which copies them.
func (bl *bulkLoad) streamOut() error {
	if len(bl.kvs) == 0 {
		return nil
	}
	if err := bl.sw.WriteKVs(bl.kvs); err != nil {
		return err
	}
	clear(bl.kvs) // no key held past its event
	bl.kvs, bl.values = bl.kvs[:0], bl.values[:0]
	return nil
}

// endBulk finishes a bulk load under way: the stream's tables, then the views, samples, bad
// records and zone in ordinary transactions, then the marker's removal.
func (s *Store) endBulk() error {
	bl := s.bulk
	if bl == nil {
		return nil
	}
	s.bulk = nil
	if err := errors.Join(bl.stream(len(bl.pending)), bl.streamOut()); err != nil {
		bl.sw.Cancel()
		return fmt.Errorf("bulk load into %s: %w", s.dir, err)
	}
	if err := bl.sw.Flush(); err != nil {
		return fmt.Errorf("bulk load into %s: finish the tables: %w", s.dir, err)
	}
	s.newestEvent = bl.last
	if err := s.writable(); err != nil {
		// The events are stored; the views are left to the next open with room (the marker).
		s.log.Warn("bulk load: the disk is full; the views are rebuilt from the log at the next start with room", "dir", s.dir)
		return err
	}
	w := bl.views // the views summed so far, written with the rest
	w.txn = s.db.NewTransaction(true)
	defer w.discard()
	var res Applied
	if err := s.writeSkips(w, bl.held.Skips, &res); err != nil {
		return err
	}
	if err := s.writeSamples(w, bl.held.Samples); err != nil {
		return err
	}
	if err := w.set([]byte(keyViews), []byte(viewsVersion)); err != nil {
		return err
	}
	if err := w.set([]byte(keyMeta), []byte(zoneID(s.loc))); err != nil {
		return err
	}
	if err := w.commit(); err != nil {
		return err
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("bulk load into %s: sync: %w", s.dir, err)
	}
	if err := removeMarker(s.dir); err != nil {
		return err
	}
	s.log.Info("bulk load done", "dir", s.dir)
	return nil
}

func writeMarker(dir string) error {
	f, err := os.Create(filepath.Join(dir, bulkMarker))
	if err != nil {
		return fmt.Errorf("start a bulk load: %w", err)
	}
	if err := errors.Join(f.Sync(), f.Close(), SyncDir(dir)); err != nil {
		return fmt.Errorf("start a bulk load: %w", err)
	}
	return nil
}

func removeMarker(dir string) error {
	if err := os.Remove(filepath.Join(dir, bulkMarker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("finish a bulk load: %w", err)
	}
	return SyncDir(dir)
}

// Incomplete says why the store's views do not yet count every stored event: an import into
// a fresh store, or a rebuild, stopped before it wrote them (a full disk, a kill); the next
// open with free space rebuilds them. "" when they are whole.
func (s *Store) Incomplete() string {
	if bulkInterrupted(s.dir) && s.bulk == nil {
		return "an import into this store stopped before it wrote its daily totals (the disk was full, or it was killed): free space, then run db4e rebuild, or import again; nothing is lost"
	}
	rebuilding := false
	_ = s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte(keyRebuilding))
		rebuilding = err == nil
		return nil
	})
	if rebuilding {
		return "a rebuild of the daily totals stopped before it finished (the disk was full, or it was killed): free space, then run db4e rebuild; nothing is lost"
	}
	return ""
}

// bulkInterrupted reports a bulk load that a crash cut short.
func bulkInterrupted(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, bulkMarker))
	return err == nil
}

// SyncDir makes a directory's entries (a file created, renamed or removed in it) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
