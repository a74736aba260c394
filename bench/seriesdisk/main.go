// Command seriesdisk measures what the time series cost on disk: a farm's polls (xmrig on each
// miner, P2Pool's data-api) written through store.Apply as the service writes them, for a span
// of simulated time, then the store closed and its files summed. It prints the bytes a sample
// takes, and reads every series back to count what was kept.
//
//	go run ./bench/seriesdisk -miners 50 -every 1m -days 30
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

func main() {
	dir := flag.String("data", "", "data directory (a fresh temporary one if empty)")
	miners := flag.Int("miners", 50, "miners polled")
	every := flag.Duration("every", time.Minute, "poll interval")
	days := flag.Int("days", 30, "days of polls")
	perMiner := flag.Bool("one", false, "one series a miner (its hashrate) instead of what the service keeps")
	seal := flag.Bool("seal", true, "seal the series every 10 minutes, as the service does (false: a store of db4e before chunks)")
	profile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "seriesdisk:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*dir, *miners, *every, *days, *perMiner, *seal); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "seriesdisk:", err)
		os.Exit(1)
	}
}

func run(dir string, miners int, every time.Duration, days int, one, seal bool) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "seriesdisk")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	cfg := store.Config{Timezone: "UTC", SeriesRetentionDays: days + 1, MaxHosts: miners + 10}
	s, err := store.Open(dir, cfg, nil)
	if err != nil {
		return err
	}
	before, _, err := dirSize(dir)
	if err != nil {
		return err
	}
	f := newFarm(miners, one)
	end := time.Now().UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, 0, -days)
	names := map[string]bool{}
	written := 0
	began := time.Now()
	var seals []time.Duration
	var b store.Batch
	for t := start; t.Before(end); t = t.Add(every) {
		// A poll is stamped when it starts: a few milliseconds late, in nanoseconds.
		now := t.Add(time.Duration(f.rng.Int64N(int64(5 * time.Millisecond))))
		b.Reset()
		b.Samples = f.poll(now, b.Samples)
		for _, sm := range b.Samples {
			names[sm.Series] = true
		}
		written += len(b.Samples)
		if _, err := s.Apply(&b); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		t0 := time.Now()
		sealed, err := maintain(s, now, seal)
		if err != nil {
			return err
		}
		if sealed {
			seals = append(seals, time.Since(t0))
		}
	}
	took := time.Since(began)
	kept := 0
	for name := range names {
		ss, err := s.Series(name, start, end)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		kept += len(ss)
	}
	if err := s.Close(); err != nil {
		return err
	}
	after, kinds, err := dirSize(dir)
	if err != nil {
		return err
	}
	used := after - before
	fmt.Printf("%d miners, a poll every %s, %d days: %d series, %d samples written, %d read back, in %.1f s\n",
		miners, every, days, len(names), written, kept, took.Seconds())
	slices.Sort(seals)
	var sealing time.Duration
	for _, d := range seals {
		sealing += d
	}
	if len(seals) > 0 {
		fmt.Printf("upkeep (prune and seal) every 10 min: %d runs, %.1f s in all, p50 %.1f ms, max %.1f ms\n", len(seals),
			sealing.Seconds(), float64(seals[len(seals)/2].Microseconds())/1e3, float64(seals[len(seals)-1].Microseconds())/1e3)
	}
	fmt.Printf("store: %.1f MB on disk (%s), %.1f bytes a sample; a month at this rate: %.1f MB\n",
		float64(used)/1e6, kinds, float64(used)/float64(kept), float64(used)/float64(days)*30/1e6)
	return nil
}

// dirSize is the disk the directory's files take (allocated blocks), and that split by kind.
func dirSize(dir string) (int64, string, error) {
	var total int64
	by := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n := info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n = st.Blocks * 512
		}
		total += n
		by[filepath.Ext(p)] += n
		return nil
	})
	var parts []string
	for _, ext := range []string{".sst", ".vlog", ".mem"} {
		parts = append(parts, fmt.Sprintf("%s %.1f MB", strings.TrimPrefix(ext, "."), float64(by[ext])/1e6))
	}
	return total, strings.Join(parts, ", "), err
}

// farm is what the pollers read: hashrates that wander around each miner's speed, with xmrig's
// two decimals, and share counters that grow.
type farm struct {
	rng    *rand.Rand
	one    bool
	speed  []float64
	good   []float64
	total  []float64
	sidech float64
}

func newFarm(miners int, one bool) *farm {
	f := &farm{rng: rand.New(rand.NewPCG(1, 2)), one: one, sidech: 30e6}
	for range miners {
		f.speed = append(f.speed, 3000+f.rng.Float64()*12000)
		f.good = append(f.good, 0)
		f.total = append(f.total, 0)
	}
	return f
}

func cents(v float64) float64 { return math.Floor(v*100) / 100 }

func (f *farm) poll(now time.Time, out []model.Sample) []model.Sample {
	for i, speed := range f.speed {
		host := fmt.Sprintf("rig-%02d", i+1)
		h60 := cents(speed * (1 + 0.03*f.rng.NormFloat64()))
		if f.one {
			out = append(out, model.Sample{Series: "worker/" + host, Time: now, Value: math.Round(h60)})
			continue
		}
		f.good[i] += float64(f.rng.IntN(3))
		f.total[i] = f.good[i] + float64(f.rng.IntN(2))
		prefix := "xmrig/" + host + "/"
		out = append(out,
			model.Sample{Series: prefix + "hashrate_60s", Time: now, Value: h60},
			model.Sample{Series: prefix + "hashrate_15m", Time: now, Value: cents(speed * (1 + 0.005*f.rng.NormFloat64()))},
			model.Sample{Series: prefix + "shares_good", Time: now, Value: f.good[i]},
			model.Sample{Series: prefix + "shares_total", Time: now, Value: f.total[i]},
			model.Sample{Series: "worker/" + host, Time: now, Value: math.Round(h60)},
		)
	}
	if f.one {
		return out
	}
	f.sidech *= 1 + 0.001*f.rng.NormFloat64()
	return append(out,
		model.Sample{Series: "pool/hashrate_15m", Time: now, Value: math.Round(f.sidech / 100)},
		model.Sample{Series: "pool/sidechain_hashrate", Time: now, Value: math.Round(f.sidech)},
		model.Sample{Series: "pool/miners", Time: now, Value: float64(9000 + f.rng.IntN(100))},
		model.Sample{Series: "pool/sidechain_difficulty", Time: now, Value: math.Round(f.sidech * 10)},
		model.Sample{Series: "network/difficulty", Time: now, Value: math.Round(3.5e11 * (1 + 0.01*f.rng.NormFloat64()))},
	)
}

// maintain is the service's upkeep every ten minutes (ops.seriesUpkeep), on simulated time.
func maintain(s *store.Store, now time.Time, seal bool) (bool, error) {
	if !seal || now.Minute()%10 != 0 || now.Second() >= 1 {
		return false, nil
	}
	if _, err := s.PruneSeries(now); err != nil {
		return true, err
	}
	_, err := s.SealSeries(context.Background())
	return true, err
}
