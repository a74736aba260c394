package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/db4e/db4e/internal/testtool"
)

func renderedConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	cfg.P2Pool.Wallet = testWallet
	cfg.NodeAddress = "10.0.0.1"
	cfg.Monerod.Release = Release{Release: "https://downloads.getmonero.org/cli/monero-linux-x64-v0.18.4.4.tar.bz2", SHA256: strings.Repeat("ab", 32)}
	cfg.P2Pool.Release = Release{Release: "https://github.com/SChernykh/p2pool/releases/download/v4.18/p2pool-v4.18-linux-x64.tar.gz", SHA256: strings.Repeat("ab", 32)}
	cfg.Xmrig.Release = Release{Release: "https://github.com/xmrig/xmrig/releases/download/v6.24.0/xmrig-6.24.0-linux-static-x64.tar.gz", SHA256: strings.Repeat("ab", 32)}
	cfg.Xmrig.Token = "0123456789abcdef0123"
	cfg.Xmrig.Rigs = []Rig{{Name: "rig-01", Host: "miner@10.0.0.21"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Every option of the rendered P2Pool command line is one P2Pool has (its own usage text,
// quoted in testdata from P2Pool's source), and the sidechain flag is the one asked for.
func TestP2PoolArgsAreP2PoolOptions(t *testing.T) {
	usage, err := os.ReadFile("testdata/p2pool-usage.txt")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(--[a-z0-9-]+)`).FindAllStringSubmatch(string(usage), -1) {
		known[m[1]] = true
	}
	if len(known) < 40 {
		t.Fatalf("only %d options read from the fixture", len(known))
	}
	for _, side := range []string{"main", "mini", "nano"} {
		cfg := renderedConfig(t)
		cfg.P2Pool.Sidechain = side
		args := cfg.P2PoolArgs()
		for _, a := range args {
			if strings.HasPrefix(a, "--") && !known[a] {
				t.Errorf("%s: P2Pool has no option %s", side, a)
			}
		}
		joined := strings.Join(args, " ")
		if (side == "mini") != strings.Contains(joined, "--mini") || (side == "nano") != strings.Contains(joined, "--nano") {
			t.Errorf("%s: %s", side, joined)
		}
		if !strings.Contains(joined, "--wallet "+testWallet) || !strings.Contains(joined, "--data-api "+cfg.DataAPI()) {
			t.Errorf("%s: %s", side, joined)
		}
	}
}

// writeNode renders the node's and a rig's files into root, with the programs the units name.
func writeNode(t *testing.T, cfg Config) map[string]string {
	t.Helper()
	files := map[string]string{}
	items := append(cfg.NodeItems(), cfg.RigItems(cfg.Xmrig.Rigs[0])...)
	for _, it := range items {
		p := it.Path
		if it.Kind == "binary" {
			p = it.Path + "/current/" + it.Program
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, it.Content, 0o644); err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = p
	}
	return files
}

// Every rendered unit passes systemd-analyze verify (on the files; systemd is never started).
func TestRenderedUnitsVerify(t *testing.T) {
	analyze := testtool.Need(t, "systemd", "systemd-analyze")
	cfg := renderedConfig(t)
	cfg.Xmrig.Root = cfg.Root // the rig's unit is verified beside the node's
	files := writeNode(t, cfg)
	db4e := filepath.Join(cfg.Root, "usr/local/bin/db4e")
	os.MkdirAll(filepath.Dir(db4e), 0o755)
	os.WriteFile(db4e, []byte("#!/bin/sh\n"), 0o755)
	var units []string
	for _, n := range []string{"monerod.service", "p2pool.service", "p2pool.socket", "db4e.service", "xmrig.service"} {
		p, ok := files[n]
		if !ok {
			t.Fatalf("%s not rendered", n)
		}
		if n == "db4e.service" { // the shipped unit names /usr/local/bin/db4e
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/db4e", db4e)), 0o644)
		}
		units = append(units, p)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, units...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+filepath.Join(cfg.Root, "etc/systemd/system")+":")
	out, err := cmd.CombinedOutput()
	// monerod.service and p2pool.service run as a user the sysusers file makes at apply.
	var rest []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && !strings.Contains(l, "user "+cfg.User) && !strings.Contains(l, `"`+cfg.User+`"`) {
			rest = append(rest, l)
		}
	}
	if err != nil || len(rest) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(rest, "\n"))
	}
}

// The sudoers drop-in passes visudo -cf, and allows each deployed target's start, stop and
// restart as db4e's default commands say them.
func TestRenderedSudoers(t *testing.T) {
	visudo := testtool.Need(t, "sudo", "visudo", "/usr/sbin/visudo")
	cfg := renderedConfig(t)
	files := writeNode(t, cfg)
	p := files["db4e"]
	if out, err := exec.Command(visudo, "-cf", p).CombinedOutput(); err != nil {
		t.Fatalf("visudo -cf: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(p)
	for _, tc := range cfg.Targets() {
		if tc.Host != "" {
			continue // a rig's own sudo
		}
		for _, cmd := range []string{tc.Start, tc.Stop, tc.Restart} {
			allowed := strings.Replace(cmd, "sudo systemctl", "/usr/bin/systemctl", 1)
			if !strings.Contains(string(b), allowed) {
				t.Errorf("sudoers does not allow %q", cmd)
			}
		}
	}
	if !strings.Contains(string(b), "%"+cfg.OperatorGroup+", db4e ALL=(root) NOPASSWD: DB4E_FARM") {
		t.Errorf("sudoers:\n%s", b)
	}
}

// A sudoers file visudo refuses is never written: apply stops before any change.
func TestBadSudoersIsNotWritten(t *testing.T) {
	testtool.Need(t, "sudo", "visudo", "/usr/sbin/visudo")
	cfg := renderedConfig(t)
	cfg.OperatorGroup = "db4e"
	it := Item{Path: "sudoers", Content: []byte("this is not sudoers syntax ALL=(\n"), Validate: "visudo -cf"}
	if err := validateFile(t.Context(), it); err == nil || !strings.Contains(err.Error(), "refused the rendered file, nothing written") {
		t.Fatalf("%v", err)
	}
}

func TestRenderedXmrigConfig(t *testing.T) {
	cfg := renderedConfig(t)
	var got string
	for _, it := range cfg.RigItems(cfg.Xmrig.Rigs[0]) {
		if strings.HasSuffix(it.Path, "config.json") {
			got = string(it.Content)
		}
	}
	for _, want := range []string{`"url": "10.0.0.1:3333"`, `"user": "rig-01"`, `"access-token": "0123456789abcdef0123"`, `"port": 8080`, `"restricted": true`} {
		if !strings.Contains(got, want) {
			t.Errorf("config.json lacks %s:\n%s", want, got)
		}
	}
}
