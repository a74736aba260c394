// Command genlog writes a realistic P2Pool log of a given size for benchmarks: about one event
// (share, block, payout) per 200 lines, status and workers blocks now and then.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
)

func main() {
	size := flag.Int64("size", 1<<30, "bytes to write")
	rigs := flag.Int("rigs", 50, "rigs in the farm")
	every := flag.Int("event-every", 200, "mean lines per event")
	out := flag.String("o", "p2pool.log", "output file")
	totals := flag.String("totals", "", "write the expected day totals here as JSON")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	sim := farmsim.New(42, *rigs, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	sim.EventEvery = *every
	var written int64
	var b []byte
	for written < *size {
		b = sim.Next(b[:0])
		if sim.Lines%20000 == 0 {
			b = sim.Status(b)
		}
		n, _ := w.Write(b)
		written += int64(n)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Fprintf(os.Stderr, "%s: %d bytes, %d lines, %d events\n", *out, written, sim.Lines, sim.Events)
	if *totals != "" {
		b, _ := json.Marshal(sim.Totals)
		os.WriteFile(*totals, b, 0o644)
	}
}
