package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/restart"
)

// The example documents every key with its default: loading it must give the defaults.
func TestExampleIsTheDefaults(t *testing.T) {
	t.Setenv("HOME", "/home/op")
	ex, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(empty, nil, 0o644)
	def, err := Load(empty)
	if err != nil {
		t.Fatal(err)
	}
	ex.Path, def.Path = "", ""
	if ex.Targets == nil {
		ex.Targets = nil
	}
	if len(ex.Targets) == 0 && len(def.Targets) == 0 {
		ex.Targets, def.Targets = nil, nil
	}
	if len(ex.SSH.KeyFiles) == 0 && len(def.SSH.KeyFiles) == 0 {
		ex.SSH.KeyFiles, def.SSH.KeyFiles = nil, nil
	}
	if len(ex.Ops.Miners.Xmrig) == 0 && len(def.Ops.Miners.Xmrig) == 0 {
		ex.Ops.Miners.Xmrig, def.Ops.Miners.Xmrig = nil, nil
	}
	if len(ex.Ops.Miners.Proxy) == 0 && len(def.Ops.Miners.Proxy) == 0 {
		ex.Ops.Miners.Proxy, def.Ops.Miners.Proxy = nil, nil
	}
	for _, c := range []*File{&ex, &def} { // empty and absent lists are the same default
		rules := reflect.ValueOf(&c.Ops.Alerts.Rules).Elem() // every rule, however many there are
		for i := range rules.NumField() {
			if rc := rules.Field(i).Addr().Interface().(*alert.RuleConfig); len(rc.Hook) == 0 {
				rc.Hook = nil
			}
		}
		if len(c.Ops.Alerts.Hook) == 0 {
			c.Ops.Alerts.Hook = nil
		}
		d := &c.Deploy
		for _, l := range []*[]string{&d.Monerod.Args, &d.P2Pool.Args, &d.Xmrig.Args} {
			if len(*l) == 0 {
				*l = nil
			}
		}
		if len(d.Xmrig.Rigs) == 0 {
			d.Xmrig.Rigs = nil
		}
	}
	if !reflect.DeepEqual(ex, def) {
		t.Fatalf("example\n%+v\ndefaults\n%+v", ex, def)
	}
}

// A rule's restart: "miner" is what restart calls a miner target.
func TestRestartMinerIsTheMinerKind(t *testing.T) {
	if alert.RestartMiner != restart.KindMiner {
		t.Fatalf("alert.RestartMiner %q, restart.KindMiner %q", alert.RestartMiner, restart.KindMiner)
	}
}

func TestTargetErrorsNameTheEntry(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("targets:\n  - name: m\n    kind: monerod\n"), 0o644)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "targets[0] (m).restart") {
		t.Fatalf("%v", err)
	}
}

