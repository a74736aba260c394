package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kill -9 at any moment of a deploy apply: the next apply finishes it (nothing half-installed is
// taken for done), the plan is then empty, and rollback goes back to exactly what ran before the
// interrupted apply, not to the half of it. The kills are spread over the time one whole apply
// takes, measured first, so they land before, during and after the changes.
func TestDeployApplySurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "p2pool-v4.17-linux-x64.tar.gz")
	oldSum := releaseArchive(t, old, "p2pool", []byte("#!/bin/sh\necho v4.17\n"))
	big := make([]byte, 24<<20) // about the size of a monerod: time for a kill to land mid-write
	rand.Read(big)
	newRel := filepath.Join(dir, "p2pool-v4.18-linux-x64.tar.gz")
	newSum := releaseArchive(t, newRel, "p2pool", big)
	config := func(root, rel, sum string) string {
		p := filepath.Join(root, "db4e.yaml")
		os.MkdirAll(root, 0o755)
		os.WriteFile(p, []byte(`data_dir: `+root+`/data
socket: `+root+`/db4e.sock
p2pool:
  follow: false
deploy:
  root: `+root+`/farm
  commands: {start: "true", stop: "true", restart: "true", reload: "true"}
  p2pool:
    release: `+rel+`
    sha256: `+sum+`
    wallet: `+testWallet+`
`), 0o644)
		return p
	}
	apply := func(cfg string) {
		t.Helper()
		if out, errs, code := db4e(t, nil, "--config", cfg, "deploy", "apply", "--yes", "--no-start", "p2pool"); code != 0 {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
		}
	}
	// What ran before: v4.17 applied; its unit as it is.
	prepare := func(root string) []byte {
		apply(config(root, old, oldSum))
		unit, _ := os.ReadFile(root + "/farm/etc/systemd/system/p2pool.service")
		return unit
	}
	measure := filepath.Join(dir, "measure")
	prepare(measure)
	start := time.Now()
	apply(config(measure, newRel, newSum))
	whole := time.Since(start)

	rounds := killRounds()
	cut := 0
	for i := range rounds {
		root := filepath.Join(dir, fmt.Sprintf("r%02d", i))
		unitBefore := prepare(root)
		cfg := config(root, newRel, newSum)
		cmd := exec.Command(db4eBin, "--config", cfg, "deploy", "apply", "--yes", "--no-start", "p2pool")
		cmd.Env = testEnv(t)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(whole * time.Duration(i+1) / time.Duration(rounds+1))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		o, errs, code := db4e(t, nil, "--config", cfg, "deploy", "apply", "--yes", "--no-start", "p2pool")
		if code != 0 {
			t.Fatalf("round %d: the apply after kill -9: exit %d\n%s%s\nkilled one said:\n%s", i, code, o, errs, out.String())
		}
		if strings.Contains(o, "cut short") {
			cut++
		}
		if p, _, _ := db4e(t, nil, "--config", cfg, "deploy", "plan", "--json", "p2pool"); strings.TrimSpace(p) != `{"changes":[]}` {
			t.Fatalf("round %d: plan after the second apply: %s", i, p)
		}
		bin, _ := os.ReadFile(root + "/farm/opt/db4e/p2pool/current/p2pool")
		if !bytes.Equal(bin, big) {
			t.Fatalf("round %d: the installed p2pool is not the archive's (%d bytes)", i, len(bin))
		}
		if _, errs, code := db4e(t, nil, "--config", cfg, "deploy", "rollback", "p2pool", "--yes", "--no-start"); code != 0 {
			t.Fatalf("round %d: rollback: %s", i, errs)
		}
		if cur, _ := os.Readlink(root + "/farm/opt/db4e/p2pool/current"); cur != "v4.17" {
			t.Fatalf("round %d: rollback went to %q, not v4.17", i, cur)
		}
		if unit, _ := os.ReadFile(root + "/farm/etc/systemd/system/p2pool.service"); !bytes.Equal(unit, unitBefore) {
			t.Fatalf("round %d: rollback did not restore v4.17's unit:\n%s", i, unit)
		}
		entries, _ := os.ReadDir(root + "/farm/opt/db4e/p2pool")
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".partial") || strings.HasSuffix(e.Name(), ".new") || e.Name() == "v4.18" {
				t.Fatalf("round %d: left behind: %s", i, e.Name())
			}
		}
	}
	t.Logf("%d kills over %v; %d of them cut an apply short (undone by the next)", rounds, whole, cut)
}
