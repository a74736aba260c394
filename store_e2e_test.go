package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// fill writes a file on dir's disk until only leave bytes are free (0: until the disk is full).
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		var st syscall.Statfs_t
		syscall.Statfs(dir, &st)
		free := int64(st.Bavail) * st.Bsize
		if free <= leave {
			return path
		}
		n := min(int64(len(buf)), free-leave)
		if _, err := f.Write(buf[:n]); err != nil {
			return path // full
		}
	}
}

// noCrash fails when a command died of a fault instead of saying what went wrong.
func noCrash(t *testing.T, what, stderr string, code int) {
	t.Helper()
	if code == 2 || strings.Contains(stderr, "fatal error") || strings.Contains(stderr, "SIGBUS") || strings.Contains(stderr, "panic") {
		t.Fatalf("%s crashed (exit %d):\n%s", what, code, stderr)
	}
}

// waitPaused asks status until it says PAUSED (15 s at most) and returns its last answer.
func waitPaused(t *testing.T, cfg string) (out, errs string, code int) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if out, errs, code = db4e(t, nil, "--config", cfg, "status"); strings.Contains(out, "PAUSED") {
			break
		}
	}
	return out, errs, code
}

// waitSameTotals waits, up to within, until the service's report has the farm's totals; the
// service's own events of today (alerts) are left out of the comparison.
func waitSameTotals(t *testing.T, cfg string, sim *farmsim.Sim, within time.Duration) {
	t.Helper()
	var d string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		r := report(t, "--config", cfg)
		r.Days = stripKinds(r.Days)
		if d = sameTotals(r, sim); d == "" {
			return
		}
	}
	t.Fatal(d)
}

// An import that fills the disk stops at store.min_free_mb with exit 1 and a sentence naming
// the directory, the free and the needed space; with room again, the next import is exact.
func TestDiskFullDuringImport(t *testing.T) {
	mnt := testtool.Tmpfs(t, 150) // 22 MB over min_free_mb: about 230k events
	dir := t.TempDir()
	data := filepath.Join(mnt, "data")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\nstore:\n  min_free_mb: 128\n", data, filepath.Join(dir, "db4e.sock"))), 0o644)
	logPath := filepath.Join(dir, "p2pool.log")
	sim := writeLog(t, logPath, 400_000, 1) // every line an event: the store outgrows the disk
	_, errs, code := db4e(t, nil, "--config", cfg, "import", logPath)
	noCrash(t, "import on a filling disk", errs, code)
	if code != 1 || !strings.Contains(errs, data) || !strings.Contains(errs, "MB free") || !strings.Contains(errs, "needs 128.0 MB") {
		t.Fatalf("import on a filling disk: exit %d\n%s", code, errs)
	}
	// A reader still works on the full disk, and says what is stored so far: incomplete, with
	// the cause and the fix, exit 1 (issue 31); check says so too, and not "restore a backup".
	out, errs, code := db4e(t, nil, "--config", cfg, "report", "--json")
	if code != 1 || !strings.Contains(out, `"incomplete":"an import into this store stopped`) || !strings.Contains(errs, "free space, then run db4e rebuild, or import again") {
		t.Fatalf("report on a full disk: exit %d\n%s\n%s", code, out, errs)
	}
	out, errs, code = db4e(t, nil, "--config", cfg, "check")
	if code != 1 || !strings.Contains(out, "INCOMPLETE: an import into this store stopped") || strings.Contains(errs, "restore a backup") || !strings.Contains(errs, "incomplete, not damaged") {
		t.Fatalf("check on a full disk: exit %d\n%s\n%s", code, out, errs)
	}
	testtool.ResizeTmpfs(t, mnt, 2048)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", logPath); code != 0 {
		t.Fatalf("import with room again: exit %d\n%s", code, errs)
	}
	if d := sameTotals(report(t, "--config", cfg), sim); d != "" {
		t.Fatal(d)
	}
	if out, errs, code := db4e(t, nil, "--config", cfg, "check"); code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
}

// diskTrial is a service whose store is on a 256 MB tmpfs (store.min_free_mb 128), following
// the log a simulated farm has been writing for a second: where the full-disk trials begin.
type diskTrial struct {
	mnt, dir, data, cfg string
	sim                 *farmsim.Sim
	svc                 *exec.Cmd
	// stopWriter ends the farm's writer; its error fails the test.
	stopWriter func()
}

