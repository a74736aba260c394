package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/db4e/db4e/config"
	"github.com/db4e/db4e/deploy"
	"github.com/db4e/db4e/ui"
)

func cmdSetup(ctx context.Context, e *env, args []string) error {
	fl := e.flags("setup")
	wallet := fl.String("wallet", "", "the wallet's main address (the form's first value)")
	sidechain := fl.String("sidechain", "", "main, mini or nano")
	chain := fl.String("chain", "", "monerod's data directory")
	rigs := fl.String("rigs", "", "the rigs' SSH hosts, space-separated: user@host[:port]")
	node := fl.String("node-address", "", "this node's address as the rigs reach it")
	yes := fl.Bool("yes", false, "write these answers without the form (for scripts)")
	err := e.parse(fl, args, 0, 0)
	if err != nil {
		// A --config that names no file yet is where setup writes the first one.
		var ue usageError
		if !errors.As(err, &ue) || e.cfgPath == "" || !errors.Is(ue.error, fs.ErrNotExist) {
			return err
		}
		e.cfg = config.Default()
	}
	path := e.setupPath()
	ans := deploy.DefaultAnswers(e.cfg.Deploy)
	for p, v := range map[*string]string{&ans.Wallet: *wallet, &ans.Sidechain: *sidechain, &ans.ChainDir: *chain, &ans.Rigs: *rigs, &ans.NodeAddress: *node} {
		if v != "" {
			*p = v
		}
	}
	s := setupFor(e, path)
	if *yes {
		if err := ans.Check(e.cfg.Deploy.Network); err != nil {
			return usageError{fmt.Errorf("setup: %w", err)}
		}
		plan, err := s.Save(ans)
		if err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n%s", path, plan)
		return nil
	}
	s.Defaults = ans
	var planText string
	save := s.Save
	s.Save = func(a deploy.Answers) (string, error) {
		p, err := save(a)
		planText = p
		return p, err
	}
	saved, err := ui.RunSetup(ui.Options{NoColor: os.Getenv("NO_COLOR") != ""}, s)
	if err != nil {
		return err
	}
	if !saved {
		fmt.Fprintln(e.stdout, "setup left: nothing written")
		return nil
	}
	fmt.Fprintf(e.stdout, "wrote %s\n%s", path, planText)
	return nil
}

// setupPath is the file setup writes: --config, else the file the configuration came from,
// else where a new one goes.
func (e *env) setupPath() string {
	switch {
	case e.cfgPath != "":
		return e.cfgPath
	case e.cfg.Path != "":
		return e.cfg.Path
	}
	return config.WritePath()
}

// setupFor is the form's work: write the answers into the deploy section of path, then read
// the file back as db4e will (every key checked) and plan from it.
func setupFor(e *env, path string) ui.Setup {
	return ui.Setup{
		Defaults: deploy.DefaultAnswers(e.cfg.Deploy),
		Network:  e.cfg.Deploy.Network,
		Save: func(a deploy.Answers) (string, error) {
			d, err := a.Apply(e.cfg.Deploy)
			if err != nil {
				return "", err
			}
			if err := deploy.WriteConfig(path, d); err != nil {
				return "", fmt.Errorf("write %s: %w", path, err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				return "", err
			}
			e.cfg.Deploy = cfg.Deploy
			dep := &deploy.Deployer{Cfg: cfg.Deploy}
			// The plan of the node's part: the rigs' needs SSH, which deploy plan reaches.
			p, err := dep.Plan(context.Background(), deploy.Monerod, deploy.P2Pool, deploy.DB4E)
			if err != nil {
				return "", err
			}
			return p.Text() + "The rigs' part: db4e deploy plan (over SSH).\n", nil
		},
	}
}
