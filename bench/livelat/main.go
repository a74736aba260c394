// livelat measures how long a share appended to P2Pool's log takes to be visible through the
// service's socket: it starts the db4e binary as a service on a fresh log, appends one share line
// at a time, and waits with the socket's Watch until the day's report counts it.
//
//	go build -o /tmp/db4e . && go run ./bench/livelat -db4e /tmp/db4e -n 200
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/db4e/db4e/api"
)

func main() {
	bin := flag.String("db4e", "db4e", "the db4e binary")
	n := flag.Int("n", 200, "shares to append")
	gap := flag.Duration("gap", 50*time.Millisecond, "pause between a share seen and the next append")
	flag.Parse()
	if err := run(*bin, *n, *gap); err != nil {
		fmt.Fprintln(os.Stderr, "livelat:", err)
		os.Exit(1)
	}
}

func run(bin string, n int, gap time.Duration) error {
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
	cfg := fmt.Sprintf("data_dir: %s\nsocket: %s\ntimezone: UTC\nlog_level: warn\np2pool:\n  log: %s\n", filepath.Join(dir, "data"), socket, logPath)
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
	slices.Sort(took)
	q := func(p float64) time.Duration {
		return took[min(len(took)-1, int(p*float64(len(took))))].Round(100 * time.Microsecond)
	}
	fmt.Printf("append -> visible through the socket, %d shares: p50 %v  p90 %v  p99 %v  max %v\n", n, q(0.5), q(0.9), q(0.99), took[len(took)-1].Round(100*time.Microsecond))
	return nil
}