// followingOnTmpfs starts a diskTrial; extra is more configuration, writer adjusts the farm's
// writer (nil: as it is).
func followingOnTmpfs(t *testing.T, extra string, writer func(*farmsim.Writer)) diskTrial {
	t.Helper()
	d := diskTrial{mnt: testtool.Tmpfs(t, 256), dir: t.TempDir()}
	d.data = filepath.Join(d.mnt, "data")
	logPath := filepath.Join(d.dir, "p2pool.log")
	d.cfg = filepath.Join(d.dir, "db4e.yaml")
	os.WriteFile(d.cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\nstore:\n  min_free_mb: 128\n%s",
		d.data, filepath.Join(d.dir, "db4e.sock"), logPath, extra)), 0o644)
	d.sim = farmsim.New(5, 4, time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC))
	d.sim.EventEvery, d.sim.Step = 2, time.Second
	w := &farmsim.Writer{Path: logPath, Sim: d.sim, Gap: 2 * time.Millisecond}
	if writer != nil {
		writer(w)
	}
	ctx, stop := context.WithCancel(context.Background())
	werr := make(chan error, 1)
	go func() { werr <- w.Run(ctx) }()
	d.stopWriter = func() {
		stop()
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
	}
	d.svc = startService(t, d.cfg)
	waitSocket(t, filepath.Join(d.dir, "db4e.sock"))
	time.Sleep(time.Second)
	return d
}

// The service, its disk filled under store.min_free_mb, pauses reading P2Pool's log and says
// so (status exits 1 with PAUSED, the disk_low alert), reads on by itself when there is room,
// and in the end has counted every share once.
func TestDiskFullWhileFollowing(t *testing.T) {
	var copy strings.Builder
	d := followingOnTmpfs(t, "alerts:\n  interval: 1s\n  rules:\n    disk_low: {for: 1s, clear: 1s}\n", func(w *farmsim.Writer) {
		w.Copy, w.ReopenEvery = &copy, time.Second
	})
	mnt, data, cfg, sim, svc := d.mnt, d.data, d.cfg, d.sim, d.svc

	filler := fill(t, mnt, 96<<20) // under the floor, with room for a compaction under way
	out, errs, code := waitPaused(t, cfg)
	if code != 1 || !strings.Contains(out, "PAUSED") || !strings.Contains(out, "disk") {
		t.Fatalf("status on a full disk: exit %d\n%s\n%s", code, out, errs)
	}
	time.Sleep(1500 * time.Millisecond) // P2Pool writes on meanwhile
	os.Remove(filler)
	time.Sleep(1500 * time.Millisecond)
	d.stopWriter()
	waitSameTotals(t, cfg, sim, 20*time.Second) // the disk_low alert's events are on today
	if out, _, _ := db4e(t, nil, "--config", cfg, "status"); strings.Contains(out, "PAUSED") {
		t.Fatalf("still paused with room:\n%s", out)
	}
	seq, _, _ := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	if !strings.Contains(seq, data) || !strings.Contains(seq, "disk_low") {
		t.Errorf("no disk_low alert recorded for %s", data)
	}
	svc.Process.Signal(syscall.SIGTERM)
	if err := svc.Wait(); err != nil {
		t.Fatalf("service: %v", err)
	}
}

// Another process takes the disk's last byte while the service follows, and the operator stops
// the service: it stops cleanly (Badger's close would flush into a mapped file: a SIGBUS), and
// the next start, with room again, has counted every share once.
func TestStopOnADiskFilledByAnother(t *testing.T) {
	d := followingOnTmpfs(t, "", nil)
	mnt, dir, cfg, sim, svc := d.mnt, d.dir, d.cfg, d.sim, d.svc
	filler := fill(t, mnt, 0)
	waitPaused(t, cfg)
	svc.Process.Signal(syscall.SIGTERM)
	err := svc.Wait()
	stderr := svc.Stderr.(*strings.Builder).String()
	noCrash(t, "the service stopped on a full disk", stderr, svc.ProcessState.ExitCode())
	if err != nil || !strings.Contains(stderr, "left unflushed") {
		t.Fatalf("service stopped on a full disk: %v\n%s", err, stderr)
	}
	d.stopWriter()
	// A reader cannot replay what the memtable holds without writing: it says so.
	_, errs, code := db4e(t, nil, "--config", cfg, "report")
	noCrash(t, "report on a full disk after a stop", errs, code)
	if code != 0 && !strings.Contains(errs, "needs free space: the disk of") {
		t.Fatalf("report on a full disk after a stop: exit %d\n%s", code, errs)
	}
	os.Remove(filler)
	startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "db4e.sock"))
	waitSameTotals(t, cfg, sim, 20*time.Second)
}

