package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/db4e/db4e/config"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/store"
)

func subFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("db4e "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func cmdImport(ctx context.Context, cfg config.File, log *slog.Logger, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := subFlags("import", stderr)
	format := fs.String("format", ops.FormatP2Pool, "p2pool or jsonseq")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("import: name at least one FILE ('-' for stdin)")}
	}
	if *format != ops.FormatP2Pool && *format != ops.FormatJSONSeq {
		return usageError{fmt.Errorf("import: --format: want p2pool or jsonseq, got %q", *format)}
	}
	return withLocal(cfg, log, func(l *ops.Local) error {
		res, err := l.Import(ctx, *format, fs.Args(), stdin)
		fmt.Fprintf(stdout, "imported %d file(s), %d bytes: %d new event(s), %d already stored, %d bad record(s) skipped, %d sample(s)\n",
			res.Files, res.Bytes, res.Added, res.Duplicates, res.Skipped, res.Samples)
		return err
	})
}

func cmdReport(ctx context.Context, cfg config.File, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := subFlags("report", stderr)
	asJSON := fs.Bool("json", false, "JSON output")
	var q ops.ReportQuery
	fs.IntVar(&q.Days, "days", 0, "the last N days")
	fs.StringVar(&q.From, "from", "", "first day, YYYY-MM-DD")
	fs.StringVar(&q.To, "to", "", "last day, YYYY-MM-DD")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if err := q.Validate(); err != nil {
		return usageError{fmt.Errorf("report: %w", err)}
	}
	return withLocal(cfg, log, func(l *ops.Local) error {
		r, err := l.Report(ctx, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		return r.WriteText(stdout)
	})
}

func cmdExport(ctx context.Context, cfg config.File, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "jsonseq" {
		return usageError{fmt.Errorf("export: want jsonseq")}
	}
	fs := subFlags("export jsonseq", stderr)
	from := fs.String("from", "", "first instant, RFC 3339 or YYYY-MM-DD")
	to := fs.String("to", "", "end instant (exclusive), RFC 3339 or YYYY-MM-DD")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	return withLocal(cfg, log, func(l *ops.Local) error {
		f, err := parseInstant(*from, l.Store.Location())
		if err != nil {
			return usageError{fmt.Errorf("export: --from: %w", err)}
		}
		t, err := parseInstant(*to, l.Store.Location())
		if err != nil {
			return usageError{fmt.Errorf("export: --to: %w", err)}
		}
		w := bufio.NewWriterSize(stdout, 256<<10)
		err = l.Store.Events(ctx, f, t, func(e *store.Event) error { return ingest.WriteJSONSeq(w, e) })
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	})
}

func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: want RFC 3339 or YYYY-MM-DD", s)
	}
	return t, nil
}
