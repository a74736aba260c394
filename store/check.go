package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// CheckReport is what `db4e check` found.
type CheckReport struct {
	Tables   int      `json:"tables"`
	Keys     int      `json:"keys"`
	Events   int      `json:"events"`
	Days     int      `json:"days"`
	Hosts    int      `json:"hosts"`
	Problems []string `json:"problems,omitempty"`
}

// maxProblems bounds the report: a badly damaged store would list every key.
const maxProblems = 50

func (r *CheckReport) problem(format string, a ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "(more problems not listed)")
	}
}

// Check verifies the whole store: every table's blocks against their checksums, every value
// readable (the value log's checksums), every event decoding to itself, and every day and host
// view equal to what a rebuild would make of the event log. It changes nothing.
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	for _, ti := range s.db.Tables() {
		path := filepath.Join(s.dir, fmt.Sprintf("%06d.sst", ti.ID))
		if err := checkTable(path); err != nil && !errors.Is(err, os.ErrNotExist) { // gone: compacted meanwhile
			r.problem("%s", err)
		}
		r.Tables++
	}
	defer s.ReleaseMappedPages()
	admitted := map[string]bool{}
	storedDays := map[string]DayTotals{}
	storedHosts := map[string]HostTotals{}
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
				r.problem("key %q: value unreadable: %s", k, firstLineOf(err.Error()))
				continue
			}
			switch {
			case bytes.HasPrefix(k, []byte(prefixEvent)):
				var e model.Event
				if err := json.Unmarshal(v, &e); err != nil {
					r.problem("event %x: does not decode: %v", k, err)
				} else if !bytes.Equal(eventKey(&e), k) {
					r.problem("event %x: its key is not its time and id", k)
				}
			case bytes.HasPrefix(k, []byte(s.keys.day)):
				var d DayTotals
				if err := json.Unmarshal(v, &d); err != nil {
					r.problem("day view %s: does not decode: %v", k, err)
				}
				storedDays[string(k[len(s.keys.day):])] = d
			case bytes.HasPrefix(k, []byte(prefixHost)):
				var h HostTotals
				if err := json.Unmarshal(v, &h); err != nil {
					r.problem("host view %s: does not decode: %v", k, err)
				}
				host := string(k[len(prefixHost):])
				storedHosts[host] = h
				if host != OtherHost {
					admitted[host] = true
				}
			case bytes.HasPrefix(k, []byte(prefixSkip)):
				var sk Skip
				if err := json.Unmarshal(v, &sk); err != nil {
					r.problem("bad record %s: does not decode: %v", k, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("check %s: %w", s.dir, err)
	}

	// What a rebuild would make, with the same hosts given rows.
	days, hosts, n, err := s.viewsOf(ctx, func(host string) string {
		if admitted[host] {
			return host
		}
		return OtherHost
	})
	if err != nil {
		return r, fmt.Errorf("check %s: read the event log: %w", s.dir, err)
	}
	r.Events = n
	r.Days, r.Hosts = len(storedDays), len(storedHosts)
	for date, want := range days {
		got, ok := storedDays[date]
		if !ok {
			r.problem("day %s: no view, the log has %d share(s)", date, want.Shares)
		} else if !sameDay(got, *want) {
			r.problem("day %s: the view says %d shares %d blocks %d payments %s XMR, the log %d %d %d %s",
				date, got.Shares, got.Blocks, got.Payments, got.Piconero.XMR(), want.Shares, want.Blocks, want.Payments, want.Piconero.XMR())
		}
	}
	for date := range storedDays {
		if days[date] == nil {
			r.problem("day %s: a view, but no event in the log", date)
		}
	}
	for host, want := range hosts {
		got, ok := storedHosts[host]
		if !ok || got.Shares != want.Shares || !got.LastShare.Equal(want.LastShare) {
			r.problem("host %s: the view says %d shares, the log %d", host, got.Shares, want.Shares)
		}
	}
	for host := range storedHosts {
		if hosts[host] == nil {
			r.problem("host %s: a view, but no share in the log", host)
		}
	}
	return r, nil
}

func sameDay(a, b DayTotals) bool {
	return a.Shares == b.Shares && a.Blocks == b.Blocks && a.Payments == b.Payments &&
		a.Piconero.Cmp(b.Piconero) == 0 && maps.Equal(a.SharesByHost, b.SharesByHost) && maps.Equal(a.Kinds, b.Kinds)
}
