package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// followCheckpoint is stored with every batch of events the follower writes: the position just
// after the last line of the batch, in the content of one file.
type followCheckpoint struct {
	Cur fileMark `json:"cur"`
	// First is the time of the first record of Cur's file: if that file is gone when db4e
	// starts again, every file of the log that began after it is read.
	First time.Time `json:"first,omitzero"`
	// Preds are files a version before 0.2 was still draining; the oldest is resumed from.
	Preds []fileMark `json:"preds,omitempty"`
}

// Follower follows P2Pool's log, storing events and samples as they come, and resumes exactly
// where it left off, across any number of rotations while it runs or while it is stopped.
//
// How: it reads files itself, by descriptor and offset, so it always knows which file a line
// came from (nxadm/tail cannot say, which is why db4e no longer uses it). The log's history is
// the live file and its rotated copies, ordered by the time of their first record (logrotate's
// names differ from one scheme to the next; P2Pool's time stamps do not). The follower reads one
// file to its end, and moves to the next one only once a newer file has something in it: P2Pool
// writes from one thread, so once it has written to the new file it never writes to the old one
// again (before v4.8 it keeps writing to a renamed file until the path vanishes: the follower
// keeps reading it, by its descriptor, for as long as that lasts). The checkpoint names the
// content, not the name: device, inode and a hash of the first bytes, so the file is found again
// renamed (p2pool.log.1, p2pool.log-20250301), compressed (.gz, .bz2, .zst) or copied
// (copytruncate). Every line is read at least once, and the store's keys make a second reading
// harmless.
type Follower struct {
	Path  string
	Name  string // checkpoint name
	Store Sink
	Cfg   Config
	Log   *slog.Logger
	// Applied, when set, is told of each stored batch (the console's live feed).
	Applied func(store.Applied)
	// OnLine, when set, is told when lines were read (the log_silent alert).
	OnLine func(time.Time)
	// OnError, when set, is told of a problem reading the log (it goes on trying).
	OnError func(error)
	// OnUnread, when set, is told of each part of the log that was gone before it could be
	// read: once per loss, however many events it held.
	OnUnread func(Unread)
	// OnPause, when set, is told why reading stopped (the disk is full: model.ErrDiskFull),
	// and nil when it goes on.
	OnPause func(error)

	set      logSet
	cur      *reading
	stored   followCheckpoint // what the store holds
	haveCP   bool
	floor    time.Time // the first record of the newest file read: what comes next began after it
	onlyLive bool      // first start: the live file only, not the history beside it
	batch    store.Batch
	lastSync time.Time
	unsynced bool // stored since the last sync
	stats    Stats
	lastErr  string
	paused   error // why nothing is read: the store cannot write
	// waiting are rotated files seen and not read yet, by their start's hash (checkWaiting).
	waiting map[string]waitingFile
	missing *missingFile // the checkpoint's file, not found at the start (checkMissing)
}

// Unread is a part of P2Pool's log that was gone before the follower could read it: a file
// truncated with no copy left, the rest of a damaged compressed file, the checkpoint's file
// deleted while db4e was stopped.
type Unread struct {
	Path  string    `json:"path"`
	At    time.Time `json:"at"`
	Bytes int64     `json:"bytes"` // -1: how much could not be known
	Why   string    `json:"why"`
}

// lost counts a part of the log that cannot be read, and tells OnUnread once.
func (f *Follower) lost(u Unread) {
	f.stats.Gaps++
	u.At = time.Now()
	if f.OnUnread != nil {
		f.OnUnread(u)
	}
}

// errPaused stops a read in the middle: the batch is full and the store cannot take it.
var errPaused = errors.New("paused")

// reading is the file being read.
type reading struct {
	lf     *logFile
	fd     *os.File
	mark   fileMark
	first  time.Time
	parser *Parser
	lines  fileLines
	done   bool // a compressed file, read to its end
	// seen, for a live file that was empty when opened: the starts of the files there were
	// then. A rotated file that appears with another start held lines this file received and
	// lost (copytruncate) before a byte of it was read: they are read from there first.
	seen map[string]bool
	// head is the file's first bytes as read (up to headLen), of which mark.Head is the hash:
	// what tells this content from another written into the same file after a copytruncate.
	head []byte
}

