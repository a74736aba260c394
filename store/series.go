package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

func (s *Store) writeSamples(w *txnWriter, samples []model.Sample) error {
	latest := map[string]model.Sample{}
	for _, sm := range samples {
		if math.IsNaN(sm.Value) || math.IsInf(sm.Value, 0) {
			continue
		}
		if host, ok := strings.CutPrefix(sm.Series, "worker/"); ok {
			// A series per host costs memory and disk: only hosts with a row have one.
			if keep, err := w.hasRow(host); err != nil || !keep {
				continue
			}
		}
		if err := w.set(seriesKey(sm.Series, sm.Time), binary.BigEndian.AppendUint64(nil, math.Float64bits(sm.Value))); err != nil {
			return fmt.Errorf("write sample: %w", err)
		}
		if l, ok := latest[sm.Series]; !ok || sm.Time.After(l.Time) {
			latest[sm.Series] = sm
		}
	}
	for name, sm := range latest {
		k := []byte(prefixLatest + name)
		var old model.Sample
		found, err := getJSON(w.txn, k, &old)
		if err != nil {
			return err
		}
		if found && old.Time.After(sm.Time) {
			continue // an import of old data must not hide the newest value
		}
		b, err := json.Marshal(sm)
		if err != nil {
			return fmt.Errorf("encode sample: %w", err)
		}
		if err := w.set(k, b); err != nil {
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

// Series returns the samples of one series with from <= time < to, oldest first.
func (s *Store) Series(series string, from, to time.Time) ([]model.Sample, error) {
	var out []model.Sample
	err := s.db.View(func(txn *badger.Txn) error {
		for day := from.UTC().Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
			prefix := seriesKey(series, day)
			prefix = prefix[:len(prefix)-8]
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
			for it.Rewind(); it.Valid(); it.Next() {
				k := it.Item().Key()
				t := time.Unix(0, int64(binary.BigEndian.Uint64(k[len(k)-8:])))
				if t.Before(from) || !t.Before(to) {
					continue
				}
				var v float64
				_ = it.Item().Value(func(b []byte) error {
					if len(b) == 8 {
						v = math.Float64frombits(binary.BigEndian.Uint64(b))
					}
					return nil
				})
				out = append(out, model.Sample{Series: series, Time: t, Value: v})
			}
			it.Close()
		}
		return nil
	})
	return out, err
}

// PruneSeries drops the time-series days older than the retention, a few thousand keys at a
// time between other writers: Badger's DropPrefix would block every write while it runs, and a
// concurrent write would fail (the follower would stop).
func (s *Store) PruneSeries(now time.Time) (int, error) {
	if s.cfg.SeriesRetentionDays <= 0 {
		return 0, nil
	}
	cutoff := []byte(prefixSeries + now.UTC().AddDate(0, 0, -s.cfg.SeriesRetentionDays).Format("20060102"))
	days := map[string]bool{}
	for {
		var keys [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixSeries)})
			defer it.Close()
			for it.Rewind(); it.Valid() && int64(len(keys)) < s.db.MaxBatchCount()/4; it.Next() {
				k := it.Item().KeyCopy(nil)
				if bytes.Compare(k, cutoff) >= 0 {
					break
				}
				keys = append(keys, k)
				days[string(k[len(prefixSeries):len(prefixSeries)+8])] = true
			}
			return nil
		})
		if err != nil {
			return len(days), fmt.Errorf("prune series: %w", err)
		}
		if len(keys) == 0 {
			return len(days), nil
		}
		if err := s.deleteKeys(keys); err != nil {
			return len(days), fmt.Errorf("prune series: %w", err)
		}
	}
}
