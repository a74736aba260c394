package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
)

// importMemoryLimit is the Go heap's soft limit for a one-off import.
const importMemoryLimit = 64 << 20

func subFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("db4e "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "import")
	format := fs.String("format", api.FormatP2Pool, "p2pool or jsonseq")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("import: name at least one FILE ('-' for stdin)")}
	}
	if *format != api.FormatP2Pool && *format != api.FormatJSONSeq {
		return usageError{fmt.Errorf("import: --format: want p2pool or jsonseq, got %q", *format)}
	}
	// Every file must open before anything is imported: a typo is not half an import.
	files := make([]io.ReadCloser, 0, fs.NArg())
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, name := range fs.Args() {
		if name == "-" {
			files = append(files, io.NopCloser(e.stdin))
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		files = append(files, f)
	}
	e.cfg.Store.Bulk = true // an import opening the store itself is a one-off batch job
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(importMemoryLimit) // it may run beside monerod: keep the heap in check
	}
	return withConsole(ctx, e, func(c api.Console) error {
		var total api.ImportResult
		var err error
		for i, name := range fs.Args() {
			var res api.ImportResult
			res, err = c.Import(ctx, *format, name, files[i])
			total.Add(res)
			if err != nil {
				break
			}
		}
		fmt.Fprintf(e.stdout, "imported %d file(s), %d bytes: %d new event(s), %d already stored, %d bad record(s) skipped, %d sample(s)\n",
			total.Files, total.Bytes, total.Added, total.Duplicates, total.Skipped, total.Samples)
		if err == nil && total.Records > 0 && total.Bad == total.Records {
			// Nothing in it could be read: the wrong file or the wrong --format, not a success.
			err = fmt.Errorf("import: every one of the %d record(s) read was bad: nothing imported (is --format right?)", total.Records)
		}
		return err
	})
}

func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "report")
	asJSON := fs.Bool("json", false, "JSON output")
	var q api.ReportQuery
	fs.IntVar(&q.Days, "days", 0, "the last N days")
	fs.StringVar(&q.From, "from", "", "first day, YYYY-MM-DD")
	fs.StringVar(&q.To, "to", "", "last day, YYYY-MM-DD")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if err := q.Validate(); err != nil {
		return usageError{fmt.Errorf("report: %w", err)}
	}
	return withReader(ctx, e, func(c api.Console) error {
		r, err := c.Report(ctx, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(r)
		}
		return r.WriteText(e.stdout)
	})
}

func cmdRebuild(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("rebuild takes no arguments")}
	}
	return withConsole(ctx, e, func(c api.Console) error {
		n, err := c.Rebuild(ctx)
		if err == nil {
			fmt.Fprintf(e.stdout, "rebuilt the views from %d events\n", n)
		}
		return err
	})
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "csv" {
		return cmdExportCSV(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "jsonseq" {
		return usageError{fmt.Errorf("export: want csv DIR or jsonseq")}
	}
	fs := subFlags(e, "export jsonseq")
	from := fs.String("from", "", "first instant, RFC 3339 or YYYY-MM-DD")
	to := fs.String("to", "", "end instant (exclusive), RFC 3339 or YYYY-MM-DD")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	loc, err := e.cfg.Location()
	if err != nil {
		return usageError{err}
	}
	f, err := parseInstant(*from, loc)
	if err != nil {
		return usageError{fmt.Errorf("export: --from: %w", err)}
	}
	t, err := parseInstant(*to, loc)
	if err != nil {
		return usageError{fmt.Errorf("export: --to: %w", err)}
	}
	return withReader(ctx, e, func(c api.Console) error { return c.ExportJSONSeq(ctx, f, t, e.stdout) })
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

func cmdExportCSV(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "export csv")
	legacy := fs.Bool("legacy", false, "the original db4e's chart files instead")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("export csv: name one DIR")}
	}
	loc, err := e.cfg.Location()
	if err != nil {
		return usageError{err}
	}
	return withReader(ctx, e, func(c api.Console) error {
		r, err := c.Report(ctx, api.ReportQuery{})
		if err != nil {
			return err
		}
		names, err := ops.WriteCSV(fs.Arg(0), r, *legacy, time.Now().In(loc).Format(time.DateOnly))
		if err == nil {
			fmt.Fprintf(e.stdout, "wrote %s in %s\n", strings.Join(names, ", "), fs.Arg(0))
		}
		return err
	})
}

// errDown makes `status` exit 1 when something is down, for cron and Nagios-style checks.
var errDown = errors.New("down")

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "status")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	return withReader(ctx, e, func(c api.Console) error {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			err = json.NewEncoder(e.stdout).Encode(st)
		} else {
			err = st.WriteText(e.stdout)
		}
		if err != nil {
			return err
		}
		if down := st.Down(); len(down) > 0 {
			return fmt.Errorf("%w: %s", errDown, strings.Join(down, ", "))
		}
		return nil
	})
}

// errDamaged makes `check` exit 1 when it found damage.
var errDamaged = errors.New("the store is damaged")

func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "check")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("check takes no arguments")}
	}
	return withReader(ctx, e, func(c api.Console) error {
		r, err := c.Check(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			err = json.NewEncoder(e.stdout).Encode(r)
		} else {
			fmt.Fprintf(e.stdout, "checked %d table(s), %d key(s): %d event(s), %d day view(s), %d host view(s)\n", r.Tables, r.Keys, r.Events, r.Days, r.Hosts)
			for _, p := range r.Problems {
				fmt.Fprintln(e.stdout, "DAMAGED:", p)
			}
			if len(r.Problems) == 0 {
				fmt.Fprintln(e.stdout, "no damage found")
			}
		}
		if err != nil {
			return err
		}
		if len(r.Problems) > 0 {
			return fmt.Errorf("%w: %d problem(s); restore a backup (db4e restore FILE into an empty data dir), or db4e rebuild if only views differ", errDamaged, len(r.Problems))
		}
		return nil
	})
}
