package main

import (
	"context"
	"fmt"
	"os"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/restart"
)

func cmdRestart(ctx context.Context, e *env, args []string) error {
	fs := e.flags("restart")
	if err := e.parse(fs, args, 0, -1); err != nil {
		return err
	}
	all := e.cfg.BuildTargets()
	if len(all) == 0 {
		return usageError{fmt.Errorf("restart: no targets are configured in %s: see targets in config.example.yaml", e.cfg.Where())}
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("restart: name targets, or all; configured: %s", restart.Names(all))}
	}
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
		r := e.restarter(c.Record, via, func(s restart.Step) {
			fmt.Fprintf(e.stdout, "%s %-12s %-10s %s\n", s.Time.Format("15:04:05"), s.Target, s.Phase, s.Message)
		})
		if err := r.Run(ctx, targets); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, restart.Done(targets))
		return nil
	})
}
