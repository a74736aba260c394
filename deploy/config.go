// Package deploy installs, configures, starts, upgrades and rolls back the farm's software —
// monerod and P2Pool on the node, xmrig on every rig — from a plan the operator has seen:
// verified release archives, one directory per version behind a `current` symlink, files and
// systemd units rendered from templates, each change undoable.
package deploy

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
)

// Config is the deploy section. Empty (no wallet and no release anywhere): nothing is deployed.
type Config struct {
	// Root prefixes every path deploy writes and every path in what it writes ("/" on a node;
	// a temp dir in tests, where the deployed programs then run from it).
	Root string `yaml:"root"`
	// Network is monerod's: mainnet, stagenet or testnet. The wallet must be of it.
	Network string `yaml:"network"`
	// NodeAddress is how the rigs reach this node's stratum port (an IP or a name).
	NodeAddress string `yaml:"node_address"`
	// User runs monerod and P2Pool (a system user, made by the sysusers.d file).
	User string `yaml:"user"`
	// OperatorGroup may start, stop and restart the farm's units through sudo, and read db4e.
	OperatorGroup string `yaml:"operator_group"`
	// Commands act on a unit: {unit} is its name, {exec} the unit's ExecStart command line,
	// {fifo} P2Pool's stdin FIFO. Run by /bin/sh on the node, the login shell on a rig.
	Commands Commands `yaml:"commands"`
	// HealthWait is how long a started component has to become healthy before it is rolled back.
	HealthWait time.Duration `yaml:"health_wait"`

	Monerod MonerodConfig `yaml:"monerod"`
	P2Pool  P2PoolConfig  `yaml:"p2pool"`
	Xmrig   XmrigConfig   `yaml:"xmrig"`
}

// Commands are how a unit is started, stopped and restarted, and how units are reloaded.
type Commands struct {
	Start   string `yaml:"start"`
	Stop    string `yaml:"stop"`
	Restart string `yaml:"restart"`
	// Reload runs once on the node after units, sysusers.d or tmpfiles.d files changed
	// ({root} is root); RigReload on a rig after its unit changed.
	Reload    string `yaml:"reload"`
	RigReload string `yaml:"rig_reload"`
}

// Release says where a component's archive is and how to trust it: its sha256, or the
// publisher's hashes file (signed, when signing_key names the publisher's public key).
type Release struct {
	Release    string `yaml:"release"`
	SHA256     string `yaml:"sha256"`
	Hashes     string `yaml:"hashes"`
	Signature  string `yaml:"signature"`
	SigningKey string `yaml:"signing_key"`
}

// MonerodConfig is the node.
type MonerodConfig struct {
	Release `yaml:",inline"`
	DataDir string `yaml:"data_dir"`
	Prune   bool   `yaml:"prune"`
	RPCPort int    `yaml:"rpc_port"`
	ZMQPort int    `yaml:"zmq_port"`
	P2PPort int    `yaml:"p2p_port"`
	// Args are added to monerod's command line (e.g. --regtest --offline in tests).
	Args []string `yaml:"args"`
}

// P2PoolConfig is the pool on the node.
type P2PoolConfig struct {
	Release     `yaml:",inline"`
	Wallet      string   `yaml:"wallet"`
	Sidechain   string   `yaml:"sidechain"`
	DataDir     string   `yaml:"data_dir"`
	StratumPort int      `yaml:"stratum_port"`
	P2PPort     int      `yaml:"p2p_port"`
	Args        []string `yaml:"args"`
}

// Rig is one mining machine: its name (xmrig's worker name, the miner's name everywhere in
// db4e) and its SSH destination.
type Rig struct {
	Name string `yaml:"name"`
	Host string `yaml:"host"`
}