// Messages name the key and the file in the operator's words: no Go type, no bare line number.
// Without P2Pool's log db4e runs when told so: p2pool.follow: false.
func TestNoLogWhenFollowIsOff(t *testing.T) {
	p := filepath.Join(t.TempDir(), "db4e.yaml")
	os.WriteFile(p, []byte("p2pool:\n  log: \"\"\n  follow: false\n"), 0o644)
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsAreInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "p2pool:\n  logg: /var/log/p2pool.log\n",
			[]string{"p2pool.logg: no such key (line 2)", "the keys in p2pool are api_interval, api_max_age, data_api, follow, log, log_time, poll, rotated_glob, rotation_grace"}},
		{"unknown top-level key", "datadir: /srv\n",
			[]string{"datadir: no such key (line 1)", "the keys here are alerts, backup, csv, data_dir,"}},
		{"unknown key in a list entry", "miners:\n  xmrig:\n    - name: rig-01\n      url: http://10.0.0.2:8080\n      tokn: x\n",
			[]string{"miners.xmrig[0].tokn: no such key (line 5)", "the keys in miners.xmrig[0] are name, token, url"}},
		{"proxy named like a miner", "miners:\n  xmrig:\n    - {name: a, url: http://10.0.0.2:8080}\n  xmrig_proxy:\n    - {name: a, url: http://10.0.0.5:8081}\n",
			[]string{`miners.xmrig_proxy[0].name: want a unique printable name, got "a"`}},
		{"duration in words", "p2pool:\n  rotation_grace: 30 minutes\n",
			[]string{`p2pool.rotation_grace: want a duration such as 90s, 30m or 2h, got "30 minutes" (line 2)`}},
		{"bare number for a duration", "monerod:\n  interval: 30\n",
			[]string{`monerod.interval: want a duration such as 90s, 30m or 2h, got "30" (line 2)`}},
		{"text for a number", "restart:\n  concurrency: four\n",
			[]string{`restart.concurrency: want a whole number, got "four" (line 2)`}},
		{"section for text", "p2pool:\n  log:\n    path: /x\n",
			[]string{"p2pool.log: want text, got a section of keys (line 3)"}},
		{"text for a list", "ssh:\n  known_hosts: /root/.ssh/known_hosts\n",
			[]string{`ssh.known_hosts: want a list, got "/root/.ssh/known_hosts" (line 2)`}},
		{"key set twice", "log_level: info\nlog_level: debug\n",
			[]string{"log_level: set twice (lines 1 and 2)"}},
		{"bad value", "monerod:\n  interval: 0s\n",
			[]string{"monerod.interval: want at least 1s, got 0s"}},
		{"bad alert rule", "alerts:\n  rules:\n    hashrate_low:\n      percent: 150\n",
			[]string{"alerts.rules.hashrate_low.percent: want 0 to 100, got 150"}},
		{"restart of an unknown target", "targets:\n  - {name: p2pool, kind: p2pool, restart: x}\nalerts:\n  rules:\n    log_silent:\n      restart: p2poool\n",
			[]string{`alerts.rules.log_silent.restart: no target "p2poool"; configured: p2pool`}},
		{"restart of a miner with no miner target", "alerts:\n  rules:\n    rig_slow:\n      restart: miner\n",
			[]string{"alerts.rules.rig_slow.restart: no target of kind miner is configured (targets)"}},
		{"restart on a notice", "alerts:\n  rules:\n    payout:\n      enabled: true\n      restart: miner\n",
			[]string{"alerts.rules.payout.restart: only a rule about something that fails can restart it"}},
		{"watchdog without restarts", "alerts:\n  watchdog:\n    max_restarts: 0\n",
			[]string{"alerts.watchdog.max_restarts: want at least 1, got 0"}},
		{"every bad value at once", "log_level: loud\nmonerod:\n  interval: 0s\n  timeout: 0s\nminers:\n  stale_after: 10s\n  max_hosts: 0\nbackup:\n  keep: -1\nalerts:\n  interval: 0s\n  rules:\n    hashrate_low:\n      percent: 150\n",
			[]string{"8 bad keys:", `log_level: want debug, info, warn or error, got "loud"`, "monerod.interval: want at least 1s", "monerod.timeout: want more than 0s",
				"miners.stale_after: want at least 1m", "miners.max_hosts: want at least 1", "backup.keep: must not be negative",
				"alerts.interval: want at least 1s", "alerts.rules.hashrate_low.percent: want 0 to 100"}},
		{"payouts and the wallet", "payouts:\n  confirmations: 60\nwallet_rpc:\n  rpc: 127.0.0.1:18088\n  login: db4e\n",
			[]string{"3 bad keys:", "payouts.confirmations: want 1 to 59 (a payout is unlocked at 60), got 60",
				`wallet_rpc.rpc: want http://host:port, got "127.0.0.1:18088"`, "wallet_rpc.login: want user:password, as the program's --rpc-login"}},
		{"no log to follow", "p2pool:\n  log: \"\"\n",
			[]string{"p2pool.log: empty: name P2Pool's log file, or set p2pool.follow: false"}},
		{"syntax", "p2pool:\n  log: [\n",
			[]string{"line 2: did not find expected node content"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "db4e.yaml")
			os.WriteFile(p, []byte(tc.yaml), 0o644)
			_, err := Load(p)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			for _, w := range append(tc.want, p) {
				if !strings.Contains(msg, w) {
					t.Errorf("%q\n does not say %q", msg, w)
				}
			}
			for _, goWord := range []string{"type ", "time.Duration", "!!", "unmarshal", "Config", ": yaml: "} {
				if strings.Contains(msg, goWord) {
					t.Errorf("%q\n speaks Go or YAML internals: %q", msg, goWord)
				}
			}
		})
	}
}

