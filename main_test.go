package main

import (
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/model"
)

// db4eBin is the binary under test, built once for the tests that run it as a child process.
var db4eBin string

// raceBuild is set by race_test.go when the tests run with -race: the binary the tests start
// is built with -race too, so the kill -9 and e2e tests check the service for races as well.
var raceBuild bool

// raceLogs is where a race-built child writes what the race detector found (GORACE log_path):
// TestMain fails the run when anything is there, whatever the test that started the child saw
// of it (a service killed -9 never gets to exit 66).
var raceLogs string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "db4e-bin")
	if err != nil {
		panic(err)
	}
	db4eBin = filepath.Join(dir, "db4e")
	args := []string{"build", "-o", db4eBin}
	if raceBuild {
		args = append(args, "-race")
		raceLogs = filepath.Join(dir, "race")
		// Open to every user: some children run as nobody.
		for _, err := range []error{os.Chmod(dir, 0o755), os.Mkdir(raceLogs, 0o777), os.Chmod(raceLogs, 0o1777)} {
			if err != nil {
				fmt.Fprintln(os.Stderr, "race logs:", err)
				os.Exit(1)
			}
		}
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build db4e:", err)
		os.Exit(1)
	}
	code := m.Run()
	if raceLogs != "" {
		reports, _ := filepath.Glob(filepath.Join(raceLogs, "race.*"))
		for _, r := range reports {
			b, _ := os.ReadFile(r)
			fmt.Fprintf(os.Stderr, "the race detector in db4e (%s):\n%s\n", filepath.Base(r), b)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// childEnv is the environment of every db4e the tests start: nothing of the test's own but
// PATH, and GORACE when the child is race-built.
func childEnv(home string, kv ...string) []string {
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TZ=UTC"}
	if raceLogs != "" {
		env = append(env, "GORACE=log_path="+filepath.Join(raceLogs, "race"))
	}
	return append(env, kv...)
}

// db4e runs the binary to completion with an isolated environment.
func db4e(t *testing.T, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(db4eBin, args...)
	cmd.Env = testEnv(t)
	cmd.Stdin = bytes.NewReader(stdin)
	return runCmd(t, cmd)
}

// runCmd runs cmd to completion: its stdout, its stderr and its exit status.
func runCmd(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func testEnv(t *testing.T) []string {
	home := t.TempDir()
	return childEnv(home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_RUNTIME_DIR="+home)
}

func report(t *testing.T, args ...string) api.Report {
	t.Helper()
	out, errs, code := db4e(t, nil, append(args, "report", "--json")...)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errs)
	}
	var r api.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report output %q: %v", out, err)
	}
	return r
}

// sameTotals compares a report with what the simulator wrote, naming the first difference.
func sameTotals(r api.Report, sim *farmsim.Sim) string {
	if len(r.Days) != len(sim.Totals) {
		return fmt.Sprintf("%d days in report, %d written", len(r.Days), len(sim.Totals))
	}
	for _, d := range r.Days {
		w := sim.Totals[d.Date]
		if w == nil {
			return "unexpected day " + d.Date
		}
		if int(d.Shares) != w.Shares || int(d.Blocks) != w.Blocks || int(d.Payments) != w.Payments || d.ClaimedXMR != model.PiconeroFromInt(w.Piconero).XMR() {
			return fmt.Sprintf("%s: report %d shares %d blocks %d payments %s XMR claimed; written %+v", d.Date, d.Shares, d.Blocks, d.Payments, d.ClaimedXMR, w)
		}
		for h, n := range w.ByHost {
			if int(d.SharesByHost[h]) != n {
				return fmt.Sprintf("%s %s: %d shares in report, %d written", d.Date, h, d.SharesByHost[h], n)
			}
		}
	}
	return ""
}

// startService runs `db4e --headless` with cfg until the test ends; a failing test shows what
// the service said.
func startService(t *testing.T, cfg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(db4eBin, "--config", cfg, "--headless")
	cmd.Env = testEnv(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("service (pid %d) stderr:\n%s", cmd.Process.Pid, stderr.String())
		}
	})
	return cmd
}

