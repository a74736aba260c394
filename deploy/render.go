package deploy

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// db4eUnit is db4e's own unit, the same file the README installs by hand.
//
//go:embed db4e.service
var db4eUnit []byte

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
}).ParseFS(templateFS, "templates/*.tmpl"))

// Components, in the daily order: the order they are started in, stopped in reverse.
const (
	Monerod = "monerod"
	P2Pool  = "p2pool"
	DB4E    = "db4e"
	Xmrig   = "xmrig"
)

// Item is one thing deploy puts on a host: a program of a version, or a file.
type Item struct {
	Component string
	Host      string // "" for the node, else the rig's name
	Kind      string // binary, file, unit
	Path      string // where it goes on its host (root included)
	Mode      uint32
	Content   []byte // a file's
	Version   string // a binary's
	Program   string // a binary's file name
	Validate  string // a command that checks the file first (visudo -cf for sudoers)
}

// view is what the templates read: the configuration with every path under root and each
// program's command line.
type view struct {
	Config
	Monerod struct {
		MonerodConfig
		Version, Exec string
	}
	P2Pool struct {
		P2PoolConfig
		Version, Exec, FIFO string
	}
	Xmrig struct {
		XmrigConfig
		Version, Exec string
	}
	Units []string
	Rig   Rig
	Pool  string
}

// under puts p under root.
func under(root, p string) string { return path.Join(root, p) }

// Opt is where a component's versions are, on its host.
func Opt(root, component string) string { return under(root, "/opt/db4e/"+component) }

// shellQuote quotes an argument for a unit's ExecStart and for /bin/sh alike, only when needed.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func commandLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// P2PoolArgs is P2Pool's command line after the program, each option one of P2Pool's own
// (src/main.cpp, p2pool_usage).
func (c Config) P2PoolArgs() []string {
	p := c.P2Pool
	dir := under(c.Root, p.DataDir)
	args := []string{"--host", "127.0.0.1", "--rpc-port", strconv.Itoa(c.Monerod.RPCPort),
		"--zmq-port", strconv.Itoa(c.Monerod.ZMQPort), "--wallet", p.Wallet,
		"--stratum", "0.0.0.0:" + strconv.Itoa(p.StratumPort)}
	if p.P2PPort != 0 {
		args = append(args, "--p2p", "0.0.0.0:"+strconv.Itoa(p.P2PPort))
	}
	switch p.Sidechain {
	case "mini":
		args = append(args, "--mini")
	case "nano":
		args = append(args, "--nano")
	}
	args = append(args, "--data-dir", dir, "--data-api", dir+"/data-api", "--local-api", "--no-color")
	return append(args, p.Args...)
}

// MonerodArgs is monerod's command line after the program.
func (c Config) MonerodArgs() []string {
	args := []string{"--config-file", under(c.Root, "/etc/monero/monerod.conf"), "--non-interactive"}
	return append(args, c.Monerod.Args...)
}

// XmrigArgs is xmrig's command line after the program, on a rig.
func (c Config) XmrigArgs() []string {
	args := []string{"--config=" + under(c.Xmrig.Root, "/etc/xmrig/config.json"), "--no-color"}
	return append(args, c.Xmrig.Args...)
}

// P2PoolLog is where P2Pool writes its log: its data dir.
func (c Config) P2PoolLog() string { return under(c.Root, c.P2Pool.DataDir) + "/p2pool.log" }

// DataAPI is P2Pool's --data-api directory.
func (c Config) DataAPI() string { return under(c.Root, c.P2Pool.DataDir) + "/data-api" }

// FIFO is P2Pool's stdin, p2pool.socket's ListenFIFO.
func (c Config) FIFO() string { return under(c.Root, "/run/p2pool/p2pool.control") }

// Pool is P2Pool's stratum as the rigs reach it.
func (c Config) Pool() string {
	return net.JoinHostPort(c.NodeAddress, strconv.Itoa(c.P2Pool.StratumPort))
}

