package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// p2poolWriter appends records to a log the way P2Pool does: one open descriptor, reopened by
// path only when the file was moved or deleted.
type p2poolWriter struct {
	t    *testing.T
	path string
	f    *os.File
	sim  *farmsim.Sim
	buf  []byte
	all  []byte // everything written, in order
}

// newWriter writes p2pool.log in a directory of its own until the test ends.
func newWriter(t *testing.T) *p2poolWriter {
	path := filepath.Join(t.TempDir(), "p2pool.log")
	w := &p2poolWriter{t: t, path: path, sim: farmsim.New(3, 4, time.Date(2025, 5, 1, 22, 0, 0, 0, time.UTC))}
	t.Cleanup(w.close)
	w.sim.EventEvery = 4
	w.sim.Step = 3 * time.Second
	w.reopen()
	return w
}

func (w *p2poolWriter) reopen() {
	if w.f != nil {
		w.f.Close()
	}
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	w.f = f
}

func (w *p2poolWriter) write(n int) {
	for range n {
		w.buf = w.sim.Next(w.buf[:0])
		w.raw(w.buf)
	}
}

// raw appends b as it is.
func (w *p2poolWriter) raw(b []byte) {
	if _, err := w.f.Write(b); err != nil {
		w.t.Fatal(err)
	}
	w.all = append(w.all, b...)
}

func (w *p2poolWriter) close() { w.f.Close() }

type followRun struct {
	f      *Follower
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
	// stored is closed when the follower has stored its first batch: it has the live file open.
	stored     chan struct{}
	storedOnce sync.Once
}

// startFollower runs a follower until stop, or until the test ends: one left running would
// read and log into the next test's files.
func startFollower(t *testing.T, s *store.Store, path string, poll bool) *followRun {
	cfg := DefaultConfig()
	cfg.Poll = poll
	f := &Follower{Path: path, Store: s, Cfg: cfg, Log: testLogger(t)}
	ctx, cancel := context.WithCancel(context.Background())
	r := &followRun{f: f, cancel: cancel, done: make(chan error, 1), stored: make(chan struct{})}
	f.Applied = func(store.Applied) { r.storedOnce.Do(func() { close(r.stored) }) }
	go func() { r.done <- f.Run(ctx) }()
	t.Cleanup(func() { r.halt() })
	return r
}

// halt stops the follower once, and says how it ended.
func (r *followRun) halt() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(10 * time.Second):
			r.err = errors.New("follower did not stop")
		}
	})
	return r.err
}

func (r *followRun) stop(t *testing.T) {
	if err := r.halt(); err != nil {
		t.Fatalf("follower: %v", err)
	}
}

// waitTotals waits until the store holds exactly what the writer wrote, or fails saying what differs.
// stoppedAfter is a log whose first n lines a follower read before it stopped: where each
// trial of what happens while the service is down begins.
func stoppedAfter(t *testing.T, n int) (*p2poolWriter, *store.Store) {
	t.Helper()
	w := newWriter(t)
	s := openStore(t)
	r := startFollower(t, s, w.path, false)
	w.write(n)
	waitTotals(t, s, w.sim)
	r.stop(t)
	return w, s
}

func waitTotals(t *testing.T, s *store.Store, sim *farmsim.Sim) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		last = compareTotals(s, sim)
		if last == "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(last)
}

func compareTotals(s *store.Store, sim *farmsim.Sim) string {
	days, err := s.Days("", "")
	if err != nil {
		return err.Error()
	}
	if len(days) != len(sim.Totals) {
		return fmt.Sprintf("%d days stored, %d written", len(days), len(sim.Totals))
	}
	for _, d := range days {
		w := sim.Totals[d.Date]
		if w == nil || int(d.Shares) != w.Shares || int(d.Blocks) != w.Blocks || int(d.Payments) != w.Payments ||
			d.Piconero.String() != model.PiconeroFromInt(w.Piconero).String() {
			return fmt.Sprintf("%s: stored %d shares %d blocks %d payments %s; written %+v", d.Date, d.Shares, d.Blocks, d.Payments, d.Piconero, w)
		}
		for h, n := range w.ByHost {
			if int(d.SharesByHost[h]) != n {
				return fmt.Sprintf("%s %s: stored %d shares, written %d", d.Date, h, d.SharesByHost[h], n)
			}
		}
	}
	return ""
}

