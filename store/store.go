// Package store keeps db4e's data in an embedded Badger database: the append-only event log
// (the truth), per-day views derived from it, checkpoints of the readers feeding it, time series
// with retention, and the records that were skipped as bad.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Key prefixes. Each kind of data lives under its own so it can be scanned or dropped alone.
//
// The event log sorts before every other prefix. A batch writes events (new, so at the log's
// end) with view and checkpoint updates; a level-0 table then spans the log's newest tables and
// the small keys after it, not the whole log, and compacting it rewrites a few tables. With the
// views on both sides of the log (layout 1: d/ and c/ before e/), every compaction rewrote the
// whole log, many times the store's size written, and an import's memory grew with the pages
// those compactions mapped (figures: bench/RESULTS.md, "key layout"). layout.go moves a store of
// layout 1.
const (
	prefixEvent      = "e/" // e/<unix ns BE><id>        -> event (codec.go; JSON in older stores)
	prefixDay        = "v/" // v/<YYYY-MM-DD>            -> DayTotals JSON
	prefixCheckpoint = "p/" // p/<reader name>           -> checkpoint bytes (owned by the reader)
	prefixSkip       = "s/" // s/<hash of record>        -> Skip JSON
	prefixSeries     = "t/" // t/<YYYYMMDD>/<series>\x00<unix ns BE>[c] -> float64 bits, or a chunk (chunk.go)
	prefixLatest     = "l/" // l/<series>                -> latest model.Sample JSON
	prefixHost       = "h/" // h/<host>                  -> HostTotals JSON
	prefixPayout     = "y/" // y/<height BE>             -> model.Payout JSON (payouts.go)
	keyMeta          = "m/meta"
	keyViews         = "m/views" // viewsVersion: which views the store keeps
	keySkipped       = "m/skipped"
	keyRebuilding    = "m/rebuilding"
)

// Config is the store's part of the configuration file.
type Config struct {
	// SeriesRetentionDays bounds the time series (hashrates, heights); events are kept forever.
	SeriesRetentionDays int `yaml:"series_retention_days"`
	// Timezone cuts days for the views; empty means the system's. It is the file's top-level
	// timezone key, which reports use too.
	Timezone string `yaml:"-"`
	// MinFreeMB is the free space, in MiB, below which nothing is written to the data dir:
	// room for Badger to flush and compact (a table, a value log file, two memtables). Under it
	// the service pauses reading P2Pool's log and one-off writers stop with an error.
	MinFreeMB int `yaml:"min_free_mb"`
	// Bulk trades memory for write throughput, for a one-off import process.
	Bulk bool `yaml:"-"`
	// Reader is set by a process that only reads (report, export, status, check): it never
	// creates a store, and opens one read-only when the disk is full.
	Reader bool `yaml:"-"`
	// MaxHosts bounds the hosts that get a row of their own in the views (miners.max_hosts).
	MaxHosts int `yaml:"-"`
}

// DefaultConfig is what an absent key means. The default keeps a month of samples (what a month
// of 50 miners polled every minute takes: bench/RESULTS.md, "series_retention_days").
func DefaultConfig() Config { return Config{SeriesRetentionDays: 30, MinFreeMB: 256} }

// Validate names the first bad key of the store section, relative to it.
func (c Config) Validate() error {
	var p model.Problems
	p.Check(c.SeriesRetentionDays < 0, "series_retention_days: must not be negative, got %d", c.SeriesRetentionDays)
	p.Check(c.MinFreeMB < MinFreeFloorMB, "min_free_mb: want at least %d (what Badger may write in one compaction once db4e stops writing), got %d", MinFreeFloorMB, c.MinFreeMB)
	return p.Err()
}

