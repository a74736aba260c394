package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

const checkpointAlerts = "alerts"

// alerting is the service's alert engine and what it needs.
type alerting struct {
	mu     sync.Mutex
	engine alert.Engine
	loaded bool
	hook   alert.Hook
	// hookState is how the last hook run went: the alerts component.
	hookState outcome
	// rigLow is when each rig fell under its yardstick, while it stays there (rig_rules.go).
	rigLow map[string]time.Time
	// unstored are alert events the store refused (a full disk: the disk_low alert itself),
	// stored with the next pass that can.
	unstored []model.Event
}

// maxUnstored bounds the alert events kept for a store that cannot write.
const maxUnstored = 1000

func (l *Local) loadAlerts() {
	l.alerts.mu.Lock()
	defer l.alerts.mu.Unlock()
	if l.alerts.loaded {
		return
	}
	l.alerts.loaded = true
	l.alerts.engine = alert.Engine{Rules: l.Cfg.Alerts.Rules.Map(), Alerts: map[string]*alert.Alert{}}
	if b, err := l.Store.Checkpoint(checkpointAlerts); err == nil && b != nil {
		var list []*alert.Alert
		if json.Unmarshal(b, &list) == nil {
			for _, a := range list {
				l.alerts.engine.Alerts[alert.Key(a.Rule, a.Target)] = a
			}
		}
	}
	l.alerts.hook.Timeout = l.Cfg.Alerts.HookTimeout
}

// hasHooks says whether any alert runs a hook: only then is there an alerts component.
func (l *Local) hasHooks() bool {
	if len(l.Cfg.Alerts.Hook) > 0 {
		return true
	}
	for _, r := range l.Cfg.Alerts.Rules.Map() {
		if len(r.Hook) > 0 {
			return true
		}
	}
	return false
}

// OpenAlerts are the alerts firing now.
func (l *Local) OpenAlerts() []alert.Alert {
	l.loadAlerts()
	l.alerts.mu.Lock()
	defer l.alerts.mu.Unlock()
	return l.alerts.engine.Open()
}

// RunAlerts evaluates the rules every interval until ctx ends.
func (l *Local) RunAlerts(ctx context.Context) {
	l.loadAlerts()
	tick.Every(ctx, l.Cfg.Alerts.Interval, true, func() { l.EvaluateAlerts(ctx) })
}

// EvaluateAlerts runs one pass: conditions, transitions, events and hooks, then the watchdog's
// restarts. The new states are stored with the events, so a restart neither loses an open alert
// nor fires it again.
func (l *Local) EvaluateAlerts(ctx context.Context) []alert.Transition {
	l.loadAlerts()
	now := l.Now()
	conds := l.conditions(now)
	l.alerts.mu.Lock()
	trans := l.alerts.engine.Evaluate(now, conds)
	unstored := len(l.alerts.unstored)
	l.alerts.mu.Unlock()
	if len(trans) > 0 || unstored > 0 {
		l.commitTransitions(ctx, trans)
	}
	l.watch(ctx)
	return trans
}

func (l *Local) commitTransitions(ctx context.Context, trans []alert.Transition) {
	l.alerts.mu.Lock()
	list := make([]*alert.Alert, 0, len(l.alerts.engine.Alerts))
	for _, a := range l.alerts.engine.Alerts {
		list = append(list, a)
	}
	state, _ := json.Marshal(list)
	b := store.Batch{Checkpoints: []store.Checkpoint{{Name: checkpointAlerts, Value: state}}, Events: l.alerts.unstored}
	l.alerts.unstored = nil
	l.alerts.mu.Unlock()
	for _, t := range trans {
		b.Events = append(b.Events, alert.Event(t))
	}
	if _, err := l.Store.Apply(&b); err != nil {
		l.Log.Error("store alerts; kept to store later", "err", err)
		l.alerts.mu.Lock()
		l.alerts.unstored = append(l.alerts.unstored, b.Events[max(0, len(b.Events)-maxUnstored):]...)
		l.alerts.mu.Unlock()
	}
	l.changes.bump()
	for _, t := range trans {
		l.Log.Warn("alert", "rule", t.Rule, "target", t.Target, "state", t.State, "detail", t.Detail)
		hook := l.Cfg.Alerts.Hook
		if r := l.Cfg.Alerts.Rules.Map()[t.Rule]; len(r.Hook) > 0 {
			hook = r.Hook
		}
		if len(hook) == 0 {
			continue
		}
		// Hooks never hold up the ingest or the next evaluation.
		go func() {
			err := l.alerts.hook.Run(context.WithoutCancel(ctx), hook, t)
			l.alerts.hookState.set(err, l.Now())
			if err != nil {
				l.Log.Error("alert hook", "rule", t.Rule, "err", err)
				l.recordAction(ctx, "alert hook", t.Rule+" "+t.Target, err)
			}
			l.changes.bump()
		}()
	}
}

