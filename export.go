package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
)

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
