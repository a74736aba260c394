package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// Skip is a record that looked like data but could not be read: kept with its reason so the
// operator can see what was lost and why, and counted once however often it is read.
type Skip struct {
	// ID is a hash of the whole record: the same bad line read twice is counted once.
	ID     string    `json:"id"`
	Seen   time.Time `json:"seen"`
	Source string    `json:"source"`
	Reason string    `json:"reason"`
	Record string    `json:"record"` // an excerpt, never the whole of an arbitrary-length line
}

// id is the skip's ID, or a hash of its excerpt for one made without.
func (sk *Skip) id() string {
	if sk.ID != "" {
		return sk.ID
	}
	return model.HashID([]byte(sk.Record))
}

// MaxSkipExcerpt bounds how much of a bad record is kept.
const MaxSkipExcerpt = 200

// Checkpoint is a reader's position, stored in the same transaction as the events it covers.
type Checkpoint struct {
	Name  string
	Value []byte
}

// Batch is what one transaction writes: events, bad records, samples and reader positions,
// all or nothing.
type Batch struct {
	Events      []model.Event
	Skips       []Skip
	Samples     []model.Sample
	Checkpoints []Checkpoint
}

// Len is the number of records in the batch.
func (b *Batch) Len() int { return len(b.Events) + len(b.Skips) + len(b.Samples) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	b.Events, b.Skips, b.Samples, b.Checkpoints = b.Events[:0], b.Skips[:0], b.Samples[:0], b.Checkpoints[:0]
}

// Applied says what a batch changed.
type Applied struct {
	Added      int // new events
	Duplicates int // events already in the log (read twice), not counted again
	Skipped    int // new bad records
	// Events are the new events, for those who follow the log live; a bulk load (a one-off
	// import into a fresh store) leaves it empty.
	Events []model.Event
}

