// Package config reads db4e's YAML file and hands each package its own part.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/deploy"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
	"github.com/db4e/db4e/store"
)

// File is the whole configuration file. Each section is the Config of the package that reads
// it, with its yaml keys and its defaults; this package only finds, decodes, validates and hands
// out. Every key is in config.example.yaml with its default.
type File struct {
	// DataDir holds the Badger store.
	DataDir string `yaml:"data_dir"`
	// Timezone cuts days for every view and report; empty means the system's.
	Timezone string `yaml:"timezone"`
	// Socket is where the service answers the console and the subcommands.
	Socket string `yaml:"socket"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`

	// Ops is p2pool, miners, monerod, backup, metrics_listen, csv and alerts.
	Ops   ops.Config   `yaml:",inline"`
	Store store.Config `yaml:"store"`

	// Targets are what `db4e restart` and the console's restart menu act on.
	Targets []restart.TargetConfig `yaml:"targets"`
	SSH     runner.SSHConfig       `yaml:"ssh"`
	Restart restart.Config         `yaml:"restart"`

	// Deploy is what `db4e deploy` installs and starts; what it deploys is monitored and
	// restartable with no more keys (see Derive).
	Deploy deploy.Config `yaml:"deploy"`

	// Path is the file this was read from, empty when none was found.
	Path string `yaml:"-"`
}

// Default is the configuration with no file at all.
func Default() File {
	return File{
		LogLevel: "info",
		Ops:      ops.DefaultConfig(),
		Store:    store.DefaultConfig(),
		SSH:      runner.DefaultSSHConfig(),
		Restart:  restart.DefaultConfig(),
		Deploy:   deploy.DefaultConfig(),
	}
}

// Load reads the file named by explicit or, when that is empty, the first of
// $XDG_CONFIG_HOME/db4e/config.yaml and /etc/db4e/config.yaml that exists. No file means the
// defaults. An unknown key or a bad value is an error that names the key and the file.
func Load(explicit string) (File, error) {
	cfg := Default()
	path := explicit
	if path == "" {
		for _, p := range searchPath() {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := decode(b, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		cfg.Path = path
	}
	derr := prefixed("deploy", cfg.Deploy.Validate())
	if derr == nil {
		cfg.derive() // only from a deploy section that holds together
	}
	if err := errors.Join(cfg.validate(), derr); err != nil {
		return cfg, inFile(displayPath(path), err)
	}
	cfg.resolveDefaults()
	return cfg, nil
}

// fileError is every problem of a configuration file, said with the file's name.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// inFile says err's problems with the file they are in: on one line when there is one, else
// one a line below a count.
func inFile(path string, err error) error {
	var lines []string
	model.Each(err, func(e error) { lines = append(lines, e.Error()) })
	if len(lines) == 1 {
		return &fileError{fmt.Sprintf("config %s: %s", path, lines[0]), err}
	}
	return &fileError{fmt.Sprintf("config %s: %d bad keys:\n  %s", path, len(lines), strings.Join(lines, "\n  ")), err}
}

func displayPath(p string) string {
	if p == "" {
		return "(defaults)"
	}
	return p
}

func decode(b []byte, cfg *File) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	return plainErrors(b, err)
}

func searchPath() []string {
	var out []string
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		out = append(out, filepath.Join(x, "db4e", "config.yaml"))
	} else if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".config", "db4e", "config.yaml"))
	}
	return append(out, "/etc/db4e/config.yaml")
}

// validate names every bad key of the file at once, each with its whole path
// (miners.interval), one a line.
func (c *File) validate() error {
	var p model.Problems
	if _, err := store.LoadLocation(c.Timezone); err != nil {
		p.Add(fmt.Errorf("timezone: %w", err))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.Add(fmt.Errorf("log_level: want debug, info, warn or error, got %q", c.LogLevel))
	}
	o := c.Ops
	p.Check(o.HTTPListen != "" && o.MetricsListen != "", "http_listen and metrics_listen (its old name) are both set; keep http_listen")
	for _, s := range []struct {
		key string
		v   interface{ Validate() error }
	}{{"p2pool", o.P2Pool}, {"miners", o.Miners}, {"monerod", o.Monerod}, {"backup", o.Backup}, {"csv", o.CSV},
		{"alerts", o.Alerts}, {"payouts", o.Payouts}, {"wallet_rpc", o.WalletRPC}, {"store", c.Store}, {"ssh", c.SSH}, {"restart", c.Restart}} {
		model.Each(s.v.Validate(), func(err error) { p.Add(fmt.Errorf("%s.%w", s.key, err)) })
	}
	targets, err := restart.BuildTargets(c.Targets, c.SSH.User, c.Socket)
	if err != nil {
		p.Add(err)
		return p.Err()
	}
	rules := o.Alerts.Rules.Map()
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		r := rules[name]
		if r.Restart == "" {
			continue
		}
		if err := restart.CheckRestart(targets, r.Restart); err != nil {
			p.Add(fmt.Errorf("alerts.rules.%s.restart: %w", name, err))
		}
	}
	return p.Err()
}