// Store is an open db4e data directory. It is safe for concurrent use.
type Store struct {
	db  *badger.DB
	loc *time.Location
	cfg Config
	log *slog.Logger
	dir string

	// writeMu serialises writers: views are read-modify-write, and one writer at a time means
	// no transaction ever conflicts.
	writeMu  sync.Mutex
	closed   bool // under writeMu
	space    *spaceGuard
	readOnly bool
	// hostCount is how many hosts have a row of their own (h/ keys), under writeMu.
	hostCount int
	// newestEvent is the greatest event key stored, under writeMu: an event whose key sorts
	// after it is new without a lookup.
	newestEvent []byte
	// unsealed holds the series-day prefixes written single samples since they were last
	// sealed, with the earliest such sample's time (series.go), under writeMu. Until the
	// first seal since Open has scanned the store for older ones, scanned is false.
	unsealed map[string]int64
	scanned  bool
	// sealMu serialises SealSeries; backlog, under it, is what the first scan found to seal.
	sealMu      sync.Mutex
	backlog     []unsealedDay
	backlogTold bool // the log said a backlog is being sealed
	// pages keeps the tables' mapped pages out of the process's memory, from before Badger
	// opens until after it closes (release.go).
	pages *pageWatcher
	// chunkTails holds, for the series-days sealed last time, the first sample's time of the
	// day's last chunk (series.go), under writeMu.
	chunkTails map[string]int64
	// bulk is a bulk load under way (bulk.go), under writeMu.
	bulk *bulkLoad
	// keys are the prefixes reads use: the current layout's, or layout 1's in a store that
	// could not be moved because it was opened read-only (a full disk).
	keys layout
	// dirDev and dirIno are the data dir's when it was opened: another directory by its name
	// (removed and made again, a backup copied over) is not the one Badger has open.
	dirDev, dirIno uint64
}

// Gone says why the store's directory is no longer the one it opened: removed, replaced by
// another of the same name, or its MANIFEST deleted. Badger's open files still take writes then,
// into files no one will ever open again: the store is down. nil while all is well.
func (s *Store) Gone() error {
	fi, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("the data dir %s is gone (%w): what the service stores now is lost when it stops; restart it (and restore a backup if the store was deleted)", s.dir, errors.Unwrap(err))
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && s.dirIno != 0 && (uint64(st.Dev) != s.dirDev || st.Ino != s.dirIno) {
		return fmt.Errorf("the data dir %s was replaced by another directory: the service still writes into the removed one; restart it to open this one", s.dir)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "MANIFEST")); err != nil {
		return fmt.Errorf("the data dir %s lost its MANIFEST: the store cannot be opened again as it is; restart the service, or restore a backup", s.dir)
	}
	return nil
}

// memTableSize is Badger's memtable size; its log on disk is twice that (see badgerOptions).
const memTableSize = 2 << 20

// memTableSizeIn is memTableSize, or the size of the memtables whose logs a crash left in dir
// when that is larger: a db4e before 2 MB memtables was killed while writing with 4 MB ones.
// Badger replays such a log into an arena of this open's size, and with a smaller one it exits
// the process ("Arena too small", a log.Fatal in an assertion, badger #2002): the service could
// not start, nor db4e check. The arena of the run that wrote the log held it, so one of that
// size holds its replay; the larger memtables last until the next open. Never more than
// Badger's default (64 MB), the largest any db4e used: a larger file is no memtable log of
// db4e's, and its size is no reason to take that much memory.
func memTableSizeIn(dir string) int64 {
	size := int64(memTableSize)
	most := badger.DefaultOptions("").MemTableSize
	logs, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	for _, l := range logs {
		// A memtable's log is made twice its memtable's size (Badger's openMemTable).
		if fi, err := os.Stat(l); err == nil && fi.Size()/2 > size {
			size = min(fi.Size()/2, most)
		}
	}
	return size
}

// Options are Badger's, sized for a small machine that also runs monerod: Badger's defaults
// take tens of MB of RAM before storing anything (figures: bench/RESULTS.md, "badgerOptions").
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log}).
		// Small memtables: they are the L0 table size too, and compaction buffers scale with it;
		// the service peaks lower during an import through it than with 4 MB ones. A log left by
		// a crash with larger ones is replayed with its own size (memTableSizeIn).
		WithMemTableSize(memTableSizeIn(dir)).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBaseTableSize(512 << 10).
		WithBaseLevelSize(4 << 20).
		// No compression: db4e's data is small, and the compressor's buffers cost more memory
		// during every compaction than the whole store saves on disk.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(2 << 20).
		WithValueLogFileSize(64 << 20).
		WithValueThreshold(1 << 10).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithCompactL0OnClose(true).
		// A damaged block or value is an error, not a silently shorter answer.
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true)
	// Every table the same small size: a compaction holds up to 8 table builders at once, each
	// with a buffer of twice its table size, and the default doubles the size at every level.
	opt.TableSizeMultiplier = 1
	return opt
}