// stillStarts says fd still holds what a listing saw at its start (up to headLen bytes of it).
func stillStarts(fd *os.File, listed []byte) bool {
	listed = listed[:min(len(listed), headLen)]
	if len(listed) == 0 {
		return true
	}
	now := make([]byte, len(listed))
	n, _ := fd.ReadAt(now, 0)
	return n == len(now) && bytes.Equal(now, listed)
}

// errRewritten stops a read whose bytes may be another content's: the file's start changed
// under it (copytruncate, and P2Pool writing again).
var errRewritten = errors.New("the file was truncated and rewritten while it was read")

// setHead takes b (the content's first bytes, as read) as the file's head.
func (c *reading) setHead(b []byte) {
	c.head = append(c.head[:0], b[:min(len(b), headLen)]...)
	c.mark.HeadLen, c.mark.Head = len(c.head), headHash(c.head)
}

// verifyRead checks, after data was read at off, that the file still starts with the head
// this content started with: were it truncated and rewritten before the read, the data would
// be the new content's, read at the old content's offset. Verified bytes before headLen make
// the head longer, so that it tells contents apart better (two contents written a second apart
// start with the same date and hour).
func (c *reading) verifyRead(data []byte, off int64) error {
	switch {
	case len(c.head) > 0:
		now := make([]byte, len(c.head))
		if n, _ := c.fd.ReadAt(now, 0); n < len(now) || !bytes.Equal(now, c.head) {
			return errRewritten
		}
	case c.mark.HeadLen > 0: // a checkpoint's position: its head known by its hash only
		now := make([]byte, c.mark.HeadLen)
		if n, _ := c.fd.ReadAt(now, 0); n < len(now) || headHash(now) != c.mark.Head {
			return errRewritten
		}
		c.head = now
	}
	if h := int64(len(c.head)); h < headLen && off <= h && off+int64(len(data)) > h {
		c.setHead(append(c.head, data[h-off:min(int64(len(data)), headLen-off)]...))
	}
	return nil
}

// Stats returns what the follower has done so far; safe only from Run's goroutine or after it.
func (f *Follower) Stats() Stats { return f.stats }

// pollEvery is how often the files are looked at without inotify: a line is stored within one
// period of being written, for about a percent of a core more than inotify (figures:
// bench/RESULTS.md, "pollEvery"). safetyEvery is how often they are looked at anyway with
// inotify (a missed event).
const (
	pollEvery   = 20 * time.Millisecond
	safetyEvery = time.Second
)

// Run follows until ctx ends. It returns nil on a clean stop, and an error when the log cannot
// be followed at all (a file in its place that may not be read) or the store fails.
func (f *Follower) Run(ctx context.Context) error {
	if f.Log == nil {
		f.Log = slog.New(slog.DiscardHandler)
	}
	if f.Name == "" {
		f.Name = "p2pool"
	}
	f.set = logSet{path: f.Path, glob: f.Cfg.RotatedGlob, loc: f.Cfg.Location()}
	defer f.closeCur()
	if err := checkLogPath(f.Path); err != nil {
		return err
	}
	if err := f.resume(); err != nil {
		return err
	}
	wake, every, stopWatch := f.watch()
	defer stopWatch()
	tick := time.NewTicker(every)
	defer tick.Stop()
	f.Log.Info("following P2Pool log", "path", f.Path, "offset", f.offset())
	for {
		if err := f.step(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return f.flush(true)
		case <-wake:
		case <-tick.C:
		}
	}
}

// checkLogPath refuses, at start, a log that exists but cannot be read: systemd then retries,
// and the journal says why, with the user that cannot read it. A log that does not exist yet
// is waited for.
func checkLogPath(path string) error {
	err := LogReadable(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("P2Pool's log %w (this db4e runs as uid %d)", err, os.Getuid())
}

// LogReadable says whether the log at path can be followed: it is there, a regular file, and
// this process may read it. The error names the path once ("PATH: permission denied", not
// os's "open PATH: …" under another mention of it); a missing log's wraps fs.ErrNotExist.
// db4e status and the follower both ask it.
func LogReadable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return missingLog(path)
	case err != nil:
		return pathErr(path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return pathErr(path, err)
	}
	return f.Close()
}

// missingLog is a log that is not there.
type missingLog string

