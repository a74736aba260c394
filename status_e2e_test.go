package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/store"
)

func TestStatusCommand(t *testing.T) {
	info, _ := os.ReadFile("collect/testdata/monerod_get_info.json")
	monerod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(info) }))
	defer monerod.Close()
	summary, _ := os.ReadFile("collect/testdata/xmrig_summary.json")
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(summary) }))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 500) }))
	defer bad.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "db4e.yaml")
	// Since issue 12, status is well only while a service follows the log: each state is
	// asked of a running service.
	logPath := filepath.Join(dir, "p2pool.log")
	os.WriteFile(logPath, nil, 0o644)
	write := func(xmrigURL string) {
		os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
socket: %s
p2pool:
  log: %s
monerod:
  rpc: %s
miners:
  xmrig:
    - {name: rig-01, url: %s}
`, filepath.Join(dir, "data"), filepath.Join(dir, "db4e.sock"), logPath, monerod.URL, xmrigURL)), 0o644)
	}
	service := func() func() {
		svc := startService(t, cfg)
		waitSocket(t, filepath.Join(dir, "db4e.sock"))
		return func() { svc.Process.Signal(os.Interrupt); svc.Wait() }
	}
	write(good.URL)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", "ingest/testdata/sample.log"); code != 0 {
		t.Fatalf("a store to report on: %s", errs) // status, a reader, creates none
	}
	stop := service()
	out, errs, code := db4e(t, nil, "--config", cfg, "status")
	stop()
	if code != 0 || !strings.Contains(out, "height 3350301") || !strings.Contains(out, "rig-01") {
		t.Fatalf("all up: exit %d\n%s\n%s", code, out, errs)
	}
	write(bad.URL)
	stop = service()
	defer stop()
	out, errs, code = db4e(t, nil, "--config", cfg, "status", "--json")
	if code != 1 || !strings.Contains(errs, "down: rig-01") {
		t.Fatalf("rig down: exit %d\n%s\n%s", code, out, errs)
	}
	var st api.StatusReport
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Node.Height != 3350301 || len(st.Down()) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
}

// status exits 1 for each way the farm's ingest can be broken, says which and why, and 0 once
// all is well again.
func TestStatusExitCodes(t *testing.T) {
	base := sharedDir(t, "db4e-status") // another user's status can reach the config and the log's folder
	logPath, sock, _, cfg := sampleFarmIn(t, base)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", logPath); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	status := func(t *testing.T, code int, want string) {
		t.Helper()
		var out, errs string
		var got int
		// The service notices within a second or two (the component is computed when asked,
		// the follower's error when it next looks).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			out, errs, got = db4e(t, nil, "--config", cfg, "status")
			if got == code && strings.Contains(errs, want) || time.Now().After(deadline) {
				break
			}
		}
		if got != code || !strings.Contains(errs, want) {
			t.Fatalf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", got, code, want, out, errs)
		}
	}
	t.Run("no service", func(t *testing.T) {
		status(t, 1, "service (no db4e service follows "+logPath)
	})
	svc := startService(t, cfg)
	waitSocket(t, sock)
	t.Run("all well", func(t *testing.T) { status(t, 0, "") })
	t.Run("log missing", func(t *testing.T) {
		os.Rename(logPath, logPath+".away")
		status(t, 1, "log ("+logPath+" does not exist")
	})
	t.Run("a directory in its place", func(t *testing.T) {
		os.Mkdir(logPath, 0o755)
		status(t, 1, "log ("+logPath+" is not a regular file (d")
		os.Remove(logPath)
	})
	t.Run("well again", func(t *testing.T) {
		os.Rename(logPath+".away", logPath)
		status(t, 0, "")
	})
	svc.Process.Kill()
	svc.Wait()
	os.Remove(sock)
	t.Run("unreadable", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("a second user is needed to make the log unreadable: run the tests as root")
		}
		os.Chmod(logPath, 0o600) // root's, and nobody runs this status
		bin := binaryIn(t, base)
		filepath.Walk(filepath.Join(base, "data"), func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, 65534, 65534) })
		cmd := exec.Command(bin, "--config", cfg, "status")
		cmd.Env = childEnv(base)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		_, errs, code := runCmd(t, cmd)
		if code != 1 || !strings.Contains(errs, "log ("+logPath+": permission denied)") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

// `db4e report` prints the same text whether it opens the store itself or asks the service.
func TestReportTheSameAttachedAndEmbedded(t *testing.T) {
	dir := t.TempDir()
	cfg, logPath := writeConfig(t, dir)
	raw, _ := os.ReadFile("ingest/testdata/sample.log")
	os.WriteFile(logPath, raw, 0o644)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", logPath); code != 0 {
		t.Fatal(errs)
	}
	embedded, errs, code := db4e(t, nil, "--config", cfg, "report")
	if code != 0 || !strings.Contains(embedded, "0.001611286503") {
		t.Fatalf("embedded: exit %d\n%s\n%s", code, embedded, errs)
	}
	startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "run", "db4e.sock"))
	attached, errs, code := db4e(t, nil, "--config", cfg, "report")
	if code != 0 || attached != embedded {
		t.Fatalf("attached (exit %d) differs:\n%s\nembedded:\n%s\n%s", code, attached, embedded, errs)
	}
}

// sampleFarm is a data dir, socket and config in a temporary directory, with P2Pool's log the
// sample: what a service test starts from.
func sampleFarm(t *testing.T) (logPath, sock, data, cfg string) {
	t.Helper()
	return sampleFarmIn(t, t.TempDir())
}

// sampleFarmIn is sampleFarm in dir (sharedDir: one another user may reach).
func sampleFarmIn(t *testing.T, dir string) (logPath, sock, data, cfg string) {
	t.Helper()
	logPath = filepath.Join(dir, "p2pool.log")
	raw, _ := os.ReadFile("ingest/testdata/sample.log")
	os.WriteFile(logPath, raw, 0o644)
	sock, data, cfg = filepath.Join(dir, "db4e.sock"), filepath.Join(dir, "data"), filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\n", data, sock, logPath)), 0o644)
	return logPath, sock, data, cfg
}

// The data dir removed under a running service: status says the store is DOWN and exits 1 at
// once, and SIGTERM ends the service within 10 s (Badger's flush into the removed files would
// retry for good) (issue 31).
func TestDataDirRemovedUnderTheService(t *testing.T) {
	_, sock, data, cfg := sampleFarm(t)
	svc := startService(t, cfg)
	waitSocket(t, sock)
	if _, errs, code := db4e(t, nil, "--config", cfg, "status"); code != 0 {
		t.Fatalf("status before: %d %s", code, errs)
	}
	os.RemoveAll(data)
	out, errs, code := db4e(t, nil, "--config", cfg, "status")
	if code != 1 || !strings.Contains(out, "store") || !strings.Contains(errs, "the data dir "+data+" is gone") {
		t.Fatalf("status after: exit %d\n%s\n%s", code, out, errs)
	}
	start := time.Now()
	svc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- svc.Wait() }()
	select {
	case <-done:
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not stop within 10 s of SIGTERM")
	}
}

// A command that holds the store for a moment (report from cron, a status check) while the
// service starts: the service waits for it instead of exiting "store is in use"; and a command
// that finds the store held waits for the holder, then reads (issue 31).
func TestServiceAndReaderWaitForEachOther(t *testing.T) {
	logPath, sock, data, cfg := sampleFarm(t)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", logPath); code != 0 {
		t.Fatal(errs)
	}
	hold := func() func() { // a reader holding the store, as `db4e report` does while it runs
		s, err := store.Open(data, store.Config{Timezone: "UTC", Reader: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return func() { s.Close() }
	}

	release := hold()
	report := make(chan string, 1)
	go func() {
		out, errs, code := db4e(t, nil, "--config", cfg, "report")
		report <- fmt.Sprintf("%d %s%s", code, out, errs)
	}()
	time.Sleep(1500 * time.Millisecond)
	release()
	if got := <-report; !strings.HasPrefix(got, "0 ") || !strings.Contains(got, "TOTAL") {
		t.Fatalf("a report while another reader held the store: %s", got)
	}

	release = hold()
	startService(t, cfg)
	time.Sleep(1500 * time.Millisecond)
	release()
	waitSocket(t, sock) // a service that exited "store is in use" never listens
}

// A user who may not use the service's socket is told which group may, and how to join it,
// not "open store: permission denied" (issue 31).
func TestOutsiderIsToldTheGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("run as root: a second user is needed")
		}
		t.Skip("a second user is needed: run the tests as root")
	}
	base := sharedDir(t, "db4e-outsider")
	bin := binaryIn(t, base)
	_, sock, _, cfg := sampleFarmIn(t, base)
	startService(t, cfg)
	waitSocket(t, sock)
	cmd := exec.Command(bin, "--config", cfg, "status")
	cmd.Env = childEnv(base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}} // nobody, not in root's group
	_, errs, code := runCmd(t, cmd)
	if code != 1 || !strings.Contains(errs, "socket "+sock+" is not open to you") || !strings.Contains(errs, "members of group root may use it: sudo usermod -aG root $USER") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// A component's SINCE is when its state began, not when status was first asked (issue 31).
func TestStatusSinceIsWhenTheStateBegan(t *testing.T) {
	logPath, sock, _, cfg := sampleFarm(t)
	startService(t, cfg)
	waitSocket(t, sock)
	gone := time.Now()
	os.Rename(logPath, logPath+".away")
	time.Sleep(5 * time.Second)
	asked := time.Now()
	out, _, _ := db4e(t, nil, "--config", cfg, "status", "--json")
	var st api.StatusReport
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Components {
		if c.Name != api.ComponentLog {
			continue
		}
		if c.Up || c.Since.Before(gone.Add(-time.Second)) || c.Since.After(asked.Add(-2*time.Second)) {
			t.Fatalf("log %v since %s: it went at %s, status was asked at %s", c.Up, c.Since.Format("15:04:05.000"),
				gone.Format("15:04:05.000"), asked.Format("15:04:05.000"))
		}
		return
	}
	t.Fatal("no log component")
}
