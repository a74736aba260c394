package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/nxadm/tail"

	"github.com/db4e/db4e/store"
)

// headLen is how much of a file's start identifies it beside its inode: an inode is reused
// after a delete, the first bytes (a timestamped line) are not.
const headLen = 256

// fileMark is a position in one particular file.
type fileMark struct {
	Path    string `json:"path"`
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Head    string `json:"head"`
	HeadLen int    `json:"head_len"`
	Offset  int64  `json:"offset"`
}

// followCheckpoint is stored with every batch of events the follower writes.
type followCheckpoint struct {
	Cur fileMark `json:"cur"`
	// Preds are rotated-away files still being drained: P2Pool writes to one until it notices
	// the move, and two rotations can come closer together than that.
	Preds []fileMark `json:"preds,omitempty"`
}

// Follower follows P2Pool's log with nxadm/tail, storing events and samples as they come, and
// resumes exactly where it left off.
//
// Why it checks every checkpoint against the file: tail gives each line's end offset but not
// which file the line came from, and after a rotation the same offset means another place.
// The follower holds its own descriptor of the file it believes it reads and verifies the last
// line of each batch against it before writing the checkpoint. A checkpoint therefore never
// claims bytes that were not read; at worst lines are read again, which the idempotent keys
// make harmless.
type Follower struct {
	Path  string
	Name  string // checkpoint name
	Store Sink
	Cfg   Config
	Log   *slog.Logger
	// Applied, when set, is told of each stored batch (the console's live feed).
	Applied func(store.Applied)
	// Poll makes tail poll the file instead of using inotify (tests on filesystems without it).
	Poll bool
	// OnLine, when set, is told of every line read (the log_silent alert).
	OnLine func(time.Time)
	// OnError, when set, is told why tail stopped (a log it may not read, say).
	OnError func(error)

	cur      *os.File
	curMark  fileMark
	preds    []*predFile
	parser   *Parser
	tail     *tail.Tail
	lastRead time.Time // when tail last delivered a line
	// mustRestart asks for tail to be started again from the checkpoint.
	mustRestart bool
	stats       Stats
	last        lastLine
	dirty       bool // the checkpoint moved without a record to store with it
}

// Stats returns what the follower has done so far; safe only from Run's goroutine or after it.
func (f *Follower) Stats() Stats { return f.stats }

// Run follows until ctx ends. It returns nil on a clean stop.
func (f *Follower) Run(ctx context.Context) error {
	if f.Log == nil {
		f.Log = slog.New(slog.DiscardHandler)
	}
	if f.Name == "" {
		f.Name = "p2pool"
	}
	f.parser = NewParser(f.Cfg.Location(), f.Path)
	defer f.closeFiles()

	start, err := f.resume()
	if err != nil {
		return err
	}
	if err := f.startTail(start); err != nil {
		return err
	}
	defer func() { _ = f.tail.Stop() }()
	f.Log.Info("following P2Pool log", "path", f.Path, "offset", start)

	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var batch store.Batch
	lastSync := time.Now()
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return f.store(&batch, true)
		case line, ok := <-f.tail.Lines:
			if !ok {
				// tail gives up on some stat errors during a rotation, and on a file it may not
				// read: start it again, waiting longer each time it fails at once.
				terr := f.tail.Err()
				f.Log.Warn("tail stopped; restarting it", "path", f.Path, "err", terr, "in", backoff)
				if f.OnError != nil && terr != nil {
					f.OnError(terr)
				}
				select {
				case <-ctx.Done():
					return f.store(&batch, true)
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 30*time.Second)
				if err := f.restartTail(); err != nil {
					return err
				}
				continue
			}
			backoff = 100 * time.Millisecond
			f.take(&batch, line)
		more:
			for batch.Len() < batchLimit {
				select {
				case line, ok := <-f.tail.Lines:
					if !ok {
						break more
					}
					f.take(&batch, line)
				default:
					break more
				}
			}
			sync := time.Since(lastSync) > time.Second
			if err := f.store(&batch, sync); err != nil {
				return err
			}
			if sync {
				lastSync = time.Now()
			}
			if f.mustRestart {
				if err := f.restartTail(); err != nil {
					return err
				}
			}
		case <-tick.C:
			f.checkRotated()
			if f.cur != nil && !headOK(f.cur, f.curMark) {
				f.truncated()
			}
			if err := f.drainPreds(&batch); err != nil {
				return err
			}
			if err := f.store(&batch, false); err != nil {
				return err
			}
			if f.mustRestart || f.tailStuck() {
				if err := f.restartTail(); err != nil {
					return err
				}
			}
		}
	}
}

