package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
)

// errDamaged makes `check` exit 1 when it found damage.
var errDamaged = errors.New("the store is damaged")

func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := e.flags("check")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withReader(ctx, e, func(c api.Console) error {
		r, err := c.Check(ctx)
		if err != nil {
			return err
		}
		if err := e.print(*asJSON, r, func(w io.Writer) error { return writeCheck(w, r) }); err != nil {
			return err
		}
		if r.Incomplete != "" {
			return fmt.Errorf("the store is incomplete, not damaged: %s", r.Incomplete)
		}
		if len(r.Problems) > 0 {
			return fmt.Errorf("%w: %d problem(s); restore a backup (db4e restore FILE into an empty data dir), or db4e rebuild if only views differ", errDamaged, len(r.Problems))
		}
		return nil
	})
}

func writeCheck(w io.Writer, r model.CheckReport) error {
	fmt.Fprintf(w, "checked %d table(s), %d key(s): %d event(s), %d day view(s), %d host view(s)\n", r.Tables, r.Keys, r.Events, r.Days, r.Hosts)
	if r.Incomplete != "" {
		fmt.Fprintln(w, "INCOMPLETE:", r.Incomplete)
	}
	prefix := "DAMAGED:"
	if r.Incomplete != "" {
		prefix = "differs (the views lag):" // what an interrupted import leaves, not damage
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, prefix, p)
	}
	if len(r.Problems) == 0 {
		_, err := fmt.Fprintln(w, "no damage found")
		return err
	}
	return nil
}