// goodNews raises the off-by-default notices for blocks and payouts as they are stored.
func (l *Local) goodNews(ctx context.Context, events []model.Event) {
	var trans []alert.Transition
	for _, e := range events {
		var rule, detail string
		switch e.Kind {
		case model.KindBlock:
			rule, detail = alert.RuleBlockFound, fmt.Sprintf("Monero block %d found (%s)", e.Height, e.MinedBy)
		case model.KindPayment:
			rule, detail = alert.RulePayout, fmt.Sprintf("%s XMR in block %d", e.Piconero.XMR(), e.Height)
		default:
			continue
		}
		if !l.Cfg.Alerts.Rules.Map()[rule].Enabled {
			continue
		}
		trans = append(trans, alert.Transition{Time: l.Now(), Rule: rule, Target: "farm", State: alert.StateNotice, Detail: detail, Since: e.Time})
	}
	if len(trans) > 0 {
		l.loadAlerts()
		l.commitTransitions(ctx, trans)
	}
}

// conditions reads the farm's state for every enabled rule.
func (l *Local) conditions(now time.Time) []alert.Condition {
	rules := l.Cfg.Alerts.Rules.Map()
	var out []alert.Condition
	on := func(r string) bool { return rules[r].Enabled }
	if on(alert.RuleMinerSilent) {
		out = append(out, collapse(l.silentMiners(now, rules[alert.RuleMinerSilent].After), "silent")...)
	}
	rows, _, _ := l.healthRows()
	if on(alert.RuleNodeDown) && l.Cfg.Monerod.RPC != "" {
		for _, h := range rows {
			if h.Kind == "monerod" {
				out = append(out, alert.Condition{Rule: alert.RuleNodeDown, Target: "monerod", Active: !h.Up, Detail: h.Detail})
			}
		}
	}
	if on(alert.RuleCSVFailing) && l.Cfg.CSV.Dir != "" && l.csvState.tried() {
		c := l.csvState.component()
		out = append(out, alert.Condition{Rule: alert.RuleCSVFailing, Target: l.Cfg.CSV.Dir, Active: !c.Up, Detail: c.Reason})
	}
	if on(alert.RuleLogUnread) {
		if c, ok := l.unreadCondition(now, rules[alert.RuleLogUnread].After); ok {
			out = append(out, c)
		}
	}
	if on(alert.RuleLogSilent) {
		l.mu.Lock()
		following, last := l.ingest.Following, l.ingest.LastLine
		if last.Before(l.ingest.Started) {
			last = l.ingest.Started
		}
		l.mu.Unlock()
		if following && !last.IsZero() {
			silent := now.Sub(last)
			out = append(out, alert.Condition{Rule: alert.RuleLogSilent, Target: l.Cfg.P2Pool.Log, Active: silent > rules[alert.RuleLogSilent].After,
				Detail: fmt.Sprintf("nothing written for %s", silent.Round(time.Second))})
		}
	}
	if on(alert.RuleNoShares) {
		if c, ok := l.noShares(now, rules[alert.RuleNoShares]); ok {
			out = append(out, c)
		}
	}
	if on(alert.RuleHashrateLow) {
		if c, ok := l.hashrateLow(now, rules[alert.RuleHashrateLow]); ok {
			out = append(out, c)
		}
	}
	if on(alert.RuleRigSlow) {
		out = append(out, collapse(l.slowRigs(now, rules[alert.RuleRigSlow]), "slow")...)
	}
	if on(alert.RuleRigRejected) {
		out = append(out, collapse(l.rejectingRigs(now, rules[alert.RuleRigRejected]), "rejecting shares")...)
	}
	if on(alert.RuleWatchdogGaveUp) {
		out = append(out, l.watchdogConditions()...)
	}
	out = append(out, l.payoutAlertConditions()...)
	if on(alert.RuleDiskLow) {
		var fs syscall.Statfs_t
		if err := syscall.Statfs(l.Store.Dir(), &fs); err == nil {
			freeMiB := float64(fs.Bavail) * float64(fs.Bsize) / (1 << 20)
			l.mu.Lock()
			paused := l.ingest.Paused
			l.mu.Unlock()
			detail := fmt.Sprintf("%.0f MiB free", freeMiB)
			if paused != "" {
				detail += "; reading P2Pool's log is paused until there is room"
			}
			out = append(out, alert.Condition{Rule: alert.RuleDiskLow, Target: l.Store.Dir(), Active: freeMiB < rules[alert.RuleDiskLow].Floor || paused != "",
				Detail: detail})
		}
	}
	return out
}

// manyAtOnce is how many miners in the same trouble at once make one alert instead of one each:
// a switch or a power cut silences a whole rack, a pool's trouble slows every rig, and a farm's
// operator wants one message saying so.
const manyAtOnce = 10

