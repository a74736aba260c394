package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/internal/testtool"
)

// The logrotate trial: P2Pool writes (reopening its log by path once a second, as it does),
// Debian's logrotate rotates every few seconds, the node's clock steps back an hour and later
// forward a day, and the service is killed -9 and started again at random. In the end every share still in some file, or ever read, is counted exactly once.
// With copytruncate, only what P2Pool wrote while logrotate ran may be missing: logrotate's own
// race, in no file at all. CI runs a short trial; bench/logrotate.sh a long one:
//
//	DB4E_TRIAL_ROTATIONS   rotations per style (CI: 6)
//	DB4E_TRIAL_GAP         the longest wait between two rotations and between two kills (CI: 1.2s;
//	                       the shortest is a fifth of it)
//	DB4E_TRIAL_KILL=0      no kills
var trialStyles = []struct {
	name, conf string
	deletes    bool // files are deleted during the trial: what was in them unread is gone
	copy       bool // copytruncate
}{
	{"create", "create\nrotate 10000", false, false},
	{"dateext", "create\nrotate 10000\ndateext\ndateformat -%Y%m%d-%s", false, false},
	{"compress+delaycompress", "create\nrotate 10000\ncompress\ndelaycompress", false, false},
	{"rotate 1 + compress", "create\nrotate 1\ncompress", true, false},
	{"copytruncate", "copytruncate\nrotate 10000", false, true},
}

func TestLogrotateTrial(t *testing.T) {
	if testing.Short() {
		t.Skip("the logrotate trial takes a minute")
	}
	rotations := envInt("DB4E_TRIAL_ROTATIONS", 6)
	gap := 1200 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("DB4E_TRIAL_GAP")); err == nil && d > 0 {
		gap = d
	}
	for i, style := range trialStyles {
		t.Run(style.name, func(t *testing.T) {
			res := runTrial(t, uint64(i+1), style.conf, style.copy, rotations, gap)
			t.Logf("%s: %d rotations, %d kills: %d events written, %d stored, %d in the files at the end; lost %d, duplicated %d, in no file (logrotate's race) %d, in no file (deleted unread) %d",
				style.name, res.rotations, res.kills, res.written, res.stored, res.inFiles, res.lost, res.duplicated, res.race, res.deleted)
			if res.lost > 0 || res.duplicated > 0 {
				t.Fatalf("lost %d, duplicated %d", res.lost, res.duplicated)
			}
			if res.deleted > 0 && !style.deletes {
				t.Fatalf("%d events in no file and not stored, though logrotate deleted nothing", res.deleted)
			}
			if res.unreadAlerts > 0 && res.deleted == 0 && res.race == 0 {
				t.Fatalf("log_unread fired %d time(s), though nothing was lost", res.unreadAlerts)
			}
			t.Logf("%s: log_unread fired %d time(s)", style.name, res.unreadAlerts)
		})
	}
}

type trialResult struct {
	rotations, kills                          int
	written, stored, inFiles                  int
	lost, duplicated, race, deleted, notWrote int
	unreadAlerts                              int // log_unread alerts fired
}

