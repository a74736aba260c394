package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/ui"
)

// runConsole opens the console: attached to the service when one answers, else on the store
// here with the ingest running in this process.
func runConsole(ctx context.Context, e *env) error {
	if r, err := ops.Dial(ctx, e.cfg.Socket); err == nil {
		return ui.New(r, uiOptions()).Run(ctx)
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
	return runEmbedded(ctx, l)
}

func runEmbedded(ctx context.Context, l *ops.Local) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.RunIngest(ctx); err != nil {
			l.Log.Error("ingest stopped", "err", err)
		}
	}()
	err := ui.New(l, uiOptions()).Run(ctx)
	cancel()
	<-done
	return err
}

func uiOptions() ui.Options {
	return ui.Options{NoColor: os.Getenv("NO_COLOR") != ""}
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
	cfg.P2Pool.Log = filepath.Join(dir, "p2pool.log")
	cfg.Miners.StaleAfter = 10 * time.Minute
	l, err := ops.OpenLocal(cfg.DataDir, cfg.Store, cfg.Ops(), log)
	if err != nil {
		return err
	}
	defer l.Store.Close()

	sim := farmsim.New(uint64(time.Now().UnixNano()), 6, time.Now())
	history := sim.History(30, 60)
	if _, err := l.Import(ctx, ops.FormatP2Pool, "demo history", bytes.NewReader(history)); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := sim.Live(ctx, cfg.P2Pool.Log, 2*time.Second); err != nil {
			log.Error("demo generator", "err", err)
		}
	}()
	return runEmbedded(ctx, l)
}
