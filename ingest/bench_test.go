package ingest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/store"
)

// BenchmarkImportP2Pool imports a generated 16 MiB log into a fresh store, as `db4e import`
// does (bulk options), at three densities. The figures to compare with grep are bench/import.sh's;
// this one is for profiling: go test ./ingest -run '^$' -bench ImportP2Pool -cpuprofile cpu.out
func BenchmarkImportP2Pool(b *testing.B) {
	for _, every := range []int{200, 20, 1} {
		log := genLog(16<<20, every)
		b.Run(fmt.Sprintf("event-every-%d", every), func(b *testing.B) {
			b.SetBytes(int64(len(log)))
			var events int
			for b.Loop() {
				s, err := store.Open(b.TempDir(), store.Config{Timezone: "UTC", Bulk: true, MinFreeMB: 1}, nil)
				if err != nil {
					b.Fatal(err)
				}
				im := &Importer{Store: s, LogLoc: time.UTC}
				st, err := im.ImportP2Pool(context.Background(), bytes.NewReader(log), "bench.log")
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				events = st.Added
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func genLog(size, every int) []byte {
	sim := farmsim.New(42, 50, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	sim.EventEvery = every
	var out []byte
	for len(out) < size {
		out = sim.Next(out)
		if sim.Lines%20000 == 0 {
			out = sim.Status(out)
		}
	}
	return out
}

// BenchmarkImportJSONSeq imports a generated 16 MiB RFC 7464 stream (farmsim.Seq) into a
// fresh store. bench/jsonseq.sh compares the real binary with jq.
func BenchmarkImportJSONSeq(b *testing.B) {
	seq := farmsim.NewSeq()
	var stream []byte
	for len(stream) < 16<<20 {
		stream = seq.Next(stream)
	}
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		s, err := store.Open(b.TempDir(), store.Config{Timezone: "UTC", Bulk: true, MinFreeMB: 1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		im := &Importer{Store: s, LogLoc: time.UTC}
		st, err := im.ImportJSONSeq(context.Background(), bytes.NewReader(stream), "bench.seq")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if st.Added != seq.Records {
			b.Fatalf("%d of %d records kept", st.Added, seq.Records)
		}
	}
	b.ReportMetric(float64(seq.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkParseLine parses one line of each kind the importer hands the parser, as it reads them
// from a log (share lines are nearly all of an event-dense log's work).
func BenchmarkParseLine(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"share", "2024-01-01 00:00:26.5302 StratumServer SHARE FOUND: mainchain height 3350000, sidechain height 10400028, diff 134376375, client 192.168.1.69:40049, user rig-50, effort 5.460%"},
		{"block", "2024-01-01 00:01:01.1126 P2Pool BLOCK FOUND: main chain block at height 3350002 was mined by someone else in this p2pool"},
		{"payout", "NOTICE  2024-01-01 00:01:01.1126 P2Pool Your wallet 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge got a payout of 0.000542347878 XMR in block 3350002"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := NewParser(time.UTC, "bench.log")
			line := []byte(c.line)
			for b.Loop() {
				if res := p.Line(line); res.Event == nil {
					b.Fatalf("no event from %q: %+v", c.line, res)
				}
			}
		})
	}
}