func (p missingLog) Error() string {
	return string(p) + " does not exist (is p2pool.log right? P2Pool writes it in the directory it runs in)"
}

func (missingLog) Unwrap() error { return fs.ErrNotExist }

// pathErr is err of path without os's operation and second mention of the path.
func pathErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return err
}

// watch wakes the follower when the log's directory changes; where inotify is not to be had,
// it says why and the follower polls.
func (f *Follower) watch() (<-chan struct{}, time.Duration, func()) {
	wake := make(chan struct{}, 1)
	if f.Cfg.Poll {
		f.Log.Info("polling the log every 20 ms, as p2pool.poll says", "path", f.Path)
		return wake, pollEvery, func() {}
	}
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(filepath.Dir(f.Path))
		if err == nil && f.Cfg.RotatedGlob != "" {
			if d := filepath.Dir(f.Cfg.RotatedGlob); !strings.ContainsAny(d, "*?[") && d != filepath.Dir(f.Path) {
				if aerr := w.Add(d); aerr != nil {
					f.Log.Warn("cannot watch the rotated logs' directory; it is looked at every second", "dir", d, "err", aerr)
				}
			}
		}
		if err != nil {
			w.Close()
		}
	}
	if err != nil {
		// Say what is wrong in the operator's words: most often the directory is not there (a
		// typo in p2pool.log, P2Pool not started yet) or not readable, not inotify itself.
		switch dir := filepath.Dir(f.Path); {
		case errors.Is(err, fs.ErrNotExist):
			f.Log.Warn("the log's directory does not exist: looking for the log every 20 ms until it does", "dir", dir, "path", f.Path)
		case errors.Is(err, fs.ErrPermission):
			f.Log.Warn("the log's directory cannot be watched (permission denied): looking at the log every 20 ms", "dir", dir, "path", f.Path)
		default:
			f.Log.Warn("inotify unavailable: polling the log every 20 ms", "path", f.Path, "err", err)
		}
		return wake, pollEvery, func() {}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				f.Log.Debug("inotify", "err", err)
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	return wake, safetyEvery, func() { close(done); w.Close() }
}

func (f *Follower) offset() int64 {
	if f.cur == nil {
		return 0
	}
	return f.cur.mark.Offset
}

// step reads whatever the log's files hold now, moving through rotations, and stores it. While
// the store cannot write (a full disk) it reads nothing: what it holds unstored is kept, and the
// checkpoint stays where it was.
func (f *Follower) step() error {
	if f.paused != nil {
		if err := f.Store.SpaceOK(); err != nil {
			f.paused = err
			return nil
		}
		if f.batch.Len() == 0 {
			f.unpause()
		}
	}
	if f.batch.Len() > 0 {
		if err := f.flush(true); err != nil {
			return err
		}
	}
	if f.paused == nil {
		if err := f.Store.SpaceOK(); err != nil {
			f.pause(err)
		}
	}
	if f.paused != nil {
		return nil
	}
	if f.missing != nil {
		f.checkMissing()
	}
	for range 1000 { // each round moves to another file; bounded in case files churn
		if f.cur == nil && !f.pickNext() {
			break
		}
		if lf := f.missedCopy(); lf != nil {
			f.Log.Info("P2Pool log emptied and rotated before it was read: reading its copy first", "path", lf.path)
			if f.open(lf, 0) {
				continue
			}
		}
		// Truncation is looked for before reading: read after it, the offset would point into
		// the new content, and the copy would be read from the wrong place.
		if f.curState() == stateTruncated {
			f.truncated()
			continue
		}
		if err := f.readCur(false); err != nil {
			return err
		}
		if f.paused != nil {
			return nil
		}
		state := f.curState()
		if state == stateLive {
			break
		}
		if state == stateTruncated {
			continue
		}
		next := f.successor()
		if next == nil {
			break // P2Pool may still write to the file it has: nothing newer holds anything yet
		}
		if err := f.readCur(true); err != nil {
			return err
		}
		if f.paused != nil {
			return nil
		}
		f.Log.Info("done with rotated log; reading the next one", "path", f.cur.mark.Path, "offset", f.cur.mark.Offset, "next", next.path)
		if !f.open(next, 0) {
			break
		}
	}
	return f.flush(time.Since(f.lastSync) > time.Second)
}

type curState int

