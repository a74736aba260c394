package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testWallet = "49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd"

// releaseArchive writes name (a .tar.gz) holding dir/program and returns its sha256.
func releaseArchive(t *testing.T, path, program string, content []byte) string {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "dist/" + program, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Now()})
	tw.Write(content)
	tw.Close()
	gz.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(s[:])
}

type planOut struct {
	Changes []struct {
		Component, Host, Kind, Path, Action, From, To, Diff string
	} `json:"changes"`
}

func planOf(t *testing.T, cfg string) (string, planOut) {
	t.Helper()
	out, errs, code := db4e(t, nil, "--config", cfg, "deploy", "plan", "--json")
	if code != 0 {
		t.Fatalf("deploy plan --json: exit %d: %s", code, errs)
	}
	var p planOut
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json is not one JSON object: %v\n%s", err, out)
	}
	return out, p
}

// deploy plan, apply (asked, refused without an answer, then --yes), a second apply that changes
// nothing, a hash mismatch that changes nothing, rollback; start and stop recorded as events.
func TestDeployCommandLine(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	rel := filepath.Join(dir, "p2pool-v4.18-linux-x64.tar.gz")
	sum := releaseArchive(t, rel, "p2pool", []byte("#!/bin/sh\nexec sleep 600\n"))
	data := filepath.Join(dir, "data")
	cfgText := func(sha string) string {
		return `data_dir: ` + data + `
socket: ` + filepath.Join(dir, "db4e.sock") + `
p2pool:
  follow: false
deploy:
  root: ` + root + `
  commands:
    start: echo started {unit} >> ` + dir + `/units
    stop: echo stopped {unit} >> ` + dir + `/units
    # P2Pool would write its data-api; the health check reads it.
    restart: mkdir -p {root}/var/lib/p2pool/data-api/pool && echo {} > {root}/var/lib/p2pool/data-api/pool/stats && echo restarted {unit} >> ` + dir + `/units
    reload: "true"
  health_wait: 10s
  p2pool:
    release: ` + rel + `
    sha256: ` + sha + `
    wallet: ` + testWallet + `
`
	}
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(cfgText(sum)), 0o644)

	help, _, _ := db4e(t, nil, "help")
	for _, want := range []string{"db4e setup", "db4e deploy plan [--json]", "db4e deploy apply [--yes] [--no-start]", "db4e deploy rollback COMPONENT", "db4e start TARGET", "db4e stop TARGET", "db4e p2pool COMMAND"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}

	before, p := planOf(t, cfg)
	kinds := map[string]bool{}
	for _, c := range p.Changes {
		kinds[c.Component+" "+c.Kind+" "+c.Action] = true
	}
	for _, want := range []string{"p2pool binary install", "p2pool unit create", "db4e file create", "db4e unit create"} {
		if !kinds[want] {
			t.Errorf("plan lacks %q: %v", want, kinds)
		}
	}
	text, _, _ := db4e(t, nil, "--config", cfg, "deploy", "plan")
	if !strings.Contains(text, "install binary (none) -> v4.18") || !strings.Contains(text, "+ExecStart="+root+"/opt/db4e/p2pool/current/p2pool --host 127.0.0.1") {
		t.Errorf("plan text:\n%s", text)
	}

	// No answer (no stdin): nothing changes, exit 1.
	out, errs, code := db4e(t, nil, "--config", cfg, "deploy", "apply")
	if code != 1 || !strings.Contains(errs, "not applied: nothing was changed") || !strings.Contains(out, "Apply these") {
		t.Fatalf("apply without an answer: exit %d\n%s%s", code, out, errs)
	}
	if after, _ := planOf(t, cfg); after != before {
		t.Fatal("the plan changed though nothing was applied")
	}
	// A wrong hash: refused before any change, exit 1, and the plan is as before.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(cfgText(strings.Repeat("0", 64))), 0o644)
	if _, errs, code := db4e(t, nil, "--config", bad, "deploy", "apply", "--yes"); code != 1 || !strings.Contains(errs, "sha256") || !strings.Contains(errs, "refused") {
		t.Fatalf("hash mismatch: exit %d %s", code, errs)
	}
	if after, _ := planOf(t, bad); after != before {
		t.Fatal("the plan changed after a refused apply")
	}

	out, errs, code = db4e(t, []byte("y\n"), "--config", cfg, "deploy", "apply")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	units, _ := os.ReadFile(filepath.Join(dir, "units"))
	if string(units) != "restarted p2pool.service\n" {
		t.Errorf("started: %q", units)
	}
	if after, p := planOf(t, cfg); len(p.Changes) != 0 || strings.TrimSpace(after) != `{"changes":[]}` {
		t.Fatalf("plan after apply: %s", after)
	}
	if out, _, code := db4e(t, nil, "--config", cfg, "deploy", "apply", "--yes"); code != 0 || !strings.Contains(out, "Nothing to change") {
		t.Fatalf("second apply: %d %s", code, out)
	}

	if out, errs, code := db4e(t, nil, "--config", cfg, "stop", "--yes", "all"); code != 0 || !strings.Contains(out, "target(s) stopped") {
		t.Fatalf("stop all: %d %s%s", code, out, errs)
	}
	if out, errs, code := db4e(t, nil, "--config", cfg, "start", "--yes", "p2pool"); code != 0 || !strings.Contains(out, "1 target(s) started") {
		t.Fatalf("start p2pool: %d %s%s", code, out, errs)
	}
	units, _ = os.ReadFile(filepath.Join(dir, "units"))
	if !strings.HasSuffix(string(units), "stopped db4e.service\nstopped p2pool.service\nstarted p2pool.service\n") {
		t.Errorf("stop all (the daily order reversed) then start:\n%s", units)
	}

	out, errs, code = db4e(t, nil, "--config", cfg, "deploy", "rollback", "p2pool", "--yes", "--no-start")
	if code != 0 || !strings.Contains(out, "v4.18 -> (none)") {
		t.Fatalf("rollback: %d\n%s%s", code, out, errs)
	}
	if _, errs, code := db4e(t, nil, "--config", cfg, "deploy", "rollback", "db4e", "--yes"); code != 0 {
		t.Fatalf("rollback db4e: %s", errs)
	}
	if after, _ := planOf(t, cfg); after != before {
		t.Fatalf("after rolling back the first apply the plan is not the first one:\n%s\n%s", before, after)
	}
	seq, _, _ := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	for _, want := range []string{`"target":"deploy p2pool"`, `install (none) -\u003e v4.18`, `"target":"p2pool"`, `rollback v4.18 -\u003e (none)`, `"target":"deploy db4e"`} {
		if !strings.Contains(seq, want) {
			t.Errorf("events lack %s:\n%s", want, seq)
		}
	}
}

