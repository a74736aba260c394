package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/deploy"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/ui"
)

// runConsole opens the console: attached to the service when one answers, else on the store
// here with the ingest running in this process.
func runConsole(ctx context.Context, e *env) error {
	logf := &logFile{path: filepath.Join(e.cfg.DataDir, "console.log")}
	defer logf.Close()
	o, err := e.connect(ctx, logf.logger())
	if err != nil {
		return err
	}
	defer o.Close()
	if o.Local == nil {
		return ui.New(o.Console, uiOptions(e)).Run(ctx)
	}
	return runEmbedded(ctx, e, o.Local)
}

// runEmbedded is the console on a store this process holds: it follows the log itself, and
// answers on the socket as the service would, so cron's `db4e restart all` or a `db4e report`
// still work. When a service starts, it hands the store over and attaches to it.
func runEmbedded(ctx context.Context, e *env, l *ops.Local) error {
	l.Via = "console"
	e.watchdog(l)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ingestCtx, stopIngest := context.WithCancel(ctx)
	ingestDone := make(chan struct{})
	go func() {
		defer close(ingestDone)
		if err := l.RunIngest(ingestCtx); err != nil {
			l.Log.Error("ingest stopped", "err", err)
		}
	}()
	serveCtx, stopServing := context.WithCancel(ctx)
	serveDone := make(chan struct{})
	if ln, err := api.Listen(e.cfg.Socket); err == nil {
		// The listener removes its socket when it closes: the console never removes a path
		// that may by then be the service's socket.
		go func() { api.Serve(serveCtx, ln, l, l.Cfg.Backup.Dir); close(serveDone) }()
	} else {
		close(serveDone)
		l.Log.Warn("no socket for other db4e commands", "err", err)
	}
	app := ui.New(l, uiOptions(e))
	l.OnYield(func() {
		app.Notice("a service started: handing the store over…")
		// In this order: the socket is free before the store, so the service, which listens
		// once it has the store, never finds this console's socket in its way.
		stopServing()
		<-serveDone
		stopIngest()
		<-ingestDone
		if err := l.Store.Close(); err != nil {
			l.Log.Error("close the store for the service", "err", err)
		}
		l.Log.Info("handed the store to the service")
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if r, err := api.Dial(ctx, e.cfg.Socket); err == nil {
				app.SetConsole(r, "attached to the service")
				return
			}
			if ctx.Err() != nil {
				return
			}
		}
		app.Notice("the service took the store but does not answer: quit and open the console again")
	})
	err := app.Run(ctx)
	cancel()
	<-ingestDone
	<-serveDone
	return err
}

func uiOptions(e *env) ui.Options {
	var setup *ui.Setup
	if !e.demo {
		s := setupFor(e, e.setupPath())
		setup = &s
	}
	return ui.Options{
		Setup: setup,
		// A first run, with no configuration anywhere, starts at the setup form.
		OpenSetup:    setup != nil && e.cfg.Path == "",
		P2PoolStatus: p2poolStatus(e),
		NoColor:      os.Getenv("NO_COLOR") != "",
		Actions: ui.Actions{
			Targets: e.cfg.BuildTargets(),
			// Restarts run in the console's process, as the operator who opened it; the UI
			// records them through the console it reads.
			Restarter: func(progress func(restart.Step)) *restart.Restarter {
				return e.restarter(nil, "console", progress)
			},
		},
	}
}

// logFile is where an embedded console logs: the terminal belongs to the UI. It is opened at
// the first line, so an attached console, whose data dir may not be the operator's to write,
// never creates it.
type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func (lf *logFile) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (lf *logFile) Write(p []byte) (int, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		if err := os.MkdirAll(filepath.Dir(lf.path), 0o750); err != nil {
			return 0, fmt.Errorf("console log: %w", err)
		}
		f, err := os.OpenFile(lf.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return 0, fmt.Errorf("console log: %w", err)
		}
		lf.f = f
	}
	return lf.f.Write(p)
}

func (lf *logFile) Close() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return nil
	}
	return lf.f.Close()
}

// p2poolStatus asks the deployed P2Pool for its status, for the console's key p.
func p2poolStatus(e *env) func(context.Context) (string, error) {
	if e.cfg.Deploy.P2Pool.Release.Release == "" {
		return nil
	}
	return func(ctx context.Context) (string, error) {
		return deploy.AskP2Pool(ctx, e.cfg.Deploy.FIFO(), e.cfg.Ops.P2Pool.Log, "status", 5*time.Second, 500*time.Millisecond)
	}
}
