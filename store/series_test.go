package store

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// seriesModel is what the store must answer: the last value written at each (millisecond) time.
type seriesModel map[string]map[int64]float64

func (m seriesModel) add(sm model.Sample) {
	if m[sm.Series] == nil {
		m[sm.Series] = map[int64]float64{}
	}
	m[sm.Series][sm.Time.Truncate(time.Millisecond).UnixNano()] = sm.Value
}

func (m seriesModel) compare(t *testing.T, s *Store, from, to time.Time, when string) {
	t.Helper()
	for name, byTime := range m {
		got, err := s.Series(name, from, to)
		if err != nil {
			t.Fatalf("%s: %s: %v", when, name, err)
		}
		times := slices.Sorted(func(yield func(int64) bool) {
			for k := range byTime {
				if !yield(k) {
					return
				}
			}
		})
		if len(got) != len(times) {
			t.Fatalf("%s: %s: %d samples, want %d", when, name, len(got), len(times))
		}
		for i, at := range times {
			if got[i].Time.UnixNano() != at || math.Float64bits(got[i].Value) != math.Float64bits(byTime[at]) {
				t.Fatalf("%s: %s sample %d: %v %v, want %v %v", when, name, i, got[i].Time, got[i].Value, time.Unix(0, at).UTC(), byTime[at])
			}
		}
	}
}

// singleSamples counts the samples still stored a key each.
func singleSamples(t *testing.T, s *Store) int { return singlesUnder(t, s, prefixSeries) }

