package ingest

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/db4e/db4e/store"
)

// Stats counts what a reader did.
type Stats struct {
	Bytes      int64
	Records    int // events and bad records read (a line that is neither is not a record)
	Bad        int // bad records read, new or not
	Added      int // new events stored
	Duplicates int // events already stored (read twice), not counted again
	Skipped    int // bad records (new ones)
	Samples    int
	// Gaps counts places where lines were lost before db4e could read them (a log truncated
	// with no copy left, a damaged compressed file), each said in the log.
	Gaps int
}

// count notes what a batch about to be stored holds.
func (s *Stats) count(b *store.Batch) {
	s.Records += len(b.Events) + len(b.Skips)
	s.Bad += len(b.Skips)
}

func (s *Stats) add(a store.Applied) {
	s.Added += a.Added
	s.Duplicates += a.Duplicates
	s.Skipped += a.Skipped
}

// Sink is where readers write what they read: the store, seen through the little ingest needs
// of it (ingest depends on the store's types, not on the store).
type Sink interface {
	Apply(*store.Batch) (store.Applied, error)
	Checkpoint(name string) ([]byte, error)
	Sync() error
	// SpaceOK says why nothing can be written now (model.ErrDiskFull), if so.
	SpaceOK() error
}

// batcher fills a batch while the one before it is written: reading and parsing run beside
// the store's writing, on the other core. Batches are written in order, by one goroutine; after
// a write fails nothing more is written, and the error comes back from the next full or flush.
type batcher struct {
	store Sink
	stats *Stats
	store.Batch

	todo    chan store.Batch // to write: one waits while one is written
	spare   chan store.Batch // written, back for reuse
	done    chan struct{}    // closed when the writer has stopped
	applied Stats            // the writer's counts, read once done is closed
	err     error            // the writer's first error, read once done is closed
	failed  chan struct{}    // closed by the writer when a write fails
	stopped bool             // wait has run: nothing more is written
}

// full hands the batch to the writer if it reached the limit.
func (b *batcher) full() error {
	if b.Len() < batchLimit {
		return nil
	}
	return b.send()
}

func (b *batcher) send() error {
	if b.stopped {
		return b.err
	}
	if b.todo == nil {
		b.todo, b.spare, b.done, b.failed = make(chan store.Batch, 1), make(chan store.Batch, 2), make(chan struct{}), make(chan struct{})
		go b.write()
	}
	b.stats.count(&b.Batch)
	select {
	case b.todo <- b.Batch:
	case <-b.failed:
		return b.wait()
	}
	select {
	case b.Batch = <-b.spare:
	default:
		b.Batch = store.Batch{}
	}
	return nil
}

func (b *batcher) write() {
	defer close(b.done)
	for batch := range b.todo {
		a, err := b.store.Apply(&batch)
		if err != nil {
			b.err = err
			close(b.failed)
			for range b.todo { // let the reader's last send through; it sees failed next
			}
			return
		}
		b.applied.add(a)
		batch.Reset()
		select {
		case b.spare <- batch:
		default:
		}
	}
}

// flush writes what is left and waits until everything handed over is written.
func (b *batcher) flush() error {
	if b.stopped {
		return b.err
	}
	if b.Len() > 0 {
		if err := b.send(); err != nil {
			return err
		}
	}
	if b.todo == nil {
		return nil // nothing was ever handed over
	}
	return b.wait()
}

// wait stops the writer and takes its counts and error.
func (b *batcher) wait() error {
	if b.stopped {
		return b.err
	}
	b.stopped = true
	close(b.todo)
	<-b.done
	b.stats.Added += b.applied.Added
	b.stats.Duplicates += b.applied.Duplicates
	b.stats.Skipped += b.applied.Skipped
	b.applied = Stats{}
	return b.err
}

// Importer backfills the store from files or streams.
type Importer struct {
	Store Sink
	// LogLoc is the zone of P2Pool's timestamps (UTC unless the build logs local time).
	LogLoc *time.Location
	// ChunkSize is how much is scanned at once (default 1 MiB); tests make it small to cross
	// chunk boundaries everywhere.
	ChunkSize int
}

// batchLimit keeps a transaction far below Badger's size limit.
const batchLimit = 2000

// chunkSize is how much of a log is scanned at once. The chunk and what is parsed from it are
// live together: at 1 MB the service, which runs imports sent to it, stays small, and no import
// measured slower (figures: bench/RESULTS.md, "chunkSize").
const chunkSize = 1 << 20

// Decompress returns r itself or, when it starts with a gzip, bzip2 or zstd magic number, a
// reader of its contents (logrotate's compresscmd may be any of them); the name is not trusted
// either way.
func Decompress(r io.Reader) (io.Reader, func() error, error) {
	rd, closer, _, err := decompress(r)
	return rd, closer, err
}

