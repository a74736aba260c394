// Package restart restarts the farm's parts, locally or over SSH, in the daily order, each waited
// for until healthy; every restart is recorded as an action event.
package restart

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"sort"
	"sync"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
)

// Step is progress of a restart, for the console's dialog and the command's output.
type Step struct {
	Time    time.Time `json:"time"`
	Target  string    `json:"target"`
	Phase   string    `json:"phase"` // restarting, waiting, healthy, failed
	Message string    `json:"message,omitempty"`
}

// Restarter restarts targets and records every restart as an action event.
type Restarter struct {
	SSH         *runner.SSH
	Concurrency int // miners restarted at once
	// Record stores the action event (Console.Record).
	Record func(context.Context, model.Event) error
	// Who is the operator, as recorded: "alice@node (console)".
	Who string
	// Progress, when set, is told every step; it may be called from several goroutines.
	Progress func(Step)
	// Now stamps the action events; time.Now when nil (the service's clock in tests).
	Now func() time.Time
}

func (r *Restarter) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Operator names who runs db4e, for the audit trail.
func Operator(via string) string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s (%s)", name, host, via)
}

var kindRank = map[string]int{KindMonerod: 0, KindP2Pool: 1, KindDB4E: 2, KindMiner: 3}

// DailyOrder is the sequence the farm ran from cron: monerod, P2Pool, the db4e service, miners.
func DailyOrder(targets []Target) []Target {
	out := append([]Target(nil), targets...)
	sort.SliceStable(out, func(i, j int) bool { return kindRank[out[i].Kind] < kindRank[out[j].Kind] })
	return out
}

// Run restarts targets in order, each waited for until healthy before the next; miners that
// come one after another are restarted together, Concurrency at a time. It stops at the first
// target that fails or does not come back, and says which.
func (r *Restarter) Run(ctx context.Context, targets []Target) error {
	for i := 0; i < len(targets); {
		j := i + 1
		if targets[i].Kind == KindMiner {
			for j < len(targets) && targets[j].Kind == KindMiner {
				j++
			}
		}
		if err := r.parallel(ctx, targets[i:j]); err != nil {
			if rest := len(targets) - j; rest > 0 {
				return fmt.Errorf("%w; stopped, %d target(s) after it not restarted", err, rest)
			}
			return err
		}
		i = j
	}
	return nil
}

func (r *Restarter) parallel(ctx context.Context, targets []Target) error {
	if len(targets) == 1 {
		return r.One(ctx, targets[0])
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := max(1, r.Concurrency)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := r.One(ctx, t); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel() // the first miner that does not come back stops the others from starting
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (r *Restarter) progress(t Target, phase, msg string) {
	if r.Progress != nil {
		r.Progress(Step{Time: time.Now(), Target: t.Name, Phase: phase, Message: msg})
	}
}

// One restarts a target and waits until it is healthy.
func (r *Restarter) One(ctx context.Context, t Target) error {
	start, at := time.Now(), r.now()
	r.progress(t, "restarting", fmt.Sprintf("%s: %s", t.where(), t.Restart))
	var err error
	var res runner.Result
	if t.Local {
		res, err = runner.Run(ctx, runner.Command{Shell: t.Restart, Timeout: t.Timeout})
	} else if r.SSH == nil {
		err = fmt.Errorf("%s is remote and no SSH is configured", t.Name)
	} else {
		res, err = r.SSH.Run(ctx, t.Dest, t.Restart, t.Timeout)
	}
	if err == nil && t.HasHealthCheck() {
		r.progress(t, "waiting", "until healthy, at most "+t.Health.Wait.String())
		err = WaitHealthy(ctx, t)
	}
	result := "ok"
	if err != nil {
		result = "failed: " + err.Error()
		r.progress(t, "failed", err.Error())
	} else if t.HasHealthCheck() {
		r.progress(t, "healthy", fmt.Sprintf("in %s", time.Since(start).Round(100*time.Millisecond)))
	} else {
		// Only the command's exit status is known: "healthy" would claim a check that never ran.
		r.progress(t, "done", fmt.Sprintf("in %s; no health check configured", time.Since(start).Round(100*time.Millisecond)))
	}
	r.record(ctx, t, at, time.Since(start), result, res)
	if err != nil {
		return fmt.Errorf("restart %s: %w", t.Name, err)
	}
	return nil
}

func (r *Restarter) record(ctx context.Context, t Target, at time.Time, took time.Duration, result string, res runner.Result) {
	if r.Record == nil {
		return
	}
	e := model.NewAction(at, r.Who, t.Name, t.Restart, result, took)
	if err := r.Record(context.WithoutCancel(ctx), e); err != nil {
		r.progress(t, "failed", "could not record the action: "+err.Error())
	}
}

// Done says what a run that succeeded did to targets: how many were seen healthy, and how
// many have no health check (their command exited 0, which is all that is known of them).
func Done(targets []Target) string {
	unchecked := 0
	for _, t := range targets {
		if !t.HasHealthCheck() {
			unchecked++
		}
	}
	switch {
	case unchecked == 0:
		return fmt.Sprintf("%d target(s) restarted and healthy", len(targets))
	case unchecked == len(targets):
		return fmt.Sprintf("%d target(s) restarted; no health check configured", len(targets))
	}
	return fmt.Sprintf("%d target(s) restarted: %d healthy, %d with no health check configured", len(targets), len(targets)-unchecked, unchecked)
}
