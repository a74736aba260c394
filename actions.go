package main

import (
	"context"
	"fmt"
	"os"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
)

func cmdRestart(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "restart")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("restart: name targets, or all (configured: %d)", len(e.cfg.Targets))}
	}
	all := e.cfg.BuildTargets()
	targets, err := restart.Select(all, fs.Args())
	if err != nil {
		return usageError{fmt.Errorf("restart: %w", err)}
	}
	if fs.NArg() == 1 && fs.Arg(0) == "all" {
		targets = restart.DailyOrder(targets)
	}
	via := "cli"
	if os.Getenv("INVOCATION_ID") != "" {
		via = "timer"
	}
	// The restarts run here, not in the service: `all` restarts the service itself.
	return withConsole(ctx, e, func(c api.Console) error {
		r := &restart.Restarter{
			SSH:         runner.NewSSH(e.cfg.SSH),
			Concurrency: e.cfg.Restart.Concurrency,
			Record:      c.Record,
			Who:         restart.Operator(via),
			Progress: func(s restart.Step) {
				fmt.Fprintf(e.stdout, "%s %-12s %-10s %s\n", s.Time.Format("15:04:05"), s.Target, s.Phase, s.Message)
			},
		}
		if err := r.Run(ctx, targets); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restarted %d target(s)\n", len(targets))
		return nil
	})
}

func cmdBackup(ctx context.Context, e *env, args []string) error {
	fs := subFlags(e, "backup")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Errorf("backup takes at most one DIR")}
	}
	dir := fs.Arg(0)
	if dir == "" && e.cfg.Backup.Dir == "" {
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
