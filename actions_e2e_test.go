package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/db4e/db4e/api"
)

func TestRestartCommand(t *testing.T) {
	dir := t.TempDir()
	order := filepath.Join(dir, "order")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
socket: %s
timezone: UTC
targets:
  - name: rig-1
    kind: miner
    restart: echo rig-1 >> %s
  - name: monerod
    kind: monerod
    restart: echo monerod >> %s
  - name: p2pool
    kind: p2pool
    restart: "echo 'Job for p2pool.service failed.' >&2; exit 1"
`, filepath.Join(dir, "data"), filepath.Join(dir, "db4e.sock"), order, order)), 0o644)

	out, errs, code := db4e(t, nil, "--config", cfg, "restart", "--yes", "monerod")
	// No health check is configured: the restart says so, and never "healthy".
	if code != 0 || !strings.Contains(out, "monerod") || !strings.Contains(out, "1 target(s) restarted; no health check configured") ||
		strings.Contains(out, "healthy") {
		t.Fatalf("restart monerod: %d\n%s\n%s", code, out, errs)
	}
	_, errs, code = db4e(t, nil, "--config", cfg, "restart", "--yes", "all")
	if code != 1 || !strings.Contains(errs, "status 1") || !strings.Contains(errs, "Job for p2pool.service failed.") || !strings.Contains(errs, "1 target(s) after it not restarted") {
		t.Fatalf("restart all: exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(order)
	if got := strings.Fields(string(b)); !reflect.DeepEqual(got, []string{"monerod", "monerod"}) {
		t.Fatalf("ran %v: the miner must not run after p2pool failed", got)
	}
	if _, errs, code = db4e(t, nil, "--config", cfg, "restart", "toaster"); code != 2 || !strings.Contains(errs, `no target "toaster"`) {
		t.Fatalf("unknown target: %d %s", code, errs)
	}
	// every restart is an action event
	seq, _, _ := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	if n := strings.Count(seq, `"kind":"action"`); n != 3 {
		t.Fatalf("%d action events, want 3:\n%s", n, seq)
	}
}

func TestBackupThroughServiceAndRestore(t *testing.T) {
	dir := t.TempDir()
	cfg, logPath := writeConfig(t, dir)
	raw, _ := os.ReadFile("ingest/testdata/sample.log")
	os.WriteFile(logPath, raw, 0o644)
	svc := startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "run", "db4e.sock"))
	want := report(t, "--config", cfg)
	for len(want.Days) < 2 { // the service is still reading the log
		want = report(t, "--config", cfg)
	}
	backups := filepath.Join(dir, "backups")
	out, errs, code := db4e(t, nil, "--config", cfg, "backup", backups)
	if code != 0 || !strings.Contains(out, ".backup.gz") {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(backups, "db4e-*.backup.gz"))
	if len(files) != 1 {
		t.Fatalf("backups %v", files)
	}
	if _, errs, code := db4e(t, nil, "--config", cfg, "restore", files[0]); code != 1 || !strings.Contains(errs, "service is running") {
		t.Fatalf("restore while the service runs: %d %s", code, errs)
	}
	svc.Process.Signal(syscall.SIGTERM)
	svc.Wait()
	restored := filepath.Join(dir, "restored")
	if out, errs, code := db4e(t, nil, "--config", cfg, "--data", restored, "restore", files[0]); code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	got := report(t, "--config", cfg, "--data", restored)
	got.Days, want.Days = stripKinds(got.Days), stripKinds(want.Days)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("restored report %+v\nwant %+v", got, want)
	}
}

// stripKinds drops the per-kind counts, where the backup's own action event shows.
func stripKinds(days []api.ReportDay) []api.ReportDay {
	out := make([]api.ReportDay, 0, len(days))
	for _, d := range days {
		d.Kinds = nil
		if d.Shares+d.Blocks+d.Payments > 0 {
			out = append(out, d)
		}
	}
	return out
}
