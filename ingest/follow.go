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
	// Pred is a rotated-away file still being drained: P2Pool writes to it until it notices the move.
	Pred *fileMark `json:"pred,omitempty"`
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
	Store *store.Store
	Cfg   Config
	Log   *slog.Logger
	// Applied, when set, is told of each stored batch (the console's live feed).
	Applied func(store.Applied)
	// Poll makes tail poll the file instead of using inotify (tests on filesystems without it).
	Poll bool

	cur      *os.File
	curMark  fileMark
	pred     *os.File
	predMark fileMark
	predSeen time.Time // last time the predecessor grew
	predP    *Parser
	parser   *Parser
	stats    Stats
	last     lastLine
	dirty    bool // the checkpoint moved without a record to store with it
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
	f.predP = NewParser(f.Cfg.Location(), f.Path+" (rotated)")
	defer f.closeFiles()

	start, err := f.resume()
	if err != nil {
		return err
	}
	t, err := tail.TailFile(f.Path, tail.Config{
		Location:      &tail.SeekInfo{Offset: start, Whence: io.SeekStart},
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
	defer t.Cleanup()
	f.Log.Info("following P2Pool log", "path", f.Path, "offset", start)

	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var batch store.Batch
	lastSync := time.Now()
	for {
		select {
		case <-ctx.Done():
			_ = t.Stop()
			return f.store(&batch, true)
		case line, ok := <-t.Lines:
			if !ok {
				return fmt.Errorf("follow %s: %w", f.Path, t.Err())
			}
			f.take(&batch, line)
		more:
			for batch.Len() < batchLimit {
				select {
				case line, ok := <-t.Lines:
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
		case <-tick.C:
			if err := f.drainPred(&batch); err != nil {
				f.Log.Warn("read rotated log", "path", f.predMark.Path, "err", err)
			}
			if err := f.store(&batch, false); err != nil {
				return err
			}
		}
	}
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
	if f.pred != nil {
		pm := f.predMark
		cp.Pred = &pm
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
	if f.cur != nil && (m.Dev != f.curMark.Dev || m.Ino != f.curMark.Ino) {
		f.Log.Info("P2Pool log rotated", "path", f.Path, "old_inode", f.curMark.Ino, "new_inode", m.Ino)
		f.setPred(f.cur, f.curMark)
	} else if f.cur != nil {
		f.Log.Info("P2Pool log truncated", "path", f.Path)
		f.cur.Close()
	}
	f.cur, f.curMark, f.dirty = nf, m, true
}

func (f *Follower) setPred(fd *os.File, m fileMark) {
	if f.pred != nil {
		f.pred.Close()
	}
	f.pred, f.predMark, f.predSeen = fd, m, time.Now()
	f.predP = NewParser(f.Cfg.Location(), f.Path+" (rotated)")
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
	if raw != nil && cp.Pred != nil {
		if fd := findFile(f.Path, *cp.Pred); fd != nil {
			f.setPred(fd, *cp.Pred)
			if err := f.drainAll(); err != nil {
				return 0, err
			}
		}
	}
	if raw != nil && cur != nil && matches(cur, cp.Cur) {
		f.cur, f.curMark = cur, cp.Cur
		return cp.Cur.Offset, nil
	}
	if raw != nil && cp.Cur.Ino != 0 {
		if fd := findFile(f.Path, cp.Cur); fd != nil {
			f.Log.Info("log was rotated while db4e was down; reading the rest of the old file", "path", fd.Name(), "offset", cp.Cur.Offset)
			f.setPred(fd, cp.Cur)
			if err := f.drainAll(); err != nil {
				return 0, err
			}
		} else {
			f.Log.Warn("the file of the checkpoint is gone; reading the log from its start", "path", f.Path)
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
	if err := f.drainPred(&b); err != nil {
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

// drainPred reads the complete lines the rotated-away file has gained, and lets it go once it
// has been quiet for the grace period.
func (f *Follower) drainPred(b *store.Batch) error {
	if f.pred == nil {
		return nil
	}
	buf := make([]byte, 256<<10)
	for {
		n, err := f.pred.ReadAt(buf, f.predMark.Offset)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		end := bytes.LastIndexByte(buf[:n], '\n') + 1
		if end == 0 {
			break
		}
		data := buf[:end]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			line := data[:i]
			data = data[i+1:]
			res := f.predP.Line(line)
			addResult(b, res, f.predMark.Path, line)
			f.predMark.Offset += int64(i + 1)
			if b.Len() >= batchLimit {
				if err := f.store(b, false); err != nil {
					return err
				}
			}
		}
		f.predSeen, f.dirty = time.Now(), true
	}
	if time.Since(f.predSeen) > f.Cfg.RotationGrace {
		f.Log.Info("done with rotated log", "path", f.predMark.Path, "offset", f.predMark.Offset)
		f.pred.Close()
		f.pred, f.dirty = nil, true
	}
	return nil
}

func (f *Follower) closeFiles() {
	if f.cur != nil {
		f.cur.Close()
	}
	if f.pred != nil {
		f.pred.Close()
	}
}
