package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/db4e/db4e/api"
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
		return ui.New(o.Console, uiOptions(e, o.Console)).Run(ctx)
	}
	return runEmbedded(ctx, e, o.Local)
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
				return e.restarter(c.Record, "console", progress)
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
