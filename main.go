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
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
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

// call is how the line is typed: "db4e export csv [--legacy] DIR".
func (l usageLine) call(cmd string) string { return strings.TrimSpace("db4e " + cmd + " " + l.args) }

// commands is the command line: dispatch, the usage text and each command's -h come from it.
// A function, not a variable: help and -h read the table from inside the commands it lists.
func commands() []command {
	return []command{
		{"import", cmdImport, []usageLine{{"[--format p2pool|jsonseq] FILE...", "backfill (P2Pool logs oldest first); plain, gz, bz2, zst; '-' is stdin"}}},
		{"report", cmdReport, []usageLine{{"[--json] [--days N] [--from D --to D]", "daily totals"}}},
		{"payouts", cmdPayouts, []usageLine{{"[--json]", "each payout: claimed, confirmed, unlocked or orphaned; in the wallet?"}}},
		{"export", cmdExport, []usageLine{{"csv [--legacy] DIR", "the daily-total CSV files"},
			{"jsonseq [--from T --to T]", "the event log as RFC 7464 on stdout"},
			{"site DIR", "the web page as a static site, with its data"}}},
		{"rebuild", cmdRebuild, []usageLine{{"", "recompute every view from the event log"}}},
		{"restart", cmdRestart, []usageLine{{"TARGET... | all", "operator restarts (names from config)"}}},
		{"start", cmdStart, []usageLine{{"TARGET... | all", "start targets (all: in the daily order)"}}},
		{"stop", cmdStop, []usageLine{{"TARGET... | all", "stop targets (all: miners first, monerod last)"}}},
		{"setup", cmdSetup, []usageLine{{"", "first run: wallet, sidechain, chain, rigs; writes the config, shows the plan"}}},
		{"deploy", cmdDeploy, []usageLine{{"plan [--json] [COMPONENT...]", "what deploy would change: binaries, files (diffs), units"},
			{"apply [--yes] [--no-start] [COMPONENT...]", "install, configure and start monerod, P2Pool, xmrig on the rigs"},
			{"rollback COMPONENT [--yes] [--no-start]", "back to the version and files before the last apply"}}},
		{"p2pool", cmdP2Pool, []usageLine{{"COMMAND [ARG]", "P2Pool's console (status, workers, peers, ...): its answer from its log"}}},
		{"backup", cmdBackup, []usageLine{{"[DIR]", "snapshot backup; through the service when it runs"}}},
		{"restore", cmdRestore, []usageLine{{"FILE", "restore into an empty data dir"}}},
		{"status", cmdStatus, []usageLine{{"[--json]", "health of monerod, P2Pool, miners, store; exit 1 if down"}}},
		{"check", cmdCheck, []usageLine{{"[--json]", "verify the whole store; exit 1 if damaged"}}},
		{"version", cmdVersion, []usageLine{{"", "print the version (also --version)"}}},
		{"help", cmdHelp, []usageLine{{"[COMMAND]", "this text, or a command's own with its flags"}}},
	}
}

func usage() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "usage:")
	fmt.Fprintln(w, "  db4e [--config F] [--data DIR]\tconsole (default); --config and --data go with any command")
	fmt.Fprintln(w, "  db4e --headless\tingest + pollers + local socket (+ the page and /metrics)")
	fmt.Fprintln(w, "  db4e --demo\tconsole over a simulated farm, no P2Pool needed")
	for _, c := range commands() {
		for _, l := range c.lines {
			fmt.Fprintf(w, "  %s\t%s\n", l.call(c.name), l.what)
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
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("db4e", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, by main
	e.globalFlags(fs)
	headless := fs.Bool("headless", false, "run as a service: ingest and socket")
	demo := fs.Bool("demo", false, "console over a simulated farm")
	showVersion := fs.Bool("version", false, "print the version")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage())
		return nil
	case err != nil:
		return usageError{fmt.Errorf("%w (see db4e --help)", err)}
	case *showVersion:
		return cmdVersion(ctx, e, nil)
	}
	rest := fs.Args()
	if len(rest) == 0 || *demo || *headless {
		if len(rest) > 0 {
			return usageError{fmt.Errorf("unexpected %q after --headless or --demo (see db4e --help)", rest[0])}
		}
		if err := e.load(); err != nil {
			return err
		}
		switch {
		case *demo:
			return runDemo(ctx, e)
		case *headless:
			return runService(ctx, e)
		}
		return runConsole(ctx, e)
	}
	if c, ok := lookup(rest[0]); ok {
		err := c.run(ctx, e, rest[1:])
		if errors.Is(err, errHelpShown) {
			return nil
		}
		return err
	}
	return usageError{fmt.Errorf("unknown command %q (see db4e --help)", rest[0])}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	if err := e.parse(e.flags("version"), args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "db4e", buildVersion())
	return nil
}

// buildVersion is the version the binary was built as: -ldflags "-X main.version=..." when set,
// else the module version `go install ...@v1.2.3` records, else the VCS revision `go build` in a
// checkout records (with "+dirty" for uncommitted changes), else "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	if at != "" {
		return fmt.Sprintf("dev (commit %s, %s)", rev, at)
	}
	return fmt.Sprintf("dev (commit %s)", rev)
}

// cmdHelp prints the usage, or one command's.
func cmdHelp(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage())
		return nil
	}
	c, ok := lookup(args[0])
	if !ok || c.name == "help" {
		return usageError{fmt.Errorf("help: no command %q (see db4e --help)", args[0])}
	}
	return c.run(ctx, e, append(args[1:], "-h"))
}
