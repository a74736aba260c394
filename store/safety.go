package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
	"golang.org/x/sys/unix"
)

// MinFreeFloorMB is the least store.min_free_mb may be: once db4e stops writing, Badger may
// still finish a compaction, which with a bulk import's options writes up to about 92 MB (15
// level-0 tables of 4 MB and a 32 MB level 1), and a write it cannot place is a crash.
const MinFreeFloorMB = 128

// DiskFullError says which disk, how much is free and how much db4e wants free.
type DiskFullError struct {
	Dir        string
	Free, Need uint64
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("the disk of %s has %s free; db4e needs %s free to write safely (store.min_free_mb): free some space",
		e.Dir, mb(e.Free), mb(e.Need))
}

func (e *DiskFullError) Is(target error) bool { return target == model.ErrDiskFull }

func mb(n uint64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// FreeSpace is what an unprivileged process may still write on dir's filesystem.
func FreeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// closeRoom is the free space Badger's close needs: a memtable flushed (4 MiB) and level 0
// compacted into the tables it overlaps, which with the event log sorted first (layout 2) are
// the newest few and the views.
const closeRoom = 64 << 20

// spaceGuard answers "may we write now?": one statfs (a microsecond or two) before every write,
// since a bulk import fills megabytes between two batches.
type spaceGuard struct {
	dir  string
	need uint64
	// reserved is room the disk holds for db4e already, counted as free: the log of the memtable
	// being written, whose blocks Badger's copy reserves when it makes it (so that no write to
	// its mapping meets a full disk). Without it an open at a few MB over need, which makes that
	// log, would leave too little for the writes it opened for.
	reserved uint64
}

func (g *spaceGuard) check() error {
	if g.need == 0 {
		return nil
	}
	free, err := FreeSpace(g.dir)
	if err != nil {
		return nil // cannot tell: do not stop on that
	}
	if free+g.reserved < g.need {
		return &DiskFullError{Dir: g.dir, Free: free, Need: g.need}
	}
	return nil
}

// lockDir takes the lock Badger takes on dir (flock on the directory itself; shared for a
// read-only open) for as long as preflight looks at it, and gives it back before Badger takes
// it. Without it a second db4e's preflight ran beside the process that had the store open: a
// service started while a console held the store removed the console's new memtable log as one
// a crash left empty, and read a table Badger was writing (SIGBUS, "fatal error: fault"). In
// the moment between release and Badger's lock another db4e may look too, but no Badger has
// the store open then. An error wraps model.ErrLocked; no directory, nothing to lock.
func lockDir(dir string, shared bool) (release func(), err error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	how := unix.LOCK_EX | unix.LOCK_NB
	if shared {
		how = unix.LOCK_SH | unix.LOCK_NB
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, lockedError(dir)
		}
		return nil, fmt.Errorf("open store %s: lock: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing the last descriptor releases the flock
}

// preflight looks at the data directory before Badger does, for what Badger would handle
// badly: tables without their MANIFEST (Badger would start an empty store and delete them),
// a table cut short or damaged at its end (Badger would panic), and what kill -9 can leave (an
// empty memtable file, which Badger refuses to open). It returns whether a store is there.
// full is why the store is to be opened read-only (the disk is full), nil if it may be written.
func preflight(dir string, full error, log *slog.Logger) (bool, error) {
	readOnly := full != nil
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open store %s: %w", dir, err)
	}
	var tables, vlogs []string // counted: without MANIFEST, what would be lost
	manifest := false
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "MANIFEST":
			manifest = true
		case strings.HasSuffix(name, ".sst"):
			tables = append(tables, name)
		case strings.HasSuffix(name, ".vlog"):
			vlogs = append(vlogs, name)
		case strings.HasSuffix(name, ".mem"):
			fi, err := e.Info()
			if err != nil {
				continue
			}
			if fi.Size() > 0 && readOnly {
				// Badger replays it only by writing (read-only it refuses, and on tmpfs reading
				// its unwritten end faults on a full disk).
				return true, fmt.Errorf("open store %s: %s holds writes not yet flushed (the last db4e stopped on a full disk, or was killed); reading them needs free space: %w",
					dir, filepath.Join(dir, name), full)
			}
			if fi.Size() > 0 {
				continue
			}
			// Created, not yet sized, when the process was killed: it holds nothing.
			if readOnly {
				return true, fmt.Errorf("open store %s: %s is an empty memtable left by a crash; run any db4e command that writes (db4e rebuild) or start the service once to clear it: %w",
					dir, filepath.Join(dir, name), model.ErrDamaged)
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return true, fmt.Errorf("open store %s: remove empty memtable left by a crash: %w", dir, err)
			}
			log.Warn("recovered from a crash: removed an empty memtable file (what it would have held is read again from the log)", "file", filepath.Join(dir, name))
		}
	}
	if !manifest {
		if len(tables) > 0 || len(vlogs) > 0 {
			return true, fmt.Errorf("open store %s: %s is missing, but the directory holds %d table(s) and %d value log(s): opening it would start an empty store over them. Restore a backup (db4e restore FILE into an empty data dir) or put MANIFEST back: %w",
				dir, filepath.Join(dir, "MANIFEST"), len(tables), len(vlogs), model.ErrDamaged)
		}
		return false, nil
	}
	// Only the tables the MANIFEST names: one a kill -9 left half written is not in it yet, and
	// Badger deletes it at open.
	live, err := manifestTables(dir)
	if err != nil {
		return true, fmt.Errorf("open store %s: %w. Restore a backup (db4e restore FILE into an empty data dir): %w", dir, err, model.ErrDamaged)
	}
	for _, id := range live {
		if err := checkTable(filepath.Join(dir, fmt.Sprintf("%06d.sst", id))); err != nil {
			return true, fmt.Errorf("open store %s: %w. Restore a backup (db4e restore FILE into an empty data dir): %w", dir, err, model.ErrDamaged)
		}
	}
	return true, nil
}

