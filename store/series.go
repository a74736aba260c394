package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/db4e/db4e/internal/tick"
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
		if strings.IndexByte(sm.Series, 0) >= 0 {
			continue // a NUL ends the name in the key
		}
		// Polls are kept to the millisecond: a chunk then advances in milliseconds, and a
		// steady poll's jitter costs a byte, not four.
		sm.Time = sm.Time.Truncate(time.Millisecond)
		prefix := seriesPrefix(sm.Series, sm.Time)
		k := binary.BigEndian.AppendUint64(prefix, uint64(sm.Time.UnixNano()))
		if err := w.set(k, binary.BigEndian.AppendUint64(nil, math.Float64bits(sm.Value))); err != nil {
			return fmt.Errorf("write sample: %w", err)
		}
		s.noteUnsealed(string(prefix), sm.Time.UnixNano())
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

// seriesPrefix is where one series' samples of the UTC day of t are: single samples at
// <prefix><unix ns BE>, chunks at <prefix><first sample's unix ns BE>c (chunk.go).
func seriesPrefix(series string, t time.Time) []byte {
	k := make([]byte, 0, len(prefixSeries)+9+len(series)+10)
	k = append(k, prefixSeries...)
	k = t.UTC().AppendFormat(k, "20060102")
	k = append(k, '/')
	k = append(k, series...)
	return append(k, 0)
}

func chunkKey(prefix []byte, first int64) []byte {
	k := append(make([]byte, 0, len(prefix)+9), prefix...)
	return append(binary.BigEndian.AppendUint64(k, uint64(first)), chunkMark)
}

// seriesTail is what follows the series' prefix in one of its keys: a single sample (its
// time) or a chunk (its first sample's time); ok is false for a key of neither shape.
func seriesTail(tail []byte) (t int64, chunk, ok bool) {
	switch {
	case len(tail) == 8:
		return int64(binary.BigEndian.Uint64(tail)), false, true
	case len(tail) == 9 && tail[8] == chunkMark:
		return int64(binary.BigEndian.Uint64(tail)), true, true
	}
	return 0, false, false
}

// seriesPrefixOf is the series-day prefix of a key under prefixSeries, nil if it has none.
func seriesPrefixOf(k []byte) []byte {
	const head = len(prefixSeries) + len("20060102/")
	if len(k) < head {
		return nil
	}
	i := bytes.IndexByte(k[head:], 0)
	if i < 0 {
		return nil
	}
	return k[:head+i+1]
}

// Series returns the samples of one series with from <= time < to, oldest first.
func (s *Store) Series(series string, from, to time.Time) ([]model.Sample, error) {
	var out []model.Sample
	err := s.db.View(func(txn *badger.Txn) error {
		var pts []point
		for day := from.UTC().Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
			var err error
			if pts, err = readSeriesDay(txn, seriesPrefix(series, day), pts[:0]); err != nil {
				return fmt.Errorf("read series %s: %w", series, err)
			}
			for _, p := range pts {
				if t := time.Unix(0, p.t); !t.Before(from) && t.Before(to) {
					out = append(out, model.Sample{Series: series, Time: t, Value: p.v})
				}
			}
		}
		return nil
	})
	return out, err
}

// readSeriesDay appends one series-day's samples, single and chunked, in time order.
func readSeriesDay(txn *badger.Txn, prefix []byte, pts []point) ([]point, error) {
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 16, Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		t, chunk, ok := seriesTail(item.Key()[len(prefix):])
		if !ok {
			continue
		}
		err := item.Value(func(b []byte) error {
			var err error
			pts, err = appendSeriesValue(pts, t, chunk, b)
			return err
		})
		if err != nil {
			return pts, fmt.Errorf("key %q: %w", item.Key(), err)
		}
	}
	return tidy(pts), nil
}

// appendSeriesValue appends what the value of a series key holds: a single sample (float64
// bits) or a chunk's samples.
func appendSeriesValue(pts []point, t int64, chunk bool, v []byte) ([]point, error) {
	if chunk {
		return decodeChunk(pts, t, v)
	}
	if len(v) != 8 {
		return pts, fmt.Errorf("a sample of %d bytes, not 8", len(v))
	}
	return append(pts, point{t: t, v: math.Float64frombits(binary.BigEndian.Uint64(v)), single: true}), nil
}

