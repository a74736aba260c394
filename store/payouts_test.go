package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

func payoutEvent(at time.Time, height uint64, state, blockID string, pico int64) model.Event {
	e := model.Event{Time: at, Kind: model.KindPayout, Height: height, State: state, BlockID: blockID,
		ID: model.HashID(fmt.Appendf(nil, "%s|%d|%s", at, height, state))}
	if pico > 0 {
		e.Piconero = model.PiconeroFromInt(pico)
	}
	return e
}

// The payouts view and the days' confirmed, unlocked and orphaned sums follow the checks, each
// counted on the day P2Pool claimed the payout, whenever the check was made; a rebuild from the
// log makes the same views, and Check finds them whole.
func TestPayoutsFollowTheirChecks(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	day1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	claim := func(at time.Time, h uint64, pico int64) model.Event {
		return model.Event{Time: at, Kind: model.KindPayment, Height: h, Piconero: model.PiconeroFromInt(pico), ID: model.HashID([]byte(at.String()))}
	}
	steps := []struct {
		name   string
		events []model.Event
		// want: the state of each height, and day 1's confirmed, unlocked, orphaned sums
		states                    map[uint64]string
		confirmed, unlock, orphan int64
	}{
		{"claims", []model.Event{claim(day1, 100, 5), claim(day1.Add(time.Minute), 101, 7)},
			map[uint64]string{100: "claimed", 101: "claimed"}, 0, 0, 0},
		{"seen", []model.Event{payoutEvent(day1.Add(2*time.Minute), 100, model.PayoutSeen, "aa", 0)},
			map[uint64]string{100: "claimed", 101: "claimed"}, 0, 0, 0},
		{"confirmed the next day", []model.Event{payoutEvent(day2, 100, model.PayoutConfirmed, "", 0), payoutEvent(day2, 101, model.PayoutConfirmed, "", 0)},
			map[uint64]string{100: "confirmed", 101: "confirmed"}, 12, 0, 0},
		{"one unlocked, one orphaned", []model.Event{payoutEvent(day2.Add(time.Hour), 100, model.PayoutUnlocked, "", 0), payoutEvent(day2.Add(time.Hour), 101, model.PayoutOrphaned, "bb", 0)},
			map[uint64]string{100: "unlocked", 101: "orphaned"}, 5, 5, 7},
		{"wallet", []model.Event{payoutEvent(day2.Add(2*time.Hour), 100, model.WalletReceived, "", 5), payoutEvent(day2.Add(2*time.Hour), 102, model.PayoutUnexplained, "", 9)},
			map[uint64]string{100: "unlocked", 101: "orphaned", 102: "claimed"}, 5, 5, 7},
	}
	for _, st := range steps {
		if _, err := s.Apply(&Batch{Events: st.events}); err != nil {
			t.Fatal(st.name, err)
		}
		ps, err := s.Payouts()
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint64]string{}
		for _, p := range ps {
			got[p.Height] = p.State
		}
		if !reflect.DeepEqual(got, st.states) {
			t.Errorf("%s: states %v, want %v", st.name, got, st.states)
		}
		days, _ := s.Days("2026-12-01", "2026-12-01")
		d := days[0]
		if d.Confirmed.Cmp(model.PiconeroFromInt(st.confirmed)) != 0 || d.Unlocked.Cmp(model.PiconeroFromInt(st.unlock)) != 0 ||
			d.Orphaned.Cmp(model.PiconeroFromInt(st.orphan)) != 0 || d.Piconero.String() != "12" {
			t.Errorf("%s: day 1 claimed %s confirmed %s unlocked %s orphaned %s, want 12 %d %d %d", st.name,
				d.Piconero, d.Confirmed, d.Unlocked, d.Orphaned, st.confirmed, st.unlock, st.orphan)
		}
	}
	p, ok, err := s.Payout(100)
	if err != nil || !ok || p.BlockID != "aa" || p.Wallet != model.WalletReceived || p.Claims != 1 {
		t.Errorf("payout 100: %+v %v %v", p, ok, err)
	}
	if p, _, _ := s.Payout(102); p.Claims != 0 || p.WalletPiconero.String() != "9" {
		t.Errorf("unexplained coinbase: %+v", p)
	}
	if days, _ := s.Days("2026-12-02", "2026-12-02"); !days[0].Confirmed.IsZero() || days[0].Kinds[model.KindPayout] != 6 {
		t.Errorf("the checks' own day: %+v", days[0])
	}
	r, err := s.Check(context.Background())
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("check: %v %v", r.Problems, err)
	}
	before, _ := s.Payouts()
	daysBefore, _ := s.Days("", "")
	if _, err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Payouts()
	daysAfter, _ := s.Days("", "")
	if !reflect.DeepEqual(before, after) || !reflect.DeepEqual(daysBefore, daysAfter) {
		t.Fatalf("rebuild differs:\n%+v\n%+v\n%+v\n%+v", before, after, daysBefore, daysAfter)
	}
	s.Close()
}