// On a disk with not a byte free, read commands work (read-only) and writers refuse clearly.
func TestReadOnlyOnAFullDisk(t *testing.T) {
	mnt := testtool.Tmpfs(t, 160)
	dir := t.TempDir()
	data := filepath.Join(mnt, "data")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\nstore:\n  min_free_mb: 128\n", data, filepath.Join(dir, "db4e.sock"))), 0o644)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", "ingest/testdata/sample.log"); code != 0 {
		t.Fatal(errs)
	}
	want := report(t, "--config", cfg)
	fill(t, mnt, 0)
	for _, args := range [][]string{{"report", "--json"}, {"export", "jsonseq"}, {"check"}} {
		_, errs, code := db4e(t, nil, append([]string{"--config", cfg}, args...)...)
		noCrash(t, args[0], errs, code)
		if code != 0 {
			t.Fatalf("%s on a full disk: exit %d\n%s", args[0], code, errs)
		}
	}
	if got := report(t, "--config", cfg); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("report on a full disk %+v, want %+v", got, want)
	}
	_, errs, code := db4e(t, nil, "--config", cfg, "import", "ingest/testdata/sample.log")
	noCrash(t, "import", errs, code)
	if code != 1 || !strings.Contains(errs, "0.0 MB free") {
		t.Fatalf("import on a full disk: exit %d\n%s", code, errs)
	}
}

// A million distinct worker names import in batches Badger takes, with the views and series
// bounded by miners.max_hosts, in a bounded amount of memory.
func TestMillionNames(t *testing.T) {
	if testing.Short() {
		t.Skip("a million shares")
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "p2pool.log")
	f, _ := os.Create(logPath)
	bw := bufio.NewWriterSize(f, 1<<20)
	start := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	const n = 1_000_000
	for i := range n {
		fmt.Fprintf(bw, "NOTICE  %s StratumServer SHARE FOUND: mainchain height 3400000, sidechain height %d, diff 1000, client 10.%d.%d.%d:3333, user w%07d, effort 50.000%%\n",
			start.Add(time.Duration(i)*100*time.Millisecond).Format("2006-01-02 15:04:05.0000"), 11000000+i, i>>16&255, i>>8&255, i&255, i)
	}
	bw.Flush()
	f.Close()
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\n", filepath.Join(dir, "data"), filepath.Join(dir, "db4e.sock"))), 0o644)
	cmd := exec.Command(db4eBin, "--config", cfg, "import", logPath)
	cmd.Env = testEnv(t)
	var outb strings.Builder
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The peak RSS of the import's own image (VmHWM): getrusage's maxrss would count the test
	// process it was forked from, which under -race is large.
	rss := int64(0)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
wait:
	for {
		if b, rerr := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)); rerr == nil {
			for _, line := range strings.Split(string(b), "\n") {
				var kb int64
				if _, serr := fmt.Sscanf(line, "VmHWM: %d kB", &kb); serr == nil {
					rss = max(rss, kb)
				}
			}
		}
		select {
		case err = <-done:
			break wait
		case <-time.After(20 * time.Millisecond):
		}
	}
	out := outb.String()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	t.Logf("a million distinct names: peak RSS %d MB; %s", rss>>10, strings.TrimSpace(lastLine(out)))
	if !strings.Contains(out, fmt.Sprintf("%d new event(s)", n)) {
		t.Fatalf("import said %s", out)
	}
	// Measured here 81-88 MB (the peaks are the pages a compaction maps between two releases).
	if rss > 150<<10 {
		t.Fatalf("peak RSS %d MB, want under 150", rss>>10)
	}
	r := report(t, "--config", cfg)
	rows, shares := 0, uint64(0)
	for _, d := range r.Days {
		rows = max(rows, len(d.SharesByHost))
		shares += d.Shares
	}
	if rows > 501 || shares != n {
		t.Fatalf("%d rows in a day (want at most 500 and (other)), %d shares", rows, shares)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// sharedDir is a temporary folder another user may enter (t.TempDir's parent is root's
// alone), for the trials run as uid 65534.
func sharedDir(t *testing.T, prefix string) string {
	t.Helper()
	base, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	return base
}

// binaryIn is a copy of the binary under test in dir, which another user may run.
func binaryIn(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "db4e")
	b, err := os.ReadFile(db4eBin)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, b, 0o755)
	return bin
}

