// Command genstore fills a data directory with five years of a 50-rig farm: every share, block
// and payout, plus a month of per-worker hashrate samples, for the memory and console benchmarks.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

func main() {
	dir := flag.String("data", "bench/out/store-5y", "data directory to fill")
	years := flag.Int("years", 5, "years of history")
	rigs := flag.Int("rigs", 50, "rigs")
	sharesPerRigDay := flag.Int("shares", 7, "mean shares per rig per day (a 10 kH/s rig on P2Pool mini)")
	flag.Parse()
	s, err := store.Open(*dir, store.Config{Timezone: "UTC", SeriesRetentionDays: 400}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	end := time.Now().UTC().Truncate(24 * time.Hour)
	start := end.AddDate(-*years, 0, 0)
	var b store.Batch
	events, samples := 0, 0
	flush := func() {
		if _, err := s.Apply(&b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b.Reset()
	}
	height := uint64(3_000_000)
	for day := start; day.Before(end.Add(24 * time.Hour)); day = day.Add(24 * time.Hour) {
		for r := range *rigs {
			host := fmt.Sprintf("rig-%02d", r+1)
			for range rng.IntN(2**sharesPerRigDay + 1) {
				t := day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
				b.Events = append(b.Events, model.Event{Time: t, Kind: model.KindShare, ID: model.HashID(fmt.Appendf(nil, "%d%s", t.UnixNano(), host)),
					Host: host, ClientIP: fmt.Sprintf("192.168.1.%d", 20+r), MainHeight: height, SideHeight: height * 3, Difficulty: 130_000_000, Effort: rng.Float64() * 200})
			}
		}
		for range 2 + rng.IntN(8) {
			height += 90
			t := day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
			b.Events = append(b.Events, model.Event{Time: t, Kind: model.KindBlock, ID: model.HashID(fmt.Appendf(nil, "b%d", t.UnixNano())), Height: height, MinedBy: "other"})
			b.Events = append(b.Events, model.Event{Time: t.Add(time.Millisecond), Kind: model.KindPayment, ID: model.HashID(fmt.Appendf(nil, "p%d", t.UnixNano())),
				Height: height, Piconero: model.PiconeroFromInt(int64(200_000_000 + rng.IntN(2_000_000_000)))})
		}
		if end.Sub(day) <= 30*24*time.Hour {
			for m := 0; m < 24*60; m += 10 {
				for r := range *rigs {
					b.Samples = append(b.Samples, model.Sample{Series: fmt.Sprintf("worker/rig-%02d", r+1), Time: day.Add(time.Duration(m) * time.Minute), Value: 8000 + rng.Float64()*4000})
				}
			}
		}
		events += len(b.Events)
		samples += len(b.Samples)
		for len(b.Events)+len(b.Samples) > 0 {
			// keep each transaction small
			var part store.Batch
			n := min(len(b.Events), 2000)
			part.Events, b.Events = b.Events[:n], b.Events[n:]
			m := min(len(b.Samples), 4000)
			part.Samples, b.Samples = b.Samples[:m], b.Samples[m:]
			if _, err := s.Apply(&part); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		b.Reset()
	}
	flush()
	fmt.Fprintf(os.Stderr, "%s: %d events, %d samples, %s to %s\n", *dir, events, samples, start.Format(time.DateOnly), end.Format(time.DateOnly))
}