// XmrigConfig is the miner on every rig.
type XmrigConfig struct {
	Release `yaml:",inline"`
	Rigs    []Rig `yaml:"rigs"`
	// Root prefixes every path written on a rig, as Root does on the node.
	Root string `yaml:"root"`
	// HTTPHost and HTTPPort are where xmrig's HTTP API listens on the rig: db4e on the node
	// reads it there.
	HTTPHost string `yaml:"http_host"`
	HTTPPort int    `yaml:"http_port"`
	// Token is the access token of xmrig's HTTP API, which db4e polls with it.
	Token string   `yaml:"token"`
	Args  []string `yaml:"args"`
}

// DefaultConfig is the deploy section when the file has none.
func DefaultConfig() Config {
	return Config{
		Root: "/", Network: "mainnet", User: "monero", OperatorGroup: "db4e",
		Commands: Commands{
			Start:   "sudo systemctl start {unit}",
			Stop:    "sudo systemctl stop {unit}",
			Restart: "sudo systemctl restart {unit}",
			Reload: "systemd-sysusers {root}/etc/sysusers.d/db4e-farm.conf && " +
				"systemd-tmpfiles --create {root}/etc/tmpfiles.d/db4e-farm.conf && systemctl daemon-reload",
			RigReload: "sudo systemctl daemon-reload",
		},
		HealthWait: 3 * time.Minute,
		Monerod:    MonerodConfig{DataDir: "/var/lib/monero", Prune: true, RPCPort: 18081, ZMQPort: 18083, P2PPort: 18080},
		P2Pool:     P2PoolConfig{Sidechain: "mini", DataDir: "/var/lib/p2pool", StratumPort: 3333},
		Xmrig:      XmrigConfig{Root: "/", HTTPHost: "0.0.0.0", HTTPPort: 8080},
	}
}

// Enabled tells a configuration that deploys something from one that only monitors.
func (c Config) Enabled() bool {
	return c.P2Pool.Wallet != "" || c.Monerod.Release.Release != "" || c.P2Pool.Release.Release != "" ||
		c.Xmrig.Release.Release != "" || len(c.Xmrig.Rigs) > 0
}

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	unixName  = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

// Validate names every bad key of the section, relative to it.
func (c Config) Validate() error {
	var p model.Problems
	if !c.Enabled() {
		return nil
	}
	p.Check(!path.IsAbs(c.Root), "root: want an absolute path, got %q", c.Root)
	switch c.Network {
	case "mainnet", "stagenet", "testnet":
	default:
		p.Add(fmt.Errorf("network: want mainnet, stagenet or testnet, got %q", c.Network))
	}
	p.Check(!unixName.MatchString(c.User), "user: want a system user name, got %q", c.User)
	p.Check(!unixName.MatchString(c.OperatorGroup), "operator_group: want a group name, got %q", c.OperatorGroup)
	for key, cmd := range map[string]string{"start": c.Commands.Start, "stop": c.Commands.Stop, "restart": c.Commands.Restart} {
		p.Check(strings.TrimSpace(cmd) == "", "commands.%s: the command is missing", key)
	}
	p.Check(c.HealthWait <= 0, "health_wait: want more than 0s, got %s", c.HealthWait)
	checkRelease(&p, "monerod", c.Monerod.Release)
	checkRelease(&p, "p2pool", c.P2Pool.Release)
	checkRelease(&p, "xmrig", c.Xmrig.Release)
	m := c.Monerod
	p.Check(!path.IsAbs(m.DataDir), "monerod.data_dir: want an absolute path, got %q", m.DataDir)
	for key, port := range map[string]int{"monerod.rpc_port": m.RPCPort, "monerod.zmq_port": m.ZMQPort, "monerod.p2p_port": m.P2PPort,
		"p2pool.stratum_port": c.P2Pool.StratumPort, "xmrig.http_port": c.Xmrig.HTTPPort} {
		p.Check(port < 1 || port > 65535, "%s: want a port (1-65535), got %d", key, port)
	}
	p.Check(c.P2Pool.P2PPort < 0 || c.P2Pool.P2PPort > 65535, "p2pool.p2p_port: want a port (1-65535) or 0 for the sidechain's, got %d", c.P2Pool.P2PPort)
	pp := c.P2Pool
	switch pp.Sidechain {
	case "main", "mini", "nano":
	default:
		p.Add(fmt.Errorf("p2pool.sidechain: want main, mini or nano, got %q", pp.Sidechain))
	}
	if pp.Wallet == "" {
		p.Add(fmt.Errorf("p2pool.wallet: the address P2Pool pays is missing"))
	} else if _, err := CheckWallet(pp.Wallet, c.Network); err != nil {
		p.Add(fmt.Errorf("p2pool.wallet: %w", err))
	}
	p.Check(!path.IsAbs(pp.DataDir), "p2pool.data_dir: want an absolute path, got %q", pp.DataDir)
	x := c.Xmrig
	p.Check(!path.IsAbs(x.Root), "xmrig.root: want an absolute path, got %q", x.Root)
	p.Check(net.ParseIP(x.HTTPHost) == nil, "xmrig.http_host: want an IP address to listen on, got %q", x.HTTPHost)
	seen := map[string]bool{}
	for i, r := range x.Rigs {
		where := fmt.Sprintf("xmrig.rigs[%d]", i)
		p.Check(!nameRE.MatchString(r.Name), "%s.name: want letters, digits, '.', '_' or '-', got %q", where, r.Name)
		p.Check(seen[r.Name], "%s.name: %s is used twice", where, r.Name)
		seen[r.Name] = true
		if _, err := runner.ParseDest(r.Host, "root"); err != nil {
			p.Add(fmt.Errorf("%s.host: %w", where, err))
		}
	}
	if len(x.Rigs) > 0 {
		p.Check(x.Release.Release == "", "xmrig.release: rigs are listed and no xmrig archive is named")
		p.Check(len(x.Token) < 16, "xmrig.token: want at least 16 characters (db4e setup makes one), got %d", len(x.Token))
		p.Check(c.NodeAddress == "", "node_address: the rigs need this node's address to reach P2Pool's stratum")
	}
	return p.Err()
}

