package main

import (
	"context"
	"fmt"

	"github.com/db4e/db4e/api"
)

func cmdRebuild(ctx context.Context, e *env, args []string) error {
	if err := e.parse(e.flags("rebuild"), args, 0, 0); err != nil {
		return err
	}
	return withConsole(ctx, e, func(c api.Console) error {
		n, err := c.Rebuild(ctx)
		if err == nil {
			fmt.Fprintf(e.stdout, "rebuilt the views from %d events\n", n)
		}
		return err
	})
}