func (f *Follower) startTail(offset int64) error {
	t, err := tail.TailFile(f.Path, tail.Config{
		Location:      &tail.SeekInfo{Offset: offset, Whence: io.SeekStart},
		ReOpen:        true,
		Follow:        true,
		MustExist:     false,
		CompleteLines: true,
		Poll:          f.Poll,
		Logger:        tail.DiscardingLogger,
	})
	if err != nil {
		return fmt.Errorf("follow %s: %w", f.Path, err)
	}
	f.tail, f.lastRead, f.mustRestart = t, time.Now(), false
	return nil
}

// tailStuck reports tail not delivering what the file holds: nxadm/tail's poll watcher, for
// one, compares against whatever file is at the path when it starts waiting, so a rotation at
// the wrong moment leaves it waiting on the old file forever.
func (f *Follower) tailStuck() bool {
	if time.Since(f.lastRead) < 2*time.Second {
		return false
	}
	if f.cur == nil {
		// a rotation was seen and no line of the new file came since
		st, err := os.Stat(f.Path)
		return err == nil && st.Size() > 0
	}
	return hasLineAfter(f.cur, f.curMark.Offset)
}

// hasLineAfter reports a complete line in fd after offset.
func hasLineAfter(fd *os.File, offset int64) bool {
	buf := make([]byte, 64<<10)
	n, _ := fd.ReadAt(buf, offset)
	return bytes.IndexByte(buf[:n], '\n') >= 0
}

// restartTail starts tail again where the verified checkpoint says, on whatever file is now at
// the path; the file it replaced is drained.
func (f *Follower) restartTail() error {
	_ = f.tail.Stop()
	var offset int64
	nf, err := os.Open(f.Path)
	switch {
	case err != nil:
		if f.cur != nil {
			f.setPred(f.cur, f.curMark)
			f.cur, f.curMark = nil, fileMark{Path: f.Path}
		}
	case f.cur != nil && matches(nf, f.curMark):
		offset = f.curMark.Offset
		nf.Close()
	default:
		if f.cur != nil {
			f.setPred(f.cur, f.curMark)
		}
		m, err := markOf(nf, f.Path, 0)
		if err != nil {
			nf.Close()
			return fmt.Errorf("stat %s: %w", f.Path, err)
		}
		f.cur, f.curMark = nf, m
	}
	f.dirty = true
	f.Log.Info("restarting tail", "path", f.Path, "offset", offset)
	return f.startTail(offset)
}

// lastLine is the last line taken into the batch, to verify against the file.
type lastLine struct {
	text   string
	offset int64 // just after the line's newline
	ok     bool
}

func (f *Follower) take(b *store.Batch, l *tail.Line) {
	if l.Err != nil {
		f.Log.Warn("follow", "path", f.Path, "err", l.Err)
		return
	}
	res := f.parser.Line([]byte(l.Text))
	addResult(b, res, f.Path, []byte(l.Text))
	if res.Sample != nil {
		f.stats.Samples++
	}
	f.last = lastLine{text: l.Text, offset: l.SeekInfo.Offset, ok: true}
	f.lastRead = time.Now()
	if f.OnLine != nil {
		f.OnLine(f.lastRead)
	}
}

