package deploy

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/restart"
)

// P2Pool deployed with a stand-in for its binary (named so: testdata/p2pool-stand-in.sh):
// started on the FIFO p2pool.socket would make its stdin, healthy by its data-api, asked
// `status` through the FIFO with its answer read from its log, then stopped.
func TestP2PoolStartFIFOStop(t *testing.T) {
	standIn, err := os.ReadFile("testdata/p2pool-stand-in.sh")
	if err != nil {
		t.Fatal(err)
	}
	releases := t.TempDir()
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	cfg.P2Pool.Wallet = testWallet
	p, sum := archive(t, releases, "p2pool-v4.18-linux-x64.tar.gz", map[string][]byte{"p2pool-v4.18-linux-x64/p2pool": standIn})
	cfg.P2Pool.Release = Release{Release: p, SHA256: sum}
	c := testCommands(cfg.Root)
	// What p2pool.socket does under systemd: a FIFO, opened as P2Pool's stdin.
	c.Start = "mkdir -p $(dirname {fifo}) && { [ -p {fifo} ] || mkfifo {fifo}; } && " +
		strings.Replace(c.Start, "</dev/null", "<>{fifo}", 1)
	cfg.Commands = withRestart(c)
	cfg.HealthWait = 20 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	d := deployer(t, cfg, ev)
	ctx := context.Background()
	t.Cleanup(func() { runShell(t, cfg.expand(cfg.Commands.Stop, "p2pool.service", "")) })
	// P2Pool's data dir is made by tmpfiles.d under systemd; here by hand.
	os.MkdirAll(cfg.Root+cfg.P2Pool.DataDir, 0o755)
	if err := d.Apply(ctx, Options{}, P2Pool); err != nil {
		t.Fatalf("apply: %v", err)
	}
	out, err := AskP2Pool(ctx, cfg.FIFO(), cfg.P2PoolLog(), "status", 5*time.Second, 300*time.Millisecond)
	if err != nil || !strings.Contains(out, "SideChain status") || !strings.Contains(out, "StratumServer status") {
		t.Fatalf("status: %q %v", out, err)
	}
	if strings.Contains(out, "STAND-IN) wallet") {
		t.Errorf("the answer holds lines from before the command:\n%s", out)
	}
	for cmd, want := range map[string]string{"exit": "db4e stop p2pool", "rm -rf": "P2Pool has no command", "": "no command"} {
		if _, err := AskP2Pool(ctx, cfg.FIFO(), cfg.P2PoolLog(), cmd, time.Second, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", cmd, err)
		}
	}
	targets, _ := restart.BuildTargets(cfg.Targets(), "", "")
	stop, _ := restart.Select(targets, []string{P2Pool})
	r := &restart.Restarter{Action: restart.Stop, Record: ev.record, Who: "test"}
	if err := r.Run(ctx, stop); err != nil {
		t.Fatal(err)
	}
	if _, err := AskP2Pool(ctx, cfg.FIFO(), cfg.P2PoolLog(), "status", time.Second, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("after stop: %v", err)
	}
	if !strings.Contains(ev.lines(), "p2pool | "+stop[0].Stop+" | ok") {
		t.Errorf("the stop is not recorded:\n%s", ev.lines())
	}
}

// A reload that fails after the files are written undoes the whole apply: nothing half-done
// (the units on disk and the units systemd knows would disagree).
func TestFailedReloadUndoesTheApply(t *testing.T) {
	standIn, _ := os.ReadFile("testdata/p2pool-stand-in.sh")
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	cfg.P2Pool.Wallet = testWallet
	p, sum := archive(t, t.TempDir(), "p2pool-v4.18-linux-x64.tar.gz", map[string][]byte{"p2pool-v4.18-linux-x64/p2pool": standIn})
	cfg.P2Pool.Release = Release{Release: p, SHA256: sum}
	cfg.Commands = withRestart(testCommands(cfg.Root))
	cfg.Commands.Reload = "echo 'Failed to reload daemon: Access denied' >&2; exit 3"
	ev := &events{}
	d := deployer(t, cfg, ev)
	before := planJSON(t, d)
	err := d.Apply(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "Access denied") || !strings.Contains(err.Error(), "every change of this apply was undone") {
		t.Fatalf("apply: %v", err)
	}
	if after := planJSON(t, d); after != before {
		t.Fatalf("plan after a failed reload:\n%s\n%s", before, after)
	}
	if _, err := os.Lstat(Opt(cfg.Root, P2Pool) + "/current"); err == nil {
		t.Fatal("current left in place")
	}
	if !strings.Contains(ev.lines(), "deploy p2pool | undo: the apply did not finish | ok") {
		t.Errorf("events:\n%s", ev.lines())
	}
}
