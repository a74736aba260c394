package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cespare/xxhash/v2"
)

// headLen is how much of a file's start identifies it: a P2Pool log starts with a record whose
// time stamp has a tenth of a millisecond, which no other log file shares. An inode alone is not
// enough: it is reused after a delete, and compressing a file gives its content a new one.
const headLen = 256

// firstLen is how much of a file is read to find its first record's time.
const firstLen = 4 << 10

// fileMark is a position in the content of one particular file: its device and inode when it
// was read, and a hash of its first HeadLen bytes (HeadLen = min(headLen, Offset)), by which the
// same content is found again after a rename or inside a compressed copy.
type fileMark struct {
	Path    string `json:"path"`
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Head    string `json:"head"`
	HeadLen int    `json:"head_len"`
	Offset  int64  `json:"offset"`
}

// logFile is one file of the log's history: the live log or a rotated copy.
type logFile struct {
	path       string
	dev, ino   uint64
	size       int64 // on disk (compressed size for a compressed file)
	modTime    time.Time
	compressed bool
	live       bool
	head       []byte    // its content's first bytes (decompressed), up to firstLen
	first      time.Time // its first record's time; zero when none was found
}

// empty reports a file with no content yet.
func (lf *logFile) empty() bool { return len(lf.head) == 0 }

// order is what files are sorted by: the time of their first record, which is how P2Pool wrote
// them one after the other whatever logrotate named them; a file without a readable first
// record counts from when it was last written.
func (lf *logFile) order() time.Time {
	if !lf.first.IsZero() {
		return lf.first
	}
	return lf.modTime
}

// rotation is where logrotate's name for a rotated file puts it among the others: its number
// (p2pool.log.3, p2pool.log.3.gz: the higher, the older) or its date stamp (p2pool.log-20250301,
// dateformat -%Y%m%d-%s: the later, the newer). Names are given at each rotation, in the order
// of the rotations, whatever P2Pool's clock wrote inside the files: after a clock step, they
// still say which file came after which, where the first records' times do not.
type rotation struct {
	num   int    // 1 for .1; 0 when the name has no number
	stamp string // "20250301" for -20250301; "" when the name has no date stamp
}

// compressedExts are the endings of a compressed copy, stripped before the name is read.
var compressedExts = []string{".gz", ".bz2", ".zst", ".xz"}

// rotationOf reads the rotation in the name of path, a copy of the log whose name is base.
func rotationOf(path, base string) rotation {
	name := filepath.Base(path)
	for _, ext := range compressedExts {
		name = strings.TrimSuffix(name, ext)
	}
	rest, ok := strings.CutPrefix(name, base)
	if !ok || len(rest) < 2 || rest[1] < '0' || rest[1] > '9' {
		return rotation{}
	}
	if rest[0] == '.' && isDigits([]byte(rest[1:])) && len(rest) < 8 {
		n := 0
		for _, c := range rest[1:] {
			n = n*10 + int(c-'0')
		}
		return rotation{num: n}
	}
	if rest[0] == '-' || rest[0] == '.' {
		return rotation{stamp: rest[1:]}
	}
	return rotation{}
}

// rotatedAfter compares a and b by the names logrotate gave them (the live log after every
// rotated one): 1 when a was rotated after b (a holds the newer lines), -1 before; ok is false
// when their names do not say (different schemes, no number or date in one of them).
func rotatedAfter(a, b *logFile, base string) (int, bool) {
	switch {
	case a.live && b.live:
		return 0, true
	case a.live:
		return 1, true
	case b.live:
		return -1, true
	}
	ra, rb := rotationOf(a.path, base), rotationOf(b.path, base)
	switch {
	case ra.num > 0 && rb.num > 0:
		return rb.num - ra.num, true // .1 is newer than .2
	case ra.stamp != "" && rb.stamp != "" && len(ra.stamp) == len(rb.stamp):
		return strings.Compare(ra.stamp, rb.stamp), true
	}
	return 0, false
}

// holds reports whether the content of lf starts as m's did: the same content, wherever it is
// now and however it is stored.
func (lf *logFile) holds(m fileMark) bool {
	if m.HeadLen == 0 || len(lf.head) < m.HeadLen {
		return false
	}
	return headHash(lf.head[:m.HeadLen]) == m.Head
}

func headHash(b []byte) string {
	return fmt.Sprintf("%016x", xxhash.Sum64(b))
}

// logSet finds the files of P2Pool's log: the live file and its rotated copies beside it
// (p2pool.log.1, p2pool.log.2.gz, p2pool.log-20250301, p2pool.log-20250301.gz, and any other
// name that starts with the log's name and a '.' or '-'), plus those matching a configured glob
// (logrotate's olddir, other schemes). Fingerprints are cached by inode, size and time.
type logSet struct {
	path  string
	glob  string
	loc   *time.Location
	cache map[fileKey]*logFile
	// unstable says the last listing caught logrotate at work: a file gone between the
	// directory's listing and its reading (p2pool.log.1 removed once p2pool.log.1.gz was whole,
	// the .gz not yet in the listing). What it lists may lack a content that is there.
	unstable bool
}

type fileKey struct {
	dev, ino uint64
	size     int64
	mod      int64
}

