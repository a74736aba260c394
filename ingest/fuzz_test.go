package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/db4e/db4e/store"
)

// collectSink keeps what a reader stores, by ID: the fuzz targets compare readers, not stores.
type collectSink struct {
	events, skips map[string]bool
}

func newCollectSink() *collectSink {
	return &collectSink{events: map[string]bool{}, skips: map[string]bool{}}
}

func (c *collectSink) Apply(b *store.Batch) (store.Applied, error) {
	for _, e := range b.Events {
		c.events[e.ID] = true
	}
	for _, s := range b.Skips {
		c.skips[s.ID] = true
	}
	return store.Applied{Added: len(b.Events), Skipped: len(b.Skips)}, nil
}
func (c *collectSink) Checkpoint(string) ([]byte, error) { return nil, nil }
func (c *collectSink) Sync() error                       { return nil }
func (c *collectSink) SpaceOK() error                    { return nil }

func fuzzSeeds(f *testing.F) {
	if b, err := os.ReadFile("testdata/sample.log"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("NOTICE  2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, diff 3, client 1.2.3.4:5, effort 1.0%\n" +
		strings.Repeat("x", MaxLine+3) + "\nNOTICE  2025-03-01 00:11:43.0000 P2Pool BLOCK FOUND: main chain block at height 7 was mined by you"))
	f.Add([]byte("2025-03-01T05:12:39+0000 node p2pool[812]: \x1b[0;36m2025-03-01 05:12:39.0007\x1b[0m P2Pool You received a payout of 1.5 XMR in block 12\r\n" +
		"SHARE FOUND without a time\n\n\n" + strings.Repeat("SHARE FOUND ", MaxLine/12+1)))
}

// The follower and the importer read the same bytes to the same events and the same bad
// records, whatever the chunk boundaries: importing a followed file never counts a line twice.
// (Samples are compared on real logs in TestImportMatchesLineByLine: the importer finds a status
// line's record at most 64 lines up, the follower remembers it.)
func FuzzFollowerVsImporter(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ref := readAsFollower(t, data)
		for _, chunk := range []int{512, 1 << 16} {
			c := newCollectSink()
			if _, err := (&Importer{Store: c, ChunkSize: chunk}).ImportP2Pool(context.Background(), bytes.NewReader(data), "fuzz"); err != nil {
				t.Fatal(err)
			}
			if !sameKeys(c.events, ref.events) || !sameKeys(c.skips, ref.skips) {
				t.Fatalf("chunk %d: importer %d events %d bad, follower %d events %d bad", chunk, len(c.events), len(c.skips), len(ref.events), len(ref.skips))
			}
		}
		// And the follower reading the same bytes as they arrive, a piece at a time, finds the
		// same as reading them whole.
		var r fileLines
		l := &lineByLine{p: NewParser(nil, "ref"), events: map[string]bool{}, skips: map[string]bool{}}
		off := int64(0)
		for end := 0; end < len(data); {
			end = min(len(data), end+1+len(data)/5)
			var err error
			if off, err = r.read(bytes.NewReader(data[:end]), off, end == len(data), l); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range l.batch.Events {
			l.events[e.ID] = true
		}
		for _, s := range l.batch.Skips {
			l.skips[s.ID] = true
		}
		if !sameKeys(l.events, ref.events) || !sameKeys(l.skips, ref.skips) {
			t.Fatalf("read as it grows: %d events %d bad; read whole: %d events %d bad", len(l.events), len(l.skips), len(ref.events), len(ref.skips))
		}
	})
}

// The RFC 7464 reader never fails on any input, gives the same records however the input is
// cut into reads, and each record it gives is bounded.
func FuzzSeqScanner(f *testing.F) {
	f.Add([]byte("\x1e{\"a\":1}\n\x1e{\n  \"b\": [1, {\"c\": \"}\"}]\n}\nts\t{\"d\":4}\n\x1e{\"e\":"))
	f.Add([]byte("{\"time\":\"2025-03-01T00:00:02Z\",\"type\":\"note\"}\n\x1e\x1e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := records(t, data, len(data)+1)
		for _, n := range []int{1, 5} {
			if got := records(t, data, n); !equalStrings(got, whole) {
				t.Fatalf("fed %d bytes at a time: %q, whole: %q", n, got, whole)
			}
		}
		for _, r := range whole {
			if len(r) > MaxRecord {
				t.Fatalf("record of %d bytes", len(r))
			}
			if strings.HasPrefix(strings.TrimSpace(r), "{") && json.Valid([]byte(strings.TrimSpace(r))) && strings.ContainsRune(r, '\x1e') {
				t.Fatalf("record holds a separator: %q", r)
			}
		}
		if _, err := (&Importer{Store: newCollectSink()}).ImportJSONSeq(context.Background(), bytes.NewReader(data), "fuzz"); err != nil {
			t.Fatal(err)
		}
	})
}

func sameKeys(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
