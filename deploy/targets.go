package deploy

import (
	"net"
	"strconv"
	"strings"

	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
)

// expand fills a command's placeholders: {unit}, {exec} (the unit's command line), {fifo}
// and {root}.
func (c Config) expand(cmd, unit, execLine string) string {
	return strings.NewReplacer("{unit}", unit, "{exec}", execLine, "{fifo}", c.FIFO(), "{root}", absRoot(c.Root)).Replace(cmd)
}

// Targets are the start/stop/restart targets of what this section deploys, named monerod,
// p2pool, db4e and after each rig, with their health checks: db4e's own targets list gains
// them (an entry of the same name there wins).
func (c Config) Targets() []restart.TargetConfig {
	if !c.Enabled() {
		return nil
	}
	v := c.view()
	cmds := func(t restart.TargetConfig, unit, execLine string) restart.TargetConfig {
		t.Restart = c.expand(c.Commands.Restart, unit, execLine)
		t.Start = c.expand(c.Commands.Start, unit, execLine)
		t.Stop = c.expand(c.Commands.Stop, unit, execLine)
		t.Health.Wait = c.HealthWait
		return t
	}
	var out []restart.TargetConfig
	if c.Monerod.Release.Release != "" {
		out = append(out, cmds(restart.TargetConfig{Name: Monerod, Kind: restart.KindMonerod,
			Health: restart.HealthConfig{URL: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Monerod.RPCPort))}},
			"monerod.service", v.Monerod.Exec))
	}
	if c.P2Pool.Release.Release != "" {
		out = append(out, cmds(restart.TargetConfig{Name: P2Pool, Kind: restart.KindP2Pool,
			Health: restart.HealthConfig{DataAPI: c.DataAPI()}}, "p2pool.service", v.P2Pool.Exec))
	}
	out = append(out, cmds(restart.TargetConfig{Name: DB4E, Kind: restart.KindDB4E}, "db4e.service", "/usr/local/bin/db4e --headless"))
	for _, r := range c.Xmrig.Rigs {
		out = append(out, cmds(restart.TargetConfig{Name: r.Name, Kind: restart.KindMiner, Host: r.Host,
			Health: restart.HealthConfig{URL: c.rigAPI(r), Token: c.Xmrig.Token}},
			"xmrig.service", v.Xmrig.Exec))
	}
	return out
}

// XmrigAPIs are the rigs' xmrig HTTP APIs, for db4e's miners poller: name, url, token.
func (c Config) XmrigAPIs() [][3]string {
	var out [][3]string
	for _, r := range c.Xmrig.Rigs {
		out = append(out, [3]string{r.Name, c.rigAPI(r), c.Xmrig.Token})
	}
	return out
}

// rigAPI is a rig's xmrig HTTP API as db4e reaches it: the rig's host, the configured port.
func (c Config) rigAPI(r Rig) string {
	host := r.Host
	if d, err := runner.ParseDest(r.Host, "root"); err == nil {
		host = d.Host
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(c.Xmrig.HTTPPort))
}
