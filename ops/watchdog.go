package ops

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/restart"
)

// WatchdogWho is who the watchdog's restarts are recorded as, in the audit trail.
const WatchdogWho = "watchdog"

// watchdog restarts what a rule names (alerts.rules.<rule>.restart) while its alert fires,
// within alerts.watchdog's limits, and gives up, saying so, when restarts do not help.
type watchdog struct {
	restarter *restart.Restarter
	targets   []restart.Target
	sem       chan struct{} // restart.concurrency restarts at once, across every alert

	mu sync.Mutex
	// restarts are each target's restarts in the window: start and end. Read back from the
	// action events at start, so that a service restarted (or killed) in a loop does not
	// restart a rig more often than the window allows.
	restarts map[string][]span
	busy     map[string]bool
	// gaveUp is why, for each target given up on while its alert fires.
	gaveUp map[string]string
	// unknown are the alert targets that no restart target matches, said once each.
	unknown map[string]bool
	loaded  bool
	running sync.WaitGroup
}

type span struct{ start, end time.Time }

// SetWatchdog lets this Local restart what the alert rules name, with r (its Record, Who and
// clock are this Local's). The service and a console that keeps the store set it; a one-off
// command does not, so it never restarts anything.
func (l *Local) SetWatchdog(r *restart.Restarter, targets []restart.Target) {
	r.Record, r.Who, r.Now = l.Record, WatchdogWho, l.Now
	r.Progress = func(s restart.Step) {
		l.Log.Info("watchdog", "target", s.Target, "phase", s.Phase, "message", s.Message)
	}
	l.dog = &watchdog{restarter: r, targets: targets, sem: make(chan struct{}, max(1, r.Concurrency)),
		restarts: map[string][]span{}, busy: map[string]bool{}, gaveUp: map[string]string{}, unknown: map[string]bool{}}
}

// WaitWatchdog waits for the watchdog's restarts under way: for a clean stop, and for tests.
func (l *Local) WaitWatchdog() {
	if l.dog != nil {
		l.dog.running.Wait()
	}
}

// loadRestarts reads the watchdog's restarts of the last window back from the store.
func (l *Local) loadRestarts(ctx context.Context, now time.Time) {
	d := l.dog
	if d.loaded {
		return
	}
	d.loaded = true
	_ = l.Store.Events(ctx, now.Add(-l.Cfg.Alerts.Watchdog.Window), now.Add(time.Minute), func(e *model.Event) error {
		if e.Kind == model.KindAction && e.Who == WatchdogWho {
			d.restarts[e.Target] = append(d.restarts[e.Target], span{e.Time, e.Time.Add(time.Duration(e.DurationMS) * time.Millisecond)})
		}
		return nil
	})
}

// watch is one pass of the watchdog, after the alerts' pass: it restarts the targets of the
// firing alerts whose rule names a restart, when the limits allow.
func (l *Local) watch(ctx context.Context) {
	d := l.dog
	if d == nil {
		return
	}
	now := l.Now()
	w := l.Cfg.Alerts.Watchdog
	rules := l.Cfg.Alerts.Rules.Map()
	open := l.OpenAlerts()
	d.mu.Lock()
	defer d.mu.Unlock()
	l.loadRestarts(ctx, now)
	firing := map[string]bool{}
	for _, a := range open {
		how := rules[a.Rule].Restart
		if how == "" {
			continue
		}
		for _, t := range l.watchTargets(a, how) {
			firing[t.Name] = true
			if d.busy[t.Name] || d.gaveUp[t.Name] != "" {
				continue
			}
			past := slices.DeleteFunc(d.restarts[t.Name], func(s span) bool { return now.Sub(s.start) > w.Window })
			d.restarts[t.Name] = past
			if n := len(past); n > 0 && now.Sub(past[n-1].end) < w.Settle {
				continue // give the last restart time to help
			}
			if len(past) >= w.MaxRestarts {
				times := "times"
				if len(past) == 1 {
					times = "time"
				}
				d.gaveUp[t.Name] = fmt.Sprintf("restarted %d %s in %s for %s and it still fires; not restarting it again until it resolves",
					len(past), times, w.Window, a.Rule)
				l.Log.Warn("watchdog gives up", "target", t.Name, "rule", a.Rule, "restarts", len(past))
				continue
			}
			d.busy[t.Name] = true
			d.restarts[t.Name] = append(past, span{start: now, end: now})
			l.Log.Warn("watchdog restarts", "target", t.Name, "rule", a.Rule, "alert", a.Target, "detail", a.Detail)
			d.running.Go(func() { l.watchdogRestart(ctx, t) })
		}
	}
	for name := range d.gaveUp {
		if !firing[name] {
			delete(d.gaveUp, name) // its alert resolved: the watchdog may help again
		}
	}
}

// watchdogRestart restarts one target, restart.concurrency at a time, and notes when it ended:
// the settle time counts from there.
func (l *Local) watchdogRestart(ctx context.Context, t restart.Target) {
	d := l.dog
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		d.mu.Lock()
		d.busy[t.Name] = false
		d.mu.Unlock()
		return
	}
	err := d.restarter.One(ctx, t) // recorded as an action event by the restarter
	<-d.sem
	if err != nil {
		l.Log.Error("watchdog restart", "target", t.Name, "err", err)
	}
	d.mu.Lock()
	d.busy[t.Name] = false
	if n := len(d.restarts[t.Name]); n > 0 {
		d.restarts[t.Name][n-1].end = l.Now()
	}
	d.mu.Unlock()
	l.changes.bump()
}

// watchTargets are the restart targets an alert names: the alerted miner's own (each of
// them, for an alert about many), or the named target or group.
func (l *Local) watchTargets(a alert.Alert, how string) []restart.Target {
	d := l.dog
	if how != alert.RestartMiner {
		ts, err := restart.Select(d.targets, []string{how})
		if err != nil && !d.unknown[how] {
			d.unknown[how] = true
			l.Log.Error("watchdog: nothing to restart", "rule", a.Rule, "err", err)
		}
		return ts
	}
	miners := a.Members
	if len(miners) == 0 {
		miners = []string{a.Target}
	}
	var out []restart.Target
	for _, m := range miners {
		t, ok := restart.ForMiner(d.targets, m)
		if !ok {
			if !d.unknown[m] {
				d.unknown[m] = true
				l.Log.Error("watchdog: no miner target for this miner; add one to targets", "rule", a.Rule, "miner", m)
			}
			continue
		}
		out = append(out, t)
	}
	return out
}

// watchdogConditions are watchdog_gave_up's: one for every target it may restart, firing while
// it has given up on it.
func (l *Local) watchdogConditions() []alert.Condition {
	d := l.dog
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []alert.Condition
	for _, t := range d.targets {
		why := d.gaveUp[t.Name]
		out = append(out, alert.Condition{Rule: alert.RuleWatchdogGaveUp, Target: t.Name, Active: why != "", Detail: why})
	}
	return out
}