// keyTimes refuses a batch with a time the keys cannot hold (before 1970, after 2262): it
// would be stored under another date. The readers never hand one over (their bad records); this
// is the last guard, an error rather than a wrapped date.
func keyTimes(b *Batch) error {
	for i := range b.Events {
		if !model.KeyTime(b.Events[i].Time) {
			return model.Invalid("event %s at %s: a time the store cannot hold", b.Events[i].Kind, b.Events[i].Time.UTC().Format(time.RFC3339))
		}
	}
	for i := range b.Samples {
		if !model.KeyTime(b.Samples[i].Time) {
			return model.Invalid("sample %s at %s: a time the store cannot hold", b.Samples[i].Series, b.Samples[i].Time.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// Apply writes a batch: new events go to the log and into the day views, events already stored
// are ignored, and checkpoints move with them. A batch too big for one Badger transaction is
// written in several, each holding the view updates of its own events; the checkpoints go with
// the last, so a crash between two leaves stored events whose lines are read again and found
// already there. Nothing is written while the disk is under store.min_free_mb (model.ErrDiskFull).
func (s *Store) Apply(b *Batch) (Applied, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.writable(); err != nil {
		return Applied{}, err
	}
	if err := keyTimes(b); err != nil {
		return Applied{}, err
	}
	if s.bulk != nil {
		if res, ok, err := s.applyBulk(b); ok || err != nil {
			return res, err
		}
	}
	w := s.newTxnWriter()
	defer w.discard()
	var res Applied
	seen := make(map[string]bool, len(b.Events))
	for i := range b.Events {
		e := &b.Events[i]
		k := eventKey(e)
		if seen[string(k)] {
			res.Duplicates++
			continue
		}
		seen[string(k)] = true
		// An event after the newest stored cannot be stored: most batches (a log read in order,
		// the live tail) are proved new without a lookup.
		if bytes.Compare(k, s.newestEvent) <= 0 {
			switch _, err := w.txn.Get(k); {
			case err == nil:
				res.Duplicates++
				continue
			case !errors.Is(err, badger.ErrKeyNotFound):
				return Applied{}, fmt.Errorf("look up event: %w", err)
			}
		}
		if err := w.set(k, appendEvent(nil, e)); err != nil {
			return Applied{}, fmt.Errorf("write event: %w", err)
		}
		if err := w.addToViews(e); err != nil {
			return Applied{}, err
		}
		res.Added++
		res.Events = append(res.Events, *e)
	}
	if err := s.writeSkips(w, b.Skips, &res); err != nil {
		return Applied{}, err
	}
	if err := s.writeSamples(w, b.Samples); err != nil {
		return Applied{}, err
	}
	for _, c := range b.Checkpoints {
		if err := w.set([]byte(prefixCheckpoint+c.Name), c.Value); err != nil {
			return Applied{}, fmt.Errorf("write checkpoint %s: %w", c.Name, err)
		}
	}
	if err := w.commit(); err != nil {
		return Applied{}, err
	}
	return res, nil
}

// writable says why nothing may be written now, if so.
func (s *Store) writable() error {
	if s.readOnly {
		return fmt.Errorf("store %s is open read-only: %w", s.dir, model.ErrDiskFull)
	}
	return s.space.check()
}

// writableOutsideBulk is writable for every writer but Apply: it also ends a bulk load under
// way, whose tables must be in place before anything else is written. Under writeMu.
func (s *Store) writableOutsideBulk() error {
	if err := s.writable(); err != nil {
		return err
	}
	return s.endBulk()
}

// OtherHost is the one row the views keep for the hosts past miners.max_hosts; their events
// keep their own names.
const OtherHost = "(other)"

// txnWriter writes through as many transactions as it takes, each kept well under Badger's
// limit, with the view updates of each one's events in it.
type txnWriter struct {
	s        *Store
	txn      *badger.Txn
	size     int64
	count    int64
	days     map[string]*DayTotals
	hosts    map[string]*HostTotals
	payouts  map[uint64]*model.Payout
	admitted int    // new hosts given a row in this transaction
	skipped  uint64 // new bad records in it, added to the counter at commit
	newest   []byte // the greatest event key in it
	cutter   dayCutter
}

// dayCutter names the day a time falls on in a zone. It keeps the last day it named, and
// when it starts and ends: most events fall on the day of the one before.
type dayCutter struct {
	loc        *time.Location
	day        string
	from, till time.Time
}

// date is t's day in the cutter's zone, as YYYY-MM-DD.
func (c *dayCutter) date(t time.Time) string {
	if c.day != "" && !t.Before(c.from) && t.Before(c.till) {
		return c.day
	}
	local := t.In(c.loc)
	y, m, d := local.Date()
	c.day = local.Format(time.DateOnly)
	c.from = time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	c.till = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
	return c.day
}

func (s *Store) newTxnWriter() *txnWriter { return s.writerOn(s.db.NewTransaction(true)) }

// writerOn is a writer on txn; nil for one that only sums views until it is given one.
func (s *Store) writerOn(txn *badger.Txn) *txnWriter {
	return &txnWriter{s: s, txn: txn, days: map[string]*DayTotals{}, hosts: map[string]*HostTotals{},
		payouts: map[uint64]*model.Payout{}, cutter: dayCutter{loc: s.loc}}
}

// set writes k=v, first committing what is pending when it would make the transaction too big.
func (w *txnWriter) set(k, v []byte) error {
	n := int64(len(k) + len(v) + 32)
	if (w.size+n+w.viewsSize() > w.s.db.MaxBatchSize()/2 || w.count+2+int64(len(w.days)+len(w.hosts)+len(w.payouts)) > w.s.db.MaxBatchCount()/2) && w.count > 0 {
		if err := w.commit(); err != nil {
			return err
		}
		w.txn = w.s.db.NewTransaction(true)
	}
	w.size += n
	w.count++
	if bytes.HasPrefix(k, []byte(prefixEvent)) && bytes.Compare(k, w.newest) > 0 {
		w.newest = k
	}
	return w.txn.Set(k, v)
}

func (w *txnWriter) viewsSize() int64 {
	n := int64(160*len(w.hosts) + 400*len(w.payouts))
	for _, d := range w.days {
		n += 200 + 40*int64(len(d.SharesByHost)+len(d.Kinds))
	}
	return n
}

// commit writes the pending views and the bad record count, and commits.
func (w *txnWriter) commit() error {
	for _, d := range w.days {
		if err := setJSON(w.txn, dayKey(d.Date), d); err != nil {
			return err
		}
	}
	for _, h := range w.hosts {
		if err := setJSON(w.txn, []byte(prefixHost+h.Host), h); err != nil {
			return err
		}
	}
	for height, p := range w.payouts {
		err := setJSON(w.txn, payoutKey(height), p)
		if errors.Is(err, badger.ErrTxnTooBig) {
			// Only a bulk load's views, summed over a whole import, get here (Apply's set keeps
			// a transaction's views small): its views go in several transactions, and a crash
			// between them leaves its marker, so the next open rebuilds them.
			if err = w.txn.Commit(); err != nil {
				return fmt.Errorf("commit to store %s: %w", w.s.dir, err)
			}
			w.txn = w.s.db.NewTransaction(true)
			err = setJSON(w.txn, payoutKey(height), p)
		}
		if err != nil {
			return err
		}
	}
	if w.skipped > 0 {
		n, err := getUint(w.txn, []byte(keySkipped))
		if err != nil {
			return err
		}
		if err := w.txn.Set([]byte(keySkipped), binary.BigEndian.AppendUint64(nil, n+w.skipped)); err != nil {
			return fmt.Errorf("write the bad record count: %w", err)
		}
	}
	if err := w.txn.Commit(); err != nil {
		return fmt.Errorf("commit to store %s: %w", w.s.dir, err)
	}
	w.s.hostCount += w.admitted
	if bytes.Compare(w.newest, w.s.newestEvent) > 0 {
		w.s.newestEvent = w.newest
	}
	w.admitted, w.skipped, w.size, w.count = 0, 0, 0, 0
	clear(w.days)
	clear(w.hosts)
	clear(w.payouts)
	return nil
}

func (w *txnWriter) discard() { w.txn.Discard() }

// addToViews counts e in its day and, for a share, under its host's row.
func (w *txnWriter) addToViews(e *model.Event) error {
	date := w.cutter.date(e.Time)
	d, err := loadDay(w.txn, w.days, date)
	if err != nil {
		return err
	}
	host := e.Host
	if e.Kind == model.KindShare && host != "" {
		h, err := w.hostRow(host)
		if err != nil {
			return err
		}
		host = h.Host
		h.add(e)
	}
	d.add(e, host)
	if isPayoutEvent(e) {
		return w.addPayout(e)
	}
	return nil
}

// hostRow is the row a host's shares are counted under: its own, while there is room for it.
func (w *txnWriter) hostRow(host string) (*HostTotals, error) {
	if h, ok := w.hosts[host]; ok {
		return h, nil
	}
	h := &HostTotals{Host: host}
	found, err := getJSON(w.txn, []byte(prefixHost+host), h)
	if err != nil {
		return nil, err
	}
	if !found && host != OtherHost {
		if max := w.s.cfg.MaxHosts; max > 0 && w.s.hostCount+w.admitted >= max {
			return w.hostRow(OtherHost)
		}
		w.admitted++
	}
	w.hosts[host] = h
	return h, nil
}

// hasRow reports whether host has a row of its own, or could get one.
func (w *txnWriter) hasRow(host string) (bool, error) {
	if max := w.s.cfg.MaxHosts; max <= 0 || w.s.hostCount+w.admitted < max {
		return true, nil
	}
	if _, ok := w.hosts[host]; ok {
		return true, nil
	}
	_, err := w.txn.Get([]byte(prefixHost + host))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// loadHostCount counts the hosts that have a row.
func (s *Store) loadHostCount() error {
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixHost)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if string(it.Item().Key()) != prefixHost+OtherHost {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count hosts in %s: %w", s.dir, err)
	}
	s.hostCount = n
	return nil
}

func (s *Store) writeSkips(w *txnWriter, skips []Skip, res *Applied) error {
	if len(skips) == 0 {
		return nil
	}
	added := 0
	for i := range skips {
		sk := &skips[i]
		k := []byte(prefixSkip + sk.id())
		switch _, err := w.txn.Get(k); {
		case err == nil:
			continue
		case !errors.Is(err, badger.ErrKeyNotFound):
			return fmt.Errorf("look up skip: %w", err)
		}
		b, err := json.Marshal(sk)
		if err != nil {
			return fmt.Errorf("encode skip: %w", err)
		}
		if err := w.set(k, b); err != nil {
			return fmt.Errorf("write skip: %w", err)
		}
		w.skipped++
		added++
	}
	res.Skipped += added
	return nil
}

func dayKey(date string) []byte { return []byte(prefixDay + date) }

func loadDay(txn *badger.Txn, days map[string]*DayTotals, date string) (*DayTotals, error) {
	if d, ok := days[date]; ok {
		return d, nil
	}
	d := &DayTotals{Date: date}
	if _, err := getJSON(txn, dayKey(date), d); err != nil {
		return nil, err
	}
	days[date] = d
	return d, nil
}

func getJSON(txn *badger.Txn, k []byte, v any) (bool, error) {
	if txn == nil {
		return false, nil // a bulk load's views: nothing stored yet
	}
	it, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %q: %w", k, err)
	}
	return true, it.Value(func(b []byte) error {
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("decode %q: %w", k, err)
		}
		return nil
	})
}

func setJSON(txn *badger.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", k, err)
	}
	if err := txn.Set(k, b); err != nil {
		return fmt.Errorf("write %q: %w", k, err)
	}
	return nil
}

func getUint(txn *badger.Txn, k []byte) (uint64, error) {
	it, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %q: %w", k, err)
	}
	var n uint64
	err = it.Value(func(b []byte) error {
		if len(b) != 8 {
			return fmt.Errorf("counter %q has %d bytes", k, len(b))
		}
		n = binary.BigEndian.Uint64(b)
		return nil
	})
	return n, err
}

// loadNewestEvent finds the greatest event key: a reverse seek, one key read.
func (s *Store) loadNewestEvent() error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte(prefixEvent)})
		defer it.Close()
		it.Seek(afterEvents())
		if it.Valid() {
			s.newestEvent = it.Item().KeyCopy(nil)
		}
		return nil
	})
}