// tidy puts points in time order, one per time: of two at one time a single sample (written
// after any chunk that holds that time) over a chunk's, else the first.
func tidy(pts []point) []point {
	byTime := func(a, b point) int { return cmp.Compare(a.t, b.t) }
	if !slices.IsSortedFunc(pts, byTime) {
		slices.SortStableFunc(pts, byTime)
	}
	out := pts[:0]
	for _, p := range pts {
		if n := len(out); n > 0 && out[n-1].t == p.t {
			if p.single && !out[n-1].single {
				out[n-1] = p
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// SealSeries packs the samples written a key each into chunks (chunk.go): ~35 bytes a sample
// on disk become ~4. The service calls it every few minutes. It seals every series-day written
// since the last call, then up to sealBudget samples of those an earlier process left (a store
// of db4e before chunks, a crash, an import run alone), newest day first: an old store's month
// is sealed over a day of calls, not in one burst of writes and compactions. Each series-day is
// sealed in transactions of its own, between other writers; a crash between two leaves some
// samples single and some chunked, which read the same, none twice. It goes on past a series
// it cannot seal (a damaged chunk) and returns the first such error.
func (s *Store) SealSeries(ctx context.Context) (sealed int, err error) {
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	s.pages.expectWork() // it reads and writes the samples of ten minutes or more at once
	todo, err := s.takeUnsealed()
	if err != nil {
		return 0, fmt.Errorf("seal series: %w", err)
	}
	var first error
	for i, prefix := range todo {
		n, left, err := s.sealPrefix(ctx, prefix.prefix, prefix.lo, math.MaxInt)
		sealed += n
		if err != nil {
			s.noteUnsealedLocked(prefix.prefix, left) // tried again next time, from where it stopped
			if ctx.Err() != nil || errors.Is(err, model.ErrDiskFull) {
				for _, rest := range todo[i+1:] {
					s.noteUnsealedLocked(rest.prefix, rest.lo)
				}
				return sealed, fmt.Errorf("seal series: %w", err)
			}
			first = cmp.Or(first, fmt.Errorf("seal series %q: %w", prefix.prefix, err))
		}
	}
	for budget := sealBudget; budget > 0 && len(s.backlog) > 0; {
		day := &s.backlog[0]
		n, left, err := s.sealPrefix(ctx, day.prefix, day.lo, budget)
		sealed, budget = sealed+n, budget-n
		day.lo = left
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, model.ErrDiskFull) {
				return sealed, fmt.Errorf("seal series: %w", err)
			}
			first = cmp.Or(first, fmt.Errorf("seal series %q: %w", day.prefix, err))
		}
		if err != nil || left < 0 {
			s.backlog = s.backlog[1:] // done, or damaged: check names it
			if len(s.backlog) == 0 && s.backlogTold {
				s.log.Info("sealed the time series an earlier process left", "dir", s.dir)
			}
		}
	}
	return sealed, first
}

// sealBudget bounds the samples left by an earlier process that one SealSeries seals: ~5 MB of
// deletes and chunks, a memtable or two, which the service absorbs as it does its own polls.
const sealBudget = 64 << 10

// settle waits, up to settleWait, until Badger's compactors have brought every level under
// its target. A seal does not write beside a compaction: a store written at full speed (an
// import, a db4e before chunks) is compacted at its first open, and an old store's samples
// sealed beside that (or beside the compactions the seal's own writes cause) had table
// builders, memtables and their flush in memory at once: a first start peaked well above either
// alone (figures: bench/RESULTS.md, "settle"). While Badger cannot keep up (an import through
// the service), sealing crawls.
func (s *Store) settle(ctx context.Context) {
	deadline := time.Now().Add(settleWait)
	for !s.settled() && time.Now().Before(deadline) && tick.Sleep(ctx, 50*time.Millisecond) {
	}
}

// settleWait bounds one wait of settle.
const settleWait = time.Minute

// settled: no level over its target (Badger's score 1 or more means a compaction is due).
// A read-only store has no compactions to wait for.
func (s *Store) settled() bool {
	if s.readOnly {
		return true
	}
	for _, l := range s.db.Levels() {
		if l.Score >= 1 {
			return false
		}
	}
	return true
}

// sealPiece is how many single samples one sealing transaction takes: a few hundred KB of
// deletes and chunks, well inside Badger's transaction limit at db4e's memtable size.
const sealPiece = 1024

// unsealedDay is a series-day prefix with single samples from lo (unix ns) on.
type unsealedDay struct {
	prefix string
	lo     int64
}

// sealPrefix seals the single samples of one series-day from lo on, up to budget of them, in
// pieces. left is where it stopped (-1: nothing left).
func (s *Store) sealPrefix(ctx context.Context, prefix string, lo int64, budget int) (sealed int, left int64, err error) {
	for limit := sealPiece; ; {
		if err := ctx.Err(); err != nil {
			return sealed, lo, err
		}
		s.settle(ctx)
		began := time.Now()
		n, next, err := s.sealSome([]byte(prefix), lo, min(limit, budget-sealed))
		if errors.Is(err, badger.ErrTxnTooBig) && limit > 1 {
			limit /= 2
			continue
		}
		if err != nil {
			return sealed, lo, err
		}
		sealed += n
		// Half the time at rest, so the compactions it causes have room to finish.
		tick.Sleep(ctx, time.Since(began))
		if next < 0 || sealed >= budget {
			return sealed, next, nil
		}
		lo = next
	}
}

// noteUnsealed records a single sample written under prefix at t (unix ns); under writeMu.
func (s *Store) noteUnsealed(prefix string, t int64) {
	if s.unsealed == nil {
		s.unsealed = map[string]int64{}
	}
	if lo, ok := s.unsealed[prefix]; !ok || t < lo {
		s.unsealed[prefix] = t
	}
}

func (s *Store) noteUnsealedLocked(prefix string, t int64) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.noteUnsealed(prefix, t)
}

// takeUnsealed hands over the series-days written since the last call, day by day, and starts
// a new list. The first call since Open also scans the store for the single samples an
// earlier process left: those make the backlog, newest day first, sealed from their day's
// start.
func (s *Store) takeUnsealed() ([]unsealedDay, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var todo []unsealedDay
	for prefix, lo := range s.unsealed {
		todo = append(todo, unsealedDay{prefix, lo})
	}
	slices.SortFunc(todo, func(a, b unsealedDay) int { return strings.Compare(a.prefix, b.prefix) })
	for prefix := range s.chunkTails {
		if _, ok := s.unsealed[prefix]; !ok {
			delete(s.chunkTails, prefix) // a day done with, most often
		}
	}
	s.unsealed = nil
	if s.scanned {
		return todo, nil
	}
	singles := 0
	pace := readPacer{dir: s.dir} // an old store's scan reads every sample it holds
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixSeries)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			pace.add(it.Item().EstimatedSize())
			k := it.Item().Key()
			prefix := seriesPrefixOf(k)
			if prefix == nil {
				continue
			}
			if _, chunk, ok := seriesTail(k[len(prefix):]); !ok || chunk {
				continue
			}
			singles++
			if len(s.backlog) == 0 || s.backlog[len(s.backlog)-1].prefix != string(prefix) {
				s.backlog = append(s.backlog, unsealedDay{string(prefix), math.MinInt64})
			}
		}
		return nil
	})
	if err != nil {
		s.backlog = nil
		for _, d := range todo {
			s.noteUnsealed(d.prefix, d.lo)
		}
		return nil, err
	}
	// Newest day first: the days nearest their pruning are sealed last, if at all.
	slices.SortStableFunc(s.backlog, func(a, b unsealedDay) int {
		return strings.Compare(b.prefix[:len(prefixSeries)+8], a.prefix[:len(prefixSeries)+8])
	})
	s.scanned = true
	// The minutes a stop leaves are sealed at once and not worth a word; a store of db4e
	// before chunks, or an import's samples, are.
	if s.backlogTold = singles > sealBudget; s.backlogTold {
		s.log.Info("time series stored a sample a key (a db4e before chunks, an import): sealing them a budget at a time, newest day first",
			"samples", singles, "series_days", len(s.backlog), "samples_a_call", sealBudget, "dir", s.dir)
	}
	return todo, nil
}

