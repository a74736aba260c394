package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
)

// runDemo is the console over a simulated farm in a temporary directory: a month of history,
// and a generator writing P2Pool's log live, so a newcomer sees a living dashboard.
func runDemo(ctx context.Context, e *env) error {
	dir, err := os.MkdirTemp("", "db4e-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logf := &logFile{path: filepath.Join(dir, "console.log")}
	defer logf.Close()
	log := logf.logger()
	cfg := e.cfg
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Socket = filepath.Join(dir, "db4e.sock")
	cfg.Ops.P2Pool.Log = filepath.Join(dir, "p2pool.log")
	cfg.Ops.Miners.StaleAfter = 10 * time.Minute
	cfg.Ops.Backup = ops.BackupConfig{Dir: filepath.Join(dir, "backups"), Keep: 3}
	// Harmless stand-ins, so the restart menu can be tried: they only wait a moment.
	cfg.Targets = []restart.TargetConfig{
		{Name: "monerod", Kind: restart.KindMonerod, Restart: "sleep 1"},
		{Name: "p2pool", Kind: restart.KindP2Pool, Restart: "sleep 1"},
		{Name: "rig-01", Kind: restart.KindMiner, Restart: "sleep 1"},
		{Name: "rig-02", Kind: restart.KindMiner, Restart: "sleep 1"},
	}
	l, err := ops.OpenLocal(cfg.DataDir, cfg.Store, cfg.Ops, log)
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
		if err := sim.Live(ctx, cfg.Ops.P2Pool.Log, 2*time.Second); err != nil {
			log.Error("demo generator", "err", err)
		}
	}()
	demo := *e
	demo.cfg = cfg
	return runEmbedded(ctx, &demo, l)
}
