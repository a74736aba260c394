// Package ops is what an operator sees and does: reports, imports, restarts, backups, health.
// The Local implementation works on the store in this process; the remote one asks the service.
package ops

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/store"
)

// Config is what ops needs of the configuration file.
type Config struct {
	P2Pool ingest.Config
}

// Local works on a store this process has open.
type Local struct {
	Store *store.Store
	Cfg   Config
	Log   *slog.Logger
	Now   func() time.Time
}

// NewLocal wires a Local.
func NewLocal(s *store.Store, cfg Config, log *slog.Logger) *Local {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Local{Store: s, Cfg: cfg, Log: log, Now: time.Now}
}

// Report returns the daily totals.
func (l *Local) Report(ctx context.Context, q ReportQuery) (Report, error) {
	return BuildReport(l.Store, q, l.Now())
}

// Rebuild recomputes every view from the event log.
func (l *Local) Rebuild(ctx context.Context) (int, error) {
	return l.Store.Rebuild(ctx)
}

// Import formats.
const (
	FormatP2Pool  = "p2pool"
	FormatJSONSeq = "jsonseq"
)

// ImportResult sums up an import.
type ImportResult struct {
	Files      int   `json:"files"`
	Bytes      int64 `json:"bytes"`
	Added      int   `json:"added"`
	Duplicates int   `json:"duplicates"`
	Skipped    int   `json:"skipped"`
	Samples    int   `json:"samples"`
}

// Import backfills from files in order; "-" is stdin. Plain or gzip, whatever the name says.
func (l *Local) Import(ctx context.Context, format string, files []string, stdin io.Reader) (ImportResult, error) {
	var res ImportResult
	im := &ingest.Importer{Store: l.Store, LogLoc: l.Cfg.P2Pool.Location(), Log: l.Log}
	for _, name := range files {
		st, err := l.importOne(ctx, im, format, name, stdin)
		res.Files++
		res.Bytes += st.Bytes
		res.Added += st.Added
		res.Duplicates += st.Duplicates
		res.Skipped += st.Skipped
		res.Samples += st.Samples
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func (l *Local) importOne(ctx context.Context, im *ingest.Importer, format, name string, stdin io.Reader) (ingest.Stats, error) {
	var r io.Reader = stdin
	source := "stdin"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return ingest.Stats{}, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		r, source = f, name
	}
	dr, closeFn, err := ingest.Decompress(r)
	if err != nil {
		return ingest.Stats{}, fmt.Errorf("import %s: %w", source, err)
	}
	defer closeFn()
	var st ingest.Stats
	switch format {
	case FormatP2Pool, "":
		st, err = im.ImportP2Pool(ctx, dr, source)
	case FormatJSONSeq:
		st, err = im.ImportJSONSeq(ctx, dr, source)
	default:
		return st, fmt.Errorf("import: unknown format %q (want p2pool or jsonseq)", format)
	}
	if err != nil {
		return st, fmt.Errorf("import %s: %w", source, err)
	}
	if err := l.Store.Sync(); err != nil {
		return st, err
	}
	l.Log.Info("imported", "source", source, "bytes", st.Bytes, "added", st.Added, "duplicates", st.Duplicates, "skipped", st.Skipped)
	return st, nil
}
