package ops

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/store"
)

// BackupConfig is the backup section.
type BackupConfig struct {
	// Dir is where backups go when `db4e backup` names no directory, and the service's own.
	Dir string `yaml:"dir"`
	// Keep is how many backups are kept in Dir; older ones are removed after a new one is made.
	Keep int `yaml:"keep"`
	// Interval is how often the service takes one; 0 never.
	Interval time.Duration `yaml:"interval"`
}

// DefaultBackupConfig is the backup section when the file has none.
func DefaultBackupConfig() BackupConfig { return BackupConfig{Keep: 7} }

// Validate names the first bad key of the section, relative to it.
func (c BackupConfig) Validate() error {
	var p model.Problems
	p.Check(c.Keep < 0, "keep: must not be negative, got %d", c.Keep)
	p.Check(c.Interval < 0, "interval: must not be negative, got %s", c.Interval)
	p.Check(c.Interval > 0 && c.Dir == "", "dir: needed for backup.interval")
	return p.Err()
}

// backupMagic starts the decompressed content: a damaged or foreign file is told from a backup.
const backupMagic = "DB4E-BACKUP 1\n"

var backupName = regexp.MustCompile(`^db4e-\d{8}T\d{6}Z\.backup\.gz$`)

// Backup writes a compressed snapshot of the store into dir: to a temporary file, synced, then
// renamed, so a crash leaves either the whole backup or none. Retention keeps cfg.Keep.
func (l *Local) Backup(ctx context.Context, dir string) (api.BackupResult, error) {
	if dir == "" {
		dir = l.Cfg.Backup.Dir
	}
	if dir == "" {
		return api.BackupResult{}, errors.New("backup: no directory: name one or set backup.dir")
	}
	res, err := writeBackup(dir, l.Now(), l.Cfg.Backup.Keep, l.Store.Backup)
	if res.Path != "" {
		l.Log.Info("backup written", "path", res.Path, "bytes", res.Bytes, "removed", len(res.Removed))
	}
	l.recordAction(ctx, "backup", res.Path, err)
	return res, err
}

// BackupStream writes the store's snapshot stream (Badger's, uncompressed) to w: what a client
// that is not the service's user writes into a directory of its own.
func (l *Local) BackupStream(ctx context.Context, w io.Writer) error {
	err := l.Store.Backup(w)
	l.recordAction(ctx, "backup", "streamed through the socket", err)
	return err
}

// writeBackup writes what snapshot produces into dir as db4e-TIME.backup.gz: magic, gzip, a
// temporary file synced and renamed, then retention (keep; 0 keeps all).
func writeBackup(dir string, now time.Time, keep int, snapshot func(io.Writer) error) (api.BackupResult, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return api.BackupResult{}, fmt.Errorf("backup: %w", err)
	}
	final := filepath.Join(dir, "db4e-"+now.UTC().Format("20060102T150405Z")+".backup.gz")
	tmp, err := os.CreateTemp(dir, ".db4e-backup-*.tmp")
	if err != nil {
		return api.BackupResult{}, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	zw := gzip.NewWriter(tmp)
	bw := bufio.NewWriterSize(zw, 256<<10)
	bw.WriteString(backupMagic)
	err = snapshot(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err == nil {
		err = store.SyncDir(dir)
	}
	if err != nil {
		return api.BackupResult{}, fmt.Errorf("backup to %s: %w", dir, err)
	}
	st, _ := os.Stat(final)
	res := api.BackupResult{Path: final, Bytes: st.Size()}
	res.Removed, err = prune(dir, keep)
	return res, err
}

func (l *Local) recordAction(ctx context.Context, what, detail string, err error) {
	result := "ok: " + detail
	if err != nil {
		result = "failed: " + err.Error()
	}
	e := model.NewAction(l.Now(), restart.Operator(l.Via), what, "", result, 0)
	if rerr := l.Record(ctx, e); rerr != nil {
		l.Log.Warn("record action", "err", rerr)
	}
}

// prune removes the oldest backups in dir beyond keep (0 keeps all). Only db4e's own names are
// touched.
func prune(dir string, keep int) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backup retention: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names) // the timestamp sorts them by age
	var removed []string
	for len(names) > keep {
		p := filepath.Join(dir, names[0])
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("backup retention: %w", err)
		}
		removed = append(removed, p)
		names = names[1:]
	}
	return removed, nil
}

// Restore fills an empty data directory from a backup file. The file is checked whole first
// (gzip's checksum and length, db4e's header) and loaded into a temporary directory beside the
// target, which takes its place only once all of it loaded: a damaged or cut-off backup leaves
// everything as it was.
func Restore(file, dataDir string) error {
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: refusing: %s is not empty (restore into an empty data dir; stop the service and move the old one away)", dataDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := verifyBackup(file); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dataDir))
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".db4e-restore-")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; removed on any failure
	r, closeFn, err := openBackup(file)
	if err != nil {
		return err
	}
	err = store.LoadBackup(tmp, r)
	closeFn()
	if err != nil {
		return fmt.Errorf("restore %s: %w", file, err)
	}
	if err := os.Remove(dataDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, dataDir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return store.SyncDir(parent)
}

func openBackup(file string) (io.Reader, func(), error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, fmt.Errorf("restore: %w", err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("restore: %s is not a db4e backup (not gzip): %w", file, err)
	}
	br := bufio.NewReaderSize(zr, 256<<10)
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != backupMagic {
		f.Close()
		return nil, nil, fmt.Errorf("restore: %s is not a db4e backup", file)
	}
	return br, func() { f.Close() }, nil
}

// verifyBackup reads the whole file: gzip checks its CRC-32 and length only at the end.
func verifyBackup(file string) error {
	r, closeFn, err := openBackup(file)
	if err != nil {
		return err
	}
	defer closeFn()
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("restore: %s is damaged or cut off: %w", file, err)
	}
	return nil
}