// A check stored before its claim (an old log imported after the wallet was checked) is
// counted once the claim arrives, on the claim's day.
func TestPayoutCheckBeforeItsClaim(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	if _, err := s.Apply(&Batch{Events: []model.Event{payoutEvent(at, 50, model.PayoutConfirmed, "cc", 0)}}); err != nil {
		t.Fatal(err)
	}
	claim := model.Event{Time: at.Add(-48 * time.Hour), Kind: model.KindPayment, Height: 50, Piconero: model.PiconeroFromInt(11), ID: "0000000000000050"}
	if _, err := s.Apply(&Batch{Events: []model.Event{claim}}); err != nil {
		t.Fatal(err)
	}
	days, _ := s.Days("2026-12-01", "2026-12-01")
	if len(days) != 1 || days[0].Confirmed.String() != "11" {
		t.Fatalf("days %+v", days)
	}
	r, err := s.Check(context.Background())
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("check: %v %v", r.Problems, err)
	}
}

// A bulk load of years of payouts ends with every payout in the view: more than one Badger
// transaction holds (a farm's import of a long log failed with "Txn is too big" before).
func TestBulkLoadOfManyPayouts(t *testing.T) {
	dir := t.TempDir()
	const n = 60_000
	var batches []Batch
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 5000 {
		var b Batch
		for j := i; j < i+5000; j++ {
			b.Events = append(b.Events, model.Event{Time: start.Add(time.Duration(j) * 20 * time.Minute), Kind: model.KindPayment,
				Height: uint64(2_500_000 + j), Piconero: model.PiconeroFromInt(int64(400_000_000 + j)), ID: fmt.Sprintf("%016x", j)})
		}
		batches = append(batches, b)
	}
	_, s := importBatches(t, dir, true, batches)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, "Europe/Berlin")
	defer s.Close()
	ps, err := s.Payouts()
	if err != nil || len(ps) != n || s.Incomplete() != "" {
		t.Fatalf("%d payouts of %d, %v; %s", len(ps), n, err, s.Incomplete())
	}
}

// BenchmarkPayouts reads the payouts view of a farm with five years of payouts (15 a day), as a
// check round and `db4e payouts` do: bench/RESULTS.md, "payouts view".
func BenchmarkPayouts(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir, Config{Timezone: "UTC", SeriesRetentionDays: 30, MinFreeMB: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 5 * 365 * 15
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 2000 {
		var batch Batch
		for j := i; j < min(n, i+2000); j++ {
			at := start.Add(time.Duration(j) * 96 * time.Minute)
			batch.Events = append(batch.Events,
				model.Event{Time: at, Kind: model.KindPayment, Height: uint64(2_300_000 + j*48), Piconero: model.PiconeroFromInt(int64(400_000_000 + j)), ID: fmt.Sprintf("%016x", j)},
				model.Event{Time: at.Add(time.Hour), Kind: model.KindPayout, Height: uint64(2_300_000 + j*48), State: model.PayoutUnlocked, ID: fmt.Sprintf("u%015x", j)})
		}
		if _, err := s.Apply(&batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ps, err := s.Payouts()
		if err != nil || len(ps) != n {
			b.Fatalf("%d payouts, %v", len(ps), err)
		}
	}
}
