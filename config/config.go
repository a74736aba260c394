// Package config reads db4e's YAML file and hands each package its own part.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
	"github.com/db4e/db4e/store"
)

// File is the whole configuration file. Every key is in config.example.yaml with its default.
type File struct {
	// DataDir holds the Badger store.
	DataDir string `yaml:"data_dir"`
	// Timezone cuts days for every view and report; empty means the system's.
	Timezone string `yaml:"timezone"`
	// Socket is where the service answers the console and the subcommands.
	Socket string `yaml:"socket"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`

	P2Pool ingest.Config `yaml:"p2pool"`
	Store  store.Config  `yaml:"store"`
	Miners Miners        `yaml:"miners"`

	// Targets are what `db4e restart` and the console's restart menu act on.
	Targets []restart.TargetConfig `yaml:"targets"`
	SSH     runner.SSHConfig       `yaml:"ssh"`
	Restart Restart                `yaml:"restart"`
	Backup  ops.BackupConfig       `yaml:"backup"`

	Monerod Monerod `yaml:"monerod"`
	// MetricsListen serves Prometheus metrics on /metrics (e.g. 127.0.0.1:9732); empty: off.
	MetricsListen string `yaml:"metrics_listen"`
	CSV           CSV    `yaml:"csv"`

	Alerts alert.Config `yaml:"alerts"`

	// Path is the file this was read from, empty when none was found.
	Path string `yaml:"-"`
}

// Miners is the miners section.
type Miners struct {
	// StaleAfter marks a miner that has sent no share and no sample for longer as stale.
	StaleAfter time.Duration `yaml:"stale_after"`
	// Interval and Timeout apply to the xmrig APIs and the leases file.
	Interval time.Duration     `yaml:"interval"`
	Timeout  time.Duration     `yaml:"timeout"`
	Xmrig    []ops.XmrigConfig `yaml:"xmrig"`
	// Leases is dnsmasq's leases file, for the inventory of miners.
	Leases string `yaml:"leases"`
	// MaxHosts bounds the miners that get a row of their own in the views, the metrics and
	// the hashrate series; the shares of any more are counted under "(other)" (each event
	// keeps its own name).
	MaxHosts int `yaml:"max_hosts"`
}

// Monerod is the monerod section.
type Monerod struct {
	// RPC is monerod's RPC address, asked get_info; empty: not polled.
	RPC      string        `yaml:"rpc"`
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
}

// CSV is the csv section: the daily-total CSV files the service keeps up to date.
type CSV struct {
	// Dir gets shares.csv, shares_by_host.csv, blocks.csv and payments.csv (or the legacy
	// files) rewritten after new events; empty: off.
	Dir    string `yaml:"dir"`
	Legacy bool   `yaml:"legacy"`
	// Git commits the files in Dir (a git work tree) and pushes them.
	Git bool `yaml:"git"`
	// Every bounds how often they are rewritten.
	Every time.Duration `yaml:"every"`
}

// Restart is the restart section.
type Restart struct {
	// Concurrency is how many miners are restarted at once.
	Concurrency int `yaml:"concurrency"`
}

// Default is the configuration with no file at all.
func Default() File {
	return File{
		LogLevel: "info",
		P2Pool:   ingest.DefaultConfig(),
		Store:    store.DefaultConfig(),
		Miners:   Miners{StaleAfter: 30 * time.Minute, Interval: time.Minute, Timeout: 5 * time.Second, MaxHosts: 500},
		Monerod:  Monerod{Interval: 30 * time.Second, Timeout: 5 * time.Second},
		CSV:      CSV{Every: time.Minute},
		Alerts:   alert.Defaults(),
		SSH:      runner.DefaultSSHConfig(),
		Restart:  Restart{Concurrency: 4},
		Backup:   ops.BackupConfig{Keep: 7},
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
	if err := cfg.validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", displayPath(path), err)
	}
	cfg.resolveDefaults()
	return cfg, nil
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
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	// yaml.v3 names the line of a bad value, not its key: find the key, so the message says
	// "p2pool.rotation_grace" and not only "line 7".
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = m
		var line int
		if _, serr := fmt.Sscanf(m, "line %d:", &line); serr == nil {
			if key := keyAtLine(&root, line, ""); key != "" {
				msgs[i] = key + " (" + m + ")"
			}
		}
	}
	return errors.New(strings.Join(msgs, "; "))
}

// keyAtLine returns the dotted path of the mapping key whose value starts at line.
func keyAtLine(n *yaml.Node, line int, prefix string) string {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return keyAtLine(n.Content[0], line, prefix)
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		if v.Line == line && v.Kind != yaml.MappingNode || k.Line == line {
			return path
		}
		if found := keyAtLine(v, line, path); found != "" {
			return found
		}
	}
	return ""
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