// Open opens (creating if needed) the store in dir. loc cuts days; nil means UTC.
func Open(dir string, cfg Config, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	loc, err := LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, err
	}
	guard := &spaceGuard{dir: dir, need: uint64(max(cfg.MinFreeMB, 0)) << 20}
	space := guard.check()
	var full error // why the store is opened read-only
	if cfg.Reader {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open store %s: %w: nothing to read (is data_dir, or --data, right?)", dir, model.ErrNoStore)
		}
		// Opening read-write may flush what a crash left in memory: on a full disk, read only.
		full = space
	} else if space != nil {
		// Even opening read-write can write (a crash's memtables are flushed at once).
		return nil, fmt.Errorf("open store %s: %w", dir, space)
	}
	// Every table is verified, block by block, before Badger opens it: a flipped bit is an
	// error naming the file, not a wrong count (Badger's iterators stop quietly at a bad block).
	readOnly := full != nil
	unlock, err := lockDir(dir, readOnly)
	if err != nil {
		return nil, err
	}
	exists, err := preflight(dir, full, log)
	unlock()
	if err != nil {
		return nil, err
	}
	if cfg.Reader && !exists {
		return nil, fmt.Errorf("open store %s: %w: the directory holds no db4e store (is data_dir, or --data, right?)", dir, model.ErrNoStore)
	}
	opt := badgerOptions(dir, log).WithReadOnly(readOnly)
	if cfg.Bulk {
		// Small, frequent compactions (1 MB tables, each level-0 table compacted at once) keep
		// what one compaction maps and allocates small, for a little more time (figures:
		// bench/RESULTS.md, "bulk options"). Tables are sized per level, so this changes nothing
		// for a store opened later with the service's options.
		opt = opt.WithBaseTableSize(1 << 20).WithBaseLevelSize(4 << 20).WithNumLevelZeroTables(1).WithNumLevelZeroTablesStall(4)
	}
	pages := watchMappedPages(dir)
	opened := false
	defer func() {
		if !opened {
			pages.stop()
		}
	}()
	db, err := openBadger(opt)
	if err != nil {
		if isLockError(err) {
			return nil, lockedError(dir)
		}
		if isTruncateNeeded(err) {
			return nil, fmt.Errorf("open store %s: a crash, or a stop on a full disk, left writes that need free space to recover: %w", dir, space)
		}
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	if !readOnly {
		guard.reserved = 2 * memTableSize // the log of the memtable Badger made at the open
	}
	s := &Store{db: db, loc: loc, cfg: cfg, log: log, dir: dir, space: guard, readOnly: readOnly, keys: currentLayout, pages: pages}
	if fi, err := os.Stat(dir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			s.dirDev, s.dirIno = uint64(st.Dev), st.Ino
		}
	}
	if err := s.moveLayout(); err != nil {
		db.Close()
		return nil, err
	}

	if readOnly {
		log.Warn("the disk is full: the store is open read-only", "dir", dir, "err", space)
	}
	if err := s.loadHostCount(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadNewestEvent(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.checkMeta(); err != nil {
		db.Close()
		return nil, err
	}
	if cfg.Bulk && !readOnly {
		if err := s.startBulk(); err != nil {
			db.Close()
			return nil, err
		}
	}
	opened = true
	return s, nil
}

// openBadger opens Badger, turning a panic on a damaged file into an error.
func openBadger(opt badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w", firstLineOf(fmt.Sprint(r)), model.ErrDamaged)
		}
	}()
	return badger.Open(opt)
}

// ReadOnly reports a store opened read-only (a reader on a full disk).
func (s *Store) ReadOnly() bool { return s.readOnly }

// SpaceOK reports whether there is room to write, and if not why.
func (s *Store) SpaceOK() error { return s.space.check() }

// LoadLocation reads a time zone name; empty means the system's.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: %w", name, err)
	}
	return loc, nil
}

