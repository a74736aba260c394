package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Sample is one point of a time series (hashrate in H/s, a height, a 0/1 state).
type Sample struct {
	Series string    `json:"series"`
	Time   time.Time `json:"time"`
	Value  float64   `json:"value"`
}

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
	Events      []Event
	Skips       []Skip
	Samples     []Sample
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
	Events     []Event
}

// Apply writes a batch in one transaction: new events go to the log and into the day views,
// events already stored are ignored, and checkpoints move with them.
func (s *Store) Apply(b *Batch) (Applied, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var res Applied
	err := s.db.Update(func(txn *badger.Txn) error {
		res = Applied{}
		days := map[string]*DayTotals{}
		hosts := map[string]*HostTotals{}
		seen := make(map[string]bool, len(b.Events))
		for i := range b.Events {
			e := &b.Events[i]
			k := eventKey(e)
			if seen[string(k)] {
				res.Duplicates++
				continue
			}
			seen[string(k)] = true
			switch _, err := txn.Get(k); {
			case err == nil:
				res.Duplicates++
				continue
			case !errors.Is(err, badger.ErrKeyNotFound):
				return fmt.Errorf("look up event: %w", err)
			}
			v, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode event: %w", err)
			}
			if err := txn.Set(k, v); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
			date := e.Time.In(s.loc).Format(time.DateOnly)
			d, err := loadDay(txn, days, date)
			if err != nil {
				return err
			}
			d.add(e)
			if e.Kind == KindShare && e.Host != "" {
				h, err := loadHost(txn, hosts, e.Host)
				if err != nil {
					return err
				}
				h.add(e)
			}
			res.Added++
			res.Events = append(res.Events, *e)
		}
		for _, d := range days {
			if err := setJSON(txn, dayKey(d.Date), d); err != nil {
				return err
			}
		}
		for _, h := range hosts {
			if err := setJSON(txn, []byte(prefixHost+h.Host), h); err != nil {
				return err
			}
		}
		if err := s.writeSkips(txn, b.Skips, &res); err != nil {
			return err
		}
		if err := writeSamples(txn, b.Samples); err != nil {
			return err
		}
		for _, c := range b.Checkpoints {
			if err := txn.Set([]byte(prefixCheckpoint+c.Name), c.Value); err != nil {
				return fmt.Errorf("write checkpoint %s: %w", c.Name, err)
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) {
		return Applied{}, fmt.Errorf("apply batch of %d records: %w (write smaller batches)", b.Len(), err)
	}
	return res, err
}

func (s *Store) writeSkips(txn *badger.Txn, skips []Skip, res *Applied) error {
	if len(skips) == 0 {
		return nil
	}
	for i := range skips {
		sk := &skips[i]
		id := sk.ID
		if id == "" {
			id = HashID([]byte(sk.Record))
		}
		k := []byte(prefixSkip + id)
		switch _, err := txn.Get(k); {
		case err == nil:
			continue
		case !errors.Is(err, badger.ErrKeyNotFound):
			return fmt.Errorf("look up skip: %w", err)
		}
		if err := setJSON(txn, k, sk); err != nil {
			return err
		}
		res.Skipped++
	}
	if res.Skipped == 0 {
		return nil
	}
	n, err := getUint(txn, []byte(keySkipped))
	if err != nil {
		return err
	}
	return txn.Set([]byte(keySkipped), binary.BigEndian.AppendUint64(nil, n+uint64(res.Skipped)))
}

func writeSamples(txn *badger.Txn, samples []Sample) error {
	latest := map[string]Sample{}
	for _, sm := range samples {
		if math.IsNaN(sm.Value) || math.IsInf(sm.Value, 0) {
			continue
		}
		if err := txn.Set(seriesKey(sm.Series, sm.Time), binary.BigEndian.AppendUint64(nil, math.Float64bits(sm.Value))); err != nil {
			return fmt.Errorf("write sample: %w", err)
		}
		if l, ok := latest[sm.Series]; !ok || sm.Time.After(l.Time) {
			latest[sm.Series] = sm
		}
	}
	for name, sm := range latest {
		k := []byte(prefixLatest + name)
		var old Sample
		found, err := getJSON(txn, k, &old)
		if err != nil {
			return err
		}
		if found && old.Time.After(sm.Time) {
			continue // an import of old data must not hide the newest value
		}
		if err := setJSON(txn, k, sm); err != nil {
			return err
		}
	}
	return nil
}

func seriesKey(series string, t time.Time) []byte {
	k := make([]byte, 0, len(prefixSeries)+9+len(series)+9)
	k = append(k, prefixSeries...)
	k = t.UTC().AppendFormat(k, "20060102")
	k = append(k, '/')
	k = append(k, series...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
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

func loadHost(txn *badger.Txn, hosts map[string]*HostTotals, host string) (*HostTotals, error) {
	if h, ok := hosts[host]; ok {
		return h, nil
	}
	h := &HostTotals{Host: host}
	if _, err := getJSON(txn, []byte(prefixHost+host), h); err != nil {
		return nil, err
	}
	hosts[host] = h
	return h, nil
}

func getJSON(txn *badger.Txn, k []byte, v any) (bool, error) {
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
