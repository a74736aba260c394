package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Config{Timezone: "UTC"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixtureTotals is what testdata/sample.log holds (a published P2Pool log, with its totals
// counted by hand when it was added).
var fixtureTotals = map[string]struct {
	shares, blocks, payments int
	byHost                   map[string]uint64
	xmr                      string
}{
	"2025-03-01": {4, 2, 2, map[string]uint64{"rig-01": 2, "rig-02": 1, "rig-03": 1}, "0.001611286503"},
	"2025-03-02": {2, 0, 0, map[string]uint64{"rig-02": 2}, "0.000000000000"},
}

func checkFixture(t *testing.T, s *store.Store) {
	t.Helper()
	days, err := s.Days("", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != len(fixtureTotals) {
		t.Fatalf("%d days, want %d: %+v", len(days), len(fixtureTotals), days)
	}
	for _, d := range days {
		w := fixtureTotals[d.Date]
		if int(d.Shares) != w.shares || int(d.Blocks) != w.blocks || int(d.Payments) != w.payments || d.Piconero.XMR() != w.xmr {
			t.Errorf("%s: got %d shares %d blocks %d payments %s XMR, want %+v", d.Date, d.Shares, d.Blocks, d.Payments, d.Piconero.XMR(), w)
		}
		for h, n := range w.byHost {
			if d.SharesByHost[h] != n {
				t.Errorf("%s %s: %d shares, want %d", d.Date, h, d.SharesByHost[h], n)
			}
		}
	}
}

func importFile(t *testing.T, im *Importer, path string) Stats {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, closeFn, err := Decompress(f)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	st, err := im.ImportP2Pool(context.Background(), r, path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestImportFixtureTwice(t *testing.T) {
	s := openStore(t)
	im := &Importer{Store: s}
	st := importFile(t, im, "testdata/sample.log")
	if st.Added != 10 || st.Skipped != 0 || st.Samples != 6 {
		t.Fatalf("first import %+v", st)
	}
	checkFixture(t, s)
	st = importFile(t, im, "testdata/sample.log")
	if st.Added != 0 || st.Duplicates != 10 {
		t.Fatalf("second import %+v", st)
	}
	checkFixture(t, s)
}

func TestImportGzipAndOverlap(t *testing.T) {
	raw, err := os.ReadFile("testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The first half gzipped (logrotate's compress), then the whole file: they overlap.
	half := raw[:bytes.Index(raw, []byte("2025-03-01 14:20"))]
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(half)
	zw.Close()
	os.WriteFile(filepath.Join(dir, "p2pool.log.1.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "p2pool.log"), raw, 0o644)

	s := openStore(t)
	im := &Importer{Store: s}
	a := importFile(t, im, filepath.Join(dir, "p2pool.log.1.gz"))
	b := importFile(t, im, filepath.Join(dir, "p2pool.log"))
	if a.Added != 4 || b.Added != 6 || b.Duplicates != 4 {
		t.Fatalf("gz %+v plain %+v", a, b)
	}
	checkFixture(t, s)
}

// The fast importer jumps between markers; it must find exactly what reading every line finds,
// whatever the chunk boundaries.
func TestImportMatchesLineByLine(t *testing.T) {
	sim := farmsim.New(7, 5, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	sim.EventEvery = 20
	var log []byte
	for i := range 20000 {
		log = sim.Next(log)
		switch i % 997 {
		case 5:
			log = sim.Status(log)
		case 11:
			log = append(log, "2025-01-01 00:00:00.0000 StratumServer SHARE FOUND: mainchain height oops\n"...)
		case 12:
			log = append(log, "\xff\xfe garbage SHARE FOUND \x00\x01\r\n"...)
		case 13:
			log = append(log, bytes.Repeat([]byte("x"), 70000)...)
			log = append(log, '\n')
		}
	}
	ref := readAsFollower(t, log)
	want, wantSamples, wantSkips := ref.events, ref.samples, ref.skips
	for _, chunk := range []int{512, 4096, 1 << 20} {
		s := openStore(t)
		im := &Importer{Store: s, ChunkSize: chunk}
		st, err := im.ImportP2Pool(context.Background(), bytes.NewReader(log), "gen")
		if err != nil {
			t.Fatal(err)
		}
		if st.Added != len(want) || st.Samples != wantSamples {
			t.Errorf("chunk %d: added %d samples %d, want %d %d", chunk, st.Added, st.Samples, len(want), wantSamples)
		}
		if n, _ := s.Skipped(); int(n) != len(wantSkips) || n == 0 {
			t.Errorf("chunk %d: skipped %d, line by line %d", chunk, n, len(wantSkips))
		}
		var shares uint64
		days, _ := s.Days("", "")
		for _, d := range days {
			shares += d.Shares
			w := sim.Totals[d.Date]
			if int(d.Shares) != w.Shares || int(d.Blocks) != w.Blocks || int(d.Payments) != w.Payments || d.Piconero.String() != model.PiconeroFromInt(w.Piconero).String() {
				t.Errorf("chunk %d %s: %+v, want %+v", chunk, d.Date, d, w)
			}
		}
	}
}

// lineByLine is what the follower's reader makes of a file: every line parsed in order.
type lineByLine struct {
	p       *Parser
	batch   store.Batch
	events  map[string]bool
	skips   map[string]bool
	samples int
}

func (l *lineByLine) line(b []byte, end int64) error {
	addResult(&l.batch, l.p.Line(b), "ref", b)
	return nil
}

func (l *lineByLine) overlong(head []byte, n, end int64) error {
	l.batch.Skips = append(l.batch.Skips, overlongSkip("ref", head, n))
	return nil
}

// readAsFollower reads data as the follower reads a rotated file it is done with.
func readAsFollower(t testing.TB, data []byte) *lineByLine {
	l := &lineByLine{p: NewParser(time.UTC, "ref"), events: map[string]bool{}, skips: map[string]bool{}}
	var r fileLines
	off, err := r.read(bytes.NewReader(data), 0, true, l)
	if err != nil || off != int64(len(data)) {
		t.Fatalf("follower's reader stopped at %d of %d: %v", off, len(data), err)
	}
	for _, e := range l.batch.Events {
		l.events[e.ID] = true
	}
	for _, s := range l.batch.Skips {
		l.skips[s.ID] = true
	}
	l.samples = len(l.batch.Samples)
	return l
}

// The importer and the follower read the same compressions, by their magic numbers.
func TestDecompressFormats(t *testing.T) {
	plain, err := os.ReadFile("testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "zstd": zs.Bytes()} {
		r, closeFn, err := Decompress(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		closeFn()
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: %d bytes read, %v", name, len(got), err)
		}
	}
}

// failingSink stores batches until its disk fills, then fails every write.
type failingSink struct {
	collectSink
	left    int // batches it still takes
	applies int
}

func (f *failingSink) Apply(b *store.Batch) (store.Applied, error) {
	f.applies++
	if f.left == 0 {
		return store.Applied{}, model.ErrDiskFull
	}
	f.left--
	return f.collectSink.Apply(b)
}

// TestImportStopsAtTheFirstFailedWrite: batches are written beside the reading, but a failed
// write still ends the import with its error, nothing is written after it, and the counts are
// those of the batches stored.
func TestImportStopsAtTheFirstFailedWrite(t *testing.T) {
	log := genLog(4<<20, 1)
	for _, left := range []int{0, 1, 3} {
		f := &failingSink{collectSink: *newCollectSink(), left: left}
		st, err := (&Importer{Store: f, LogLoc: time.UTC}).ImportP2Pool(context.Background(), bytes.NewReader(log), "full.log")
		if !errors.Is(err, model.ErrDiskFull) {
			t.Fatalf("left %d: err %v, want the disk full", left, err)
		}
		if f.applies != left+1 {
			t.Errorf("left %d: %d writes, want %d (none after the failed one)", left, f.applies, left+1)
		}
		if st.Added != len(f.events) || st.Added != left*batchLimit {
			t.Errorf("left %d: %d added, %d stored, want %d", left, st.Added, len(f.events), left*batchLimit)
		}
	}
}

// cancelAfter cancels ctx once n bytes have been read through it: an import interrupted midway.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	if c.n -= k; c.n <= 0 {
		c.cancel()
	}
	return k, err
}

// An import interrupted midway counts what it stored: its summary is the store's, not 0
// (issue 31).
func TestInterruptedImportCountsWhatItStored(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p2pool.log")
	sim := farmsim.New(7, 8, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	sim.EventEvery = 2
	var log []byte
	for range 200_000 {
		log = sim.Next(log)
	}
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	im := &Importer{Store: s}
	st, err := im.ImportP2Pool(ctx, &cancelAfter{r: bytes.NewReader(log), n: len(log) / 2, cancel: cancel}, path)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	n, _ := s.CountEvents()
	if st.Added == 0 || st.Added != n {
		t.Fatalf("the summary says %d new, the store holds %d", st.Added, n)
	}
}
