package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/monerodtest"
)

// monerod's login, written into monerod.rpc as user:password@, shows nowhere: not in status
// (text or JSON), not in the stored events (export), not in the alert, not in the service's log.
func TestLoginNeverShows(t *testing.T) {
	const password = "Hunter2-s3cret"
	base := monerodtest.Start(t, "op:"+password)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "db4e.yaml")
	// The password is one character off, so monerod refuses it and the failure is reported.
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
socket: %s
timezone: UTC
p2pool:
  log: %s
monerod:
  rpc: http://op:%sX@%s
  interval: 1s
alerts:
  interval: 1s
  rules:
    node_down: {enabled: true, for: 0s, clear: 1m}
`, filepath.Join(dir, "data"), filepath.Join(dir, "db4e.sock"), filepath.Join(dir, "p2pool.log"), password, strings.TrimPrefix(base, "http://"))), 0o644)
	os.WriteFile(filepath.Join(dir, "p2pool.log"), nil, 0o644)

	svc := exec.Command(db4eBin, "--config", cfg, "--headless")
	svc.Env = testEnv(t)
	var svcLog strings.Builder
	svc.Stderr = &svcLog
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { svc.Process.Kill(); svc.Wait() }()

	var st api.StatusReport
	var statusJSON string
	deadline := time.Now().Add(30 * time.Second)
	for {
		statusJSON, _, _ = db4e(t, nil, "--config", cfg, "status", "--json")
		st = api.StatusReport{}
		json.Unmarshal([]byte(statusJSON), &st)
		if len(st.Alerts) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if len(st.Alerts) == 0 {
		t.Fatalf("no node_down alert within 30 s: %s", statusJSON)
	}
	statusText, _, _ := db4e(t, nil, "--config", cfg, "status")
	if !strings.Contains(statusText, "the login was refused") {
		t.Errorf("status does not say why monerod is down:\n%s", statusText)
	}
	export, _, code := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	if code != 0 || !strings.Contains(export, `"health"`) {
		t.Errorf("export (exit %d) has no health event:\n%s", code, export)
	}
	svc.Process.Signal(os.Interrupt)
	svc.Wait()
	for what, text := range map[string]string{"status": statusText, "status --json": statusJSON, "export jsonseq": export, "service log": svcLog.String()} {
		for _, secret := range []string{password, "op:", "op@"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %q:\n%s", what, secret, text)
			}
		}
	}
}
