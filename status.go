package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/db4e/db4e/api"
)

// errDown makes `status` exit 1 when something is down, for cron and Nagios-style checks.
var errDown = errors.New("down")

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flags("status")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withReader(ctx, e, func(c api.Console) error {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if err := e.print(*asJSON, st, st.WriteText); err != nil {
			return err
		}
		if down := st.Problems(); len(down) > 0 {
			return fmt.Errorf("%w: %s", errDown, strings.Join(down, ", "))
		}
		return nil
	})
}