const (
	stateLive      curState = iota // the file at the path, as it was
	stateRotated                   // no longer at the path (renamed, deleted, compressed)
	stateTruncated                 // at the path, but emptied or rewritten (copytruncate)
)

func (f *Follower) curState() curState {
	c := f.cur
	if c.fd == nil {
		return stateRotated
	}
	st, err := os.Stat(f.Path)
	if err != nil {
		return stateRotated
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || uint64(sys.Dev) != c.mark.Dev || sys.Ino != c.mark.Ino {
		return stateRotated
	}
	if st.Size() < c.mark.Offset {
		return stateTruncated
	}
	if c.mark.HeadLen > 0 {
		buf := make([]byte, c.mark.HeadLen)
		if _, err := c.fd.ReadAt(buf, 0); err != nil || headHash(buf) != c.mark.Head {
			return stateTruncated
		}
	}
	return stateLive
}

// copyAttempts and copyRetry bound the wait for logrotate to finish the copy of a truncated log.
const (
	copyAttempts = 40
	copyRetry    = 50 * time.Millisecond
)

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// startOf identifies a file's content by its first bytes, whatever its name or compression.
func startOf(lf *logFile) string { return headHash(lf.head[:min(len(lf.head), headLen)]) }

// missedCopy is, while the live file opened empty has given nothing yet, a rotated file that
// appeared since with a start not seen before: what P2Pool wrote to the live file and logrotate
// copied and truncated away before the follower read it (two rotations within its lag).
func (f *Follower) missedCopy() *logFile {
	c := f.cur
	if c == nil || c.seen == nil || c.mark.Offset > 0 {
		return nil
	}
	if st, err := c.fd.Stat(); err != nil || st.Size() == 0 {
		return nil // nothing to read yet: whatever was missed is still there when something is
	}
	files, err := f.set.files()
	if err != nil {
		return nil
	}
	for _, lf := range files {
		if !lf.live && !lf.empty() && !c.seen[startOf(lf)] {
			return lf
		}
	}
	return nil
}

// truncated handles the live file emptied in place: logrotate's copytruncate copied it first,
// so what was not read yet is read from the copy; without a copy it is lost, and said so.
func (f *Follower) truncated() {
	old := f.cur.mark
	// logrotate may be in the middle of it: compressing the copy (p2pool.log.1 is removed once
	// p2pool.log.1.gz is whole). The plain copy is taken first, a copy gone before it could be
	// opened is looked for again, and a truncation with no copy at all is given a moment.
	for attempt := 0; attempt < copyAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(copyRetry)
		}
		files, err := f.set.files()
		if err != nil {
			f.problem(err)
		}
		var copies []*logFile
		for _, lf := range files {
			if !lf.live && (lf.dev != old.Dev || lf.ino != old.Ino) && lf.holds(old) {
				copies = append(copies, lf)
			}
		}
		slices.SortStableFunc(copies, func(a, b *logFile) int { return boolCmp(a.compressed, b.compressed) })
		for _, lf := range copies {
			if f.open(lf, old.Offset) {
				f.Log.Info("P2Pool log truncated (copytruncate): reading the rest from the copy", "path", lf.path, "offset", old.Offset)
				return
			}
		}
		if len(copies) == 0 && attempt >= 2 {
			break // no copy made (a plain truncation), not one being made
		}
	}
	if old.Offset > 0 {
		f.lost(Unread{Path: f.Path, Bytes: -1, Why: "truncated (copytruncate) with no copy of it found"})
		f.problem(fmt.Errorf("%s was truncated and no copy of it was found: lines written after offset %d and before the truncation are lost", f.Path, old.Offset))
	}
	c := f.cur
	c.mark, c.head = fileMark{Path: f.Path, Dev: old.Dev, Ino: old.Ino}, nil
	// The file's start as listed is the old content's: the new content's is read from it.
	c.lf = &logFile{path: c.lf.path, dev: c.lf.dev, ino: c.lf.ino, live: c.lf.live}
	c.first, c.lines = time.Time{}, fileLines{}
	c.parser = NewParser(f.Cfg.Location(), f.Path)
}

