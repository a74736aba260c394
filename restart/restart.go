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
	// Action is what is done to each target: Restart (the default), Start or Stop.
	Action string
}

// Actions on a target.
const (
	Restart = "restart"
	Start   = "start"
	Stop    = "stop"
)

func (r *Restarter) action() string {
	if r.Action == "" {
		return Restart
	}
	return r.Action
}

// Command is the target's command for action, empty when it has none.
func (t Target) Command(action string) string {
	switch action {
	case Start:
		return t.Start
	case Stop:
		return t.Stop
	}
	return t.Restart
}

// Ing is the action's progress word: restarting, starting, stopping.
func Ing(action string) string {
	switch action {
	case Start:
		return "starting"
	case Stop:
		return "stopping"
	}
	return "restarting"
}

// Past is the action done: restarted, started, stopped.
func Past(action string) string {
	if action == Stop {
		return "stopped"
	}
	return action + "ed"
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
				return fmt.Errorf("%w; stopped, %d target(s) after it not %s", err, rest, Past(r.action()))
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

// One restarts (starts, stops) a target and waits until it is healthy (not for a stop).
func (r *Restarter) One(ctx context.Context, t Target) error {
	start, at := time.Now(), r.now()
	act := r.action()
	command := t.Command(act)
	if command == "" {
		err := fmt.Errorf("%s has no %s command configured (targets: %s)", t.Name, act, act)
		r.progress(t, "failed", err.Error())
		return err
	}
	r.progress(t, Ing(act), fmt.Sprintf("%s: %s", t.where(), command))
	var err error
	if t.Local {
		_, err = runner.Run(ctx, runner.Command{Shell: command, Timeout: t.Timeout})
	} else if r.SSH == nil {
		err = fmt.Errorf("%s is remote and no SSH is configured", t.Name)
	} else {
		_, err = r.SSH.Run(ctx, t.Dest, command, t.Timeout)
	}
	checked := t.HasHealthCheck() && act != Stop
	if err == nil && checked {
		r.progress(t, "waiting", "until healthy, at most "+t.Health.Wait.String())
		err = WaitHealthy(ctx, t)
	}
	result := "ok"
	if err != nil {
		result = "failed: " + err.Error()
		r.progress(t, "failed", err.Error())
	} else if checked {
		r.progress(t, "healthy", fmt.Sprintf("in %s", time.Since(start).Round(100*time.Millisecond)))
	} else if act == Stop {
		r.progress(t, "stopped", fmt.Sprintf("in %s", time.Since(start).Round(100*time.Millisecond)))
	} else {
		// Only the command's exit status is known: "healthy" would claim a check that never ran.
		r.progress(t, "done", fmt.Sprintf("in %s; no health check configured", time.Since(start).Round(100*time.Millisecond)))
	}
	r.record(ctx, t, at, time.Since(start), command, result)
	if err != nil {
		return fmt.Errorf("%s %s: %w", act, t.Name, err)
	}
	return nil
}

func (r *Restarter) record(ctx context.Context, t Target, at time.Time, took time.Duration, command, result string) {
	if r.Record == nil {
		return
	}
	e := model.NewAction(at, r.Who, t.Name, command, result, took)
	if err := r.Record(context.WithoutCancel(ctx), e); err != nil {
		r.progress(t, "failed", "could not record the action: "+err.Error())
	}
}

// Done says what a run that succeeded did to targets: how many were seen healthy, and how
// many have no health check (their command exited 0, which is all that is known of them).
func Done(targets []Target) string { return DoneAction(Restart, targets) }

// DoneAction is Done for a start or a stop too.
func DoneAction(action string, targets []Target) string {
	if action == Stop {
		return fmt.Sprintf("%d target(s) stopped", len(targets))
	}
	unchecked := 0
	for _, t := range targets {
		if !t.HasHealthCheck() {
			unchecked++
		}
	}
	switch {
	case unchecked == 0:
		return fmt.Sprintf("%d target(s) %s and healthy", len(targets), Past(action))
	case unchecked == len(targets):
		return fmt.Sprintf("%d target(s) %s; no health check configured", len(targets), Past(action))
	}
	return fmt.Sprintf("%d target(s) %s: %d healthy, %d with no health check configured", len(targets), Past(action), len(targets)-unchecked, unchecked)
}
