package main

import (
	"context"
	"fmt"

	"github.com/db4e/db4e/api"
)

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
