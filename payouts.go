package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/db4e/db4e/api"
)

func cmdPayouts(ctx context.Context, e *env, args []string) error {
	fs := e.flags("payouts")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withReader(ctx, e, func(c api.Console) error {
		p, err := c.Payouts(ctx)
		if err != nil {
			return err
		}
		if err := e.print(*asJSON, p, p.WriteText); err != nil {
			return err
		}
		if t := p.Trouble(); len(t) > 0 {
			return fmt.Errorf("%w: %s", errDown, strings.Join(t, "; "))
		}
		return nil
	})
}