// The service's group may read through the socket; only the service's user (or root) may
// write: import, record, rebuild, a backup by the service. A backup into the client's own
// directory is written by the client from the service's snapshot stream.
func TestSocketWritesOwnerOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a second user is needed: run the tests as root")
	}
	base := sharedDir(t, "db4e-socket")
	run := filepath.Join(base, "run")
	os.Mkdir(run, 0o750) // root's group may enter
	bin := binaryIn(t, base)
	logPath := filepath.Join(base, "p2pool.log")
	raw, _ := os.ReadFile("ingest/testdata/sample.log")
	os.WriteFile(logPath, raw, 0o644)
	sock := filepath.Join(run, "db4e.sock")
	cfg := filepath.Join(base, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\nbackup:\n  dir: %s\n",
		filepath.Join(base, "data"), sock, logPath, filepath.Join(base, "backups"))), 0o644)
	svc := startService(t, cfg)
	defer svc.Process.Kill()
	waitSocket(t, sock)
	home := filepath.Join(base, "home")
	mine := filepath.Join(base, "mine")
	for _, d := range []string{home, mine} {
		os.Mkdir(d, 0o755)
		os.Chown(d, 65534, 0)
	}
	// uid 65534 (nobody) in root's group: a member of the service's group, not its user.
	member := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
		cmd.Env = childEnv(home)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 0}}
		return runCmd(t, cmd)
	}
	var out, errs string
	var code int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if out, errs, code = member("report"); code == 0 && strings.Contains(out, "0.001611286503") {
			break
		}
	}
	if code != 0 || !strings.Contains(out, "0.001611286503") {
		t.Fatalf("a group member reads: exit %d\n%s%s", code, out, errs)
	}
	fake := filepath.Join(base, "fake.log")
	os.WriteFile(fake, []byte("NOTICE  2025-03-02 10:00:00.0000 P2Pool Your wallet 4A got a payout of 9.000000000000 XMR in block 1\n"), 0o644)
	for _, args := range [][]string{{"import", fake}, {"rebuild"}, {"backup"}} {
		_, errs, code := member(args...)
		if code != 1 || !strings.Contains(errs, "uid 65534") || !strings.Contains(errs, "own user (uid 0) or root") {
			t.Fatalf("a group member %s: exit %d\n%s", args[0], code, errs)
		}
	}
	if out, errs, code := member("backup", mine); code != 0 || !strings.Contains(out, mine) {
		t.Logf("backup into %s by uid 65534: %s %s", mine, out, errs)
		t.Fatalf("a group member's backup into its own directory: exit %d\n%s%s", code, out, errs)
	}
	if r := report(t, "--config", cfg); len(stripKinds(r.Days)) != 2 || r.Days[1].ClaimedXMR != "0.000000000000" {
		t.Fatalf("the fake payout counted: %+v", r)
	}
	// The owner may write, but a backup the service writes goes under backup.dir only.
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", fake); code != 0 {
		t.Fatalf("the owner's import: exit %d %s", code, errs)
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Post("http://db4e"+api.RouteBackup.Path, "application/json", strings.NewReader(`{"dir":"/etc/db4e-evil"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "backup.dir") {
		t.Fatalf("a backup outside backup.dir: %s %s", resp.Status, body)
	}
	if _, err := os.Stat("/etc/db4e-evil"); err == nil {
		os.RemoveAll("/etc/db4e-evil")
		t.Fatal("the service created /etc/db4e-evil")
	}
}

// Pruning old series at start while the follower reads a long log: the service stays up, start
// after start (Badger's DropPrefix failed the follower's writes: 7 starts in 10 died).
func TestPruneAtStartUnderABusyFollower(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	logPath := filepath.Join(dir, "p2pool.log")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\nstore:\n  series_retention_days: 1\n",
		data, filepath.Join(dir, "db4e.sock"), logPath)), 0o644)
	sim := writeLog(t, logPath, 150_000, 3)
	old := time.Now().UTC().AddDate(0, 0, -10)
	for round := range 10 {
		// series older than the retention, for the start to prune
		st, err := store.Open(data, store.Config{Timezone: "UTC"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var b store.Batch
		for i := range 30000 {
			b.Samples = append(b.Samples, model.Sample{Series: fmt.Sprintf("worker/rig-%02d", i%6), Time: old.Add(time.Duration(round*30000+i) * time.Second), Value: 1})
		}
		if _, err := st.Apply(&b); err != nil {
			t.Fatal(err)
		}
		st.Close()
		svc := startService(t, cfg)
		exited := make(chan error, 1)
		go func() { exited <- svc.Wait() }()
		select {
		case err := <-exited:
			t.Fatalf("start %d: the service stopped by itself: %v", round, err)
		case <-time.After(1500 * time.Millisecond):
		}
		svc.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Fatalf("start %d: %v", round, err)
		}
	}
	svc := startService(t, cfg)
	waitSocket(t, filepath.Join(dir, "db4e.sock"))
	waitSameTotals(t, cfg, sim, 30*time.Second)
	svc.Process.Signal(syscall.SIGTERM)
	svc.Wait()
}
