package main

import (
	"context"
	"fmt"

	"github.com/db4e/db4e/api"
)

func cmdBackup(ctx context.Context, e *env, args []string) error {
	fs := e.flags("backup")
	if err := e.parse(fs, args, 0, 1); err != nil {
		return err
	}
	dir := fs.Arg(0)
	if dir == "" && e.cfg.Ops.Backup.Dir == "" {
		return usageError{fmt.Errorf("backup: name a DIR or set backup.dir")}
	}
	return withConsole(ctx, e, func(c api.Console) error {
		res, err := c.Backup(ctx, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backup %s (%d bytes)\n", res.Path, res.Bytes)
		for _, r := range res.Removed {
			fmt.Fprintf(e.stdout, "removed old backup %s\n", r)
		}
		return nil
	})
}
