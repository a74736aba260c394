package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// logrotateStyles are the ways operators configure Debian's logrotate for p2pool.log. exact:
// nothing is deleted during a test, so every line written must be read; otherwise only the lines
// still in some file must be.
var logrotateStyles = []struct {
	name, conf string
	exact      bool
	reopen     bool // P2Pool opens the new file (every style but copytruncate)
}{
	{"create", "create\nrotate 100", true, true},
	{"dateext", "create\nrotate 100\ndateext\ndateformat -%Y%m%d-%s", true, true},
	{"compress+delaycompress", "create\nrotate 100\ncompress\ndelaycompress", true, true},
	{"compress", "create\nrotate 100\ncompress", true, true},
	{"rotate 1 + compress", "create\nrotate 1\ncompress", false, true},
	{"copytruncate", "copytruncate\nrotate 100", true, false},
	{"copytruncate+compress", "copytruncate\nrotate 100\ncompress", true, false},
}

// logrotate runs Debian's logrotate on path with the given directives, forced, as cron would.
func logrotate(t testing.TB, path, directives string) {
	t.Helper()
	bin := testtool.Need(t, "logrotate", "logrotate", "/usr/sbin/logrotate")
	dir := filepath.Dir(path)
	conf := filepath.Join(dir, "..", filepath.Base(dir)+".logrotate.conf")
	text := fmt.Sprintf("%s {\n%s\nmissingok\n}\n", path, directives)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-f", "-s", conf+".state", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("logrotate: %v\n%s", err, out)
	}
}

// filesEvents is what the log's files hold now, every one of them read whole.
func filesEvents(t testing.TB, path string) map[string]bool {
	t.Helper()
	names, _ := filepath.Glob(path + "*")
	ids := map[string]bool{}
	for _, name := range names {
		fd, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, closer, _, err := openContent(fd)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		closer()
		fd.Close()
		for id := range readAsFollower(t, buf.Bytes()).events {
			ids[id] = true
		}
	}
	return ids
}