// files lists the log's files, the live one included when it exists, oldest first, with one
// file per content: a rotated file that is being compressed exists twice for a moment, and the
// plain one is read.
func (ls *logSet) files() ([]*logFile, error) {
	names := map[string]bool{}
	dir, base := filepath.Dir(ls.path), filepath.Base(ls.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		if n == base || strings.HasPrefix(n, base+".") || strings.HasPrefix(n, base+"-") {
			names[filepath.Join(dir, n)] = true
		}
	}
	if ls.glob != "" {
		matches, err := filepath.Glob(ls.glob)
		if err != nil {
			return nil, fmt.Errorf("p2pool.rotated_glob %q: %w", ls.glob, err)
		}
		for _, m := range matches {
			names[m] = true
		}
	}
	if ls.cache == nil {
		ls.cache = map[fileKey]*logFile{}
	}
	seen := map[fileKey]bool{}
	var out []*logFile
	ls.unstable = false
	for name := range names {
		lf, key, err := ls.inspect(name)
		if err != nil || lf == nil {
			ls.unstable = ls.unstable || errors.Is(err, os.ErrNotExist)
			continue // gone meanwhile, a directory, unreadable: not part of the history
		}
		seen[key] = true
		out = append(out, lf)
	}
	for k := range ls.cache {
		if !seen[k] {
			delete(ls.cache, k)
		}
	}
	// One file per content: prefer the live file, then a plain one (complete, and growing if
	// P2Pool still writes to it) over a compressed copy that may still be being written.
	slices.SortFunc(out, func(a, b *logFile) int {
		if c := a.order().Compare(b.order()); c != 0 {
			return c
		}
		return rank(a) - rank(b)
	})
	var kept []*logFile
	for _, lf := range out {
		dup := false
		for _, k := range kept {
			if !lf.empty() && !k.empty() && sameStart(lf, k) {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, lf)
		}
	}
	// The live file is the newest whatever its first record says.
	slices.SortStableFunc(kept, func(a, b *logFile) int {
		switch {
		case a.live == b.live:
			return 0
		case a.live:
			return 1
		}
		return -1
	})
	return kept, nil
}

func rank(lf *logFile) int {
	switch {
	case lf.live:
		return 0
	case !lf.compressed:
		return 1
	}
	return 2
}

// sameStart reports two files whose contents start alike (one is a copy of the other). A start
// shorter than headLen tells only if it holds a whole line: P2Pool's contents written a second
// apart begin with the same date and hour, and the live file just truncated holds a part of
// its new first line only.
func sameStart(a, b *logFile) bool {
	n := min(len(a.head), len(b.head), headLen)
	if n < headLen && bytes.IndexByte(a.head[:n], '\n') < 0 {
		return false
	}
	return n > 0 && bytes.Equal(a.head[:n], b.head[:n])
}

// inspect fingerprints one file.
func (ls *logSet) inspect(name string) (*logFile, fileKey, error) {
	fi, err := os.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, fileKey{}, err
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fileKey{}, errors.New("no inode on this platform")
	}
	key := fileKey{dev: uint64(sys.Dev), ino: sys.Ino, size: fi.Size(), mod: fi.ModTime().UnixNano()}
	live := name == ls.path
	if lf, ok := ls.cache[key]; ok && lf.live == live {
		if lf.path != name {
			c := *lf
			c.path = name
			return &c, key, nil
		}
		return lf, key, nil
	}
	lf := &logFile{path: name, dev: key.dev, ino: key.ino, size: fi.Size(), modTime: fi.ModTime(), live: live}
	fd, err := os.Open(name)
	if err != nil {
		return nil, key, err
	}
	defer fd.Close()
	if lf.head, lf.compressed, err = readHead(fd); err != nil {
		return nil, key, err
	}
	lf.first = firstRecordTime(lf.head, ls.loc)
	// A file still growing is looked at again when it changes; only its key changes then.
	ls.cache[key] = lf
	return lf, key, nil
}

// FileOrder is when P2Pool began writing fd, by the rule the follower orders a log's files with
// (logFile.order): its first record's time, or when it was last written if its first few KB
// hold none. It reads through its own offsets: fd's is left as it was.
func FileOrder(fd *os.File, loc *time.Location) time.Time {
	var lf logFile
	if fi, err := fd.Stat(); err == nil {
		lf.modTime = fi.ModTime()
	}
	if head, _, err := readHead(fd); err == nil {
		lf.first = firstRecordTime(head, loc)
	}
	return lf.order()
}

// readHead reads the first firstLen bytes of fd's content, decompressed if need be, through
// its own offsets. A compressed file cut short still has the head it had.
func readHead(fd *os.File) ([]byte, bool, error) {
	r, closer, compressed, err := openContent(fd)
	if err != nil {
		return nil, compressed, err
	}
	defer closer()
	buf := make([]byte, firstLen)
	n, err := io.ReadFull(r, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && (!compressed || n == 0) {
		return nil, compressed, fmt.Errorf("%s: %w", fd.Name(), err)
	}
	return buf[:n], compressed, nil
}

// firstRecordTime is the time stamp of the first record in head.
func firstRecordTime(head []byte, loc *time.Location) time.Time {
	for len(head) > 0 {
		line := head
		i := bytes.IndexByte(head, '\n')
		if i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if pre, _, ok := ParsePrefix(cleanLine(line), loc); ok {
			return pre.Time
		}
	}
	return time.Time{}
}

// openContent returns a reader of fd's content from its start, decompressed if need be
// (Decompress), and whether it was compressed.
func openContent(fd *os.File) (io.Reader, func() error, bool, error) {
	r, closer, compressed, err := decompress(io.NewSectionReader(fd, 0, 1<<62))
	if err != nil {
		return nil, nil, compressed, fmt.Errorf("%s: %w", fd.Name(), err)
	}
	return r, closer, compressed, nil
}
