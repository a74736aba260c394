package main

import (
	"context"
	"fmt"

	"github.com/db4e/db4e/api"
)

func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("report")
	asJSON := fs.Bool("json", false, "JSON output")
	var q api.ReportQuery
	fs.IntVar(&q.Days, "days", 0, "the last N days")
	fs.StringVar(&q.From, "from", "", "first day, YYYY-MM-DD")
	fs.StringVar(&q.To, "to", "", "last day, YYYY-MM-DD")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := q.Validate(); err != nil {
		return usageError{fmt.Errorf("report: %w", err)}
	}
	return withReader(ctx, e, func(c api.Console) error {
		r, err := c.Report(ctx, q)
		if err != nil {
			return err
		}
		if err := e.print(*asJSON, r, r.WriteText); err != nil {
			return err
		}
		if r.Incomplete != "" {
			return fmt.Errorf("the report is incomplete: %s", r.Incomplete)
		}
		return nil
	})
}