// decompress is Decompress, also saying whether r was compressed.
func decompress(r io.Reader) (io.Reader, func() error, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, true, fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(true)
		return zr, zr.Close, true, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), func() error { return nil }, true, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, true, fmt.Errorf("zstd: %w", err)
		}
		return zr, func() error { zr.Close(); return nil }, true, nil
	}
	return br, func() error { return nil }, false, nil
}

// ImportP2Pool reads a P2Pool log from r. Only the lines that can hold an event or a sample are
// parsed: the importer jumps between markers with bytes.Index, which is what makes a 1 GB log
// take about as long as a grep of it.
func (im *Importer) ImportP2Pool(ctx context.Context, r io.Reader, source string) (st Stats, err error) {
	p := NewParser(im.LogLoc, source)
	b := &batcher{store: im.Store, stats: &st}
	// Stopped early (interrupted, a full disk, a read error): what was parsed is stored as far
	// as the store takes it, and counted in st, so that the caller's summary is true.
	defer func() {
		if !b.stopped {
			if ferr := b.flush(); err == nil {
				err = ferr
			}
		}
	}()
	emit := func(line []byte) error {
		res := p.Line(line)
		addResult(&b.Batch, res, source, line)
		if res.Sample != nil {
			st.Samples++
		}
		return b.full()
	}

	size := im.ChunkSize
	if size <= 0 {
		size = chunkSize
	}
	// Room for a chunk after the carried start of a line no longer than MaxLine.
	buf := make([]byte, MaxLine+1+size)
	carry := 0 // bytes of an unfinished line kept at the front of buf
	var ctxPre Prefix
	var ctxMsg []byte
	haveCtx := false
	inBlock := false // the last chunk ended inside a status block
	// A line longer than MaxLine that runs past the buffer: its head and length so far.
	var longHead []byte
	var longN int64
	inLong := false
	overlong := func(head []byte, n int64) error {
		b.Skips = append(b.Skips, overlongSkip(source, head, n))
		return b.full()
	}
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, rerr := io.ReadFull(r, buf[carry:carry+size])
		st.Bytes += int64(n)
		data := buf[:carry+n]
		eof := rerr == io.EOF || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !eof {
			return st, fmt.Errorf("read %s: %w", source, rerr)
		}
		if inLong {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				longN += int64(len(data))
				carry = 0
				if eof {
					return st, errors.Join(overlong(longHead, longN), b.flush())
				}
				continue
			}
			longN += int64(i)
			inLong = false
			if err := overlong(longHead, longN); err != nil {
				return st, err
			}
			data = data[i+1:]
		}
		end := bytes.LastIndexByte(data, '\n') + 1
		if eof {
			end = len(data)
		}
		chunk := data[:end]
		if haveCtx {
			p.SetContext(ctxPre, ctxMsg)
		}
		if err := scanChunk(chunk, p, &ctxPre, &ctxMsg, &haveCtx, &inBlock, emit, overlong); err != nil {
			return st, err
		}
		if eof {
			break
		}
		rest := data[end:]
		if len(rest) > MaxLine {
			// One line longer than any record: keep its head, count the rest of it.
			inLong, longHead, longN = true, append(longHead[:0], rest[:MaxLine]...), int64(len(rest))
			inBlock = false
			carry = 0
			continue
		}
		carry = copy(buf, rest)
	}
	return st, b.flush()
}

// importMarkers are what the lines the parser takes something from hold: events (FOUND, payout)
// and hashrates (workers rows, status); a status block's other lines are read with its first
// hashrate (restOfBlock). The payout's is "yout": bytes.Index jumps from one occurrence of its
// first byte to the next, and a log holds half as many y as p (figures: bench/RESULTS.md,
// "importMarkers").
var importMarkers = [][]byte{[]byte("FOUND"), []byte("yout"), markHashrate}