// killRounds is 20, or DB4E_KILL_ROUNDS (bench/kill9.sh runs many more).
func killRounds() int {
	if n, err := strconv.Atoi(os.Getenv("DB4E_KILL_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 20
}

func writeLog(t *testing.T, path string, lines, eventEvery int) *farmsim.Sim {
	t.Helper()
	sim := farmsim.New(11, 8, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	sim.EventEvery = eventEvery
	sim.Step = 2 * time.Second
	var b []byte
	for i := range lines {
		b = sim.Next(b)
		if i%5000 == 0 {
			b = sim.Status(b)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return sim
}

func TestImportReportFixture(t *testing.T) {
	data := t.TempDir()
	fixture := "ingest/testdata/sample.log"
	for range 2 {
		out, errs, code := db4e(t, nil, "--data", data, "import", fixture)
		if code != 0 {
			t.Fatalf("import: %d %s", code, errs)
		}
		if !strings.Contains(out, "imported 1 file(s)") {
			t.Fatalf("import said %q", out)
		}
	}
	// No monerod checked the payouts: xmr (what counts) is 0, claimed_xmr what P2Pool logged.
	want := `{"days":[{"date":"2025-03-01","shares":4,"shares_by_host":{"rig-01":2,"rig-02":1,"rig-03":1},"blocks":2,"payments":2,` +
		`"xmr":"0.000000000000","claimed_xmr":"0.001611286503","unlocked_xmr":"0.000000000000","orphaned_xmr":"0.000000000000"},` +
		`{"date":"2025-03-02","shares":2,"shares_by_host":{"rig-02":2},"blocks":0,"payments":0,` +
		`"xmr":"0.000000000000","claimed_xmr":"0.000000000000","unlocked_xmr":"0.000000000000","orphaned_xmr":"0.000000000000"}],"skipped":0}`
	out, _, _ := db4e(t, nil, "--data", data, "report", "--json")
	if strings.TrimSpace(out) != want {
		t.Fatalf("report --json\n got %s\nwant %s", out, want)
	}
	// rebuild gives the same report
	if _, errs, code := db4e(t, nil, "--data", data, "rebuild"); code != 0 {
		t.Fatalf("rebuild: %s", errs)
	}
	out, _, _ = db4e(t, nil, "--data", data, "report", "--json")
	if strings.TrimSpace(out) != want {
		t.Fatalf("report after rebuild %s", out)
	}
	text, _, _ := db4e(t, nil, "--data", data, "report")
	for _, s := range []string{"2025-03-01", "0.001611286503", "rig-01:2 rig-02:1 rig-03:1", "TOTAL"} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
	// stdin, and the export imported into an empty store, give the same report
	raw, _ := os.ReadFile(fixture)
	data2 := t.TempDir()
	if _, errs, code := db4e(t, raw, "--data", data2, "import", "-"); code != 0 {
		t.Fatal(errs)
	}
	if out, _, _ := db4e(t, nil, "--data", data2, "report", "--json"); strings.TrimSpace(out) != want {
		t.Fatalf("stdin import: %s", out)
	}
	seq, _, _ := db4e(t, nil, "--data", data, "export", "jsonseq")
	data3 := t.TempDir()
	if _, errs, code := db4e(t, []byte(seq), "--data", data3, "import", "--format", "jsonseq", "-"); code != 0 {
		t.Fatal(errs)
	}
	if out, _, _ := db4e(t, nil, "--data", data3, "report", "--json"); strings.TrimSpace(out) != want {
		t.Fatalf("jsonseq round trip: %s", out)
	}
}

// Rotated logs named newest first, as `db4e import p2pool.log*` names them, go into a fresh
// store oldest first: its bulk load, which takes events in time order, runs through every file
// instead of ending at the second one, and the totals are the log's.
func TestImportRotatedLogsOldestFirst(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.log")
	sim := writeLog(t, whole, 30_000, 3)
	raw, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	// Three pieces at line ends: the oldest compressed, as logrotate leaves it.
	cut := func(at int) int { return at + bytes.IndexByte(raw[at:], '\n') + 1 }
	a, b := cut(len(raw)/3), cut(2*len(raw)/3)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw[:a])
	zw.Close()
	names := []string{filepath.Join(dir, "p2pool.log"), filepath.Join(dir, "p2pool.log.1"), filepath.Join(dir, "p2pool.log.2.gz")}
	for i, content := range [][]byte{raw[b:], raw[a:b], gz.Bytes()} {
		if err := os.WriteFile(names[i], content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	out, errs, code := db4e(t, nil, append([]string{"--data", data, "import"}, names...)...)
	if code != 0 || !strings.Contains(out, "imported 3 file(s)") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(errs, "bulk load: ends here") {
		t.Fatalf("the bulk load ended at a file older than the one before: not imported oldest first\n%s", errs)
	}
	if d := sameTotals(report(t, "--data", data), sim); d != "" {
		t.Fatal(d)
	}
}

// An import in which nothing could be read is a failure (the wrong file, the wrong --format),
// and the pretty records `jq --seq .` writes are read whole.
func TestImportEveryRecordBad(t *testing.T) {
	data := t.TempDir()
	log, _ := os.ReadFile("ingest/testdata/sample.log")
	out, errs, code := db4e(t, log, "--data", data, "import", "--format", "jsonseq", "-")
	if code != 1 || !strings.Contains(errs, "every one of the") || !strings.Contains(out, "bad record(s)") {
		t.Fatalf("a P2Pool log imported as jsonseq: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	pretty := "\x1e{\n  \"time\": \"2025-03-01T00:00:01Z\",\n  \"type\": \"note\"\n}\n\x1e{\n  \"time\": \"2025-03-01T00:00:02Z\",\n  \"type\": \"note\"\n}\n"
	out, errs, code = db4e(t, []byte(pretty), "--data", data, "import", "--format", "jsonseq", "-")
	if code != 0 || !strings.Contains(out, "2 new event(s)") || !strings.Contains(out, "0 bad record(s)") {
		t.Fatalf("pretty RFC 7464: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

func TestConfigErrorsNameKeyAndFile(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ yaml, want string }{
		{"timezone: UTC\nbogus: 1\n", "bogus: no such key"}, // was "field bogus not found": issue 11 wants no Go wording
		{"timezone: Mars/Olympus\n", "timezone"},
		{"p2pool:\n  log_time: martian\n", "p2pool.log_time"},
		{"p2pool:\n  rotation_grace: soon\n", "rotation_grace"},
		{"store:\n  series_retention_days: -3\n", "store.series_retention_days"},
	} {
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte(tt.yaml), 0o644)
		_, errs, code := db4e(t, nil, "--config", path, "--data", dir, "report")
		if code != 2 || !strings.Contains(errs, path) || !strings.Contains(errs, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming %s and %q", tt.yaml, code, errs, path, tt.want)
		}
	}
	if _, errs, code := db4e(t, nil, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %s", code, errs)
	}
	if _, errs, code := db4e(t, nil, "--data", dir, "import", "/nonexistent/p2pool.log"); code != 1 || !strings.Contains(errs, "/nonexistent/p2pool.log") {
		t.Errorf("missing file: %d %s", code, errs)
	}
}

// importKiller kills `db4e import` of one log at random moments within the time a whole import
// of it takes here.
type importKiller struct {
	logPath string
	full    time.Duration // a whole import, timed once into a store of its own
	rng     *rand.Rand
	killed  int
}

func newImportKiller(t *testing.T, logPath string, seed uint64) *importKiller {
	t.Helper()
	start := time.Now()
	if _, errs, code := db4e(t, nil, "--data", filepath.Join(t.TempDir(), "probe"), "import", logPath); code != 0 {
		t.Fatal(errs)
	}
	return &importKiller{logPath: logPath, full: time.Since(start), rng: rand.New(rand.NewPCG(seed, seed+1))}
}

// killOne starts an import into data and kills it -9 at a random moment.
func (k *importKiller) killOne(t *testing.T, data string) {
	t.Helper()
	cmd := exec.Command(db4eBin, "--data", data, "import", k.logPath)
	cmd.Env = testEnv(t)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Duration(k.rng.Int64N(int64(k.full))))
	if cmd.Process.Signal(syscall.SIGKILL) == nil {
		k.killed++
	}
	cmd.Wait()
}

// kill -9 of an import at random moments, then a complete import: exact counts.
func TestImportSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "p2pool.log")
	sim := writeLog(t, logPath, 300_000, 6)
	data := filepath.Join(dir, "data")
	k := newImportKiller(t, logPath, 1)
	for range killRounds() {
		k.killOne(t, data)
	}
	t.Logf("a full import takes %v; killed %d of %d", k.full, k.killed, killRounds())
	if _, errs, code := db4e(t, nil, "--data", data, "import", logPath); code != 0 {
		t.Fatal(errs)
	}
	if d := sameTotals(report(t, "--data", data), sim); d != "" {
		t.Fatal(d)
	}
}

// kill -9 of an import into a fresh store (a bulk load, written straight into tables) at
// random moments, each on its own fresh store, then a complete import: exact counts each time.
func TestBulkImportSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "p2pool.log")
	sim := writeLog(t, logPath, 300_000, 6)
	k := newImportKiller(t, logPath, 3)
	for i := range killRounds() {
		data := filepath.Join(dir, fmt.Sprintf("data%d", i))
		k.killOne(t, data)
		if _, errs, code := db4e(t, nil, "--data", data, "import", logPath); code != 0 {
			t.Fatal(errs)
		}
		if d := sameTotals(report(t, "--data", data), sim); d != "" {
			t.Fatalf("round %d: %s", i, d)
		}
		if out, errs, code := db4e(t, nil, "--data", data, "check"); code != 0 {
			t.Fatalf("round %d: check: exit %d\n%s%s", i, code, out, errs)
		}
		os.RemoveAll(data)
	}
	t.Logf("a full import takes %v; killed %d of %d, each on a fresh store", k.full, k.killed, killRounds())
}

// kill -9 of the service at random moments while P2Pool writes, rotation included: every event
// counted exactly once in the end.
func TestHeadlessSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "p2pool.log")
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\n  rotation_grace: 2s\n", data, filepath.Join(dir, "db4e.sock"), logPath)), 0o644)

	sim := farmsim.New(5, 6, time.Date(2025, 4, 1, 20, 0, 0, 0, time.UTC))
	sim.EventEvery = 3
	sim.Step = 5 * time.Second
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	rotate := make(chan struct{})
	go func() { // P2Pool
		defer close(writerDone)
		var b []byte
		for {
			select {
			case <-stop:
				f.Close()
				return
			case <-rotate:
				os.Rename(logPath, logPath+".1")
				b = sim.Next(b[:0])
				f.Write(b)
				f.Close()
				f, _ = os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			default:
			}
			b = sim.Next(b[:0])
			f.Write(b)
			time.Sleep(200 * time.Microsecond)
		}
	}()

	rng := rand.New(rand.NewPCG(3, 4))
	start := func() *exec.Cmd { return startService(t, cfg) }
	for i := range killRounds() {
		cmd := start()
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if i == killRounds()/2 {
			rotate <- struct{}{}
		}
	}
	close(stop)
	<-writerDone

	cmd := start()
	var d string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("headless did not stop cleanly on SIGTERM: %v", err)
		}
		if d = sameTotals(report(t, "--config", cfg), sim); d == "" {
			break
		}
		cmd = start()
	}
	if d != "" {
		t.Fatal(d)
	}
	t.Logf("%d events over %d lines, exact after %d kills and a rotation", sim.Events, sim.Lines, killRounds())
}

// Under -race, the binary the e2e tests run is race-built too; without it, the service's own
// goroutines (follower, collectors, console server) would never meet the race detector.
func TestServiceBinaryMatchesTheRaceBuild(t *testing.T) {
	info, err := buildinfo.ReadFile(db4eBin)
	if err != nil {
		t.Fatal(err)
	}
	race := false
	for _, s := range info.Settings {
		if s.Key == "-race" && s.Value == "true" {
			race = true
		}
	}
	if race != raceBuild {
		t.Fatalf("the tests run with -race %v, the db4e they start was built with -race %v", raceBuild, race)
	}
}