// sealSome seals up to limit of the single samples under one series-day prefix from lo (unix
// ns; none are earlier), with the chunks they fall in or follow. next is the time of the first
// single sample left, -1 when none is.
func (s *Store) sealSome(prefix []byte, lo int64, limit int) (n int, next int64, err error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.writableOutsideBulk(); err != nil {
		return 0, -1, err
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	var chunks []chunkAt
	if prev, ok, err := s.chunkBefore(txn, prefix, lo); err != nil {
		return 0, -1, err
	} else if ok {
		chunks = append(chunks, prev)
	}
	// From lo on, not from the chunk before: between them are the samples sealed last time,
	// deleted keys an iterator would step over one by one.
	from := prefix
	if lo > 0 {
		from = binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(lo))
	}
	var singles []point
	var drop [][]byte
	next = -1
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	for it.Seek(from); it.Valid() && next < 0 && err == nil; it.Next() {
		item := it.Item()
		t, chunk, ok := seriesTail(item.Key()[len(prefix):])
		switch {
		case !ok:
		case chunk:
			chunks = append(chunks, chunkAt{item.KeyCopy(nil), t})
		case len(singles) == limit:
			next = t
		default:
			if err = item.Value(func(b []byte) error {
				var err error
				singles, err = appendSeriesValue(singles, t, false, b)
				return err
			}); err != nil {
				err = fmt.Errorf("key %q: %w", item.Key(), err)
			}
			drop = append(drop, item.KeyCopy(nil))
		}
	}
	it.Close()
	if err != nil || len(singles) == 0 {
		return 0, -1, err
	}
	// The chunks to merge: the one before the samples, which they may fall in or extend while
	// it has room, and every one that starts among them.
	hi := singles[len(singles)-1].t
	pts := singles
	last := int64(math.MinInt64) // the day's last chunk, once written
	for _, c := range chunks {
		if c.first > hi {
			last = max(last, c.first)
			continue
		}
		item, err := txn.Get(c.key)
		if err != nil {
			return 0, -1, err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return 0, -1, err
		}
		had := len(pts)
		if pts, err = decodeChunk(pts, c.first, v); err != nil {
			return 0, -1, fmt.Errorf("chunk %q: %w", c.key, err)
		}
		if pts[len(pts)-1].t < singles[0].t && len(v) > maxChunk*7/8 {
			pts = pts[:had] // full, and before the samples: left as it is
			last = max(last, c.first)
			continue
		}
		drop = append(drop, c.key)
	}
	pts = tidy(pts)
	written := map[string]bool{}
	for rest := pts; len(rest) > 0; {
		v, n := encodeChunk(nil, rest)
		k := chunkKey(prefix, rest[0].t)
		if err := txn.Set(k, v); err != nil {
			return 0, -1, err
		}
		written[string(k)] = true
		last = max(last, rest[0].t)
		rest = rest[n:]
	}
	for _, k := range drop {
		if !written[string(k)] {
			if err := txn.Delete(k); err != nil {
				return 0, -1, err
			}
		}
	}
	if err := txn.Commit(); err != nil {
		return 0, -1, err
	}
	if s.chunkTails == nil {
		s.chunkTails = map[string]int64{}
	}
	if next < 0 {
		s.chunkTails[string(prefix)] = last
	} else {
		delete(s.chunkTails, string(prefix)) // chunks past where this piece stopped are unseen
	}
	return len(singles), next, nil
}

type chunkAt struct {
	key   []byte
	first int64
}

// chunkBefore finds the last chunk under prefix that begins before lo. The live case (samples
// after every chunk of the day) is one lookup of the chunk the last seal wrote; else a reverse
// scan.
func (s *Store) chunkBefore(txn *badger.Txn, prefix []byte, lo int64) (chunkAt, bool, error) {
	if first, ok := s.chunkTails[string(prefix)]; ok && first < lo {
		k := chunkKey(prefix, first)
		switch _, err := txn.Get(k); {
		case err == nil:
			return chunkAt{k, first}, true, nil
		case !errors.Is(err, badger.ErrKeyNotFound):
			return chunkAt{}, false, err
		}
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	for it.Seek(binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(max(lo, 0)))); it.Valid(); it.Next() {
		if t, chunk, ok := seriesTail(it.Item().Key()[len(prefix):]); ok && chunk && t < lo {
			return chunkAt{it.Item().KeyCopy(nil), t}, true, nil
		}
	}
	return chunkAt{}, false, nil
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