// successor is the oldest file of the log that came after the one being read and holds
// something, the live file being the newest of all. Which came after which is said by the
// names logrotate gave them where they say it (rotatedAfter): the order of the rotations, which
// a clock stepped back or forward does not change. Elsewhere it is the files' first records'
// times (logFile.order), after the newest file read so far.
func (f *Follower) successor() *logFile {
	files, err := f.stableFiles()
	if err != nil {
		f.problem(err)
		return nil
	}
	base := filepath.Base(f.Path)
	var cur *logFile // the file being read, as the directory names it now
	isCur := func(lf *logFile) bool {
		c := f.cur
		return c != nil && ((lf.dev == c.mark.Dev && lf.ino == c.mark.Ino) || lf.holds(c.mark))
	}
	for _, lf := range files {
		if isCur(lf) && (cur == nil || rank(lf) < rank(cur)) {
			cur = lf
		}
	}
	f.checkWaiting(files)
	var next *logFile
	for _, lf := range files { // oldest first by time, the live file last
		if lf.empty() || isCur(lf) {
			continue // nothing to read yet, or the file being read or a copy of it
		}
		after := lf.live || lf.order().After(f.floor)
		if cur != nil {
			if cmp, ok := rotatedAfter(lf, cur, base); ok {
				after = cmp > 0
			}
		}
		if !after {
			continue
		}
		if !lf.live {
			f.wait(lf)
		}
		if next == nil {
			next = lf
		} else if cmp, ok := rotatedAfter(lf, next, base); ok && cmp < 0 {
			next = lf // rotated before the one found so far
		}
	}
	return next
}

// stableFiles lists the log's files as they are between two of logrotate's moves. A listing
// taken while logrotate renames, copies and compresses may see a file under the name its
// neighbour had a moment before, or miss one: the next file would be the live one, and the
// content in between skipped. So the files are listed twice, until two listings in a row agree
// on the rotated files (names and inodes) and nothing vanished while they were taken.
func (f *Follower) stableFiles() ([]*logFile, error) {
	files, err := f.set.files()
	for attempt := 1; err == nil && attempt < copyAttempts; attempt++ {
		unstable := f.set.unstable
		again, err2 := f.set.files()
		if err2 != nil {
			return nil, err2
		}
		if !unstable && !f.set.unstable && sameRotated(files, again) {
			return again, nil
		}
		time.Sleep(copyRetry)
		files, err = f.set.files()
	}
	return files, err
}

// sameRotated says two listings name the same rotated files, each the same inode.
func sameRotated(a, b []*logFile) bool {
	key := func(files []*logFile) map[string]uint64 {
		m := map[string]uint64{}
		for _, lf := range files {
			if !lf.live {
				m[lf.path] = lf.ino
			}
		}
		return m
	}
	return maps.Equal(key(a), key(b))
}

// waitingFile is a rotated file the follower has seen and not yet read: if it goes before it is
// read (logrotate's rotate 0 or 1, a file removed by hand), what it held is lost, and said so.
type waitingFile struct {
	mark fileMark // its start, by which a copy of it (compressed) is still the same content
	size int64    // its size when last seen; -1 when compressed (its lines' size unknown)
}

// missingFile is the checkpoint's file, not found at the start.
type missingFile struct {
	mark  fileMark
	since time.Time
}

// missingGrace is how long a copy of the checkpoint's file may take to appear (logrotate's
// compression of it, under way when db4e started) before its rest is told as lost.
const missingGrace = 5 * time.Second

// checkMissing tells of the checkpoint's file as lost once missingGrace has passed with no copy
// of it found; a copy found means it is read (the files after the checkpoint's first record).
func (f *Follower) checkMissing() {
	m := f.missing
	files, err := f.set.files()
	if err != nil {
		return
	}
	if heldBy(files, m.mark) {
		f.missing = nil
		return
	}
	if time.Since(m.since) < missingGrace {
		return
	}
	f.missing = nil
	f.lost(Unread{Path: m.mark.Path, Bytes: -1, Why: fmt.Sprintf("deleted while db4e was stopped: what it held after byte %d", m.mark.Offset)})
}

// heldBy says whether one of files holds m's content: the file itself, renamed or compressed.
func heldBy(files []*logFile, m fileMark) bool {
	return slices.ContainsFunc(files, func(lf *logFile) bool { return lf.holds(m) })
}

