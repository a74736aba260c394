package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/testtool"
)

// tmux drives the built binary in a real terminal.
type tmux struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T) *tmux {
	t.Helper()
	testtool.Need(t, "tmux", "tmux")
	tm := &tmux{t: t, socket: fmt.Sprintf("db4e-test-%d", os.Getpid())}
	t.Cleanup(func() { exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil && args[0] != "has-session" {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// start runs the command in a new 80x24 session.
func (tm *tmux) start(name string, env []string, args ...string) {
	cmd := "exec env " + strings.Join(quoteAll(env), " ") + " " + strings.Join(quoteAll(args), " ")
	tm.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", cmd)
}

// console runs db4e's console with cfg in session "console", in a 256-colour terminal.
func (tm *tmux) console(cfg string) {
	tm.start("console", append(testEnv(tm.t), "TERM=xterm-256color"), db4eBin, "--config", cfg)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return out
}

func (tm *tmux) screen(name string) string { return tm.run("capture-pane", "-p", "-t", name) }

func (tm *tmux) waitFor(name string, want ...string) string {
	tm.t.Helper()
	return tm.waitWithin(15*time.Second, name, want...)
}

// waitWithin is waitFor for what takes longer than 15 s to happen.
func (tm *tmux) waitWithin(d time.Duration, name string, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := tm.screen(name)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%q not on the screen of %s:\n%s", want, name, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tm *tmux) keys(name string, keys ...string) {
	tm.run(append([]string{"send-keys", "-t", name}, keys...)...)
}

func (tm *tmux) waitGone(name string) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if exec.Command("tmux", "-L", tm.socket, "has-session", "-t", name).Run() != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("%s still running", name)
}

func writeConfig(t *testing.T, dir string) (cfg, logPath string) {
	logPath = filepath.Join(dir, "p2pool.log")
	cfg = filepath.Join(dir, "db4e.yaml")
	body := fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\n", filepath.Join(dir, "data"), filepath.Join(dir, "run", "db4e.sock"), logPath)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, logPath
}

func appendLine(t *testing.T, path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(line + "\n")
}

func shareNow(host string, n int) string {
	return fmt.Sprintf("%s StratumServer SHARE FOUND: mainchain height %d, sidechain height %d, diff 1, client 10.0.0.%d:3333, user %s, effort 12.500%%",
		time.Now().UTC().Format("2006-01-02 15:04:05.0000"), 3400000+n, 11000000+n, n, host)
}

// The built binary in a real terminal: the dashboard, help, live updates, and q restoring the terminal.
func TestConsoleInTmux(t *testing.T) {
	tm := newTmux(t)
	dir := t.TempDir()
	cfg, logPath := writeConfig(t, dir)
	appendLine(t, logPath, shareNow("rig-07", 1))
	tm.console(cfg)
	s := tm.waitFor("console", "db4e · embedded", "Today: 1 share", "Shares/day · 30 d", "rig-07", "? help")
	if strings.Count(s, "\n") < 23 {
		t.Errorf("screen not 24 lines:\n%s", s)
	}
	tm.keys("console", "?")
	tm.waitFor("console", "Keys", "this help")
	tm.keys("console", "Escape")
	appendLine(t, logPath, shareNow("rig-08", 2))
	tm.waitFor("console", "Today: 2 shares", "rig-08")
	tm.keys("console", "q")
	tm.waitGone("console")
}

// The service holds the store; the console and report attach over the socket, and the console
// reconnects by itself when the service restarts.
func TestHeadlessWithAttachedConsole(t *testing.T) {
	tm, dir, cfg, logPath, svc := attachedConsole(t)
	if st, err := os.Stat(filepath.Join(dir, "run", "db4e.sock")); err != nil || st.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode: %v %v", st.Mode(), err)
	}

	// report goes through the service: the store is locked by it
	r := report(t, "--config", cfg)
	if len(r.Days) != 1 || r.Days[0].Shares != 1 {
		t.Fatalf("report through the socket: %+v", r)
	}
	appendLine(t, logPath, shareNow("rig-02", 2))
	tm.waitFor("console", "Today: 2 shares", "rig-02")

	// restart the service: the console retries, then shows what the new one stores
	svc.Process.Signal(syscall.SIGTERM)
	if err := svc.Wait(); err != nil {
		t.Fatalf("service stop: %v", err)
	}
	startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "run", "db4e.sock"))
	appendLine(t, logPath, shareNow("rig-03", 3))
	tm.waitFor("console", "db4e · attached", "Today: 3 shares", "rig-03")
	tm.keys("console", "q")
	tm.waitGone("console")
}