func runTrial(t *testing.T, seed uint64, conf string, copytruncate bool, rotations int, gap time.Duration) trialResult {
	rotateBin := testtool.Need(t, "logrotate", "logrotate", "/usr/sbin/logrotate")
	dir := t.TempDir()
	logDir := filepath.Join(dir, "p2pool")
	os.Mkdir(logDir, 0o755)
	logPath := filepath.Join(logDir, "p2pool.log")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\np2pool:\n  log: %s\n",
		filepath.Join(dir, "data"), filepath.Join(dir, "db4e.sock"), logPath)), 0o644)
	rconf := filepath.Join(dir, "logrotate.conf")
	os.WriteFile(rconf, []byte(fmt.Sprintf("%s {\n%s\nmissingok\n}\n", logPath, conf)), 0o644)

	all, err := os.Create(filepath.Join(dir, "written.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	sim := farmsim.New(seed, 6, time.Date(2025, 7, 1, 20, 0, 0, 0, time.UTC))
	sim.EventEvery, sim.Step = 4, 2*time.Second
	w := &farmsim.Writer{Path: logPath, Sim: sim, Copy: all, ReopenEvery: time.Second, Gap: 2 * time.Millisecond}
	ctx, stopWriter := context.WithCancel(context.Background())
	werr := make(chan error, 1)
	go func() { werr <- w.Run(ctx) }()

	var res trialResult
	rng := rand.New(rand.NewPCG(seed, 99))
	wait := func() time.Duration { return gap/5 + time.Duration(rng.Int64N(int64(gap*4/5))) }
	killWait := make([]time.Duration, 0, 4*rotations)
	for range 4 * rotations {
		killWait = append(killWait, wait())
	}
	if os.Getenv("DB4E_TRIAL_KILL") == "0" {
		killWait = nil // the same trial without kills, for comparison
	}

	// The killer: the service runs, is killed -9 at a random moment, and starts again.
	var mu sync.Mutex
	svc := startService(t, cfg)
	stopKiller := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for _, d := range killWait {
			select {
			case <-stopKiller:
				return
			case <-time.After(d):
			}
			mu.Lock()
			svc.Process.Signal(syscall.SIGKILL)
			svc.Wait()
			res.kills++
			svc = startService(t, cfg)
			mu.Unlock()
		}
	}()

	// logrotate, as cron would run it, and when each run began and ended.
	type window struct{ from, to time.Time }
	var runs []window
	for range rotations {
		d := wait()
		if bytes.Contains([]byte(conf), []byte("dateext")) {
			d = max(d, 1100*time.Millisecond) // its names have seconds: one rotation a second
		}
		if bytes.Contains([]byte(conf), []byte("delaycompress")) {
			// A file is compressed, and then deleted, at the rotation after the one that renamed
			// it. Until P2Pool reopens its log (w.ReopenEvery) it writes into the renamed file; a
			// second rotation within that time deletes what it wrote after gzip read the file:
			// deleted by logrotate, in a style that counts nothing as deleted. In life logrotate
			// runs daily and P2Pool reopens within a second.
			d = max(d, w.ReopenEvery+100*time.Millisecond)
		}
		time.Sleep(d)
		// The node's clock steps back an hour after the first third of the rotations, and a day
		// forward after the second: files written after a step begin earlier, or much later, than
		// the ones before them, and must all be read all the same.
		switch res.rotations {
		case rotations / 3:
			w.StepClock(-time.Hour)
		case 2 * rotations / 3:
			w.StepClock(24 * time.Hour)
		}
		from := time.Now()
		out, err := exec.Command(rotateBin, "-f", "-s", rconf+".state", rconf).CombinedOutput()
		if err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
		runs = append(runs, window{from, time.Now()})
		res.rotations++
	}
	close(stopKiller)
	<-killerDone
	time.Sleep(1500 * time.Millisecond) // P2Pool writes on; the service, alive now, reads it
	stopWriter()
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	all.Close()

	// Let the service catch up: it has read everything once its totals stop moving.
	var stored map[string]trialEvent
	for prev, deadline := -1, time.Now().Add(30*time.Second); time.Now().Before(deadline); {
		time.Sleep(700 * time.Millisecond)
		stored = exportEvents(t, cfg)
		if len(stored) == prev {
			break
		}
		prev = len(stored)
	}
	mu.Lock()
	svc.Process.Signal(syscall.SIGTERM)
	if err := svc.Wait(); err != nil {
		t.Fatalf("service did not stop cleanly: %v", err)
	}
	mu.Unlock()
	stored = exportEvents(t, cfg)
	out, _, _ := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	for _, rec := range strings.Split(out, "\x1e") {
		var a struct{ Kind, Rule, State string }
		if json.Unmarshal([]byte(rec), &a) == nil && a.Kind == "alert" && a.Rule == "log_unread" && a.State == "fired" {
			res.unreadAlerts++
		}
	}

	written := importedEvents(t, dir, "written", filepath.Join(dir, "written.log"))
	files, _ := filepath.Glob(logPath + "*")
	inFiles := importedEvents(t, dir, "files", files...)
	res.written, res.stored, res.inFiles = len(written), len(stored), len(inFiles)

	for id := range inFiles {
		if _, ok := stored[id]; !ok {
			res.lost++
			t.Errorf("in %s but never counted: %+v", filepath.Base(logPath)+"*", inFiles[id])
		}
	}
	for id, e := range stored {
		if _, ok := written[id]; !ok {
			res.notWrote++
			t.Errorf("counted but never written: %+v", e)
		}
	}
	for id, e := range written {
		if _, ok := stored[id]; ok {
			continue
		}
		if _, ok := inFiles[id]; ok {
			continue // counted as lost above
		}
		walls := w.WrittenAt(e.Time)
		var at time.Time
		inRace := false
		for _, wall := range walls {
			at = wall
			for _, r := range runs {
				if copytruncate && !wall.Before(r.from.Add(-50*time.Millisecond)) && !wall.After(r.to.Add(50*time.Millisecond)) {
					inRace = true
				}
			}
		}
		if inRace {
			res.race++
		} else {
			res.deleted++
			if !copytruncate {
				continue
			}
			near := time.Duration(1 << 62)
			for _, r := range runs {
				if d := at.Sub(r.from); d.Abs() < near.Abs() {
					near = d
				}
			}
			t.Logf("not stored, in no file: %+v, written %s, %v from the nearest logrotate run", e, at.Format("15:04:05.000"), near)
		}
	}
	// Exactly once: the day views count each stored event once.
	var shares, blocks, payments int
	for _, e := range stored {
		switch e.Kind {
		case "share":
			shares++
		case "block":
			blocks++
		case "payment":
			payments++
		}
	}
	var rs, rb, rp int
	for _, d := range report(t, "--config", cfg).Days {
		rs, rb, rp = rs+int(d.Shares), rb+int(d.Blocks), rp+int(d.Payments)
	}
	if rs != shares || rb != blocks || rp != payments {
		res.duplicated = (rs - shares) + (rb - blocks) + (rp - payments)
		t.Errorf("views count %d shares %d blocks %d payments; the log holds %d %d %d", rs, rb, rp, shares, blocks, payments)
	}
	return res
}

