package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// DayTotals is the view of one day (in the configured zone).
type DayTotals struct {
	Date         string            `json:"date"`
	Shares       uint64            `json:"shares"`
	SharesByHost map[string]uint64 `json:"shares_by_host,omitempty"`
	Blocks       uint64            `json:"blocks"`
	Payments     uint64            `json:"payments"`
	Piconero     model.Piconero    `json:"piconero"`
	// Of the day's payouts (by their claim's day): what the node has confirmed (unlocked
	// included), unlocked, and found orphaned (payouts.go). Piconero is what P2Pool claimed.
	Confirmed model.Piconero `json:"confirmed,omitzero"`
	Unlocked  model.Piconero `json:"unlocked,omitzero"`
	Orphaned  model.Piconero `json:"orphaned,omitzero"`
	// Kinds counts every event of the day by kind, imported kinds included.
	Kinds map[string]uint64 `json:"kinds,omitempty"`
}

// add counts e; a share under row, its host's row (OtherHost past miners.max_hosts).
func (d *DayTotals) add(e *model.Event, row string) {
	switch e.Kind {
	case model.KindShare:
		d.Shares++
		if d.SharesByHost == nil {
			d.SharesByHost = map[string]uint64{}
		}
		d.SharesByHost[row]++
	case model.KindBlock:
		d.Blocks++
	case model.KindPayment:
		d.Payments++
		d.Piconero = d.Piconero.Add(e.Piconero)
	}
	if d.Kinds == nil {
		d.Kinds = map[string]uint64{}
	}
	d.Kinds[e.Kind]++
}

// HostTotals is what the miners table needs of one host without scanning the log.
type HostTotals struct {
	Host      string    `json:"host"`
	Shares    uint64    `json:"shares"`
	LastShare time.Time `json:"last_share"`
	Effort    float64   `json:"effort"` // of the last share, percent
	ClientIP  string    `json:"ip,omitempty"`
}

func (h *HostTotals) add(e *model.Event) {
	h.Shares++
	if !e.Time.Before(h.LastShare) {
		h.LastShare, h.Effort = e.Time, e.Effort
		if e.ClientIP != "" {
			h.ClientIP = e.ClientIP
		}
	}
}