// attachedConsole is a service following a log with one share of rig-01, and a console in
// tmux (session "console") attached to it.
func attachedConsole(t *testing.T) (tm *tmux, dir, cfg, logPath string, svc *exec.Cmd) {
	t.Helper()
	tm = newTmux(t)
	dir = t.TempDir()
	cfg, logPath = writeConfig(t, dir)
	appendLine(t, logPath, shareNow("rig-01", 1))
	svc = startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "run", "db4e.sock"))
	tm.console(cfg)
	tm.waitFor("console", "db4e · attached", "Today: 1 share", "rig-01")
	return tm, dir, cfg, logPath, svc
}

// embeddedConsole is a console in tmux (session "console") holding the store itself, no
// service running, over a log with one share of rig-01, its socket answering.
func embeddedConsole(t *testing.T) (tm *tmux, dir, cfg, logPath string) {
	t.Helper()
	tm = newTmux(t)
	dir = t.TempDir()
	cfg, logPath = writeConfig(t, dir)
	appendLine(t, logPath, shareNow("rig-01", 1))
	tm.console(cfg)
	tm.waitFor("console", "db4e · embedded", "Today: 1 share")
	waitSocket(t, filepath.Join(dir, "run", "db4e.sock"))
	return tm, dir, cfg, logPath
}

func waitSocket(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no socket %s", path)
}

// With the console holding the store (no service), other commands still work through it.
func TestEmbeddedConsoleAnswersOtherCommands(t *testing.T) {
	tm, dir, cfg, _ := embeddedConsole(t)
	if r := report(t, "--config", cfg); len(r.Days) != 1 || r.Days[0].Shares != 1 {
		t.Fatalf("report through the console: %+v", r)
	}
	tm.keys("console", "q")
	tm.waitGone("console")
	if _, err := os.Stat(filepath.Join(dir, "run", "db4e.sock")); err == nil {
		t.Error("the socket outlived the console")
	}
}

// The README's first command: the demo shows a living farm with no P2Pool at all, with its
// earnings from a data-api, its payouts checked on a stand-in node, and a rig that stalls, is
// alerted on and restarted by the watchdog; and it cleans up.
func TestDemo(t *testing.T) {
	tm := newTmux(t)
	tmp := t.TempDir()
	env := append(testEnv(t), "TERM=xterm-256color", "TMPDIR="+tmp, "DB4E_DEMO_STALL=1s")
	tm.start("demo", env, db4eBin, "--demo")
	s := tm.waitFor("demo", "db4e · embedded", "Shares/day · 30 d", "Miners (6", "share", "? help",
		"of our shares in 2160 blocks", "effort", "earning ~0.0")
	if strings.Contains(s, "no data yet") {
		t.Fatalf("the demo has no history:\n%s", s)
	}
	start := time.Now()
	// At 80 columns the events pane cuts the action's text: "rig-03: ok · watc…"
	s = tm.waitWithin(90*time.Second, "demo", "rig_slow rig-03", "rig-03: ok · wat")
	t.Logf("the stalled rig alerted on and restarted %v after the start:\n%s", time.Since(start).Round(time.Second), s)
	// Its payouts are checked against its stand-in node: young ones claimed, older confirmed or
	// unlocked, one orphaned (and alerted on).
	tm.keys("demo", "$")
	tm.waitFor("demo", "Payouts (", "checked", " claimed · ", " confirmed · ", " unlocked · 1 orphaned")
	tm.keys("demo", "Escape")
	time.Sleep(300 * time.Millisecond) // Escape then a key at once reads as Alt-key
	tm.keys("demo", "R")
	tm.waitFor("demo", "the daily sequence")
	tm.keys("demo", "Escape") // alone: Escape then q at once reads as Alt-q
	time.Sleep(300 * time.Millisecond)
	tm.keys("demo", "q")
	tm.waitGone("demo")
	if left, _ := filepath.Glob(filepath.Join(tmp, "db4e-demo-*")); len(left) != 0 {
		t.Fatalf("the demo left %v behind", left)
	}
}