func prefixed(key string, err error) error {
	var p model.Problems
	model.Each(err, func(e error) { p.Add(fmt.Errorf("%s.%w", key, e)) })
	return p.Err()
}

// derive fills what the deploy section deploys into the keys that monitor and restart it,
// where the file leaves them unset: monerod.rpc, p2pool.log and data_api, the rigs' xmrig
// APIs, and targets named monerod, p2pool, db4e and after each rig. One source: the ports,
// paths and token the deployed programs are given are the ones db4e then reads.
func (c *File) derive() {
	d := c.Deploy
	if !d.Enabled() {
		return
	}
	o := &c.Ops
	if o.Monerod.RPC == "" && d.Monerod.Release.Release != "" {
		o.Monerod.RPC = fmt.Sprintf("http://127.0.0.1:%d", d.Monerod.RPCPort)
	}
	if d.P2Pool.Release.Release != "" {
		if o.P2Pool.Log == ingest.DefaultConfig().Log {
			o.P2Pool.Log = d.P2PoolLog()
		}
		if o.P2Pool.DataAPI == "" {
			o.P2Pool.DataAPI = d.DataAPI()
		}
	}
	for _, x := range d.XmrigAPIs() {
		if !slices.ContainsFunc(o.Miners.Xmrig, func(m collect.XmrigConfig) bool { return m.Name == x[0] }) {
			o.Miners.Xmrig = append(o.Miners.Xmrig, collect.XmrigConfig{Name: x[0], URL: x[1], Token: x[2]})
		}
	}
	for _, t := range d.Targets() {
		if !slices.ContainsFunc(c.Targets, func(e restart.TargetConfig) bool { return e.Name == t.Name }) {
			c.Targets = append(c.Targets, t)
		}
	}
}

// asService tells a systemd (or root) run from an interactive one, for the default paths.
func asService() bool {
	return os.Getenv("INVOCATION_ID") != "" || os.Geteuid() == 0
}

func (c *File) resolveDefaults() {
	c.Store.Timezone = c.Timezone
	c.Store.MaxHosts = c.Ops.Miners.MaxHosts
	for i := range c.SSH.KnownHosts {
		c.SSH.KnownHosts[i] = expandHome(c.SSH.KnownHosts[i])
	}
	for i := range c.SSH.KeyFiles {
		c.SSH.KeyFiles[i] = expandHome(c.SSH.KeyFiles[i])
	}
	c.Ops.Backup.Dir = expandHome(c.Ops.Backup.Dir)
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir()
	}
	if c.Socket == "" {
		c.Socket = DefaultSocket()
	}
}

// DefaultDataDir is $STATE_DIRECTORY (systemd), /var/lib/db4e for a service, else
// $XDG_DATA_HOME/db4e.
func DefaultDataDir() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		return strings.Split(d, ":")[0]
	}
	if asService() {
		return "/var/lib/db4e"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "db4e")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "db4e")
}

// DefaultSocket is $RUNTIME_DIRECTORY/db4e.sock (systemd), /run/db4e/db4e.sock for a service or
// when a system service runs, else $XDG_RUNTIME_DIR/db4e.sock.
func DefaultSocket() string {
	if d := os.Getenv("RUNTIME_DIRECTORY"); d != "" {
		return filepath.Join(strings.Split(d, ":")[0], "db4e.sock")
	}
	const system = "/run/db4e/db4e.sock"
	if _, err := os.Stat(system); err == nil {
		return system // a system service runs: attach to it
	}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && !asService() {
		return filepath.Join(x, "db4e.sock")
	}
	return system
}

// WritePath is where a new configuration goes: /etc/db4e/config.yaml for root (the service's),
// else the user's own ($XDG_CONFIG_HOME/db4e/config.yaml).
func WritePath() string {
	p := searchPath()
	if os.Geteuid() == 0 {
		return p[len(p)-1]
	}
	return p[0]
}

// Where names the file the configuration came from, for messages.
func (c *File) Where() string {
	if c.Path == "" {
		return "the defaults (no configuration file was found: " + strings.Join(searchPath(), " or ") + ")"
	}
	return c.Path
}

// Location is the zone days are cut in.
func (c *File) Location() (*time.Location, error) { return store.LoadLocation(c.Timezone) }

// BuildTargets expands the targets list (validated at load).
func (c *File) BuildTargets() []restart.Target {
	t, _ := restart.BuildTargets(c.Targets, c.SSH.User, c.Socket)
	for i := range t {
		if t[i].Kind == restart.KindMonerod {
			t[i].Health.Node = c.Ops.Monerod
		}
	}
	return t
}

func expandHome(p string) string {
	if !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[2:])
}
