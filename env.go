package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

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

	// cfgPath and dataDir are --config and --data, before or after the command's name.
	cfgPath, dataDir string
	// demo: the console over a simulated farm, which has nothing to set up.
	demo bool
}

// errHelpShown is a command's -h: its usage is on stdout, and the exit status is 0.
var errHelpShown = errors.New("help shown")

func (e *env) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.cfgPath, "config", e.cfgPath, "configuration file")
	fs.StringVar(&e.dataDir, "data", e.dataDir, "data directory (overrides data_dir)")
}

// load reads the configuration that --config names (or the default one) and applies --data.
func (e *env) load() error {
	cfg, err := config.Load(e.cfgPath)
	if err != nil {
		return usageError{err}
	}
	if e.dataDir != "" {
		cfg.DataDir = e.dataDir
	}
	e.cfg, e.log = cfg, newLogger(e.stderr, cfg.LogLevel)
	return nil
}

// flags is a command's flag set: its own flags are added by the command, --config and --data
// are everyone's. name is the command, or "export csv" for one form of it.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("db4e "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, by main; -h by parse
	e.globalFlags(fs)
	return fs
}

// parse reads a command's arguments: -h prints its usage on stdout; a bad flag or a wrong
// number of arguments (min to max; max < 0: any) is a usage error, said once. Then the
// configuration is loaded.
func (e *env) parse(fs *flag.FlagSet, args []string, min, max int) error {
	name := strings.TrimPrefix(fs.Name(), "db4e ")
	err := parseAnywhere(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		e.commandUsage(fs)
		return errHelpShown
	}
	if err != nil {
		return usageError{fmt.Errorf("%s: %w (see db4e %s -h)", name, err, name)}
	}
	switch n := fs.NArg(); {
	case n < min:
		return usageError{fmt.Errorf("%s: missing argument (see db4e %s -h)", name, name)}
	case max >= 0 && n > max:
		return usageError{fmt.Errorf("%s: unexpected argument %q (see db4e %s -h)", name, fs.Arg(max), name)}
	}
	return e.load()
}

// parseAnywhere parses flags before, between and after the positional arguments, as Unix
// tools do (`db4e import p2pool.log --config c.yaml`); the flag package alone stops at the first
// positional. A bare "--" ends the flags: what follows is positional even if it starts with a
// dash (`db4e import -- --x`). Afterwards fs.Args() holds the positionals in their order.
func parseAnywhere(fs *flag.FlagSet, args []string) error {
	var after []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, after = args[:i], args[i+1:]
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	// Parse again with only the positionals after a "--": it sets nothing and leaves them in
	// fs.Args().
	return fs.Parse(append(append([]string{"--"}, positional...), after...))
}

// commandUsage prints a command's lines of the usage table and its flags.
func (e *env) commandUsage(fs *flag.FlagSet) {
	name := strings.TrimPrefix(fs.Name(), "db4e ")
	cmd, form, _ := strings.Cut(name, " ")
	c, _ := lookup(cmd)
	fmt.Fprintln(e.stdout, "usage:")
	for _, l := range c.lines {
		if strings.HasPrefix(l.args, form) {
			fmt.Fprintf(e.stdout, "  %s\n      %s\n", l.call(cmd), l.what)
		}
	}
	fmt.Fprintln(e.stdout, "\nflags:")
	fs.SetOutput(e.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
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

// watchdog lets l restart what the alert rules name: for the service, and for a console that
// keeps the store while no service runs.
func (e *env) watchdog(l *ops.Local) {
	l.SetWatchdog(e.restarter(nil, "", nil), e.cfg.BuildTargets())
}

// print writes v as JSON with --json, else as text: the one way a reporting command prints.
func (e *env) print(asJSON bool, v any, text func(io.Writer) error) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(v)
	}
	return text(e.stdout)
}
