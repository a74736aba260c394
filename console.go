package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
	"github.com/db4e/db4e/ui"
)

// runConsole opens the console: attached to the service when one answers, else on the store
// here with the ingest running in this process.
func runConsole(ctx context.Context, e *env) error {
	if r, err := api.Dial(ctx, e.cfg.Socket); err == nil {
		return ui.New(r, uiOptions(e, r)).Run(ctx)
	}
	logf, log, err := consoleLog(e.cfg.DataDir)
	if err != nil {
		return err
	}
	defer logf.Close()
	l, err := ops.OpenLocal(e.cfg.DataDir, e.cfg.Store, e.cfg.Ops(), log)
	if err != nil {
		return err
	}
	defer l.Store.Close()
	return runEmbedded(ctx, e, l)
}

func runEmbedded(ctx context.Context, e *env, l *ops.Local) error {
	l.Via = "console"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.RunIngest(ctx); err != nil {
			l.Log.Error("ingest stopped", "err", err)
		}
	}()
	// While the console holds the store, it answers on the socket as the service would: cron's
	// `db4e restart all` or a `db4e report` still work.
	if ln, err := api.Listen(e.cfg.Socket); err == nil {
		defer os.Remove(e.cfg.Socket)
		go api.Serve(ctx, ln, l, l.Cfg.Backup.Dir)
	} else {
		l.Log.Warn("no socket for other db4e commands", "err", err)
	}
	err := ui.New(l, uiOptions(e, l)).Run(ctx)
	cancel()
	<-done
	return err
}

func uiOptions(e *env, c api.Console) ui.Options {
	return ui.Options{
		NoColor: os.Getenv("NO_COLOR") != "",
		Actions: ui.Actions{
			Targets: e.cfg.BuildTargets(),
			// Restarts run in the console's process, as the operator who opened it.
			Restarter: func(progress func(restart.Step)) *restart.Restarter {
				return &restart.Restarter{SSH: runner.NewSSH(e.cfg.SSH), Concurrency: e.cfg.Restart.Concurrency,
					Record: c.Record, Who: restart.Operator("console"), Progress: progress}
			},
		},
	}
}

// consoleLog sends the embedded console's logs to a file: the terminal belongs to the UI.
func consoleLog(dataDir string) (*os.File, *slog.Logger, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("console log: %w", err)
	}
	return f, slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), nil
}

// runDemo is the console over a simulated farm in a temporary directory: a month of history,
// and a generator writing P2Pool's log live, so a newcomer sees a living dashboard.
func runDemo(ctx context.Context, e *env) error {
	dir, err := os.MkdirTemp("", "db4e-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logf, log, err := consoleLog(dir)
	if err != nil {
		return err
	}
	defer logf.Close()
	cfg := e.cfg
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Socket = filepath.Join(dir, "db4e.sock")
	cfg.P2Pool.Log = filepath.Join(dir, "p2pool.log")
	cfg.Miners.StaleAfter = 10 * time.Minute
	cfg.Backup = ops.BackupConfig{Dir: filepath.Join(dir, "backups"), Keep: 3}
	// Harmless stand-ins, so the restart menu can be tried: they only wait a moment.
	cfg.Targets = []restart.TargetConfig{
		{Name: "monerod", Kind: restart.KindMonerod, Restart: "sleep 1"},
		{Name: "p2pool", Kind: restart.KindP2Pool, Restart: "sleep 1"},
		{Name: "rig-01", Kind: restart.KindMiner, Restart: "sleep 1"},
		{Name: "rig-02", Kind: restart.KindMiner, Restart: "sleep 1"},
	}
	l, err := ops.OpenLocal(cfg.DataDir, cfg.Store, cfg.Ops(), log)
	if err != nil {
		return err
	}
	defer l.Store.Close()

	sim := farmsim.New(uint64(time.Now().UnixNano()), 6, time.Now())
	history := sim.History(30, 60)
	if _, err := l.Import(ctx, api.FormatP2Pool, "demo history", bytes.NewReader(history)); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := sim.Live(ctx, cfg.P2Pool.Log, 2*time.Second); err != nil {
			log.Error("demo generator", "err", err)
		}
	}()
	demo := *e
	demo.cfg = cfg
	return runEmbedded(ctx, &demo, l)
}
