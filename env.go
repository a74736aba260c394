package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/config"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
)

// env is what every command gets.
type env struct {
	cfg    config.File
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if os.Getenv("JOURNAL_STREAM") != "" {
		// journald stamps every line itself
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func subFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("db4e "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// connect attaches to the service when one answers, else opens the store here: the one place
// a command chooses.
func (e *env) connect(ctx context.Context, log *slog.Logger) (ops.Opened, error) {
	return ops.Connect(ctx, e.cfg.Socket, e.cfg.DataDir, e.cfg.Store, e.cfg.Ops, log)
}

// withConsole runs fn against the service when it runs, else against the store opened here.
func withConsole(ctx context.Context, e *env, fn func(api.Console) error) error {
	o, err := e.connect(ctx, e.log)
	if err != nil {
		return err
	}
	ferr := fn(o.Console)
	if err := o.Close(); err != nil && ferr == nil {
		ferr = err
	}
	return ferr
}

// withReader is withConsole for a command that only reads: it creates no store, and opens one
// read-only on a full disk.
func withReader(ctx context.Context, e *env, fn func(api.Console) error) error {
	e.cfg.Store.Reader = true
	return withConsole(ctx, e, fn)
}

// restarter is the one way restarts are set up, for the command line and the console. They
// run in the caller's process, as its user: `restart all` restarts the service itself.
func (e *env) restarter(record func(context.Context, model.Event) error, via string, progress func(restart.Step)) *restart.Restarter {
	return &restart.Restarter{
		SSH:         runner.NewSSH(e.cfg.SSH),
		Concurrency: e.cfg.Restart.Concurrency,
		Record:      record,
		Who:         restart.Operator(via),
		Progress:    progress,
	}
}

// print writes v as JSON with --json, else as text: the one way a reporting command prints.
func (e *env) print(asJSON bool, v any, text func(io.Writer) error) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(v)
	}
	return text(e.stdout)
}