// manifestTables lists the tables the MANIFEST holds.
func manifestTables(dir string) ([]uint64, error) {
	path := filepath.Join(dir, "MANIFEST")
	fp, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fp.Close()
	m, err := replayManifest(fp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ids := make([]uint64, 0, len(m.Tables))
	for id := range m.Tables {
		ids = append(ids, id)
	}
	return ids, nil
}

func replayManifest(fp *os.File) (m badger.Manifest, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged: %s", firstLineOf(fmt.Sprint(r)))
		}
	}()
	m, _, err = badger.ReplayManifestFile(fp, 0, badger.DefaultOptions(""))
	return m, err
}

// checkTable opens one table as Badger would and verifies its index and every block against
// their checksums, turning a panic on a cut or damaged file into an error naming it. (Badger's
// own DB.VerifyChecksum dereferences nil on a bad block when blocks are verified on read,
// v4.9.6; OnTableRead takes the path that returns the error.)
func checkTable(path string) (err error) {
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("table %s: %w", path, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("table %s is damaged (cut short?): %s", path, firstLineOf(fmt.Sprint(r)))
			_ = mf.Close(-1)
		}
	}()
	fi, err := mf.Fd.Stat()
	if err != nil {
		_ = mf.Close(-1)
		return fmt.Errorf("table %s: %w", path, err)
	}
	if fi.Size() < 8 {
		_ = mf.Close(-1)
		return fmt.Errorf("table %s is damaged: %d bytes", path, fi.Size())
	}
	t, err := table.OpenTable(mf, table.Options{ChkMode: options.OnTableRead, Compression: options.None})
	if err != nil {
		return fmt.Errorf("table %s is damaged: %s", path, firstLineOf(err.Error()))
	}
	return t.Close(-1)
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// lockedError says the store in dir is another process's, and whose: model.ErrLocked, for
// the callers that wait for it to be let go.
func lockedError(dir string) error {
	return fmt.Errorf("open store %s: %w%s", dir, model.ErrLocked, holder(dir))
}

// holder names the process that has the store open for writing, from the pid Badger writes in
// its LOCK file: "; held by pid 4242: db4e --config /etc/db4e/config.yaml". Empty when it
// cannot tell (a reader writes no pid; the process may be gone).
func holder(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "LOCK"))
	if err != nil {
		return ""
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return ""
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	args := strings.Join(strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " ")), " ")
	return fmt.Sprintf("; held by pid %d: %s", pid, model.SanitizeText(args, 200))
}