func TestFollowRotations(t *testing.T) {
	styles := []struct {
		name   string
		rotate func(w *p2poolWriter)
	}{
		{"rename (logrotate create), P2Pool reopens later", func(w *p2poolWriter) {
			if err := os.Rename(w.path, w.path+".1"); err != nil {
				t.Fatal(err)
			}
			w.write(30) // P2Pool writes on to the moved file until it notices
			time.Sleep(300 * time.Millisecond)
			w.write(10)
			w.reopen()
		}},
		{"copytruncate", func(w *p2poolWriter) {
			b, err := os.ReadFile(w.path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(w.path+".1", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(w.path, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"P2Pool restarts (the same file, appended again)", func(w *p2poolWriter) {
			w.f.Close()
			time.Sleep(200 * time.Millisecond)
			w.f = nil
			w.reopen()
		}},
		{"delete and recreate", func(w *p2poolWriter) {
			w.write(20)
			if err := os.Remove(w.path); err != nil {
				t.Fatal(err)
			}
			w.write(20) // into the deleted file, still open
			w.reopen()
		}},
	}
	for _, style := range styles {
		for _, poll := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/poll=%v", style.name, poll), func(t *testing.T) {
				w := newWriter(t)
				path := w.path
				s := openStore(t)
				r := startFollower(t, s, path, poll)
				// Rotations come a day apart on a farm: each is checked before the next.
				for range 3 {
					for range 20 {
						w.write(10)
						time.Sleep(5 * time.Millisecond)
					}
					style.rotate(w)
					for range 20 {
						w.write(10)
						time.Sleep(5 * time.Millisecond)
					}
					waitTotals(t, s, w.sim)
				}
				r.stop(t)
			})
		}
	}
}

// Truncation without a copy: what was read stays counted, what comes after is read.
func TestFollowTruncate(t *testing.T) {
	w := newWriter(t)
	path := w.path
	s := openStore(t)
	r := startFollower(t, s, path, false)
	w.write(300)
	waitTotals(t, s, w.sim)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // the truncation seen before anything is written again
	w.write(100)
	waitTotals(t, s, w.sim)
	r.stop(t)
}

// Stopped, the log grows and rotates; started again, the follower reads exactly what it missed.
func TestFollowResumesAcrossRotationWhileStopped(t *testing.T) {
	w, s := stoppedAfter(t, 200)
	path := w.path

	w.write(50) // read by nobody yet
	if err := os.Rename(path, path+"-20250502"); err != nil {
		t.Fatal(err)
	}
	w.write(10)
	w.reopen()
	w.write(50)

	r := startFollower(t, s, path, false)
	waitTotals(t, s, w.sim)
	w.write(50)
	waitTotals(t, s, w.sim)
	r.stop(t)

	// And the same after copytruncate while stopped.
	w.write(40)
	b, _ := os.ReadFile(path)
	os.WriteFile(path+".1", b, 0o644)
	os.Truncate(path, 0)
	w.write(30)
	r = startFollower(t, s, path, false)
	waitTotals(t, s, w.sim)
	r.stop(t)
}

// A restart with nothing new reads nothing twice, and the file is not read again from the start.
func TestFollowRestartResumesAtCheckpoint(t *testing.T) {
	w := newWriter(t)
	path := w.path
	s := openStore(t)
	cfg := DefaultConfig()
	for i := range 3 {
		w.write(100)
		f := &Follower{Path: path, Store: s, Cfg: cfg}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		waitTotals(t, s, w.sim)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := f.Stats(); st.Duplicates != 0 || (i > 0 && st.Added == 0) {
			t.Fatalf("run %d: %+v: lines read twice or nothing new", i, st)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// unreadableChild names the log a child of TestFollowUnreadableLog follows as another user.
const unreadableChild = "DB4E_TEST_UNREADABLE_LOG"

// A log the service may not read stops it with a message that names the file and the reason
// (systemd then retries it, and the journal says why). Root reads any file: as root the
// follower runs in a child of this test binary as uid 65534 (nobody).
func TestFollowUnreadableLog(t *testing.T) {
	if path := os.Getenv(unreadableChild); path != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // a log it may read: followed until then
		defer cancel()
		err := (&Follower{Path: path, Store: openStore(t), Cfg: DefaultConfig()}).Run(ctx)
		fmt.Printf("RESULT: %v\n", err)
		return
	}
	w := newWriter(t)
	w.write(50)
	check := func(err string) {
		t.Helper()
		if !strings.Contains(err, "p2pool.log") || !strings.Contains(err, "permission denied") {
			t.Fatalf("%s", err)
		}
	}
	if os.Geteuid() != 0 {
		os.Chmod(w.path, 0o000)
		err := (&Follower{Path: w.path, Store: openStore(t), Cfg: DefaultConfig()}).Run(context.Background())
		if err == nil {
			t.Fatal("followed a log it may not read")
		}
		check(err.Error())
		return
	}
	// Not t.TempDir(): its parent is 0700, and the child must reach the directory.
	dir, err := os.MkdirTemp("", "db4e-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	log, _ := os.ReadFile(w.path)
	path := filepath.Join(dir, "p2pool.log")
	if err := os.WriteFile(path, log, 0o600); err != nil { // root's, and only root's
		t.Fatal(err)
	}
	bin, err := os.ReadFile(os.Args[0]) // the test binary, where nobody may run it
	if err != nil {
		t.Fatal(err)
	}
	self := filepath.Join(dir, "ingest.test")
	os.WriteFile(self, bin, 0o755)
	cmd := exec.Command(self, "-test.run=^TestFollowUnreadableLog$")
	cmd.Env = append(os.Environ(), unreadableChild+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ := cmd.CombinedOutput()
	line := ""
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "RESULT: ") {
			line = l
		}
	}
	if line == "" || line == "RESULT: <nil>" {
		t.Fatalf("the follower run as nobody did not stop on the unreadable log:\n%s", out)
	}
	check(line)
}

// A log whose directory does not exist yet is said so, by name, not blamed on inotify; the log
// is read once it appears.
func TestFollowMissingLogDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p2pool")
	var logged strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(b)
	}), nil))
	s := openStore(t)
	f := &Follower{Path: filepath.Join(dir, "p2pool.log"), Store: s, Cfg: DefaultConfig(), Log: log}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		text := logged.String()
		mu.Unlock()
		if strings.Contains(text, "the log's directory does not exist") && strings.Contains(text, dir) {
			if strings.Contains(text, "inotify unavailable") {
				t.Errorf("blamed on inotify: %s", text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no word on the missing directory: %s", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.MkdirAll(dir, 0o755)
	share := "2025-03-02 11:59:00.0000 StratumServer SHARE FOUND: mainchain height 3350900, sidechain height 10420900, diff 1, client 192.168.1.24:1, user rig-04, effort 3.000%\n"
	os.WriteFile(f.Path, []byte(share), 0o644)
	for deadline = time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, _ := s.CountEvents(); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the log was not read once its directory appeared")
		}
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(b []byte) (int, error) { return w(b) }