func checkRelease(p *model.Problems, key string, r Release) {
	if r.Release == "" {
		return
	}
	if strings.Contains(r.Release, "://") {
		u, err := url.Parse(r.Release)
		p.Check(err != nil || (u.Scheme != "http" && u.Scheme != "https"), "%s.release: want a path or an http(s) URL, got %q", key, r.Release)
	}
	if _, err := VersionOf(r.Release); err != nil {
		p.Add(fmt.Errorf("%s.release: %w", key, err))
	}
	switch {
	case r.SHA256 != "" && r.Hashes != "":
		p.Add(fmt.Errorf("%s: sha256 and hashes both set; use one", key))
	case r.SHA256 == "" && r.Hashes == "":
		p.Add(fmt.Errorf("%s: neither sha256 nor hashes is set: an archive is never installed unchecked", key))
	case r.SHA256 != "" && !hexSHA256.MatchString(r.SHA256):
		p.Add(fmt.Errorf("%s.sha256: want 64 hex digits, got %q", key, r.SHA256))
	}
	p.Check(r.SigningKey != "" && r.Hashes == "", "%s.signing_key: set with hashes (the signed file)", key)
}

// VersionOf is the version a publisher's archive names: v0.18.3.4 in
// monero-linux-x64-v0.18.3.4.tar.bz2, v4.1 in p2pool-v4.1-linux-x64.tar.gz, 6.21.0 in
// xmrig-6.21.0-linux-static-x64.tar.gz.
func VersionOf(release string) (string, error) {
	base := path.Base(release)
	if u, err := url.Parse(release); err == nil && u.Scheme != "" {
		base = path.Base(u.Path)
	}
	v := versionRE.FindString(base)
	if v == "" {
		return "", fmt.Errorf("no version in the archive's name %q (want e.g. monero-linux-x64-v0.18.3.4.tar.bz2)", base)
	}
	return v, nil
}

var versionRE = regexp.MustCompile(`v?[0-9]+\.[0-9]+(\.[0-9]+)*`)
