package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// Check verifies the whole store: every table's blocks against their checksums, every value
// readable (the value log's checksums), every event decoding to itself, and every day and host
// view equal to what a rebuild would make of the event log. It changes nothing.
func (s *Store) Check(ctx context.Context) (model.CheckReport, error) {
	var r model.CheckReport
	for _, ti := range s.db.Tables() {
		path := filepath.Join(s.dir, fmt.Sprintf("%06d.sst", ti.ID))
		if err := checkTable(path); err != nil && !errors.Is(err, os.ErrNotExist) { // gone: compacted meanwhile
			r.Add("%s", err)
		}
		r.Tables++
	}
	admitted := map[string]bool{}
	storedDays := map[string]DayTotals{}
	storedHosts := map[string]HostTotals{}
	storedPayouts := map[uint64]model.Payout{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if r.Keys++; r.Keys%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			item := it.Item()
			k := item.KeyCopy(nil)
			v, err := item.ValueCopy(nil)
			if err != nil {
				r.Add("key %q: value unreadable: %s", k, firstLineOf(err.Error()))
				continue
			}
			switch {
			case bytes.HasPrefix(k, []byte(prefixEvent)):
				var e model.Event
				if err := decodeEvent(k, v, &e); err != nil {
					r.Add("event %x: does not decode: %v", k, err)
				} else if !bytes.Equal(eventKey(&e), k) {
					r.Add("event %x: its key is not its time and id", k)
				}
			case bytes.HasPrefix(k, []byte(s.keys.day)):
				var d DayTotals
				if err := json.Unmarshal(v, &d); err != nil {
					r.Add("day view %s: does not decode: %v", k, err)
				}
				storedDays[string(k[len(s.keys.day):])] = d
			case bytes.HasPrefix(k, []byte(prefixHost)):
				var h HostTotals
				if err := json.Unmarshal(v, &h); err != nil {
					r.Add("host view %s: does not decode: %v", k, err)
				}
				host := string(k[len(prefixHost):])
				storedHosts[host] = h
				if host != OtherHost {
					admitted[host] = true
				}
			case bytes.HasPrefix(k, []byte(prefixPayout)) && len(k) == len(prefixPayout)+8:
				var p model.Payout
				if err := json.Unmarshal(v, &p); err != nil {
					r.Add("payout view %x: does not decode: %v", k, err)
				}
				storedPayouts[binary.BigEndian.Uint64(k[len(prefixPayout):])] = p
			case bytes.HasPrefix(k, []byte(prefixSeries)):
				if err := checkSample(k, v); err != nil {
					r.Add("time series %q: %v", k, err)
				}
			case bytes.HasPrefix(k, []byte(prefixSkip)):
				var sk Skip
				if err := json.Unmarshal(v, &sk); err != nil {
					r.Add("bad record %s: does not decode: %v", k, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("check %s: %w", s.dir, err)
	}

	// What a rebuild would make, with the same hosts given rows.
	v, err := s.viewsOf(ctx, func(host string) string {
		if admitted[host] {
			return host
		}
		return OtherHost
	})
	if err != nil {
		return r, fmt.Errorf("check %s: read the event log: %w", s.dir, err)
	}
	days, hosts := v.days, v.hosts
	r.Events = v.events
	r.Days, r.Hosts = len(storedDays), len(storedHosts)
	for date, want := range days {
		got, ok := storedDays[date]
		if !ok {
			r.Add("day %s: no view, the log has %d share(s)", date, want.Shares)
		} else if !sameDay(got, *want) {
			r.Add("day %s: the view says %d shares %d blocks %d payments %s XMR, the log %d %d %d %s",
				date, got.Shares, got.Blocks, got.Payments, got.Piconero.XMR(), want.Shares, want.Blocks, want.Payments, want.Piconero.XMR())
		}
	}
	for date := range storedDays {
		if days[date] == nil {
			r.Add("day %s: a view, but no event in the log", date)
		}
	}
	for host, want := range hosts {
		got, ok := storedHosts[host]
		if !ok || got.Shares != want.Shares || !got.LastShare.Equal(want.LastShare) {
			r.Add("host %s: the view says %d shares, the log %d", host, got.Shares, want.Shares)
		}
	}
	for host := range storedHosts {
		if hosts[host] == nil {
			r.Add("host %s: a view, but no share in the log", host)
		}
	}
	for height, want := range v.payouts {
		if got, ok := storedPayouts[height]; !ok || !samePayout(got, *want) {
			r.Add("payout at height %d: the view says %s %s XMR, the log %s %s XMR", height, got.State, got.Piconero.XMR(), want.State, want.Piconero.XMR())
		}
	}
	for height := range storedPayouts {
		if v.payouts[height] == nil {
			r.Add("payout at height %d: a view, but no payment or check in the log", height)
		}
	}
	r.Incomplete = s.Incomplete()
	return r, nil
}

func sameDay(a, b DayTotals) bool {
	return a.Shares == b.Shares && a.Blocks == b.Blocks && a.Payments == b.Payments &&
		a.Piconero.Cmp(b.Piconero) == 0 && a.Confirmed.Cmp(b.Confirmed) == 0 && a.Unlocked.Cmp(b.Unlocked) == 0 &&
		a.Orphaned.Cmp(b.Orphaned) == 0 && maps.Equal(a.SharesByHost, b.SharesByHost) && maps.Equal(a.Kinds, b.Kinds)
}

func samePayout(a, b model.Payout) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// checkSample says what is wrong with a time-series key and its value, if anything.
func checkSample(k, v []byte) error {
	prefix := seriesPrefixOf(k)
	if prefix == nil {
		return errors.New("not a series key")
	}
	t, chunk, ok := seriesTail(k[len(prefix):])
	if !ok {
		return errors.New("not a sample's key")
	}
	_, err := appendSeriesValue(nil, t, chunk, v)
	return err
}