// Days returns the day views from..to inclusive (dates as YYYY-MM-DD, empty for open ends),
// ascending; days with no event have no view and are not returned.
func (s *Store) Days(from, to string) ([]DayTotals, error) {
	var out []DayTotals
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := []byte(s.keys.day)
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
		defer it.Close()
		for it.Seek(append(prefix, from...)); it.Valid(); it.Next() {
			date := string(it.Item().Key()[len(prefix):])
			if to != "" && date > to {
				break
			}
			var d DayTotals
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &d) }); err != nil {
				return fmt.Errorf("decode day %s: %w", date, err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Hosts returns every host that has found a share, by name.
func (s *Store) Hosts() ([]HostTotals, error) {
	var out []HostTotals
	err := s.scanJSON(prefixHost, func(b []byte) error {
		var h HostTotals
		if err := json.Unmarshal(b, &h); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// Skipped is the number of distinct bad records seen so far.
func (s *Store) Skipped() (uint64, error) {
	var n uint64
	err := s.db.View(func(txn *badger.Txn) (err error) {
		n, err = getUint(txn, []byte(keySkipped))
		return err
	})
	return n, err
}

// Skips returns up to limit bad records, newest first.
func (s *Store) Skips(limit int) ([]Skip, error) {
	var out []Skip
	err := s.scanJSON(prefixSkip, func(b []byte) error {
		var sk Skip
		if err := json.Unmarshal(b, &sk); err != nil {
			return err
		}
		out = append(out, sk)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Seen.After(out[j].Seen) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

func (s *Store) scanJSON(prefix string, fn func([]byte) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := it.Item().Value(fn); err != nil {
				return fmt.Errorf("decode %q: %w", it.Item().Key(), err)
			}
		}
		return nil
	})
}

// Checkpoint returns a reader's stored position, nil if it has none.
func (s *Store) Checkpoint(name string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(s.keys.checkpoint + name))
		if err == badger.ErrKeyNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		out, err = it.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	return out, nil
}

// Events calls fn for each event with from <= time < to (zero values for open ends), oldest first.
func (s *Store) Events(ctx context.Context, from, to time.Time, fn func(*model.Event) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 256, Prefix: []byte(prefixEvent)})
		defer it.Close()
		start := []byte(prefixEvent)
		if !from.IsZero() {
			start = timeKey(from)
		}
		var end []byte
		if !to.IsZero() {
			end = timeKey(to)
		}
		n := 0
		for it.Seek(start); it.Valid(); it.Next() {
			if end != nil && bytes.Compare(it.Item().Key(), end) >= 0 {
				break
			}
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			var e model.Event
			if err := it.Item().Value(func(b []byte) error { return decodeEvent(it.Item().Key(), b, &e) }); err != nil {
				return fmt.Errorf("decode event %x: %w", it.Item().Key(), err)
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Recent returns up to n of the newest events for which keep (nil: all) is true, newest first.
func (s *Store) Recent(n int, keep func(*model.Event) bool) ([]model.Event, error) {
	var out []model.Event
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Reverse: true, Prefix: []byte(prefixEvent)})
		defer it.Close()
		for it.Seek(afterEvents()); it.Valid() && len(out) < n; it.Next() {
			var e model.Event
			if err := it.Item().Value(func(b []byte) error { return decodeEvent(it.Item().Key(), b, &e) }); err != nil {
				return fmt.Errorf("decode event %x: %w", it.Item().Key(), err)
			}
			if keep == nil || keep(&e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// CountEvents counts the events in the log; a key-only scan.
func (s *Store) CountEvents() (int, error) {
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixEvent)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// Latest returns the newest sample of every series whose name starts with prefix.
func (s *Store) Latest(prefix string) (map[string]model.Sample, error) {
	out := map[string]model.Sample{}
	err := s.scanJSON(prefixLatest+prefix, func(b []byte) error {
		var sm model.Sample
		if err := json.Unmarshal(b, &sm); err != nil {
			return err
		}
		out[sm.Series] = sm
		return nil
	})
	return out, err
}

// deleteKeys deletes keys in one transaction, between other writers.
func (s *Store) deleteKeys(keys [][]byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.writableOutsideBulk(); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error {
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Rebuild recomputes every view from the event log alone. It holds the writers off while it
// runs; a crash half way is finished by the next Open. The hosts that have a row of their own
// keep it, so a rebuild gives the rows the live views had.
func (s *Store) Rebuild(ctx context.Context) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.writableOutsideBulk(); err != nil {
		return 0, err
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keyRebuilding), []byte{1}) }); err != nil {
		return 0, fmt.Errorf("mark rebuild: %w", err)
	}
	admitted := map[string]bool{}
	var old [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		for _, prefix := range []string{prefixDay, prefixHost, prefixPayout} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
			for it.Rewind(); it.Valid(); it.Next() {
				k := it.Item().KeyCopy(nil)
				old = append(old, k)
				if host, ok := bytes.CutPrefix(k, []byte(prefixHost)); ok && string(host) != OtherHost {
					admitted[string(host)] = true
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild: read views: %w", err)
	}
	row := func(host string) string {
		if admitted[host] {
			return host
		}
		if s.cfg.MaxHosts > 0 && len(admitted) >= s.cfg.MaxHosts {
			return OtherHost
		}
		admitted[host] = true
		return host
	}
	v, err := s.viewsOf(ctx, row)
	days, hosts, n := v.days, v.hosts, v.events
	if err != nil {
		return 0, fmt.Errorf("rebuild: read log: %w", err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range old {
		if err := wb.Delete(k); err != nil {
			return 0, fmt.Errorf("rebuild: drop views: %w", err)
		}
	}
	for _, d := range days {
		b, _ := json.Marshal(d)
		if err := wb.Set(dayKey(d.Date), b); err != nil {
			return 0, fmt.Errorf("rebuild: write day: %w", err)
		}
	}
	for _, h := range hosts {
		b, _ := json.Marshal(h)
		if err := wb.Set([]byte(prefixHost+h.Host), b); err != nil {
			return 0, fmt.Errorf("rebuild: write host: %w", err)
		}
	}
	for height, p := range v.payouts {
		b, _ := json.Marshal(p)
		if err := wb.Set(payoutKey(height), b); err != nil {
			return 0, fmt.Errorf("rebuild: write payout: %w", err)
		}
	}
	if err := wb.Delete([]byte(keyRebuilding)); err != nil {
		return 0, err
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("rebuild: flush views: %w", err)
	}
	s.hostCount = len(hosts)
	if _, ok := hosts[OtherHost]; ok {
		s.hostCount--
	}
	return n, nil
}

// views are every view of the whole event log, as a rebuild makes them.
type views struct {
	days    map[string]*DayTotals
	hosts   map[string]*HostTotals
	payouts map[uint64]*model.Payout
	events  int
}

// viewsOf computes the views of the whole event log; row names the row a share's host is
// counted under.
func (s *Store) viewsOf(ctx context.Context, row func(host string) string) (views, error) {
	v := views{days: map[string]*DayTotals{}, hosts: map[string]*HostTotals{}, payouts: map[uint64]*model.Payout{}}
	cutter := dayCutter{loc: s.loc}
	day := func(date string) (*DayTotals, error) {
		d := v.days[date]
		if d == nil {
			d = &DayTotals{Date: date}
			v.days[date] = d
		}
		return d, nil
	}
	err := s.Events(ctx, time.Time{}, time.Time{}, func(e *model.Event) error {
		v.events++
		d, _ := day(cutter.date(e.Time))
		r := e.Host
		if e.Kind == model.KindShare && e.Host != "" {
			r = row(e.Host)
			h := v.hosts[r]
			if h == nil {
				h = &HostTotals{Host: r}
				v.hosts[r] = h
			}
			h.add(e)
		}
		d.add(e, r)
		if isPayoutEvent(e) {
			p := v.payouts[e.Height]
			if p == nil {
				p = &model.Payout{}
				v.payouts[e.Height] = p
			}
			return movePayout(p, e, &cutter, day)
		}
		return nil
	})
	return v, err
}
