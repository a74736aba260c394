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

	"github.com/db4e/db4e/config"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/store"
)

var version = "dev"

// serviceMemoryLimit is the Go heap's soft limit in the service; its live heap is ~15 MB.
const serviceMemoryLimit = 24 << 20

// usageError is a command-line or configuration mistake: exit status 2.
type usageError struct{ error }

const usage = `usage:
  db4e [--config F] [--data DIR]            console (default)
  db4e --headless                            ingest + pollers + local socket
  db4e --demo                                console over a simulated farm
  db4e import [--format p2pool|jsonseq] FILE...   backfill; plain or .gz; '-' is stdin
  db4e report [--json] [--days N] [--from D --to D]
  db4e export jsonseq [--from T --to T]
  db4e rebuild
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

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("db4e", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	cfgPath := fs.String("config", "", "configuration file")
	dataDir := fs.String("data", "", "data directory (overrides data_dir)")
	headless := fs.Bool("headless", false, "run as a service: ingest, pollers, socket")
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
	log := newLogger(stderr, cfg.LogLevel)
	rest := fs.Args()
	switch {
	case *demo:
		return errors.New("--demo: not built yet")
	case *headless:
		if os.Getenv("GOMEMLIMIT") == "" {
			// The service lives beside monerod on small machines: have the GC work harder
			// rather than let the heap double (GOMEMLIMIT overrides this).
			debug.SetMemoryLimit(serviceMemoryLimit)
		}
		return withLocal(cfg, log, func(l *ops.Local) error { return l.RunService(ctx) })
	case len(rest) == 0:
		return errors.New("the console is not built yet; try db4e report")
	}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "db4e", version)
		return nil
	case "import":
		return cmdImport(ctx, cfg, log, cargs, stdin, stdout, stderr)
	case "report":
		return cmdReport(ctx, cfg, log, cargs, stdout, stderr)
	case "export":
		return cmdExport(ctx, cfg, log, cargs, stdout, stderr)
	case "rebuild":
		return withLocal(cfg, log, func(l *ops.Local) error {
			n, err := l.Rebuild(ctx)
			if err == nil {
				fmt.Fprintf(stdout, "rebuilt the views from %d events\n", n)
			}
			return err
		})
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func withLocal(cfg config.File, log *slog.Logger, fn func(*ops.Local) error) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(cfg.DataDir, cfg.Store, log.With("component", "store"))
	if err != nil {
		return err
	}
	l := ops.NewLocal(st, ops.Config{P2Pool: cfg.P2Pool}, log)
	ferr := fn(l)
	if err := st.Close(); err != nil && ferr == nil {
		ferr = err
	}
	return ferr
}
