package main

import (
	"context"
	"fmt"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
)

func cmdRestore(ctx context.Context, e *env, args []string) error {
	fs := e.flags("restore")
	if err := e.parse(fs, args, 1, 1); err != nil {
		return err
	}
	file := fs.Arg(0)
	if _, err := api.Dial(ctx, e.cfg.Socket); err == nil {
		return fmt.Errorf("restore: the db4e service is running on %s: stop it first", e.cfg.Socket)
	}
	if err := ops.Restore(file, e.cfg.DataDir); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s into %s\n", file, e.cfg.DataDir)
	return nil
}
