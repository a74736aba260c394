// Command db4e is a terminal console and headless service for a Monero mining farm: it keeps
// every share, block and payout P2Pool logs in an embedded store and shows the farm at a glance.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/config"
	"github.com/db4e/db4e/ops"
)

var version = "dev"

// serviceMemoryLimit is the Go heap's soft limit in the service; its live heap is ~15 MB.
const serviceMemoryLimit = 24 << 20

// usageError is a command-line or configuration mistake: exit status 2.
type usageError struct{ error }

const usage = `usage:
  db4e [--config F] [--data DIR]            console (default)
  db4e --headless                            ingest + pollers + local socket (+ /metrics)
  db4e --demo                                console over a simulated farm, no P2Pool needed
  db4e import [--format p2pool|jsonseq] FILE...   backfill; plain, gz, bz2, zst; '-' is stdin
  db4e report [--json] [--days N] [--from D --to D]
  db4e export csv [--legacy] DIR             the daily-total CSV files
  db4e export jsonseq [--from T --to T]      the event log as RFC 7464 on stdout
  db4e rebuild
  db4e restart TARGET... | all               operator restarts (names from config)
  db4e backup [DIR]                          snapshot backup; through the service when it runs
  db4e restore FILE                          restore into an empty data dir
  db4e status [--json]                       health of monerod, P2Pool, miners, store; exit 1 if down
  db4e check [--json]                        verify the whole store; exit 1 if damaged
  db4e version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "db4e:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// env is what every command gets.
type env struct {
	cfg    config.File
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("db4e", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	cfgPath := fs.String("config", "", "configuration file")
	dataDir := fs.String("data", "", "data directory (overrides data_dir)")
	headless := fs.Bool("headless", false, "run as a service: ingest and socket")
	demo := fs.Bool("demo", false, "console over a simulated farm")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return usageError{err}
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	e := &env{cfg: cfg, log: newLogger(stderr, cfg.LogLevel), stdin: stdin, stdout: stdout, stderr: stderr}
	rest := fs.Args()
	switch {
	case *demo:
		return runDemo(ctx, e)
	case *headless:
		if os.Getenv("GOMEMLIMIT") == "" {
			// The service lives beside monerod on small machines: have the GC work harder
			// rather than let the heap double (GOMEMLIMIT overrides this).
			debug.SetMemoryLimit(serviceMemoryLimit)
		}
		l, err := ops.OpenService(ctx, cfg.DataDir, cfg.Store, cfg.Ops(), e.log)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
		err = l.RunService(ctx, cfg.Socket)
		if cerr := l.Store.Close(); err == nil {
			err = cerr
		}
		return err
	case len(rest) == 0:
		return runConsole(ctx, e)
	}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "db4e", version)
		return nil
	case "import":
		return cmdImport(ctx, e, cargs)
	case "report":
		return cmdReport(ctx, e, cargs)
	case "export":
		return cmdExport(ctx, e, cargs)
	case "rebuild":
		return cmdRebuild(ctx, e, cargs)
	case "restart":
		return cmdRestart(ctx, e, cargs)
	case "backup":
		return cmdBackup(ctx, e, cargs)
	case "restore":
		return cmdRestore(ctx, e, cargs)
	case "status":
		return cmdStatus(ctx, e, cargs)
	case "check":
		return cmdCheck(ctx, e, cargs)
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
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

// withConsole runs fn against the service when it runs, else against the store opened here.
// withReader is withConsole for a command that only reads: it creates no store, and opens one
// read-only on a full disk.
func withReader(ctx context.Context, e *env, fn func(api.Console) error) error {
	e.cfg.Store.Reader = true
	return withConsole(ctx, e, fn)
}

func withConsole(ctx context.Context, e *env, fn func(api.Console) error) error {
	o, err := ops.Connect(ctx, e.cfg.Socket, e.cfg.DataDir, e.cfg.Store, e.cfg.Ops(), e.log)
	if err != nil {
		return err
	}
	ferr := fn(o.Console)
	if err := o.Close(); err != nil && ferr == nil {
		ferr = err
	}
	return ferr
}