// store writes the batch with a checkpoint that is true of the files.
func (f *Follower) store(b *store.Batch, sync bool) error {
	if f.last.ok {
		f.locate(f.last)
		f.last.ok = false
	}
	if b.Len() == 0 && !f.dirty {
		return nil
	}
	cp := followCheckpoint{Cur: f.curMark}
	for _, p := range f.preds {
		cp.Preds = append(cp.Preds, p.mark)
	}
	v, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	b.Checkpoints = append(b.Checkpoints, store.Checkpoint{Name: f.Name, Value: v})
	a, err := f.Store.Apply(b)
	if err != nil {
		return fmt.Errorf("store lines of %s: %w", f.Path, err)
	}
	f.stats.add(a)
	f.dirty = false
	b.Reset()
	if a.Added > 0 && f.Applied != nil {
		f.Applied(a)
	}
	if sync {
		if err := f.Store.Sync(); err != nil {
			return fmt.Errorf("sync store: %w", err)
		}
	}
	return nil
}

// locate finds which file the last line came from and moves the checkpoint there. A line found
// in a new file at the path means a rotation: the file it replaced is drained for a while.
func (f *Follower) locate(l lastLine) {
	if f.cur != nil && !headOK(f.cur, f.curMark) {
		f.truncated()
		return
	}
	if f.cur != nil && lineAt(f.cur, l) {
		f.curMark.Offset = l.offset
		f.refreshHead(f.cur, &f.curMark)
		f.dirty = true
		return
	}
	nf, err := os.Open(f.Path)
	if err != nil {
		return
	}
	if !lineAt(nf, l) {
		// Neither file holds it where tail says: keep the last verified position.
		f.Log.Debug("line not found where tail put it; checkpoint kept", "path", f.Path, "offset", l.offset)
		nf.Close()
		return
	}
	m, err := markOf(nf, f.Path, l.offset)
	if err != nil {
		nf.Close()
		return
	}
	if f.cur == nil {
		// checkRotated already handed the old file to the drain
	} else if m.Dev != f.curMark.Dev || m.Ino != f.curMark.Ino {
		f.Log.Info("P2Pool log rotated", "path", f.Path, "old_inode", f.curMark.Ino, "new_inode", m.Ino)
		f.setPred(f.cur, f.curMark)
	} else {
		// Same file, other content: truncated (and rewritten since), which truncated() handles.
		nf.Close()
		f.truncated()
		return
	}
	f.cur, f.curMark, f.dirty = nf, m, true
}

// headOK reports whether fd still starts as it did when m was taken.
func headOK(fd *os.File, m fileMark) bool {
	buf := make([]byte, m.HeadLen)
	if _, err := fd.ReadAt(buf, 0); err != nil && (m.HeadLen > 0 || !errors.Is(err, io.EOF)) {
		return false
	}
	return headHash(buf) == m.Head
}

// truncated handles the current file emptied in place (copytruncate, or a plain truncate):
// what was not read yet is looked for in logrotate's copy, and the file is read again from its
// start, which tail may have skipped if it did not see the file shrink (nxadm/tail #28).
func (f *Follower) truncated() {
	f.Log.Info("P2Pool log truncated", "path", f.Path, "offset", f.curMark.Offset)
	f.adoptCopy(f.curMark)
	f.curMark.Offset, f.curMark.HeadLen, f.curMark.Head = 0, 0, headHash(nil)
	f.dirty, f.mustRestart = true, true
}

// adoptCopy looks for the copy logrotate's copytruncate made of a file before emptying it, and
// drains what was not read yet from there.
func (f *Follower) adoptCopy(m fileMark) bool {
	fd := findCopy(f.Path, m)
	if fd == nil {
		return false
	}
	f.Log.Info("reading the rest of the truncated log from its copy", "path", fd.Name(), "offset", m.Offset)
	st, err := fd.Stat()
	if err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			m.Dev, m.Ino, m.Path = uint64(sys.Dev), sys.Ino, fd.Name()
		}
	}
	f.setPred(fd, m)
	return true
}

