package deploy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
	"go.yaml.in/yaml/v3"
)

// Answers are what `db4e setup` asks a new miner: what they know, each with a default.
type Answers struct {
	Wallet      string
	Sidechain   string // main, mini, nano
	ChainDir    string // monerod's data dir
	Prune       bool
	Rigs        string // SSH hosts, separated by spaces or commas: user@host[:port]
	NodeAddress string
}

// Release archives `db4e setup` proposes: the publishers' own download and hashes addresses.
// hashes.txt and SHA256SUMS name the archive's hash; the operator changes a version here to
// upgrade (deploy plan shows the change first).
var defaultReleases = map[string]Release{
	Monerod: {Release: "https://downloads.getmonero.org/cli/monero-linux-x64-v0.18.4.4.tar.bz2", Hashes: "https://www.getmonero.org/downloads/hashes.txt"},
	P2Pool:  {Release: "https://github.com/SChernykh/p2pool/releases/download/v4.18/p2pool-v4.18-linux-x64.tar.gz", Hashes: "https://github.com/SChernykh/p2pool/releases/download/v4.18/sha256sums.txt.asc"},
	Xmrig:   {Release: "https://github.com/xmrig/xmrig/releases/download/v6.24.0/xmrig-6.24.0-linux-static-x64.tar.gz", Hashes: "https://github.com/xmrig/xmrig/releases/download/v6.24.0/SHA256SUMS"},
}

// DefaultAnswers are the form's first values, from a configuration's deploy section when it
// has one.
func DefaultAnswers(c Config) Answers {
	a := Answers{Wallet: c.P2Pool.Wallet, Sidechain: c.P2Pool.Sidechain, ChainDir: c.Monerod.DataDir, Prune: c.Monerod.Prune, NodeAddress: c.NodeAddress}
	var hosts []string
	for _, r := range c.Xmrig.Rigs {
		hosts = append(hosts, r.Host)
	}
	a.Rigs = strings.Join(hosts, " ")
	if a.NodeAddress == "" {
		a.NodeAddress = outboundAddress()
	}
	return a
}

// outboundAddress is this machine's first non-loopback IPv4 address: what rigs on its LAN reach.
func outboundAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			return ip.IP.String()
		}
	}
	return "127.0.0.1"
}

// Check names every answer that cannot be used, by the form's label.
func (a Answers) Check(network string) error {
	var errs []error
	if _, err := CheckWallet(a.Wallet, network); err != nil {
		errs = append(errs, fmt.Errorf("wallet: %w", err))
	}
	switch a.Sidechain {
	case "main", "mini", "nano":
	default:
		errs = append(errs, fmt.Errorf("sidechain: want main, mini or nano"))
	}
	if !path.IsAbs(a.ChainDir) {
		errs = append(errs, fmt.Errorf("chain directory: want an absolute path, got %q", a.ChainDir))
	}
	if _, err := a.rigs(); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(a.NodeAddress) == "" && strings.TrimSpace(a.Rigs) != "" {
		errs = append(errs, errors.New("node address: the rigs need it to reach P2Pool"))
	}
	return errors.Join(errs...)
}

func (a Answers) rigs() ([]Rig, error) {
	var out []Rig
	seen := map[string]bool{}
	for _, h := range strings.FieldsFunc(a.Rigs, func(r rune) bool { return r == ',' || r == ' ' }) {
		host := h
		if _, rest, ok := strings.Cut(host, "@"); ok {
			host = rest
		}
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		name := strings.Trim(host, "[]")
		if !nameRE.MatchString(name) || seen[name] {
			return nil, fmt.Errorf("rigs: %q is not a host (user@host or user@host:port, one per rig)", h)
		}
		seen[name] = true
		out = append(out, Rig{Name: name, Host: h})
	}
	return out, nil
}

// Apply puts the answers into a deploy section: the proposed releases where none is set, a
// fresh xmrig token where none is.
func (a Answers) Apply(c Config) (Config, error) {
	rigs, err := a.rigs()
	if err != nil {
		return c, err
	}
	c.P2Pool.Wallet = strings.TrimSpace(a.Wallet)
	c.P2Pool.Sidechain = a.Sidechain
	c.Monerod.DataDir = a.ChainDir
	c.Monerod.Prune = a.Prune
	c.NodeAddress = strings.TrimSpace(a.NodeAddress)
	c.Xmrig.Rigs = rigs
	for comp, r := range map[string]*Release{Monerod: &c.Monerod.Release, P2Pool: &c.P2Pool.Release, Xmrig: &c.Xmrig.Release} {
		if r.Release == "" {
			*r = defaultReleases[comp]
		}
	}
	if c.Xmrig.Token == "" {
		b := make([]byte, 16)
		rand.Read(b)
		c.Xmrig.Token = hex.EncodeToString(b)
	}
	return c, nil
}

// WriteConfig puts deploy into the configuration file at file (created when absent), leaving
// every other key and comment as it is. The file before is kept beside it, .before-setup.
func WriteConfig(file string, c Config) error {
	var doc yaml.Node
	old, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		old = nil
	case err != nil:
		return err
	}
	if len(bytes.TrimSpace(old)) > 0 {
		if err := yaml.Unmarshal(old, &doc); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a mapping of keys", file)
	}
	var section yaml.Node
	if err := section.Encode(c); err != nil {
		return err
	}
	section.HeadComment = ""
	replaced := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "deploy" {
			root.Content[i+1] = &section
			replaced = true
		}
	}
	if !replaced {
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: "deploy",
			HeadComment: "Written by db4e setup: what db4e deploy installs and starts (see config.example.yaml)."}
		root.Content = append(root.Content, key, &section)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if old != nil {
		if err := renameio.WriteFile(file+".before-setup", old, 0o600); err != nil {
			return err
		}
	}
	// 0600: the file holds xmrig's API token.
	return renameio.WriteFile(file, b.Bytes(), 0o600)
}