// Bad deploy configuration: exit 2 naming each key and the file.
func TestDeployBadConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "db4e.yaml")
	os.WriteFile(cfg, []byte("deploy:\n  p2pool:\n    wallet: "+testWallet[:60]+"x"+testWallet[61:]+"\n    sidechain: huge\n"), 0o644)
	_, errs, code := db4e(t, nil, "--config", cfg, "deploy", "plan")
	if code != 2 || !strings.Contains(errs, cfg) || !strings.Contains(errs, "deploy.p2pool.wallet: not a Monero address: its checksum is wrong") || !strings.Contains(errs, "deploy.p2pool.sidechain") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	empty := filepath.Join(t.TempDir(), "db4e.yaml")
	os.WriteFile(empty, []byte("log_level: info\n"), 0o644)
	if _, errs, code := db4e(t, nil, "--config", empty, "deploy", "plan"); code != 2 || !strings.Contains(errs, "no deploy section: run db4e setup") {
		t.Fatalf("no deploy section: exit %d: %s", code, errs)
	}
}

// setup --yes writes the deploy section into a new file, or into an existing one keeping its
// other keys and comments; a bad wallet is refused with exit 2 and nothing written.
func TestSetupWritesTheConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "new.yaml")
	if _, errs, code := db4e(t, nil, "--config", cfg, "setup", "--yes", "--wallet", testWallet[:94]); code != 2 || !strings.Contains(errs, "wallet: not a Monero address") {
		t.Fatalf("bad wallet: exit %d %s", code, errs)
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Fatal("written though refused")
	}
	out, errs, code := db4e(t, nil, "--config", cfg, "setup", "--yes", "--wallet", testWallet, "--sidechain", "nano", "--chain", "/srv/monero")
	if code != 0 || !strings.Contains(out, "wrote "+cfg) || !strings.Contains(out, "monerod install binary (none) -> v0.18.4.4") {
		t.Fatalf("setup: exit %d\n%s%s", code, out, errs)
	}
	b, _ := os.ReadFile(cfg)
	for _, want := range []string{"wallet: " + testWallet, "sidechain: nano", "data_dir: /srv/monero", "hashes: https://www.getmonero.org/downloads/hashes.txt"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	if fi, _ := os.Stat(cfg); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}

	existing := filepath.Join(dir, "existing.yaml")
	os.WriteFile(existing, []byte("# my farm\nlog_level: debug # loud\np2pool:\n  follow: false\n"), 0o644)
	if _, errs, code := db4e(t, nil, "--config", existing, "setup", "--yes", "--wallet", testWallet); code != 0 {
		t.Fatal(errs)
	}
	b, _ = os.ReadFile(existing)
	if !strings.Contains(string(b), "# my farm") || !strings.Contains(string(b), "log_level: debug # loud") || !strings.Contains(string(b), "wallet: "+testWallet) {
		t.Errorf("existing config:\n%s", b)
	}
	if old, _ := os.ReadFile(existing + ".before-setup"); !strings.HasPrefix(string(old), "# my farm") {
		t.Errorf("the file before setup is not kept: %q", old)
	}
}