// singlesUnder counts the samples stored a key each under a prefix of t/.
func singlesUnder(t *testing.T, s *Store, prefix string) int {
	t.Helper()
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if _, chunk, ok := seriesTail(k[len(seriesPrefixOf(k)):]); ok && !chunk {
				n++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Polls, imports into the past over sealed chunks, values written twice at one time, reopens
// (which forget what the last seal knew) and seals at any point: every read gives exactly the
// samples written, the last value at each time, none twice.
func TestSealedSeriesReadAsWritten(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	defer func() { s.Close() }()
	rng := rand.New(rand.NewPCG(3, 4))
	names := []string{"xmrig/rig-01/hashrate_60s", "xmrig/rig-01/shares_good", "pool/sidechain_difficulty", "status/hashrate"}
	value := func(name string, i int) float64 {
		switch {
		case strings.HasSuffix(name, "hashrate_60s"):
			return math.Floor((6000+200*rng.NormFloat64())*100) / 100
		case strings.HasSuffix(name, "shares_good"):
			return float64(i / 3)
		case strings.HasPrefix(name, "pool/"):
			return math.Round(3e9 * (1 + 0.01*rng.NormFloat64()))
		}
		return rng.Float64() * 1e4
	}
	want := seriesModel{}
	start := time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)
	at := start
	write := func(b *Batch) {
		t.Helper()
		for _, sm := range b.Samples {
			want.add(sm)
		}
		if _, err := s.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	seals := 0
	for i := range 2500 {
		at = at.Add(time.Duration(5+rng.IntN(120))*time.Second + time.Duration(rng.Int64N(int64(time.Millisecond))))
		var b Batch
		for _, name := range names {
			b.Samples = append(b.Samples, model.Sample{Series: name, Time: at, Value: value(name, i)})
		}
		switch r := rng.IntN(100); {
		case r < 8: // an import of older lines: samples among those sealed, some at times already held
			for range 1 + rng.IntN(30) {
				old := start.Add(time.Duration(rng.Int64N(int64(at.Sub(start)))))
				if rng.IntN(3) == 0 {
					old = at.Add(-time.Duration(rng.IntN(i+1)) * time.Minute).Truncate(time.Minute)
				}
				b.Samples = append(b.Samples, model.Sample{Series: names[rng.IntN(len(names))], Time: old, Value: rng.NormFloat64()})
			}
		case r < 10:
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTest(t, dir, "UTC")
		}
		write(&b)
		if len(b.Samples) > len(names) {
			want.compare(t, s, start, at.Add(time.Second), "after an import")
		}
		if rng.IntN(25) == 0 {
			if _, err := s.SealSeries(context.Background()); err != nil {
				t.Fatal(err)
			}
			seals++
			want.compare(t, s, start, at.Add(time.Second), "after a seal")
		}
	}
	want.compare(t, s, start, at.Add(time.Second), "before the last seal")
	if _, err := s.SealSeries(context.Background()); err != nil {
		t.Fatal(err)
	}
	want.compare(t, s, start, at.Add(time.Second), "sealed")
	if n := singleSamples(t, s); n != 0 {
		t.Errorf("%d samples left a key each after sealing", n)
	}
	if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 {
		t.Errorf("check: %v %v", r.Problems, err)
	}
	// A window inside a day, and across midnight, reads what it should.
	from, to := start.Add(90*time.Minute), start.Add(27*time.Hour)
	inside := seriesModel{}
	for name, byTime := range want {
		for ns, v := range byTime {
			if tm := time.Unix(0, ns); !tm.Before(from) && tm.Before(to) {
				inside.add(model.Sample{Series: name, Time: tm, Value: v})
			}
		}
	}
	inside.compare(t, s, from, to, "a window")
	t.Logf("%d seals, %d days", seals, int(at.Sub(start).Hours()/24)+1)
}

// A day of one series far beyond one sealing transaction is sealed in pieces.
func TestSealInPieces(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	want := seriesModel{}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	var b Batch
	for i := range 3*sealPiece + 17 {
		sm := model.Sample{Series: "status/hashrate", Time: day.Add(time.Duration(i) * 7 * time.Second), Value: float64(i % 97)}
		b.Samples = append(b.Samples, sm)
		want.add(sm)
	}
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	n, err := s.SealSeries(context.Background())
	if err != nil || n != len(b.Samples) {
		t.Fatalf("sealed %d of %d: %v", n, len(b.Samples), err)
	}
	if n := singleSamples(t, s); n != 0 {
		t.Errorf("%d left", n)
	}
	want.compare(t, s, day, day.Add(24*time.Hour), "sealed")
}

// A damaged chunk is an error for its series and for check, and the other series are sealed.
func TestDamagedChunkIsReported(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	write := func() {
		var b Batch
		for _, name := range []string{"pool/a", "pool/b"} {
			b.Samples = append(b.Samples, model.Sample{Series: name, Time: at, Value: 1})
		}
		at = at.Add(time.Minute)
		if _, err := s.Apply(&b); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if _, err := s.SealSeries(context.Background()); err != nil {
		t.Fatal(err)
	}
	k := chunkKey(seriesPrefix("pool/a", at), at.Add(-time.Minute).UnixNano())
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(k, []byte{chunkV1, 2, 0x80}) }); err != nil {
		t.Fatal(err)
	}
	write()
	if _, err := s.SealSeries(context.Background()); err == nil || !strings.Contains(err.Error(), "pool/a") {
		t.Errorf("seal: %v", err)
	}
	if got, err := s.Series("pool/b", at.Add(-time.Hour), at); err != nil || len(got) != 2 {
		t.Errorf("pool/b: %v %v", got, err)
	}
	if singleSamples(t, s) != 1 {
		t.Errorf("pool/a's new sample should wait as it was")
	}
	if _, err := s.Series("pool/a", at.Add(-time.Hour), at); err == nil {
		t.Errorf("pool/a read without error")
	}
	if r, _ := s.Check(context.Background()); len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "pool/a") {
		t.Errorf("check: %v", r.Problems)
	}
}

// sealChild is the process TestSealSurvivesKill9 kills: it polls (a batch of samples a simulated
// minute, carrying on from what the store holds), seals every few batches, and prints each
// batch's number once Apply has returned.
const sealChild = "DB4E_TEST_SEAL_CHILD"