// wait notes lf as seen and not yet read.
func (f *Follower) wait(lf *logFile) {
	n := min(len(lf.head), headLen)
	if n == 0 {
		return
	}
	m := fileMark{Path: lf.path, HeadLen: n, Head: headHash(lf.head[:n])}
	size := lf.size
	if lf.compressed {
		size = -1
	}
	if f.waiting == nil {
		f.waiting = map[string]waitingFile{}
	}
	f.waiting[m.Head] = waitingFile{mark: m, size: size}
}

// checkWaiting tells of every file seen and not read that no file holds any more.
func (f *Follower) checkWaiting(files []*logFile) {
	for key, w := range f.waiting {
		if heldBy(files, w.mark) {
			continue
		}
		delete(f.waiting, key)
		f.lost(Unread{Path: w.mark.Path, Bytes: w.size, Why: "rotated away and deleted before it was read"})
		f.problem(fmt.Errorf("%s was deleted before db4e read it (logrotate's rotate, or by hand): its lines are lost", w.mark.Path))
	}
}

// pickNext chooses what to read when nothing is being read: the live file on a first start,
// else what comes after the last file read.
func (f *Follower) pickNext() bool {
	if !f.onlyLive {
		if lf := f.successor(); lf != nil {
			return f.open(lf, 0)
		}
	}
	files, err := f.set.files()
	if err != nil {
		f.problem(err)
		return false
	}
	for _, lf := range files {
		if lf.live && (f.onlyLive || lf.empty()) {
			f.onlyLive = false
			return f.open(lf, 0)
		}
	}
	return false
}

// open makes lf the file being read, from offset. It checks that the file at lf's name is
// still lf (logrotate may have moved it meanwhile); false means look again later.
func (f *Follower) open(lf *logFile, offset int64) bool {
	fd, err := os.Open(lf.path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			f.problem(fmt.Errorf("open rotated log: %w", err))
		}
		return false
	}
	if dev, ino, ok := fileID(fd); !ok || dev != lf.dev || ino != lf.ino {
		fd.Close()
		return false
	}
	if offset == 0 && !lf.compressed && !stillStarts(fd, lf.head) {
		// Emptied and rewritten since it was listed (copytruncate): what it held then is in its
		// copy now, and the next look at the files finds it there.
		fd.Close()
		return false
	}
	f.closeCur()
	c := &reading{lf: lf, fd: fd, first: lf.first, parser: NewParser(f.Cfg.Location(), lf.path),
		mark: fileMark{Path: lf.path, Dev: lf.dev, Ino: lf.ino, Offset: offset}}
	if offset > 0 {
		c.setHead(lf.head[:min(int64(headLen), offset, int64(len(lf.head)))])
	} else if !lf.compressed {
		// What the file holds now, before a line of it is read: should it be emptied and
		// rewritten before the first read (copytruncate twice while the follower lagged), its
		// start no longer matches, the truncation is seen, and this content is read from its
		// copy instead of being skipped.
		// A start without a whole line yet (P2Pool writing its first) does not tell this content
		// from the next: the file is taken as empty until a line of it is read.
		head := make([]byte, headLen)
		if n, _ := fd.ReadAt(head, 0); n == headLen || bytes.IndexByte(head[:n], '\n') >= 0 {
			c.setHead(head[:n])
		} else if lf.live {
			c.seen = map[string]bool{}
			if files, err := f.set.files(); err == nil {
				for _, o := range files {
					if !o.live { // what the live file holds by now is what is not to be skipped
						c.seen[startOf(o)] = true
					}
				}
			}
		}
	}
	f.cur = c
	for key, w := range f.waiting { // being read: no longer waiting
		if lf.holds(w.mark) {
			delete(f.waiting, key)
		}
	}
	if lf.first.After(f.floor) {
		f.floor = lf.first
	}
	return true
}

func (f *Follower) closeCur() {
	if f.cur != nil && f.cur.fd != nil {
		f.cur.fd.Close()
	}
	f.cur = nil
}