// A deploy section makes what it deploys monitored and restartable with no more keys; keys the
// file sets itself win.
func TestDeployDerivesMonitoring(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(`
deploy:
  root: /srv/farm
  node_address: 10.0.0.1
  monerod:
    release: https://downloads.getmonero.org/cli/monero-linux-x64-v0.18.4.4.tar.bz2
    hashes: https://www.getmonero.org/downloads/hashes.txt
    rpc_port: 18089
  p2pool:
    release: /srv/p2pool-v4.18-linux-x64.tar.gz
    sha256: `+strings.Repeat("ab", 32)+`
    wallet: 49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd
  xmrig:
    release: /srv/xmrig-6.24.0-linux-static-x64.tar.gz
    sha256: `+strings.Repeat("cd", 32)+`
    token: 0123456789abcdef01
    rigs:
      - {name: rig-01, host: root@10.0.0.21}
      - {name: rig-02, host: root@10.0.0.22:2222}
targets:
  - name: p2pool
    kind: p2pool
    restart: my-own-restart
`), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Ops
	if o.Monerod.RPC != "http://127.0.0.1:18089" || o.P2Pool.Log != "/srv/farm/var/lib/p2pool/p2pool.log" || o.P2Pool.DataAPI != "/srv/farm/var/lib/p2pool/data-api" {
		t.Errorf("monerod %q, log %q, data-api %q", o.Monerod.RPC, o.P2Pool.Log, o.P2Pool.DataAPI)
	}
	if len(o.Miners.Xmrig) != 2 || o.Miners.Xmrig[1].URL != "http://10.0.0.22:8080" || o.Miners.Xmrig[1].Token != "0123456789abcdef01" || o.Miners.Xmrig[1].Name != "rig-02" {
		t.Errorf("xmrig APIs %+v", o.Miners.Xmrig)
	}
	byName := map[string]restart.Target{}
	for _, tg := range c.BuildTargets() {
		byName[tg.Name] = tg
	}
	if byName["p2pool"].Restart != "my-own-restart" {
		t.Errorf("the file's own p2pool target was replaced: %+v", byName["p2pool"])
	}
	if m := byName["monerod"]; m.Start != "sudo systemctl start monerod.service" || m.Health.URL != "http://127.0.0.1:18089" {
		t.Errorf("monerod target %+v", m)
	}
	if r := byName["rig-02"]; r.Local || r.Dest.Port != 2222 || r.Stop != "sudo systemctl stop xmrig.service" || r.Health.Token != "0123456789abcdef01" {
		t.Errorf("rig target %+v", r)
	}
}

// Every bad key of a deploy section is named at once, with the file.
func TestDeployErrorsNameEveryKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(`
log_level: loud
deploy:
  network: moonnet
  monerod:
    release: /srv/monerod.tar.bz2
  p2pool:
    wallet: 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rgf
    sidechain: huge
  xmrig:
    rigs: [{name: "bad name", host: ""}]
`), 0o644)
	_, err := Load(p)
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{p, "log_level", "deploy.network: want mainnet", "deploy.monerod.release: no version", "deploy.monerod: neither sha256 nor hashes",
		"deploy.p2pool.sidechain: want main, mini or nano", "deploy.p2pool.wallet: not a Monero address", `deploy.xmrig.rigs[0].name`, "deploy.xmrig.rigs[0].host",
		"deploy.xmrig.release: rigs are listed", "deploy.xmrig.token", "deploy.node_address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lacks %q:\n%v", want, err)
		}
	}
}
