package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

func openTest(t *testing.T, dir string, tz string) *Store {
	t.Helper()
	s, err := Open(dir, Config{Timezone: tz, SeriesRetentionDays: 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func share(ts string, host string) model.Event {
	tm, _ := time.Parse(time.RFC3339, ts)
	return model.Event{Time: tm, Kind: model.KindShare, ID: model.HashID([]byte(ts + host)), Host: host}
}

func payment(ts string, pico int64) model.Event {
	tm, _ := time.Parse(time.RFC3339, ts)
	return model.Event{Time: tm, Kind: model.KindPayment, ID: model.HashID([]byte(ts)), Piconero: model.PiconeroFromInt(pico), Height: 1}
}

func TestApplyIsIdempotentAndViewsFollow(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	b := Batch{Events: []model.Event{
		share("2025-03-01T10:00:00Z", "a"),
		share("2025-03-01T11:00:00Z", "b"),
		share("2025-03-01T11:00:00Z", "b"), // the same record twice in one batch
		payment("2025-03-01T12:00:00Z", 1_204_000_000_001),
		{Time: time.Date(2025, 3, 2, 1, 0, 0, 0, time.UTC), Kind: model.KindBlock, ID: "0000000000000001", Height: 5},
	}}
	a, err := s.Apply(&b)
	if err != nil {
		t.Fatal(err)
	}
	if a.Added != 4 || a.Duplicates != 1 {
		t.Fatalf("applied %+v", a)
	}
	a, err = s.Apply(&b) // read again after a restart: nothing changes
	if err != nil || a.Added != 0 || a.Duplicates != 5 {
		t.Fatalf("second apply %+v %v", a, err)
	}
	days, err := s.Days("", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Shares != 2 || days[0].SharesByHost["b"] != 1 || days[0].Payments != 1 ||
		days[0].Piconero.XMR() != "1.204000000001" || days[1].Blocks != 1 {
		t.Fatalf("days %+v", days)
	}
	n, err := s.CountEvents()
	if err != nil || n != 4 {
		t.Fatalf("count %d %v", n, err)
	}
}

func TestRebuildGivesTheSameViews(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "Europe/Berlin")
	var b Batch
	for i := range 500 {
		ts := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 17 * time.Minute).Format(time.RFC3339)
		b.Events = append(b.Events, share(ts, []string{"a", "b", "c"}[i%3]))
		if i%50 == 0 {
			b.Events = append(b.Events, payment(ts, int64(i)*1_000_003))
		}
	}
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Days("", "")
	hostsBefore, _ := s.Hosts()
	if _, err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Days("", "")
	hostsAfter, _ := s.Hosts()
	if !reflect.DeepEqual(before, after) || !reflect.DeepEqual(hostsBefore, hostsAfter) {
		t.Fatalf("rebuild differs:\n%+v\n%+v", before, after)
	}
	s.Close()

	// Another zone cuts other days: the store rebuilds by itself at open.
	s = openTest(t, dir, "UTC")
	defer s.Close()
	utc, _ := s.Days("", "")
	if reflect.DeepEqual(utc, before) {
		t.Fatal("views not recut for the new zone")
	}
	var total uint64
	for _, d := range utc {
		total += d.Shares
	}
	if total != 500 {
		t.Fatalf("shares after recut = %d", total)
	}
}

func TestSkipsCountedOnce(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	b := Batch{Skips: []Skip{{Reason: "bad", Record: "x"}, {Reason: "bad", Record: "y"}}}
	for range 3 {
		if _, err := s.Apply(&b); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.Skipped(); n != 2 {
		t.Fatalf("skipped = %d, want 2", n)
	}
	sk, _ := s.Skips(10)
	if len(sk) != 2 {
		t.Fatalf("skips %+v", sk)
	}
}

func TestSeriesAndRetention(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var b Batch
	for d := range 60 {
		b.Samples = append(b.Samples, model.Sample{Series: "worker/a", Time: now.AddDate(0, 0, -d), Value: float64(d)})
	}
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Series("worker/a", now.AddDate(0, 0, -100), now.Add(time.Hour))
	if len(got) != 60 {
		t.Fatalf("samples %d", len(got))
	}
	latest, _ := s.Latest("worker/")
	if latest["worker/a"].Value != 0 {
		t.Fatalf("latest %+v", latest)
	}
	if _, err := s.PruneSeries(now); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Series("worker/a", now.AddDate(0, 0, -100), now.Add(time.Hour))
	if len(got) != 31 { // today and the 30 days before it
		t.Fatalf("after pruning %d samples", len(got))
	}
}

func TestPiconero(t *testing.T) {
	for _, tt := range []struct{ in, xmr string }{
		{"0.000531220018", "0.000531220018"},
		{"1", "1.000000000000"},
		{"1.5", "1.500000000000"},
		{"123456789012.000000000001", "123456789012.000000000001"},
	} {
		p, err := model.ParseXMR(tt.in)
		if err != nil || p.XMR() != tt.xmr {
			t.Errorf("%s -> %s %v", tt.in, p.XMR(), err)
		}
	}
	for _, bad := range []string{"", ".", "1.0000000000001", "-1", "1e5", "1,5", " 1"} {
		if _, err := model.ParseXMR(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSecondOpenIsRefusedClearly(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	defer s.Close()
	if _, err := Open(dir, Config{}, nil); err == nil || !contains(err.Error(), "in use by another process") {
		t.Fatalf("second open: %v", err)
	}
	// It names the holder: pid and command line (this test binary here).
	_, err := Open(dir, Config{}, nil)
	if want := fmt.Sprintf("held by pid %d: %s", os.Getpid(), os.Args[0]); err == nil || !contains(err.Error(), want) {
		t.Fatalf("second open: %v; want %q", err, want)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A time the keys cannot hold is refused, never stored under another date (9999 would wrap
// to 1816, 1969 to 2554).
func TestApplyRefusesTimesKeysCannotHold(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	for _, at := range []time.Time{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), {}} {
		_, err := s.Apply(&Batch{Events: []model.Event{{Time: at, Kind: model.KindShare, Host: "r", ID: "0123456789abcdef"}}})
		if err == nil || !strings.Contains(err.Error(), "a time the store cannot hold") {
			t.Errorf("%v: %v", at, err)
		}
		_, err = s.Apply(&Batch{Samples: []model.Sample{{Series: "worker/r", Time: at, Value: 1}}})
		if err == nil {
			t.Errorf("sample at %v stored", at)
		}
	}
	if n, _ := s.CountEvents(); n != 0 {
		t.Errorf("%d events stored", n)
	}
}

// A data dir removed or replaced under an open store is said so (the service's store component
// goes DOWN), and closing does not hang: Badger would retry flushing into the removed files
// every second for good (issue 31).
func TestDirRemovedOrReplacedUnderTheStore(t *testing.T) {
	for _, how := range []string{"removed", "replaced", "MANIFEST deleted"} {
		t.Run(how, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			s, err := Open(dir, Config{Timezone: "UTC"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			for i := range 1000 {
				b.Events = append(b.Events, model.Event{Time: time.Date(2025, 3, 1, 0, 0, i, 0, time.UTC), Kind: model.KindShare, Host: "r", ID: fmt.Sprintf("%016x", i)})
			}
			if _, err := s.Apply(&b); err != nil {
				t.Fatal(err)
			}
			if err := s.Gone(); err != nil {
				t.Fatalf("an untouched store: %v", err)
			}
			switch how {
			case "removed":
				os.RemoveAll(dir)
			case "replaced":
				os.Rename(dir, dir+".old")
				os.Mkdir(dir, 0o755)
			default:
				os.Remove(filepath.Join(dir, "MANIFEST"))
			}
			if err := s.Gone(); err == nil || !strings.Contains(err.Error(), dir) {
				t.Errorf("Gone: %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- s.Close() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Close hangs on a store whose directory is gone")
			}
		})
	}
}
