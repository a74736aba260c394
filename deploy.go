package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/deploy"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
)

// errNotConfirmed is an operator's no (or no answer): nothing was changed.
var errNotConfirmed = errors.New("not applied: nothing was changed (--yes applies without asking)")

func cmdDeploy(ctx context.Context, e *env, args []string) error {
	args = formFirst(args)
	if len(args) == 0 {
		return usageError{errors.New("deploy: want plan, apply or rollback (see db4e help deploy)")}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return e.parse(e.flags("deploy"), args, 0, 0)
	case "plan":
		return deployPlan(ctx, e, args[1:])
	case "apply":
		return deployApply(ctx, e, args[1:])
	case "rollback":
		return deployRollback(ctx, e, args[1:])
	}
	return usageError{fmt.Errorf("deploy: unknown %q: want plan, apply or rollback", args[0])}
}

// needDeploy refuses a configuration with nothing to deploy (after the flags loaded it).
func needDeploy(e *env) error {
	if !e.cfg.Deploy.Enabled() {
		return usageError{fmt.Errorf("deploy: %s has no deploy section: run db4e setup, or see deploy in config.example.yaml", e.cfg.Where())}
	}
	return nil
}

// newDeployer is the one way deploy is set up: the configuration's deploy section, its
// targets, events recorded through c, and the operator's progress lines on stdout.
func newDeployer(e *env, c api.Console, via string) *deploy.Deployer {
	var record = c.Record
	progress := func(s string) { fmt.Fprintln(e.stdout, s) }
	r := e.restarter(record, via, func(s restart.Step) {
		fmt.Fprintf(e.stdout, "%s %-12s %-10s %s\n", s.Time.Format("15:04:05"), s.Target, s.Phase, s.Message)
	})
	return &deploy.Deployer{
		Cfg: e.cfg.Deploy, SSH: runner.NewSSH(e.cfg.SSH), SSHUser: e.cfg.SSH.User,
		Targets: e.cfg.BuildTargets(), Record: record, Who: restart.Operator(via),
		Progress: progress, Restarter: r,
	}
}

func deployPlan(ctx context.Context, e *env, args []string) error {
	fs := e.flags("deploy plan")
	asJSON := fs.Bool("json", false, "one JSON object with a changes array")
	if err := e.parse(fs, args, 0, -1); err != nil {
		return err
	}
	if err := needDeploy(e); err != nil {
		return err
	}
	d := &deploy.Deployer{Cfg: e.cfg.Deploy, SSH: runner.NewSSH(e.cfg.SSH), SSHUser: e.cfg.SSH.User}
	p, err := d.Plan(ctx, fs.Args()...)
	if err != nil {
		return fmt.Errorf("deploy plan: %w", err)
	}
	return e.print(*asJSON, p, func(w io.Writer) error {
		_, err := fmt.Fprint(w, p.Text()+p.Diffs())
		return err
	})
}

// confirm asks the operator on stdin; anything but y or yes, or no answer, is a no.
func (e *env) confirm(question string) bool {
	fmt.Fprintf(e.stdout, "%s [y/N] ", question)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	fmt.Fprintln(e.stdout)
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

func deployApply(ctx context.Context, e *env, args []string) error {
	fs := e.flags("deploy apply")
	yes := fs.Bool("yes", false, "apply without asking")
	noStart := fs.Bool("no-start", false, "install and configure, start nothing")
	if err := e.parse(fs, args, 0, -1); err != nil {
		return err
	}
	if err := needDeploy(e); err != nil {
		return err
	}
	return withConsole(ctx, e, func(c api.Console) error {
		d := newDeployer(e, c, "cli")
		p, err := d.Plan(ctx, fs.Args()...)
		if err != nil {
			return fmt.Errorf("deploy apply: %w", err)
		}
		fmt.Fprint(e.stdout, p.Text())
		if len(p.Changes) == 0 {
			return nil
		}
		if !*yes {
			fmt.Fprint(e.stdout, p.Diffs())
			start := "then start the changed components and check their health"
			if *noStart {
				start = "start nothing"
			}
			if !e.confirm(fmt.Sprintf("Apply these %d change(s), %s?", len(p.Changes), start)) {
				return errNotConfirmed
			}
		}
		if err := d.Apply(ctx, deploy.Options{NoStart: *noStart}, fs.Args()...); err != nil {
			return fmt.Errorf("deploy apply: %w", err)
		}
		fmt.Fprintln(e.stdout, "applied")
		return nil
	})
}

func deployRollback(ctx context.Context, e *env, args []string) error {
	fs := e.flags("deploy rollback")
	yes := fs.Bool("yes", false, "roll back without asking")
	noStart := fs.Bool("no-start", false, "put the files back, start nothing")
	if err := e.parse(fs, args, 1, 1); err != nil {
		return err
	}
	if err := needDeploy(e); err != nil {
		return err
	}
	name := fs.Arg(0)
	return withConsole(ctx, e, func(c api.Console) error {
		d := newDeployer(e, c, "cli")
		text, err := d.RollbackPlan(ctx, name)
		if err != nil {
			return fmt.Errorf("deploy rollback: %w", err)
		}
		fmt.Fprint(e.stdout, text)
		if !*yes && !e.confirm("Roll back?") {
			return errNotConfirmed
		}
		if err := d.Rollback(ctx, deploy.Options{NoStart: *noStart}, name); err != nil {
			return fmt.Errorf("deploy rollback: %w", err)
		}
		fmt.Fprintln(e.stdout, "rolled back")
		return nil
	})
}
