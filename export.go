package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/web"
)

func cmdExport(ctx context.Context, e *env, args []string) error {
	args = formFirst(args)
	switch {
	case len(args) > 0 && args[0] == "csv":
		return cmdExportCSV(ctx, e, args[1:])
	case len(args) > 0 && args[0] == "site":
		return cmdExportSite(ctx, e, args[1:])
	case len(args) > 0 && args[0] == "jsonseq":
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		return e.parse(e.flags("export"), args, 0, 0)
	default:
		return usageError{fmt.Errorf("export: want csv DIR, site DIR or jsonseq (see db4e export -h)")}
	}
	fs := e.flags("export jsonseq")
	from := fs.String("from", "", "first instant, RFC 3339 or YYYY-MM-DD")
	to := fs.String("to", "", "end instant (exclusive), RFC 3339 or YYYY-MM-DD")
	if err := e.parse(fs, args[1:], 0, 0); err != nil {
		return err
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
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return usageError{fmt.Errorf("export: --from %s is not before --to %s: nothing could be exported", *from, *to)}
	}
	return withReader(ctx, e, func(c api.Console) error { return c.ExportJSONSeq(ctx, f, t, e.stdout) })
}

func cmdExportCSV(ctx context.Context, e *env, args []string) error {
	fs := e.flags("export csv")
	legacy := fs.Bool("legacy", false, "the original db4e's chart files instead")
	if err := e.parse(fs, args, 1, 1); err != nil {
		return err
	}
	return withReader(ctx, e, func(c api.Console) error {
		r, err := c.Report(ctx, api.ReportQuery{})
		if err != nil {
			return err
		}
		names, err := ops.WriteCSV(fs.Arg(0), r, *legacy)
		if err == nil {
			fmt.Fprintf(e.stdout, "wrote %s in %s\n", strings.Join(names, ", "), fs.Arg(0))
		}
		return err
	})
}

// cmdExportSite writes the page and its data as a static site.
func cmdExportSite(ctx context.Context, e *env, args []string) error {
	fs := e.flags("export site")
	if err := e.parse(fs, args, 1, 1); err != nil {
		return err
	}
	return withReader(ctx, e, func(c api.Console) error {
		names, err := web.WriteSite(ctx, c, fs.Arg(0))
		if err == nil {
			fmt.Fprintf(e.stdout, "wrote %d files in %s: open %s\n", len(names), fs.Arg(0), filepath.Join(fs.Arg(0), "index.html"))
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

// formFirst moves the global flags that stand before a command's form (`export --data D csv
// DIR`) after it, so that the form is args[0]; its own flags then parse them anywhere.
func formFirst(args []string) []string {
	var lead []string
	for len(args) > 0 {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !strings.HasPrefix(args[0], "-") || (name != "config" && name != "data") {
			break
		}
		n := 2
		if hasValue || len(args) == 1 {
			n = 1
		}
		lead, args = append(lead, args[:n]...), args[n:]
	}
	if len(lead) == 0 || len(args) == 0 {
		return append(lead, args...)
	}
	return append(append([]string{args[0]}, lead...), args[1:]...)
}