// readCur reads the lines the file being read holds now; final when the file will not grow
// (a last line without its newline is then a line). A compressed file is read whole, once.
func (f *Follower) readCur(final bool) error {
	c := f.cur
	if c.done {
		return nil
	}
	before := c.mark.Offset
	sink := &followSink{f: f}
	var err error
	if c.lf.compressed {
		var r io.Reader
		var closer func() error
		if r, closer, _, err = openContent(c.fd); err == nil {
			_, err = streamLines(r, c.mark.Offset, sink)
			closer()
		}
		if errors.Is(err, errPaused) {
			return nil // read on from the checkpoint once the store can write
		}
		c.done = true
		if err == nil && sink.err != nil {
			err = sink.err
		}
		if err != nil && sink.err == nil {
			// A damaged compressed file: what could be read was; the rest is lost, and said so.
			f.lost(Unread{Path: c.mark.Path, Bytes: -1, Why: "a damaged compressed file: the rest of it"})
			f.problem(fmt.Errorf("read %s: %w (the rest of this file is lost)", c.mark.Path, err))
			err = nil
		}
	} else {
		c.lines.verify = c.verifyRead
		_, err = c.lines.read(c.fd, c.mark.Offset, final, sink)
		if errors.Is(err, errPaused) || errors.Is(err, errRewritten) {
			err = nil // errRewritten: curState sees the truncation, and the rest is read from the copy
		} else if sink.err != nil {
			err = sink.err
		} else if err != nil {
			f.problem(fmt.Errorf("read %s: %w", c.mark.Path, err))
			err = nil
		}
	}
	if err != nil {
		return err // the store failed
	}
	if c.mark.Offset > before {
		f.noteRead()
		if f.OnLine != nil {
			f.OnLine(time.Now())
		}
	}
	return nil
}

// noteRead keeps the checkpoint's identity of the file up to date as more of it is read.
func (f *Follower) noteRead() {
	c := f.cur
	// A plain file's head grows as it is read (verifyRead); a compressed one's is its listing's.
	if c.lf.compressed && c.mark.HeadLen < headLen && c.mark.Offset > int64(c.mark.HeadLen) {
		c.setHead(c.lf.head[:min(int(min(int64(headLen), c.mark.Offset)), len(c.lf.head))])
	}
	if c.first.IsZero() && c.fd != nil && !c.lf.compressed {
		head := make([]byte, min(c.mark.Offset, firstLen))
		if _, err := c.fd.ReadAt(head, 0); err == nil {
			c.first = firstRecordTime(head, f.Cfg.Location())
		}
	}
	if c.first.After(f.floor) {
		f.floor = c.first
	}
}

// followSink puts each line into the batch and stores full batches with the position reached.
type followSink struct {
	f   *Follower
	err error
}

func (s *followSink) line(b []byte, end int64) error {
	f := s.f
	res := f.cur.parser.Line(b)
	addResult(&f.batch, res, f.cur.mark.Path, b)
	if res.Sample != nil {
		f.stats.Samples++
	}
	return s.advance(end)
}

func (s *followSink) overlong(head []byte, n int64, end int64) error {
	f := s.f
	f.batch.Skips = append(f.batch.Skips, overlongSkip(f.cur.mark.Path, head, n))
	return s.advance(end)
}

func (s *followSink) advance(end int64) error {
	f := s.f
	f.cur.mark.Offset = end
	if f.batch.Len() >= batchLimit {
		f.noteRead()
		if err := f.flush(false); err != nil {
			s.err = err
			return err
		}
		if f.paused != nil {
			return errPaused
		}
	}
	return nil
}

// flush stores the batch with the checkpoint of what has been read. A position in a file of
// which nothing was read yet is not stored: it could not be recognised again.
func (f *Follower) flush(sync bool) error {
	cp := f.stored
	if c := f.cur; c != nil && c.mark.HeadLen > 0 {
		cp = followCheckpoint{Cur: c.mark, First: c.first}
	}
	moved := !f.haveCP || cp.Cur != f.stored.Cur || len(f.stored.Preds) > 0
	if f.batch.Len() == 0 && (!moved || cp.Cur.HeadLen == 0) {
		if sync && f.unsynced {
			return f.sync()
		}
		return nil
	}
	v, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	if cp.Cur.HeadLen > 0 {
		f.batch.Checkpoints = append(f.batch.Checkpoints[:0], store.Checkpoint{Name: f.Name, Value: v})
	}
	a, err := f.Store.Apply(&f.batch)
	if errors.Is(err, model.ErrDiskFull) {
		f.pause(err) // the batch waits, whole, for the disk to have room again
		return nil
	}
	if err != nil {
		return fmt.Errorf("store lines of %s: %w", f.Path, err)
	}
	f.unpause()
	f.stats.count(&f.batch)
	f.stats.add(a)
	if cp.Cur.HeadLen > 0 {
		f.stored, f.haveCP = cp, true
	}
	f.batch.Reset()
	f.unsynced = true
	if a.Added > 0 && f.Applied != nil {
		f.Applied(a)
	}
	if sync {
		return f.sync()
	}
	return nil
}