// A console opened while no service runs holds the store. A service that starts then gets it:
// the console hands it over and attaches within 2 s, and says so; the service runs, and what
// it stores shows in the console.
func TestServiceTakesOverFromAnEmbeddedConsole(t *testing.T) {
	tm, _, cfg, logPath := embeddedConsole(t)

	start := time.Now()
	svc := startService(t, cfg)
	tm.waitFor("console", "db4e · attached", "attached to the service")
	took := time.Since(start)
	t.Logf("handover: %v from the service's start to the console saying it is attached", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the handover took %v, want under 2 s", took.Round(time.Millisecond))
	}
	appendLine(t, logPath, shareNow("rig-02", 2))
	tm.waitFor("console", "Today: 2 shares", "rig-02")
	if out, errs, code := db4e(t, nil, "--config", cfg, "status"); code != 0 {
		t.Fatalf("status with the service following: exit %d\n%s\n%s", code, out, errs)
	}
	tm.keys("console", "q")
	tm.waitGone("console")
	// The console is gone; the service's socket is not.
	if r := report(t, "--config", cfg); len(r.Days) != 1 || r.Days[0].Shares != 2 {
		t.Fatalf("report through the service after the console left: %+v", r)
	}
	if svc.ProcessState != nil {
		t.Fatal("the service exited")
	}
}

// An attached console whose service is killed says so within 2 s, keeps its clock, marks its
// data stale, fits in 80 columns, and shows the whole reason under h.
func TestAttachedConsoleLosesItsService(t *testing.T) {
	tm, dir, cfg, logPath, svc := attachedConsole(t)

	svc.Process.Kill() // kill -9
	start := time.Now()
	s := tm.waitFor("console", "service lost, retrying; data as of", "STALE")
	took := time.Since(start)
	t.Logf("lost service: shown %v after kill -9", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the loss showed after %v, want under 2 s", took.Round(time.Millisecond))
	}
	for _, line := range strings.Split(s, "\n") {
		if len([]rune(line)) > 80 {
			t.Errorf("a line wider than 80 columns: %q", line)
		}
	}
	tm.keys("console", "h")
	tm.waitFor("console", "Health", "service lost", "db4e.sock")
	tm.keys("console", "Escape")

	svc.Wait()
	startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "run", "db4e.sock"))
	appendLine(t, logPath, shareNow("rig-02", 2))
	s = tm.waitFor("console", "db4e · attached", "Today: 2 shares")
	if strings.Contains(s, "STALE") || strings.Contains(s, "service lost") {
		t.Errorf("still stale once the service is back:\n%s", s)
	}
	tm.keys("console", "q")
	tm.waitGone("console")
}

// The built binary in tmux: Enter on the focused miners pane opens a rig's own view, with a
// chart and without the dashboard's; Esc returns to the dashboard.
func TestMinerViewInTmux(t *testing.T) {
	tm, _, _, _, _ := attachedConsole(t)
	tm.keys("console", "Enter")
	s := tm.waitFor("console", "miner rig-01", "Its shares a day", "┤", "Esc back")
	if strings.Contains(s, "Shares/day ·") {
		t.Errorf("the miner's view shows the dashboard's chart:\n%s", s)
	}
	tm.keys("console", "Escape")
	tm.waitFor("console", "Shares/day · 30 d", "Recent events")
	tm.keys("console", "q")
	tm.waitGone("console")
}
