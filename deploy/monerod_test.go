package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/testtool"
)

// monerodFarm is a deploy section for Debian's monerod, repacked as Monero publishes it
// (monero-linux-x64-vX.tar.bz2 with a hashes.txt), deployed under a temp root and run in
// regtest on loopback ports.
type monerodFarm struct {
	cfg      Config
	releases string
	bin      []byte
	root     string
}

func newMonerodFarm(t *testing.T) *monerodFarm {
	t.Helper()
	bin, err := os.ReadFile(testtool.Need(t, "monero", "monerod"))
	if err != nil {
		t.Fatal(err)
	}
	f := &monerodFarm{root: t.TempDir(), releases: t.TempDir(), bin: bin}
	cfg := DefaultConfig()
	cfg.Root = f.root
	cfg.Commands = withRestart(testCommands(f.root))
	cfg.HealthWait = 40 * time.Second
	cfg.P2Pool.Wallet = testWallet
	cfg.Monerod.DataDir = "/var/lib/monero"
	cfg.Monerod.RPCPort, cfg.Monerod.ZMQPort, cfg.Monerod.P2PPort = testtool.FreePort(t), testtool.FreePort(t), testtool.FreePort(t)
	// Its own ZMQ RPC port: the default (18082) is another test's monerod's too.
	cfg.Monerod.Args = []string{"--regtest", "--offline", "--fixed-difficulty", "1", "--p2p-bind-ip", "127.0.0.1", "--log-level", "0",
		"--zmq-rpc-bind-port", strconv.Itoa(testtool.FreePort(t))}
	f.cfg = cfg
	f.release(t, "v0.18.9.1", bin)
	t.Cleanup(func() { f.stop(t) })
	return f
}

// release publishes version with program as its monerod, and points the config at it.
func (f *monerodFarm) release(t *testing.T, version string, program []byte) {
	t.Helper()
	name := "monero-linux-x64-" + version + ".tar.bz2"
	p, sum := archive(t, f.releases, name, map[string][]byte{"monero-x86_64-linux-gnu-" + version + "/monerod": program,
		"monero-x86_64-linux-gnu-" + version + "/LICENSE": []byte("license\n")})
	hashes := filepath.Join(f.releases, "hashes.txt")
	old, _ := os.ReadFile(hashes)
	os.WriteFile(hashes, append(old, []byte("## CLI\n"+name+", "+sum+"\n")...), 0o644)
	f.cfg.Monerod.Release = Release{Release: p, Hashes: hashes}
}

func (f *monerodFarm) stop(t *testing.T) {
	runShell(t, f.cfg.expand(f.cfg.Commands.Stop, "monerod.service", ""))
}

func runShell(t *testing.T, cmd string) {
	t.Helper()
	if out, err := execShell(cmd); err != nil {
		t.Logf("%s: %v\n%s", cmd, err, out)
	}
}

func (f *monerodFarm) getInfo(t *testing.T) (height int, ok bool) {
	t.Helper()
	body := strings.NewReader(`{"jsonrpc":"2.0","id":"0","method":"get_info"}`)
	resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(f.cfg.Monerod.RPCPort)+"/json_rpc", "application/json", body)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct {
		Result struct {
			Height int    `json:"height"`
			Status string `json:"status"`
		} `json:"result"`
	}
	json.Unmarshal(b, &r)
	return r.Result.Height, r.Result.Status == "OK"
}

func (f *monerodFarm) current(t *testing.T) string {
	t.Helper()
	p, err := os.Readlink(Opt(f.root, Monerod) + "/current")
	if err != nil {
		return ""
	}
	return p
}

