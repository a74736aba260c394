// Command db4e is a terminal console and headless service for a Monero mining farm: it keeps
// every share, block and payout P2Pool logs in an embedded store and shows the farm at a glance.
//
// This file parses the global flags and dispatches; each subcommand is in a file of its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/db4e/db4e/config"
)

var version = "dev"

// usageError is a command-line or configuration mistake: exit status 2.
type usageError struct{ error }

// command is one subcommand: what runs it, and its lines of the usage text.
type command struct {
	name  string
	run   func(ctx context.Context, e *env, args []string) error
	lines []usageLine
}

// usageLine is one way to call a command: its arguments and what it does.
type usageLine struct{ args, what string }

// commands is the command line: dispatch and usage text both come from it.
var commands = []command{
	{"import", cmdImport, []usageLine{{"[--format p2pool|jsonseq] FILE...", "backfill; plain, gz, bz2, zst; '-' is stdin"}}},
	{"report", cmdReport, []usageLine{{"[--json] [--days N] [--from D --to D]", "daily totals"}}},
	{"export", cmdExport, []usageLine{{"csv [--legacy] DIR", "the daily-total CSV files"},
		{"jsonseq [--from T --to T]", "the event log as RFC 7464 on stdout"}}},
	{"rebuild", cmdRebuild, []usageLine{{"", "recompute every view from the event log"}}},
	{"restart", cmdRestart, []usageLine{{"TARGET... | all", "operator restarts (names from config)"}}},
	{"backup", cmdBackup, []usageLine{{"[DIR]", "snapshot backup; through the service when it runs"}}},
	{"restore", cmdRestore, []usageLine{{"FILE", "restore into an empty data dir"}}},
	{"status", cmdStatus, []usageLine{{"[--json]", "health of monerod, P2Pool, miners, store; exit 1 if down"}}},
	{"check", cmdCheck, []usageLine{{"[--json]", "verify the whole store; exit 1 if damaged"}}},
	{"version", cmdVersion, []usageLine{{"", "print the version"}}},
}

func usage() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "usage:")
	fmt.Fprintln(w, "  db4e [--config F] [--data DIR]\tconsole (default)")
	fmt.Fprintln(w, "  db4e --headless\tingest + pollers + local socket (+ /metrics)")
	fmt.Fprintln(w, "  db4e --demo\tconsole over a simulated farm, no P2Pool needed")
	for _, c := range commands {
		for _, l := range c.lines {
			fmt.Fprintf(w, "  %s\t%s\n", strings.TrimSpace("db4e "+c.name+" "+l.args), l.what)
		}
	}
	w.Flush()
	return b.String()
}

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
	fs.Usage = func() { fmt.Fprint(stderr, usage()) }
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
		return runService(ctx, e)
	case len(rest) == 0:
		return runConsole(ctx, e)
	}
	for _, c := range commands {
		if c.name == rest[0] {
			return c.run(ctx, e, rest[1:])
		}
	}
	fmt.Fprint(stderr, usage())
	return usageError{fmt.Errorf("unknown command %q", rest[0])}
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fmt.Fprintln(e.stdout, "db4e", version)
	return nil
}