// collapse turns more than manyAtOnce active conditions of one rule into one, listing them
// ("12 miners silent at once: ..."); the alerts of the miners it replaces resolve on their own.
func collapse(conds []alert.Condition, what string) []alert.Condition {
	var active []string
	rule := ""
	for _, c := range conds {
		if c.Active {
			active, rule = append(active, c.Target), c.Rule
		}
	}
	if len(active) <= manyAtOnce {
		return conds
	}
	slices.Sort(active)
	list := strings.Join(active[:min(len(active), 20)], ", ")
	if len(active) > 20 {
		list += fmt.Sprintf(" (+%d more)", len(active)-20)
	}
	return []alert.Condition{{Rule: rule, Target: ManyMiners, Active: true, Members: active,
		Detail: fmt.Sprintf("%d miners %s at once: %s", len(active), what, list)}}
}

// ManyMiners is the target of the one alert for many miners at once.
const ManyMiners = "(many miners)"

// silentMiners: no share, no hashrate sample and no answer from its xmrig API for longer than
// after (miners silent for over a week are taken as retired).
func (l *Local) silentMiners(now time.Time, after time.Duration) []alert.Condition {
	miners, err := l.miners(now, api.ReportDay{})
	if err != nil {
		return nil
	}
	rows, _, _ := l.healthRows()
	var out []alert.Condition
	for _, m := range miners {
		last := m.LastSeen() // the same sign of life as STALE in the table
		silent := now.Sub(last)
		if silent > model.RetiredAfter {
			continue
		}
		out = append(out, alert.Condition{Rule: alert.RuleMinerSilent, Target: m.Host, Active: silent > after,
			Detail: fmt.Sprintf("no share, sample or API answer for %s", silent.Round(time.Second))})
	}
	for _, h := range rows { // a miner known only by its API
		if h.Kind == "xmrig" && !slices.ContainsFunc(miners, func(m api.MinerRow) bool { return m.Host == h.Name }) {
			silent := now.Sub(h.Since)
			out = append(out, alert.Condition{Rule: alert.RuleMinerSilent, Target: h.Name, Active: !h.Up && silent > after,
				Detail: "API not answering: " + h.Detail})
		}
	}
	return out
}

// noShares: the whole farm found no share for factor times its usual time between shares
// (from the last 7 days), and at least after.
func (l *Local) noShares(now time.Time, r alert.RuleConfig) (alert.Condition, bool) {
	loc := l.Store.Location()
	days, err := l.Store.Days(now.In(loc).AddDate(0, 0, -7).Format(time.DateOnly), "")
	if err != nil {
		return alert.Condition{}, false
	}
	var shares uint64
	for _, d := range days {
		shares += d.Shares
	}
	hosts, err := l.Store.Hosts()
	if err != nil || shares == 0 {
		return alert.Condition{}, false // no history to expect anything from
	}
	var last time.Time
	for _, h := range hosts {
		if h.LastShare.After(last) {
			last = h.LastShare
		}
	}
	expected := 7 * 24 * time.Hour / time.Duration(shares)
	limit := max(r.After, time.Duration(r.Factor*float64(expected)))
	silent := now.Sub(last)
	return alert.Condition{Rule: alert.RuleNoShares, Target: "farm", Active: silent > limit,
		Detail: fmt.Sprintf("no share for %s; one every %s is usual", silent.Round(time.Minute), expected.Round(time.Minute))}, true
}

// hashrateLow compares the farm's hashrate now with a floor and with its 24 h average.
func (l *Local) hashrateLow(now time.Time, r alert.RuleConfig) (alert.Condition, bool) {
	latest, err := l.Store.Latest("")
	if err != nil {
		return alert.Condition{}, false
	}
	fresh := func(s model.Sample) bool { return now.Sub(s.Time) < 10*time.Minute }
	var current float64
	series := ""
	if s, ok := latest["pool/hashrate_15m"]; ok && fresh(s) {
		current, series = s.Value, "pool/hashrate_15m"
	} else {
		for name, s := range latest {
			if len(name) > 7 && name[:7] == "worker/" && fresh(s) {
				current += s.Value
			}
		}
	}
	avg := 0.0
	if series != "" {
		if ss, err := l.Store.Series(series, now.Add(-24*time.Hour), now); err == nil && len(ss) > 0 {
			for _, s := range ss {
				avg += s.Value
			}
			avg /= float64(len(ss))
		}
	}
	if current == 0 && avg == 0 {
		return alert.Condition{}, false // nothing measured
	}
	low := (r.Floor > 0 && current < r.Floor) || (r.Percent > 0 && avg > 0 && current < avg*r.Percent/100)
	return alert.Condition{Rule: alert.RuleHashrateLow, Target: "farm", Active: low,
		Detail: fmt.Sprintf("%.0f H/s now, %.0f H/s on average over 24 h", current, avg)}, true
}