// sync makes what was stored survive a power cut; a process crash loses nothing before it.
func (f *Follower) sync() error {
	f.lastSync, f.unsynced = time.Now(), false
	if err := f.Store.Sync(); err != nil {
		return fmt.Errorf("sync store: %w", err)
	}
	return nil
}

// fileID is the device and inode of an open file.
func fileID(fd *os.File) (dev, ino uint64, ok bool) {
	st, err := fd.Stat()
	if err != nil {
		return 0, 0, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(sys.Dev), sys.Ino, true
}

// pause stops reading until the store can write again, saying why once.
func (f *Follower) pause(err error) {
	if f.paused == nil {
		f.Log.Warn("paused: nothing is read from P2Pool's log until the disk has room", "path", f.Path, "err", err)
		if f.OnPause != nil {
			f.OnPause(err)
		}
	}
	f.paused = err
}

// unpause goes on reading after a pause.
func (f *Follower) unpause() {
	if f.paused == nil {
		return
	}
	f.paused = nil
	f.Log.Info("the disk has room again: reading P2Pool's log on", "path", f.Path)
	if f.OnPause != nil {
		f.OnPause(nil)
	}
}

// problem says once what keeps the follower from reading something; it goes on trying.
func (f *Follower) problem(err error) {
	if err.Error() == f.lastErr {
		return
	}
	f.lastErr = err.Error()
	f.Log.Warn("follow", "err", err)
	if f.OnError != nil {
		f.OnError(err)
	}
}

// resume finds the checkpoint's file, wherever it is now, and reads on from there.
func (f *Follower) resume() error {
	raw, err := f.Store.Checkpoint(f.Name)
	if err != nil {
		return err
	}
	var cp followCheckpoint
	if raw != nil {
		if err := json.Unmarshal(raw, &cp); err != nil {
			f.Log.Warn("unreadable checkpoint; reading the log from its start", "err", err)
			raw = nil
		}
	}
	if raw == nil || cp.Cur.HeadLen == 0 && len(cp.Preds) == 0 {
		f.onlyLive = true
		return nil
	}
	f.stored, f.haveCP = cp, true
	mark := cp.Cur
	if len(cp.Preds) > 0 {
		mark = cp.Preds[0]
	}
	files, err := f.set.files()
	if err != nil {
		return err
	}
	var found *logFile
	for _, lf := range files {
		if !lf.holds(mark) || (!lf.compressed && lf.size < mark.Offset) {
			continue
		}
		if found == nil || better(lf, found, mark) {
			found = lf
		}
	}
	if found != nil && f.open(found, mark.Offset) {
		if !found.live {
			f.Log.Info("P2Pool's log was rotated while db4e was stopped: reading on from the checkpoint's file, then every newer one",
				"path", found.path, "offset", mark.Offset)
		}
		return nil
	}
	f.floor = cp.First
	if !cp.First.IsZero() {
		f.floor = cp.First.Add(-time.Nanosecond) // the file itself, if a copy of it is found
	}
	// Lost, unless a copy of it turns up (a compression under way when db4e started): said
	// after missingGrace if none has (checkMissing).
	f.missing = &missingFile{mark: mark, since: time.Now()}
	f.problem(fmt.Errorf("the file of the checkpoint (%s, offset %d) is no longer beside %s: reading every file of the log that began after %s",
		mark.Path, mark.Offset, f.Path, cp.First.Format(time.DateTime)))
	return nil
}

// better prefers, among files holding the checkpoint's content, the one it was read from, then
// a plain file over a compressed copy.
func better(a, b *logFile, m fileMark) bool {
	aSame := a.dev == m.Dev && a.ino == m.Ino
	bSame := b.dev == m.Dev && b.ino == m.Ino
	if aSame != bSame {
		return aSame
	}
	return !a.compressed && b.compressed
}