func (c Config) view() view {
	var v view
	v.Config = c
	v.Monerod.MonerodConfig = c.Monerod
	v.Monerod.DataDir = under(c.Root, c.Monerod.DataDir)
	v.Monerod.Version, _ = VersionOf(c.Monerod.Release.Release)
	v.Monerod.Exec = commandLine(append([]string{Opt(c.Root, Monerod) + "/current/monerod"}, c.MonerodArgs()...))
	v.P2Pool.P2PoolConfig = c.P2Pool
	v.P2Pool.DataDir = under(c.Root, c.P2Pool.DataDir)
	v.P2Pool.Version, _ = VersionOf(c.P2Pool.Release.Release)
	v.P2Pool.Exec = commandLine(append([]string{Opt(c.Root, P2Pool) + "/current/p2pool"}, c.P2PoolArgs()...))
	v.P2Pool.FIFO = c.FIFO()
	v.Xmrig.XmrigConfig = c.Xmrig
	v.Xmrig.Version, _ = VersionOf(c.Xmrig.Release.Release)
	v.Xmrig.Exec = commandLine(append([]string{Opt(c.Xmrig.Root, Xmrig) + "/current/xmrig"}, c.XmrigArgs()...))
	v.Units = []string{"monerod.service", "p2pool.service", "p2pool.socket", "db4e.service"}
	v.Pool = c.Pool()
	return v
}

func render(name string, v view) []byte {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, v); err != nil {
		panic(fmt.Sprintf("template %s: %v", name, err)) // the templates are compiled in: a test runs each
	}
	return b.Bytes()
}

// NodeItems is what the node should have, component by component in the daily order.
func (c Config) NodeItems() []Item {
	v := c.view()
	root := c.Root
	unit := func(comp, name string, content []byte) Item {
		return Item{Component: comp, Kind: "unit", Path: under(root, "/etc/systemd/system/"+name), Mode: 0o644, Content: content}
	}
	var out []Item
	if c.Monerod.Release.Release != "" {
		out = append(out,
			Item{Component: Monerod, Kind: "binary", Path: Opt(root, Monerod), Version: v.Monerod.Version, Program: "monerod"},
			Item{Component: Monerod, Kind: "file", Path: under(root, "/etc/monero/monerod.conf"), Mode: 0o644, Content: render("monerod.conf.tmpl", v)},
			unit(Monerod, "monerod.service", render("monerod.service.tmpl", v)))
	}
	if c.P2Pool.Release.Release != "" {
		out = append(out,
			Item{Component: P2Pool, Kind: "binary", Path: Opt(root, P2Pool), Version: v.P2Pool.Version, Program: "p2pool"},
			unit(P2Pool, "p2pool.socket", render("p2pool.socket.tmpl", v)),
			unit(P2Pool, "p2pool.service", render("p2pool.service.tmpl", v)))
	}
	out = append(out,
		unit(DB4E, "db4e.service", db4eUnit),
		Item{Component: DB4E, Kind: "file", Path: under(root, "/etc/sysusers.d/db4e-farm.conf"), Mode: 0o644, Content: render("sysusers.conf.tmpl", v)},
		Item{Component: DB4E, Kind: "file", Path: under(root, "/etc/tmpfiles.d/db4e-farm.conf"), Mode: 0o644, Content: render("tmpfiles.conf.tmpl", v)},
		Item{Component: DB4E, Kind: "file", Path: under(root, "/etc/sudoers.d/db4e"), Mode: 0o440, Content: render("sudoers.tmpl", v), Validate: "visudo -cf"})
	return out
}

// RigItems is what a rig should have.
func (c Config) RigItems(r Rig) []Item {
	v := c.view()
	v.Rig = r
	root := c.Xmrig.Root
	return []Item{
		{Component: Xmrig, Host: r.Name, Kind: "binary", Path: Opt(root, Xmrig), Version: v.Xmrig.Version, Program: "xmrig"},
		{Component: Xmrig, Host: r.Name, Kind: "file", Path: under(root, "/etc/xmrig/config.json"), Mode: 0o600, Content: render("xmrig.json.tmpl", v)},
		{Component: Xmrig, Host: r.Name, Kind: "unit", Path: under(root, "/etc/systemd/system/xmrig.service"), Mode: 0o644, Content: render("xmrig.service.tmpl", v)},
	}
}