func (c *File) validate() error {
	if _, err := store.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.Store.SeriesRetentionDays < 0 {
		return fmt.Errorf("store.series_retention_days: must not be negative, got %d", c.Store.SeriesRetentionDays)
	}
	if c.Store.MinFreeMB < store.MinFreeFloorMB {
		return fmt.Errorf("store.min_free_mb: want at least %d (what Badger may write in one compaction once db4e stops writing), got %d", store.MinFreeFloorMB, c.Store.MinFreeMB)
	}
	if c.Miners.MaxHosts < 1 {
		return fmt.Errorf("miners.max_hosts: want at least 1, got %d", c.Miners.MaxHosts)
	}
	if c.Miners.StaleAfter < time.Minute {
		return fmt.Errorf("miners.stale_after: want at least 1m, got %s", c.Miners.StaleAfter)
	}
	if c.Miners.Interval < time.Second || c.Miners.Timeout <= 0 {
		return fmt.Errorf("miners: interval (at least 1s) and timeout must be positive")
	}
	if c.Monerod.Interval < time.Second || c.Monerod.Timeout <= 0 {
		return fmt.Errorf("monerod: interval (at least 1s) and timeout must be positive")
	}
	if c.Monerod.RPC != "" && !strings.HasPrefix(c.Monerod.RPC, "http://") && !strings.HasPrefix(c.Monerod.RPC, "https://") {
		return fmt.Errorf("monerod.rpc: want http://host:port, got %q", c.Monerod.RPC)
	}
	names := map[string]bool{}
	for i, x := range c.Miners.Xmrig {
		if x.Name == "" || model.SanitizeName(x.Name, 64) != x.Name || names[x.Name] {
			return fmt.Errorf("miners.xmrig[%d].name: want a unique printable name, got %q", i, x.Name)
		}
		names[x.Name] = true
		if !strings.HasPrefix(x.URL, "http://") && !strings.HasPrefix(x.URL, "https://") {
			return fmt.Errorf("miners.xmrig[%d].url: want http://host:port, got %q", i, x.URL)
		}
	}
	if c.CSV.Every < time.Second {
		return fmt.Errorf("csv.every: want at least 1s, got %s", c.CSV.Every)
	}
	if c.CSV.Git && c.CSV.Dir == "" {
		return fmt.Errorf("csv.dir: needed for csv.git")
	}
	if err := c.Alerts.Validate(); err != nil {
		return err
	}
	if c.Restart.Concurrency < 1 {
		return fmt.Errorf("restart.concurrency: want at least 1, got %d", c.Restart.Concurrency)
	}
	if c.Backup.Keep < 0 || c.Backup.Interval < 0 {
		return fmt.Errorf("backup: keep and interval must not be negative")
	}
	if c.Backup.Interval > 0 && c.Backup.Dir == "" {
		return fmt.Errorf("backup.dir: needed for backup.interval")
	}
	if c.SSH.ConnectTimeout <= 0 {
		return fmt.Errorf("ssh.connect_timeout: must be positive")
	}
	if _, err := restart.BuildTargets(c.Targets, c.SSH.User, c.Socket); err != nil {
		return err
	}
	if err := c.P2Pool.Validate(); err != nil {
		return fmt.Errorf("p2pool.%w", err)
	}
	return nil
}

// asService tells a systemd (or root) run from an interactive one, for the default paths.
func asService() bool {
	return os.Getenv("INVOCATION_ID") != "" || os.Geteuid() == 0
}

func (c *File) resolveDefaults() {
	c.Store.Timezone = c.Timezone
	c.Store.MaxHosts = c.Miners.MaxHosts
	for i := range c.SSH.KnownHosts {
		c.SSH.KnownHosts[i] = expandHome(c.SSH.KnownHosts[i])
	}
	for i := range c.SSH.KeyFiles {
		c.SSH.KeyFiles[i] = expandHome(c.SSH.KeyFiles[i])
	}
	c.Backup.Dir = expandHome(c.Backup.Dir)
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

// Ops is the part the ops package needs.
func (c *File) Ops() ops.Config {
	return ops.Config{P2Pool: c.P2Pool, StaleAfter: c.Miners.StaleAfter, Backup: c.Backup,
		Telemetry: ops.TelemetryConfig{
			MonerodRPC: c.Monerod.RPC, MonerodInterval: c.Monerod.Interval, MonerodTimeout: c.Monerod.Timeout,
			DataAPI: c.P2Pool.DataAPI, DataAPIInterval: c.P2Pool.APIInterval, DataAPIMaxAge: c.P2Pool.APIMaxAge,
			Xmrig: c.Miners.Xmrig, MinerInterval: c.Miners.Interval, MinerTimeout: c.Miners.Timeout, Leases: c.Miners.Leases,
		},
		MetricsListen: c.MetricsListen,
		CSV:           ops.CSVConfig{Dir: c.CSV.Dir, Legacy: c.CSV.Legacy, Git: c.CSV.Git, Every: c.CSV.Every},
		Alerts:        c.Alerts,
	}
}

// Location is the zone days are cut in.
func (c *File) Location() (*time.Location, error) { return store.LoadLocation(c.Timezone) }

// BuildTargets expands the targets list (validated at load).
func (c *File) BuildTargets() []restart.Target {
	t, _ := restart.BuildTargets(c.Targets, c.SSH.User, c.Socket)
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