// Location is the zone days are cut in.
func (s *Store) Location() *time.Location { return s.loc }

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Close flushes and closes the store. With less than closeRoom free it writes nothing:
// Badger's close flushes the memtable into a table and compacts level 0, through mapped files,
// and on a full disk that is a SIGBUS. What the memtable holds is in its write-ahead file
// already, so the store is left as kill -9 leaves it, and the next open recovers it.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return nil // a console that handed its store over closes it once more on its way out
	}
	s.closed = true
	defer s.pages.stop() // after Badger's close, which compacts level 0
	s.pages.expectWork()
	bulkErr := s.endBulk()
	if err := s.Gone(); err != nil && !s.readOnly {
		// Badger would flush its memtables into the removed directory's files, and retry
		// every second for good when it cannot: SIGTERM would never end the service.
		s.log.Warn("the store's directory is gone: closing without flushing", "dir", s.dir, "err", err)
		return nil
	}
	if free, err := FreeSpace(s.dir); err == nil && free < closeRoom && !s.readOnly {
		s.log.Warn("the disk is full: the store is left unflushed, as a crash would leave it; the next start with free space recovers it",
			"dir", s.dir, "free_mb", free>>20, "needed_mb", closeRoom>>20)
		return nil
	}
	if err := s.db.Close(); err != nil {
		return errors.Join(bulkErr, fmt.Errorf("close store %s: %w", s.dir, err))
	}
	return bulkErr
}

// Sync makes what was written durable against a power cut, not only a process crash. A bulk
// load under way is durable once it ends, at Close.
func (s *Store) Sync() error {
	s.writeMu.Lock()
	bulk := s.bulk != nil
	s.writeMu.Unlock()
	if bulk {
		return nil
	}
	return s.db.Sync()
}

// viewsVersion names the views a store keeps; a store whose views an earlier db4e made (without
// the payouts view: "") has them rebuilt at open.
const viewsVersion = "2"

// checkMeta rebuilds the views when they were cut in another time zone than the one configured
// (one that cuts other days: zone.go), or made by an earlier db4e that kept fewer: the log is
// the truth, so either only costs a rebuild.
func (s *Store) checkMeta() error {
	var zone, views string
	err := s.db.View(func(txn *badger.Txn) error {
		for k, v := range map[string]*string{keyMeta: &zone, keyViews: &views} {
			it, err := txn.Get([]byte(k))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := it.Value(func(b []byte) error { *v = string(b); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read store meta: %w", err)
	}
	pending := bulkInterrupted(s.dir)
	_ = s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte(keyRebuilding))
		pending = pending || err == nil
		return nil
	})
	if s.readOnly {
		if pending || (zone != "" && (!sameDays(zone, s.loc) || views != viewsVersion)) {
			s.log.Warn("the views need a rebuild, which needs free space: they may be out of date until then")
		}
		return nil
	}
	if pending {
		s.log.Warn("a rebuild of the views was interrupted; rebuilding")
		if _, err := s.Rebuild(context.Background()); err != nil {
			return err
		}
		if err := removeMarker(s.dir); err != nil {
			return err
		}
	}
	id := zoneID(s.loc)
	if zone == id && views == viewsVersion {
		return nil
	}
	switch {
	case zone != "" && !sameDays(zone, s.loc):
		was, _, _ := splitZoneID(zone)
		s.log.Warn("views were cut in another time zone; rebuilding", "was", was, "now", s.loc.String())
		if _, err := s.Rebuild(context.Background()); err != nil {
			return err
		}
	case zone != "" && views != viewsVersion:
		s.log.Warn("views of an earlier db4e (no payouts view); rebuilding them from the log, once")
		if _, err := s.Rebuild(context.Background()); err != nil {
			return err
		}
	}
	return s.db.Update(func(txn *badger.Txn) error { return setMeta(txn, id) })
}

// setMeta records the zone the views are cut in and which views they are.
func setMeta(txn *badger.Txn, zone string) error {
	return errors.Join(txn.Set([]byte(keyMeta), []byte(zone)), txn.Set([]byte(keyViews), []byte(viewsVersion)))
}

type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) {
	l.log.Error("badger: " + trimNL(fmt.Sprintf(f, a...)))
}
func (l badgerLogger) Warningf(f string, a ...any) {
	l.log.Warn("badger: " + trimNL(fmt.Sprintf(f, a...)))
}
func (l badgerLogger) Infof(f string, a ...any) {
	l.log.Debug("badger: " + trimNL(fmt.Sprintf(f, a...)))
}
func (l badgerLogger) Debugf(f string, a ...any) {}

func trimNL(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}

// isTruncateNeeded: Badger formats this error into its message (y.Wrapf), so errors.Is alone
// misses it.
func isTruncateNeeded(err error) bool {
	return errors.Is(err, badger.ErrTruncateNeeded) || strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error())
}

func isLockError(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "Another process is using this Badger database") ||
		strings.Contains(err.Error(), "resource temporarily unavailable"))
}