var sealNames = []string{"pool/a", "xmrig/rig-01/hashrate_60s", "status/x"}

func sealSample(name string, i int) model.Sample {
	at := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return model.Sample{Series: name, Time: at, Value: float64(len(name)*1000+i) / 100}
}

func TestSealSurvivesKill9(t *testing.T) {
	if dir := os.Getenv(sealChild); dir != "" {
		runSealChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("kills child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	for round := range 12 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSealSurvivesKill9$")
		cmd.Env = append(os.Environ(), sealChild+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int, 1<<16)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, err := strconv.Atoi(sc.Text()); err == nil {
					lines <- n
				}
			}
			close(lines)
		}()
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Kill()
		last := -1
		for n := range lines {
			last = n
		}
		cmd.Wait()

		s := openTest(t, dir, "UTC")
		from, to := sealSample("", 0).Time, sealSample("", 1<<20).Time
		for _, name := range sealNames {
			got, err := s.Series(name, from, to)
			if err != nil {
				t.Fatalf("round %d: %s: %v", round, name, err)
			}
			// Every batch reported is there, once; the one in flight may be.
			if len(got) < last+1 || len(got) > last+2 {
				t.Fatalf("round %d: %s: %d samples, batches 0..%d reported", round, name, len(got), last)
			}
			for i, sm := range got {
				if want := sealSample(name, i); !sm.Time.Equal(want.Time) || sm.Value != want.Value {
					t.Fatalf("round %d: %s sample %d: %v %v, want %v %v", round, name, i, sm.Time, sm.Value, want.Time, want.Value)
				}
			}
		}
		if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 {
			t.Fatalf("round %d: check: %v %v", round, r.Problems, err)
		}
		t.Logf("round %d: killed after batch %d", round, last)
		s.Close()
	}
}

func runSealChild(dir string) {
	s, err := Open(dir, Config{Timezone: "UTC", SeriesRetentionDays: 30}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	have, err := s.Series(sealNames[0], sealSample("", 0).Time, sealSample("", 1<<20).Time)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := len(have); ; i++ {
		var b Batch
		for _, name := range sealNames {
			b.Samples = append(b.Samples, sealSample(name, i))
		}
		if _, err := s.Apply(&b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(i)
		if i%7 == 0 {
			if _, err := s.SealSeries(context.Background()); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
	}
}

// What an earlier process left (a store of db4e before chunks) is sealed sealBudget samples a
// call, newest day first, and reads the same all along.
func TestBacklogSealedABudgetACall(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	want := seriesModel{}
	start := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	var b Batch
	for i := range sealBudget + 5000 {
		for _, name := range []string{"pool/a", "pool/b"} {
			if i%2 == 0 || name == "pool/a" {
				sm := model.Sample{Series: name, Time: start.Add(time.Duration(i) * 20 * time.Second), Value: float64(i)}
				b.Samples = append(b.Samples, sm)
				want.add(sm)
			}
		}
	}
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, dir, "UTC")
	defer s.Close()
	end := start.Add(30 * 24 * time.Hour)
	total := len(b.Samples)
	for call := 1; singleSamples(t, s) > 0; call++ {
		n, err := s.SealSeries(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		left := singleSamples(t, s)
		if n > sealBudget || n+left != total {
			t.Fatalf("call %d: sealed %d, %d left of %d", call, n, left, total)
		}
		total = left
		want.compare(t, s, start, end, "a call")
		if left > 0 {
			// What is left is of the oldest days.
			if got, _ := s.Series("pool/a", start, start.Add(24*time.Hour)); len(got) == 0 {
				t.Fatal("the oldest day is gone")
			}
			if newest := b.Samples[len(b.Samples)-1].Time; singlesUnder(t, s, prefixSeries+newest.UTC().Format("20060102")) > 0 {
				t.Errorf("call %d: the newest day still has single samples", call)
			}
		}
		if call > 3 {
			t.Fatalf("still %d single samples after %d calls", left, call)
		}
	}
}
