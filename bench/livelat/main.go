// livelat measures how long a share appended to P2Pool's log takes to be visible through the
// service's socket: it starts the db4e binary as a service on a fresh log, appends one share line
// at a time, and waits with the socket's Watch until the day's report counts it.
//
//	go build -o /tmp/db4e . && go run ./bench/livelat -db4e /tmp/db4e -n 200
//
// -poll sets p2pool.poll: the fallback where inotify does not work. It also prints the CPU
// the service spent (user+system, from /proc) per second of the run.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
)

func main() {
	bin := flag.String("db4e", "db4e", "the db4e binary")
	n := flag.Int("n", 200, "shares to append")
	gap := flag.Duration("gap", 50*time.Millisecond, "pause between a share seen and the next append")
	poll := flag.Bool("poll", false, "set p2pool.poll: look at the log every 20 ms, no inotify")
	flag.Parse()
	if err := run(*bin, *n, *gap, *poll); err != nil {
		fmt.Fprintln(os.Stderr, "livelat:", err)
		os.Exit(1)
	}
}

func run(bin string, n int, gap time.Duration, poll bool) error {
	dir, err := os.MkdirTemp("", "db4e-livelat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logPath := filepath.Join(dir, "p2pool.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		return err
	}
	socket := filepath.Join(dir, "db4e.sock")
	cfg := fmt.Sprintf("data_dir: %s\nsocket: %s\ntimezone: UTC\nlog_level: warn\np2pool:\n  log: %s\n  poll: %v\n", filepath.Join(dir, "data"), socket, logPath, poll)
	cfgPath := filepath.Join(dir, "db4e.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	svc := exec.Command(bin, "--config", cfgPath, "--headless")
	svc.Stderr = os.Stderr
	if err := svc.Start(); err != nil {
		return err
	}
	defer func() { svc.Process.Kill(); svc.Wait() }()
	ctx := context.Background()
	var r *api.Remote
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r, err = api.Dial(ctx, socket); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no service on %s: %w", socket, err)
		}
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	version, err := r.Watch(ctx, 0)
	if err != nil {
		return err
	}
	var took []time.Duration
	cpu0, wall0 := cpuTicks(svc.Process.Pid), time.Now()
	for i := range n {
		line := fmt.Sprintf("%s StratumServer SHARE FOUND: mainchain height %d, sidechain height %d, diff 1, client 10.0.0.1:3333, user rig-01, effort 12.500%%\n",
			time.Now().UTC().Format("2006-01-02 15:04:05.0000"), 3400000+i, 11000000+i)
		start := time.Now()
		if _, err := f.WriteString(line); err != nil {
			return err
		}
		for seen := false; !seen; {
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			version, err = r.Watch(wctx, version)
			cancel()
			if err != nil {
				return fmt.Errorf("share %d not seen: %w", i+1, err)
			}
			rep, err := r.Report(ctx, api.ReportQuery{Days: 1})
			if err != nil {
				return err
			}
			var shares uint64
			for _, d := range rep.Days {
				shares += d.Shares
			}
			seen = shares >= uint64(i+1)
		}
		took = append(took, time.Since(start))
		time.Sleep(gap)
	}
	cpu := float64(cpuTicks(svc.Process.Pid)-cpu0) / 100 / time.Since(wall0).Seconds() // USER_HZ is 100
	slices.Sort(took)
	q := func(p float64) time.Duration {
		return took[min(len(took)-1, int(p*float64(len(took))))].Round(100 * time.Microsecond)
	}
	mode := "inotify"
	if poll {
		mode = "polling"
	}
	fmt.Printf("append -> visible through the socket (%s), %d shares: p50 %v  p90 %v  p99 %v  max %v; the service used %.1f%% of a core\n",
		mode, n, q(0.5), q(0.9), q(0.99), took[len(took)-1].Round(100*time.Microsecond), 100*cpu)
	return nil
}

// cpuTicks is the user and system time a process spent, in clock ticks (/proc/PID/stat).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}