type trialEvent struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
}

// exportEvents reads the store's event log through `db4e export jsonseq`.
func exportEvents(t *testing.T, cfg string) map[string]trialEvent {
	t.Helper()
	out, errs, code := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	events := map[string]trialEvent{}
	sc := bufio.NewScanner(bytes.NewReader([]byte(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e trialEvent
		if err := json.Unmarshal(bytes.TrimLeft(sc.Bytes(), "\x1e"), &e); err != nil {
			t.Fatalf("export record %q: %v", sc.Text(), err)
		}
		switch e.Kind {
		case "share", "block", "payment": // P2Pool's; db4e's own (alerts: log_unread) are not the log's
			events[e.ID] = e
		}
	}
	return events
}

// importedEvents imports files into a store of their own and returns its events.
func importedEvents(t *testing.T, dir, name string, files ...string) map[string]trialEvent {
	t.Helper()
	cfg := filepath.Join(dir, name+".yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\ntimezone: UTC\nsocket: %s\n", filepath.Join(dir, name+"-data"), filepath.Join(dir, name+".sock"))), 0o644)
	if len(files) == 0 {
		return map[string]trialEvent{}
	}
	_, errs, code := db4e(t, nil, append([]string{"--config", cfg, "import"}, files...)...)
	if code != 0 {
		t.Fatalf("import %v: exit %d: %s", files, code, errs)
	}
	return exportEvents(t, cfg)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
