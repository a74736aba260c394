package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/restart"
)

func cmdRestart(ctx context.Context, e *env, args []string) error {
	return targetAction(ctx, e, restart.Restart, args)
}

func cmdStart(ctx context.Context, e *env, args []string) error {
	return targetAction(ctx, e, restart.Start, args)
}

func cmdStop(ctx context.Context, e *env, args []string) error {
	return targetAction(ctx, e, restart.Stop, args)
}

// targetAction restarts, starts or stops targets: all in the daily order (a stop in reverse,
// miners first), each recorded as an action event.
func targetAction(ctx context.Context, e *env, action string, args []string) error {
	fs := e.flags(action)
	yes := fs.Bool("yes", false, "act without asking (cron, timers, scripts)")
	if err := e.parse(fs, args, 0, -1); err != nil {
		return err
	}
	all := e.cfg.BuildTargets()
	if len(all) == 0 {
		return usageError{fmt.Errorf("%s: no targets are configured in %s: see targets in config.example.yaml", action, e.cfg.Where())}
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("%s: name targets, or all; configured: %s", action, restart.Names(all))}
	}
	targets, err := restart.Select(all, fs.Args())
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", action, err)}
	}
	if fs.NArg() == 1 && fs.Arg(0) == "all" {
		targets = restart.DailyOrder(targets)
		if action == restart.Stop {
			slices.Reverse(targets)
		}
		if action != restart.Restart {
			targets = slices.DeleteFunc(targets, func(t restart.Target) bool { return t.Command(action) == "" })
		}
	}
	// The plan first: what runs where, in which order; then the operator's yes.
	fmt.Fprintf(e.stdout, "%s, in this order:\n", action)
	for i, t := range targets {
		where := "local"
		if !t.Local {
			where = t.Dest.String()
		}
		fmt.Fprintf(e.stdout, "  %d. %s (%s): %s\n", i+1, t.Name, where, t.Command(action))
	}
	if !*yes && !e.confirm(fmt.Sprintf("%s these %d target(s)?", strings.ToUpper(action[:1])+action[1:], len(targets))) {
		return fmt.Errorf("%s: not done: nothing was run (--yes acts without asking)", action)
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
		r.Action = action
		if err := r.Run(ctx, targets); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, restart.DoneAction(action, targets))
		return nil
	})
}