func planJSON(t *testing.T, d *Deployer) string {
	t.Helper()
	p, err := d.Plan(context.Background())
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// The whole life of a node's monerod, for real: install and start from a verified archive, the
// rendered config and unit's command line; nothing to do the second time; an upgrade whose
// binary exits at once is rolled back by itself; a good upgrade, then rollback.
func TestMonerodLifecycle(t *testing.T) {
	f := newMonerodFarm(t)
	ev := &events{}
	ctx := context.Background()
	d := deployer(t, f.cfg, ev)

	p, err := d.Plan(ctx, Monerod)
	if err != nil {
		t.Fatal(err)
	}
	text := p.Text()
	for _, want := range []string{"monerod install binary (none) -> v0.18.9.1", "create file " + f.root + "/etc/monero/monerod.conf",
		"create unit " + f.root + "/etc/systemd/system/monerod.service"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(f.root + "/etc"); err == nil {
		t.Fatal("plan wrote files")
	}

	if err := d.Apply(ctx, Options{}, Monerod); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if h, ok := f.getInfo(t); !ok || h < 1 {
		t.Fatalf("the deployed monerod does not answer get_info on the rendered port: height %d", h)
	}
	if got := f.current(t); got != "v0.18.9.1" {
		t.Fatalf("current -> %q", got)
	}
	if p, _ := d.Plan(ctx, Monerod); len(p.Changes) != 0 {
		t.Fatalf("a second plan after apply is not empty:\n%s", p.Text())
	}
	n := len(ev.all)
	if err := d.Apply(ctx, Options{}, Monerod); err != nil || len(ev.all) != n {
		t.Fatalf("a second apply did something: %v, %d new events", err, len(ev.all)-n)
	}

	// An upgrade whose monerod exits at once: health fails, rolled back, the old one runs.
	f.release(t, "v0.18.9.2", []byte("#!/bin/sh\necho 'cannot start' >&2\nexit 1\n"))
	// Long enough for the old monerod to come back under a loaded CI machine after the rollback.
	f.cfg.HealthWait = 20 * time.Second
	d = deployer(t, f.cfg, ev)
	before := planJSON(t, d)
	err = d.Apply(ctx, Options{}, Monerod)
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("a failing upgrade: %v", err)
	}
	if got := f.current(t); got != "v0.18.9.1" {
		t.Fatalf("after the failed upgrade current -> %q", got)
	}
	if _, ok := f.getInfo(t); !ok {
		t.Fatal("after the rollback the old monerod does not answer")
	}
	if after := planJSON(t, d); after != before {
		t.Fatalf("plan after the failed upgrade differs:\n%s\n%s", before, after)
	}
	if !strings.Contains(ev.lines(), "rollback v0.18.9.2 -> v0.18.9.1") {
		t.Errorf("no rollback event:\n%s", ev.lines())
	}

	// A good upgrade (and a changed option), then rollback: the version and the file before.
	confBefore, _ := os.ReadFile(f.root + "/etc/monero/monerod.conf")
	f.release(t, "v0.18.9.3", f.bin)
	f.cfg.HealthWait = 40 * time.Second
	f.cfg.Monerod.Prune = false
	d = deployer(t, f.cfg, ev)
	p, _ = d.Plan(ctx, Monerod)
	if !strings.Contains(p.Diffs(), "-prune-blockchain=1") {
		t.Errorf("the plan's diff lacks the removed line:\n%s", p.Diffs())
	}
	if err := d.Apply(ctx, Options{}, Monerod); err != nil {
		t.Fatalf("good upgrade: %v", err)
	}
	if got := f.current(t); got != "v0.18.9.3" {
		t.Fatalf("after the upgrade current -> %q", got)
	}
	if err := d.Rollback(ctx, Options{}, Monerod); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got := f.current(t); got != "v0.18.9.1" {
		t.Fatalf("after rollback current -> %q", got)
	}
	if conf, _ := os.ReadFile(f.root + "/etc/monero/monerod.conf"); string(conf) != string(confBefore) {
		t.Fatalf("rollback did not restore monerod.conf:\n%s", conf)
	}
	if _, ok := f.getInfo(t); !ok {
		t.Fatal("after rollback monerod does not answer")
	}
	if err := d.Rollback(ctx, Options{}, Monerod); err == nil || !strings.Contains(err.Error(), "nothing to roll back") {
		t.Fatalf("a second rollback: %v", err)
	}
}

// Bad archives are refused before anything changes: the plan after equals the plan before.
func TestBadArchivesChangeNothing(t *testing.T) {
	f := newMonerodFarm(t)
	ctx := context.Background()
	good := f.cfg.Monerod.Release
	data, _ := os.ReadFile(good.Release)
	truncated := filepath.Join(f.releases, "monero-linux-x64-v0.18.9.5.tar.bz2")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	noBinary, noSum := archive(t, f.releases, "monero-linux-x64-v0.18.9.6.tar.bz2", map[string][]byte{"monero-v0.18.9.6/monero-wallet-cli": []byte("x")})
	for _, tc := range []struct {
		name string
		rel  Release
		want string
	}{
		{"hash mismatch", Release{Release: good.Release, SHA256: strings.Repeat("ab", 32)}, "sha256"},
		{"truncated", Release{Release: truncated, SHA256: sha(data[:len(data)/2])}, "damaged or truncated"},
		{"no monerod", Release{Release: noBinary, SHA256: noSum}, "has no monerod"},
		{"not in hashes", Release{Release: truncated, Hashes: good.Hashes}, "names no hash for monero-linux-x64-v0.18.9.5.tar.bz2"},
		{"missing", Release{Release: filepath.Join(f.releases, "monero-linux-x64-v0.18.9.9.tar.bz2"), SHA256: strings.Repeat("ab", 32)}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			cfg.Monerod.Release = tc.rel
			ev := &events{}
			d := deployer(t, cfg, ev)
			before := planJSON(t, d)
			err := d.Apply(ctx, Options{}, Monerod)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("apply: %v, want %q", err, tc.want)
			}
			if after := planJSON(t, d); after != before {
				t.Fatalf("plan changed:\n%s\n%s", before, after)
			}
			if entries, _ := os.ReadDir(f.root); len(entries) != 0 {
				t.Fatalf("root holds %v after a refused apply", entries)
			}
		})
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func execShell(cmd string) ([]byte, error) {
	return exec.Command("/bin/sh", "-c", cmd).CombinedOutput()
}