func storedEvents(t testing.TB, s *store.Store) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	if err := s.Events(context.Background(), time.Time{}, time.Time{}, func(e *model.Event) error {
		ids[e.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// waitStored waits until the store holds every event of want.
func waitStored(t testing.TB, s *store.Store, want map[string]bool) {
	t.Helper()
	var missing int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got := storedEvents(t, s)
		missing = 0
		for id := range want {
			if !got[id] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
	}
	t.Fatalf("%d of %d events never stored", missing, len(want))
}

// Stopped, the log is rotated twice by the real logrotate; started again, the follower reads the
// rest of the checkpoint's file wherever it is now (renamed, dated, compressed, copied), then
// every newer file, then the live log: nothing lost, nothing read twice.
func TestResumeAfterTwoRotationsWhileStopped(t *testing.T) {
	for _, style := range logrotateStyles {
		t.Run(style.name, func(t *testing.T) {
			w, s := stoppedAfter(t, 200)
			path := w.path

			for range 2 {
				w.write(50) // read by nobody yet
				logrotate(t, path, style.conf)
				if style.reopen {
					w.reopen()
				}
				w.write(50)
				if strings.Contains(style.conf, "dateext") {
					time.Sleep(1100 * time.Millisecond) // dateformat has seconds: one name per rotation
				}
			}
			w.write(50)

			r := startFollower(t, s, path, false)
			if style.exact {
				waitTotals(t, s, w.sim)
			} else {
				waitStored(t, s, filesEvents(t, path))
			}
			w.write(50)
			if style.exact {
				waitTotals(t, s, w.sim)
			} else {
				waitStored(t, s, filesEvents(t, path))
			}
			r.stop(t)
			if st := r.f.Stats(); st.Duplicates != 0 {
				t.Errorf("%d event(s) read twice: the checkpoint's file was read again from its start", st.Duplicates)
			}
			written := readAsFollower(t, w.all).events
			for id := range storedEvents(t, s) {
				if !written[id] {
					t.Fatalf("stored event %s was never written", id)
				}
			}
		})
	}
}

// A node's clock stepped back (NTP after a bad RTC, a VM restored) or forward while db4e was
// stopped: the files written after the step begin earlier, or much later, than the ones before
// them. Every file still on disk is read all the same, in the order logrotate rotated them:
// nothing lost, nothing read twice (issue 31).
func TestResumeAfterClockStepsWhileStopped(t *testing.T) {
	for _, step := range []time.Duration{-time.Hour, 24 * time.Hour} {
		for _, style := range logrotateStyles {
			if !style.exact {
				continue
			}
			t.Run(fmt.Sprintf("%s %s", step, style.name), func(t *testing.T) {
				w, s := stoppedAfter(t, 100)
				path := w.path
				for i := range 2 {
					w.write(50)
					logrotate(t, path, style.conf)
					if style.reopen {
						w.reopen()
					}
					if i == 0 {
						w.sim.SetNow(w.sim.Now().Add(step)) // the clock steps between two files
					}
					w.write(100)
					if strings.Contains(style.conf, "dateext") {
						time.Sleep(1100 * time.Millisecond) // dateformat has seconds: one name per rotation
					}
				}
				w.write(100)
				r := startFollower(t, s, path, false)
				waitTotals(t, s, w.sim)
				r.stop(t)
				if st := r.f.Stats(); st.Duplicates != 0 {
					t.Errorf("%d event(s) read twice", st.Duplicates)
				}
			})
		}
	}
}

// The same clock steps while the follower runs: it reads on through each rotation (issue 31).
func TestClockStepsWhileRunning(t *testing.T) {
	for _, step := range []time.Duration{-time.Hour, 24 * time.Hour} {
		for _, style := range logrotateStyles {
			if !style.exact || strings.Contains(style.conf, "dateext") {
				continue // dateext needs a second between rotations; the stopped test has it
			}
			t.Run(fmt.Sprintf("%s %s", step, style.name), func(t *testing.T) {
				w := newWriter(t)
				s := openStore(t)
				r := startFollower(t, s, w.path, false)
				w.write(100)
				// A follower's first start reads the live log only (older files are import's): it
				// must have opened this one before it is rotated.
				waitTotals(t, s, w.sim)
				for i := range 3 {
					logrotate(t, w.path, style.conf)
					if style.reopen {
						w.reopen()
					}
					if i == 0 {
						w.sim.SetNow(w.sim.Now().Add(step))
					}
					w.write(100)
				}
				waitTotals(t, s, w.sim)
				r.stop(t)
				if st := r.f.Stats(); st.Duplicates != 0 {
					t.Errorf("%d event(s) read twice", st.Duplicates)
				}
			})
		}
	}
}

// While the follower runs: logrotate twice within a second, again and again, with P2Pool
// reopening its log twice a second as v4.15 does.
func TestRotationsWhileRunning(t *testing.T) {
	for _, style := range logrotateStyles {
		if !style.exact || strings.Contains(style.conf, "dateext") {
			continue // dateext's names are a second apart; rotate 1 deletes what may be unread
		}
		t.Run(style.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "p2pool.log")
			var all bytes.Buffer
			sim := farmsim.New(11, 4, time.Date(2025, 6, 1, 23, 0, 0, 0, time.UTC))
			sim.EventEvery, sim.Step = 3, time.Second
			w := &farmsim.Writer{Path: path, Sim: sim, Copy: &all, ReopenEvery: 500 * time.Millisecond, Gap: 300 * time.Microsecond}
			ctx, cancel := context.WithCancel(context.Background())
			werr := make(chan error, 1)
			go func() { werr <- w.Run(ctx) }()
			s := openStore(t)
			r := startFollower(t, s, path, false)
			for range 4 {
				time.Sleep(300 * time.Millisecond)
				logrotate(t, path, style.conf)
				time.Sleep(200 * time.Millisecond)
				logrotate(t, path, style.conf)
			}
			time.Sleep(300 * time.Millisecond)
			cancel()
			if err := <-werr; err != nil {
				t.Fatal(err)
			}
			want := readAsFollower(t, all.Bytes()).events
			if !strings.Contains(style.conf, "copytruncate") {
				waitTotals(t, s, sim)
			} else {
				// copytruncate loses what P2Pool writes between logrotate's copy and its
				// truncation; everything still in a file must be read.
				waitStored(t, s, filesEvents(t, path))
				t.Logf("copytruncate: %d of %d events in no file (logrotate's race)", len(want)-len(storedEvents(t, s)), len(want))
			}
			r.stop(t)
		})
	}
}

// Stopped with a backlog; started, the follower is still catching up when the log is rotated
// twice: it finishes the old files and reads on.
func TestRotationWhileCatchingUp(t *testing.T) {
	w := newWriter(t)
	path := w.path
	s := openStore(t)
	w.write(30000)
	r := startFollower(t, s, path, false)
	// A follower's first start reads the live log only (older files are import's): it has
	// opened this one once it has stored a batch of it, still far from its end.
	select {
	case <-r.stored:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing stored in 10 s")
	}
	for range 2 {
		logrotate(t, path, "create\nrotate 100\ncompress\ndelaycompress")
		w.reopen()
		w.write(500)
	}
	waitTotals(t, s, w.sim)
	r.stop(t)
}

// A 300 KB line of garbage in a file that is rotated before it is read is one bad record, and
// every share after it is read.
func TestGarbageLineInRotatedFile(t *testing.T) {
	w, s := stoppedAfter(t, 100)
	path := w.path
	w.raw(append(bytes.Repeat([]byte("\x00garbage SHARE FOUND "), 300<<10/20), '\n'))
	w.write(300)
	logrotate(t, path, "create\nrotate 100\ncompress")
	w.reopen()
	w.write(100)
	r := startFollower(t, s, path, false)
	waitTotals(t, s, w.sim)
	r.stop(t)
	if n, _ := s.Skipped(); n != 1 {
		t.Fatalf("%d bad records, want the one long line", n)
	}
}

// Lines at and around the limit, followed and imported: the same events, the same bad records,
// and importing the followed file adds nothing.
func TestImportAfterFollowLongLines(t *testing.T) {
	w := newWriter(t)
	path := w.path
	share := "2025-05-01 22:00:00.0001 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 1.2.3.4:5, user r, effort 1.000%"
	for _, n := range []int{MaxLine - 1, MaxLine, MaxLine + 1, 70_000, 300 << 10, 10 << 20} {
		w.write(20)
		line := []byte(share + " ")
		line = append(line, bytes.Repeat([]byte("x"), n-len(line))...)
		w.raw(append(line, '\n'))
	}
	w.write(20)
	s := openStore(t)
	r := startFollower(t, s, path, false)
	waitTotals(t, s, w.sim)
	r.stop(t)
	followed, _ := s.Skipped()

	fd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	st, err := (&Importer{Store: s}).ImportP2Pool(context.Background(), fd, path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 0 || st.Skipped != 0 {
		t.Fatalf("importing the followed file added %d events and %d bad records", st.Added, st.Skipped)
	}
	// Of the six long lines, the one of exactly MaxLine bytes is a line (a share cut at its
	// effort: bad), the others are too long.
	if followed != 6 {
		t.Fatalf("%d bad records, want 6", followed)
	}
	if got := storedEvents(t, s); len(got) != w.sim.Events {
		t.Fatalf("%d events, %d written", len(got), w.sim.Events)
	}
}

// The log deleted and made again while db4e was stopped: what the old file held after the
// checkpoint is gone. It is said once (OnUnread), however many events it held, and the new
// file is read whole (issue 31).
func TestUnreadLossIsToldOnce(t *testing.T) {
	w, s := stoppedAfter(t, 100)
	w.write(50) // written after the checkpoint, then deleted unread
	os.Remove(w.path)
	w.reopen()
	fresh := len(w.all)
	w.write(30)
	var mu sync.Mutex
	var got []Unread
	f := &Follower{Path: w.path, Store: s, Cfg: DefaultConfig(), Log: testLogger(t), OnUnread: func(u Unread) {
		mu.Lock()
		got = append(got, u)
		mu.Unlock()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	want := readAsFollower(t, w.all[fresh:]).events
	waitStored(t, s, want)
	for deadline := time.Now().Add(missingGrace + 5*time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		w.write(1) // the follower looks again at each line
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Path != w.path || got[0].Bytes != -1 || !strings.Contains(got[0].Why, "deleted while db4e was stopped") || got[0].At.IsZero() {
		t.Fatalf("told %+v", got)
	}
}

// A rotated file the follower has seen and not read yet, deleted before it is (logrotate's
// rotate 0 or 1, by hand): its loss is told once, with its size; a compressed copy of it is
// still it (issue 31).
func TestSeenFileDeletedUnreadIsTold(t *testing.T) {
	var got []Unread
	f := &Follower{Log: testLogger(t), OnUnread: func(u Unread) { got = append(got, u) }}
	head := []byte("2025-05-01 22:00:00.0000 P2Pool started\n" + strings.Repeat("NOTICE  2025-05-01 22:00:01.0000 P2Pool x\n", 10))
	plain := &logFile{path: "p2pool.log.1", head: head, size: 4000}
	gz := &logFile{path: "p2pool.log.1.gz", head: head, size: 900, compressed: true}
	f.wait(plain)
	f.checkWaiting([]*logFile{plain})
	f.checkWaiting([]*logFile{gz}) // compressed meanwhile: the same lines, still to be read
	if len(got) != 0 {
		t.Fatalf("told of a file still there: %+v", got)
	}
	f.checkWaiting(nil)
	f.checkWaiting(nil)
	if len(got) != 1 || got[0].Path != "p2pool.log.1" || got[0].Bytes != 4000 || !strings.Contains(got[0].Why, "deleted before it was read") {
		t.Fatalf("told %+v", got)
	}
}