// checkRotated notices, while no new line arrives, that the path now names another file: what
// P2Pool still writes to the old one before it reopens is then drained from it.
func (f *Follower) checkRotated() {
	if f.cur == nil {
		return
	}
	st, err := os.Stat(f.Path)
	if err != nil {
		return
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || (sys.Ino == f.curMark.Ino && uint64(sys.Dev) == f.curMark.Dev) {
		return
	}
	f.Log.Info("P2Pool log rotated", "path", f.Path, "old_inode", f.curMark.Ino, "new_inode", sys.Ino)
	f.setPred(f.cur, f.curMark)
	f.cur = nil
	f.curMark = fileMark{Path: f.Path}
	f.dirty = true
}

// predFile is a rotated-away file being drained.
type predFile struct {
	fd     *os.File
	mark   fileMark
	seen   time.Time // when it last grew
	parser *Parser
}

func (f *Follower) setPred(fd *os.File, m fileMark) {
	f.preds = append(f.preds, &predFile{fd: fd, mark: m, seen: time.Now(), parser: NewParser(f.Cfg.Location(), fd.Name())})
}

// lineAt reports whether text+"\n" ends at offset in fd.
func lineAt(fd *os.File, l lastLine) bool {
	n := int64(len(l.text) + 1)
	if l.offset < n {
		return false
	}
	buf := make([]byte, n)
	if _, err := fd.ReadAt(buf, l.offset-n); err != nil {
		return false
	}
	return buf[n-1] == '\n' && string(buf[:n-1]) == l.text
}

func markOf(fd *os.File, path string, offset int64) (fileMark, error) {
	st, err := fd.Stat()
	if err != nil {
		return fileMark{}, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileMark{}, errors.New("no inode on this platform")
	}
	m := fileMark{Path: path, Dev: uint64(sys.Dev), Ino: sys.Ino, Offset: offset}
	return m, refreshHeadErr(fd, &m)
}

func (f *Follower) refreshHead(fd *os.File, m *fileMark) {
	if m.HeadLen < headLen {
		_ = refreshHeadErr(fd, m)
	}
}

// refreshHeadErr hashes the first bytes of the file, up to what has been read of it.
func refreshHeadErr(fd *os.File, m *fileMark) error {
	n := min(int64(headLen), m.Offset)
	buf := make([]byte, n)
	if _, err := fd.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	m.Head, m.HeadLen = headHash(buf), int(n)
	return nil
}

func headHash(b []byte) string {
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], xxhash.Sum64(b))
	return hex.EncodeToString(sum[:])
}

