package main

import (
	"context"
	"fmt"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
)

func cmdRestore(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usageError{fmt.Errorf("restore takes one FILE")}
	}
	if _, err := api.Dial(ctx, e.cfg.Socket); err == nil {
		return fmt.Errorf("restore: the db4e service is running on %s: stop it first", e.cfg.Socket)
	}
	if err := ops.Restore(args[0], e.cfg.DataDir); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s into %s\n", args[0], e.cfg.DataDir)
	return nil
}