// scanChunk parses the candidate lines of chunk (whole lines) and leaves in ctx the prefix of the
// last record that starts in it, for the continuation lines at the top of the next chunk.
func scanChunk(chunk []byte, p *Parser, ctxPre *Prefix, ctxMsg *[]byte, haveCtx *bool, inBlock *bool, emit func([]byte) error, overlong func([]byte, int64) error) error {
	for _, r := range overlongLines(chunk) {
		if err := overlong(chunk[r[0]:r[0]+MaxLine], int64(r[1]-r[0])); err != nil {
			return err
		}
	}
	from := 0
	if *inBlock {
		// The previous chunk ended inside a status block: its rest is at the top of this one.
		end, open, err := restOfBlock(chunk, 0, p.Loc, emit)
		if err != nil {
			return err
		}
		*inBlock, from = open, end+1
	}
	next := make([]int, len(importMarkers))
	for i, m := range importMarkers {
		next[i] = indexFrom(chunk, m, from)
	}
	for {
		pos := -1
		for _, n := range next {
			if n >= 0 && (pos < 0 || n < pos) {
				pos = n
			}
		}
		if pos < 0 {
			break
		}
		start := bytes.LastIndexByte(chunk[:pos], '\n') + 1
		end := lineEnd(chunk, pos)
		line := chunk[start:end]
		if len(line) <= MaxLine { // a longer one was counted above, whatever it holds
			_, _, record := ParsePrefix(cleanLine(line), p.Loc)
			if !record {
				// A continuation line: find the record it belongs to.
				if pre, msg, ok := recordAbove(chunk[:start], p.Loc); ok {
					p.SetContext(pre, msg)
				}
			}
			if err := emit(line); err != nil {
				return err
			}
			if !record {
				// The rest of a status block (its efforts follow its hashrates) is read with it:
				// a marker for "effort" would cost a third of the import.
				var err error
				if end, *inBlock, err = restOfBlock(chunk, end+1, p.Loc, emit); err != nil {
					return err
				}
			}
		}
		for i, m := range importMarkers {
			if next[i] >= 0 && next[i] < end {
				next[i] = indexFrom(chunk, m, end)
			}
		}
	}
	if pre, msg, ok := recordAbove(chunk, p.Loc); ok {
		*ctxPre, *ctxMsg, *haveCtx = pre, append((*ctxMsg)[:0], msg...), true
	}
	return nil
}

// overlongLines finds the lines of chunk (whole lines from its start) longer than MaxLine, as
// [start, end) without the newline. It jumps a window of MaxLine+1 bytes at a time and looks back
// for the last newline in it, so it reads a few bytes per window, not every byte.
func overlongLines(chunk []byte) [][2]int {
	var out [][2]int
	for i := 0; len(chunk)-i > MaxLine; {
		win := chunk[i : i+MaxLine+1]
		if j := bytes.LastIndexByte(win, '\n'); j >= 0 {
			i += j + 1
			continue
		}
		end := lineEnd(chunk, i+MaxLine+1)
		out = append(out, [2]int{i, end})
		i = end + 1
	}
	return out
}

// restOfBlock emits the continuation lines from the one starting at from, up to the next record
// (at most a status block's worth). It returns where the last one emitted ends (from-1 if none)
// and whether the chunk ended inside the block.
func restOfBlock(chunk []byte, from int, loc *time.Location, emit func([]byte) error) (int, bool, error) {
	end := from - 1
	for range 64 {
		s := end + 1
		if s >= len(chunk) {
			return end, true, nil
		}
		e := lineEnd(chunk, s)
		next := chunk[s:e]
		if len(next) > MaxLine {
			break
		}
		if _, _, ok := ParsePrefix(cleanLine(next), loc); ok {
			break
		}
		if err := emit(next); err != nil {
			return end, false, err
		}
		end = e
	}
	return end, false, nil
}

// lineEnd is where the line holding b[from] ends: its newline, or the end of b.
func lineEnd(b []byte, from int) int {
	if e := bytes.IndexByte(b[from:], '\n'); e >= 0 {
		return from + e
	}
	return len(b)
}

func indexFrom(b, m []byte, from int) int {
	if from >= len(b) {
		return -1
	}
	i := bytes.Index(b[from:], m)
	if i < 0 {
		return -1
	}
	return from + i
}

// recordAbove finds the nearest record start in the lines of b, from its end up; a status block
// is some 15 lines, so the search is bounded.
func recordAbove(b []byte, loc *time.Location) (Prefix, []byte, bool) {
	end := len(b)
	for range 64 {
		if end <= 0 {
			break
		}
		start := bytes.LastIndexByte(b[:end-1], '\n') + 1
		if end-start > MaxLine+1 {
			end = start // not a record: look above it
			continue
		}
		line := cleanLine(b[start:end])
		if pre, msg, ok := ParsePrefix(line, loc); ok {
			return pre, msg, true
		}
		end = start
	}
	return Prefix{}, nil, false
}

// addResult puts what one line yielded into the batch.
func addResult(b *store.Batch, res Result, source string, line []byte) {
	switch {
	case res.Event != nil:
		b.Events = append(b.Events, *res.Event)
	case res.Sample != nil:
		b.Samples = append(b.Samples, *res.Sample)
	case res.Reason != "":
		b.Skips = append(b.Skips, NewSkip(source, res.Reason, line))
	}
}

// NewSkip records a bad record with a bounded excerpt.
func NewSkip(source, reason string, record []byte) store.Skip {
	rec := cleanLine(record)
	id := eventID(rec)
	if len(rec) > store.MaxSkipExcerpt {
		rec = rec[:store.MaxSkipExcerpt]
	}
	return store.Skip{ID: id, Seen: time.Now().UTC(), Source: source, Reason: reason, Record: string(bytes.ToValidUTF8(rec, []byte("?")))}
}