// matches reports whether fd is the file of m and still holds what m says was read.
func matches(fd *os.File, m fileMark) bool {
	st, err := fd.Stat()
	if err != nil {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || uint64(sys.Dev) != m.Dev || sys.Ino != m.Ino || st.Size() < m.Offset {
		return false
	}
	buf := make([]byte, m.HeadLen)
	if _, err := fd.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return headHash(buf) == m.Head
}

// resume opens the log where the checkpoint says and returns the offset to tail from. A
// checkpoint of a file that is no longer at the path is looked for among its neighbours
// (logrotate's p2pool.log.1, p2pool.log-20250301): what was written there after the last
// checkpoint is read before anything else.
func (f *Follower) resume() (int64, error) {
	raw, err := f.Store.Checkpoint(f.Name)
	if err != nil {
		return 0, err
	}
	var cp followCheckpoint
	if raw != nil {
		if err := json.Unmarshal(raw, &cp); err != nil {
			f.Log.Warn("unreadable checkpoint; reading the log from its start", "err", err)
			raw = nil
		}
	}
	cur, err := os.Open(f.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("open %s: %w", f.Path, err)
	}
	for _, m := range cp.Preds {
		if fd := findFile(f.Path, m); fd != nil {
			f.setPred(fd, m)
		}
	}
	if len(f.preds) > 0 {
		if err := f.drainAll(); err != nil {
			return 0, err
		}
	}
	if raw != nil && cur != nil && matches(cur, cp.Cur) {
		f.cur, f.curMark = cur, cp.Cur
		return cp.Cur.Offset, nil
	}
	if raw != nil && cp.Cur.Ino != 0 {
		// The file of the checkpoint is no longer at the path with what was read of it: it was
		// renamed (found by inode), or truncated after logrotate copied it (found by its head).
		if fd := findFile(f.Path, cp.Cur); fd != nil {
			f.Log.Info("log was rotated while db4e was down; reading the rest of the old file", "path", fd.Name(), "offset", cp.Cur.Offset)
			f.setPred(fd, cp.Cur)
		} else if !f.adoptCopy(cp.Cur) {
			f.Log.Warn("the file of the checkpoint is gone; reading the log from its start", "path", f.Path)
		}
		if err := f.drainAll(); err != nil {
			return 0, err
		}
	}
	if cur != nil {
		m, err := markOf(cur, f.Path, 0)
		if err != nil {
			cur.Close()
			return 0, fmt.Errorf("stat %s: %w", f.Path, err)
		}
		f.cur, f.curMark, f.dirty = cur, m, true
	}
	return 0, nil
}

// drainAll reads a predecessor to its end now (at start-up, where P2Pool has long moved on),
// keeping it open for the grace period in case it has not.
func (f *Follower) drainAll() error {
	var b store.Batch
	if err := f.drainPreds(&b); err != nil {
		return err
	}
	return f.store(&b, true)
}

// findFile looks in the log's directory for the file m describes.
func findFile(path string, m fileMark) *os.File {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if sys, ok := info.Sys().(*syscall.Stat_t); !ok || sys.Ino != m.Ino || uint64(sys.Dev) != m.Dev {
			continue
		}
		fd, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if matches(fd, m) {
			return fd
		}
		fd.Close()
	}
	return nil
}

// findCopy looks in the log's directory for another file that starts like m's and is at least
// as long as what was read of it.
func findCopy(path string, m fileMark) *os.File {
	if m.HeadLen == 0 || m.Offset == 0 {
		return nil
	}
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() < m.Offset {
			continue
		}
		if sys, ok := info.Sys().(*syscall.Stat_t); !ok || sys.Ino == m.Ino {
			continue
		}
		fd, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		buf := make([]byte, m.HeadLen)
		if _, err := fd.ReadAt(buf, 0); err == nil && headHash(buf) == m.Head {
			return fd
		}
		fd.Close()
	}
	return nil
}

// drainPreds reads the complete lines the rotated-away files have gained, and lets each go
// once it has been quiet for the grace period.
func (f *Follower) drainPreds(b *store.Batch) error {
	keep := f.preds[:0]
	for _, p := range f.preds {
		if err := f.drain(p, b); err != nil {
			f.Log.Warn("read rotated log", "path", p.fd.Name(), "err", err)
		}
		if time.Since(p.seen) > f.Cfg.RotationGrace {
			f.Log.Info("done with rotated log", "path", p.fd.Name(), "offset", p.mark.Offset)
			p.fd.Close()
			f.dirty = true
			continue
		}
		keep = append(keep, p)
	}
	clear(f.preds[len(keep):])
	f.preds = keep
	return nil
}

func (f *Follower) drain(p *predFile, b *store.Batch) error {
	buf := make([]byte, 256<<10)
	for {
		n, err := p.fd.ReadAt(buf, p.mark.Offset)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		end := bytes.LastIndexByte(buf[:n], '\n') + 1
		if end == 0 {
			return nil
		}
		data := buf[:end]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			line := data[:i]
			data = data[i+1:]
			addResult(b, p.parser.Line(line), p.fd.Name(), line)
			p.mark.Offset += int64(i + 1)
			if b.Len() >= batchLimit {
				if err := f.store(b, false); err != nil {
					return err
				}
			}
		}
		p.seen, f.dirty = time.Now(), true
	}
}

func (f *Follower) closeFiles() {
	if f.cur != nil {
		f.cur.Close()
	}
	for _, p := range f.preds {
		p.fd.Close()
	}
}
