// Package alert turns the farm's conditions into alerts: rules with their defaults, a pure
// engine that fires once and resolves once, the hook run for each transition, and the event
// that records it.
package alert

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/db4e/db4e/model"
)

// Alert rules.
const (
	RuleMinerSilent = "miner_silent" // a miner sent no share and its API did not answer
	RuleHashrateLow = "hashrate_low" // the farm's hashrate under a floor or a share of its 24 h average
	RuleNodeDown    = "node_down"    // monerod not answering or not synchronized
	RuleLogSilent   = "log_silent"   // P2Pool's log wrote nothing
	RuleLogUnread   = "log_unread"   // part of P2Pool's log was gone before it could be read
	RuleNoShares    = "no_shares"    // no share from the whole farm for much longer than expected
	RuleDiskLow     = "disk_low"     // little free space for the data dir
	RuleCSVFailing  = "csv_failing"  // the CSV files could not be written or pushed
	RuleBlockFound  = "block_found"  // good news, off by default
	RulePayout      = "payout"       // good news, off by default
	// RuleRigSlow: a rig's hashrate under a share of its own median over the last hour.
	RuleRigSlow = "rig_slow"
	// RuleRigRejected: too many of a rig's shares rejected over the last hour.
	RuleRigRejected = "rig_rejected"
	// RuleWatchdogGaveUp: the watchdog restarted a target as often as it may and its alert
	// still fires.
	RuleWatchdogGaveUp = "watchdog_gave_up"
	// RulePayoutOrphaned: a payout P2Pool claimed left the chain (its block was replaced);
	// it fires for After from the check that found it.
	RulePayoutOrphaned = "payout_orphaned"
	// RulePayoutMissing: the node confirmed a payout but the wallet (wallet_rpc) did not
	// receive it; it holds until a later payout arrives in the wallet.
	RulePayoutMissing = "payout_missing"
)

// Alert states, as recorded and as given to hooks.
const (
	StateFired    = "fired"
	StateResolved = "resolved"
	StateNotice   = "notice" // good news: nothing to resolve
)

// RuleConfig is one rule's settings; every rule has defaults (Defaults).
type RuleConfig struct {
	Enabled bool `yaml:"enabled"`
	// For is how long the condition must hold before the alert fires.
	For time.Duration `yaml:"for"`
	// Clear is how long it must be gone before the alert resolves: a value that flaps around
	// its threshold does not fire and resolve over and over.
	Clear time.Duration `yaml:"clear"`
	// After is the silence that counts (miner_silent, log_silent) or the shortest one (no_shares).
	After time.Duration `yaml:"after"`
	// Floor: H/s for hashrate_low, MiB for disk_low, the fewest shares in the hour that
	// rig_rejected judges.
	Floor float64 `yaml:"floor"`
	// Percent: of the 24 h average under which hashrate_low holds, of the rig's own median
	// under which rig_slow holds, of the shares rejected above which rig_rejected holds.
	Percent float64 `yaml:"percent"`
	// Factor times the farm's expected time between shares, for no_shares.
	Factor float64 `yaml:"factor"`
	// Hook overrides the alerts' hook for this rule.
	Hook []string `yaml:"hook"`
	// Restart makes the watchdog restart a target when the alert fires: "miner" is the
	// alerted miner's own target (each of them, for one alert about many), any other value a
	// target's name. Empty: no restart.
	Restart string `yaml:"restart"`
}

// RestartMiner is the Restart that means the alerted miner's own target.
const RestartMiner = "miner"

// WatchdogConfig bounds the restarts that rules with a restart ask for.
type WatchdogConfig struct {
	// MaxRestarts is how often one target is restarted within Window before the watchdog gives
	// up on it (and says so with a watchdog_gave_up alert).
	MaxRestarts int           `yaml:"max_restarts"`
	Window      time.Duration `yaml:"window"`
	// Settle is how long after a restart the alert may still fire before the next restart: a
	// rig warms up, a node catches up.
	Settle time.Duration `yaml:"settle"`
}

// Config is the alerts section.
type Config struct {
	// Hook is a command (program and arguments, no shell) run for every alert, with the alert
	// as JSON on stdin and DB4E_* variables in its environment.
	Hook        []string      `yaml:"hook"`
	HookTimeout time.Duration `yaml:"hook_timeout"`
	Interval    time.Duration `yaml:"interval"`
	Rules       Rules         `yaml:"rules"`
	// Watchdog bounds the restarts of rules with a restart; no rule has one by default.
	Watchdog WatchdogConfig `yaml:"watchdog"`
}

// Rules names every rule, so that a rule written with one key keeps its other defaults
// and a misspelt rule is an unknown key.
type Rules struct {
	MinerSilent RuleConfig `yaml:"miner_silent"`
	HashrateLow RuleConfig `yaml:"hashrate_low"`
	NodeDown    RuleConfig `yaml:"node_down"`
	LogSilent   RuleConfig `yaml:"log_silent"`
	LogUnread   RuleConfig `yaml:"log_unread"`
	NoShares    RuleConfig `yaml:"no_shares"`
	DiskLow     RuleConfig `yaml:"disk_low"`
	CSVFailing  RuleConfig `yaml:"csv_failing"`
	BlockFound  RuleConfig `yaml:"block_found"`
	Payout      RuleConfig `yaml:"payout"`
	RigSlow     RuleConfig `yaml:"rig_slow"`
	RigRejected RuleConfig `yaml:"rig_rejected"`
	GaveUp      RuleConfig `yaml:"watchdog_gave_up"`
	Orphaned    RuleConfig `yaml:"payout_orphaned"`
	Missing     RuleConfig `yaml:"payout_missing"`
}

// Map is the rules by name.
func (r Rules) Map() map[string]RuleConfig {
	return map[string]RuleConfig{
		RuleMinerSilent: r.MinerSilent, RuleHashrateLow: r.HashrateLow, RuleNodeDown: r.NodeDown, RuleLogSilent: r.LogSilent, RuleLogUnread: r.LogUnread,
		RuleNoShares: r.NoShares, RuleDiskLow: r.DiskLow, RuleCSVFailing: r.CSVFailing, RuleBlockFound: r.BlockFound, RulePayout: r.Payout,
		RuleRigSlow: r.RigSlow, RuleRigRejected: r.RigRejected, RuleWatchdogGaveUp: r.GaveUp,
		RulePayoutOrphaned: r.Orphaned, RulePayoutMissing: r.Missing,
	}
}

// Defaults is every rule with its default.
func Defaults() Config {
	return Config{
		HookTimeout: 10 * time.Second,
		Interval:    15 * time.Second,
		Rules: Rules{
			MinerSilent: RuleConfig{Enabled: true, After: 30 * time.Minute, Clear: 2 * time.Minute},
			HashrateLow: RuleConfig{Enabled: true, Percent: 50, For: 15 * time.Minute, Clear: 5 * time.Minute},
			NodeDown:    RuleConfig{Enabled: true, For: 5 * time.Minute, Clear: 2 * time.Minute},
			CSVFailing:  RuleConfig{Enabled: true, For: 15 * time.Minute, Clear: time.Minute},
			LogSilent:   RuleConfig{Enabled: true, After: 10 * time.Minute, Clear: time.Minute},
			LogUnread:   RuleConfig{Enabled: true, After: 24 * time.Hour},
			NoShares:    RuleConfig{Enabled: true, After: time.Hour, Factor: 5, Clear: time.Minute},
			DiskLow:     RuleConfig{Enabled: true, Floor: 1024, For: 5 * time.Minute, Clear: 5 * time.Minute},
			RigSlow:     RuleConfig{Enabled: true, Percent: 50, For: 5 * time.Minute, Clear: 5 * time.Minute},
			RigRejected: RuleConfig{Enabled: true, Percent: 5, Floor: 20, For: 15 * time.Minute, Clear: 15 * time.Minute},
			GaveUp:      RuleConfig{Enabled: true},
			Orphaned:    RuleConfig{Enabled: true, After: 24 * time.Hour},
			Missing:     RuleConfig{Enabled: true},
		},
		Watchdog: WatchdogConfig{MaxRestarts: 3, Window: time.Hour, Settle: 10 * time.Minute},
	}
}

// Validate names the first bad key of the section, relative to it.
func (c Config) Validate() error {
	var p model.Problems
	rules := c.Rules.Map()
	for _, name := range slices.Sorted(maps.Keys(rules)) { // the same key every time when several are bad
		r := rules[name]
		for _, d := range []struct {
			key string
			v   float64
		}{{"for", r.For.Seconds()}, {"clear", r.Clear.Seconds()}, {"after", r.After.Seconds()}, {"floor", r.Floor}, {"factor", r.Factor}, {"percent", r.Percent}} {
			p.Check(d.v < 0, "rules.%s.%s: must not be negative", name, d.key)
		}
		p.Check(r.Percent > 100, "rules.%s.percent: want 0 to 100, got %g", name, r.Percent)
		switch {
		case r.Restart == "":
		case name == RuleBlockFound || name == RulePayout || name == RuleWatchdogGaveUp || name == RulePayoutOrphaned || name == RulePayoutMissing:
			p.Check(true, "rules.%s.restart: only a rule about something that fails can restart it", name)
		case !r.Enabled:
			p.Check(true, "rules.%s.restart: the rule is not enabled, so nothing would restart %s", name, r.Restart)
		}
	}
	w := c.Watchdog
	p.Check(w.MaxRestarts < 1, "watchdog.max_restarts: want at least 1, got %d", w.MaxRestarts)
	p.Check(w.Window <= 0, "watchdog.window: want more than 0s, got %s", w.Window)
	p.Check(w.Settle < 0, "watchdog.settle: must not be negative")
	p.Check(c.HookTimeout <= 0, "hook_timeout: want more than 0s, got %s", c.HookTimeout)
	p.Check(c.Interval < time.Second, "interval: want at least 1s, got %s", c.Interval)
	return p.Err()
}

// Condition is what one evaluation found for a rule and a target.
type Condition struct {
	Rule, Target string
	Active       bool
	Detail       string
	// Members are the targets of one condition about many (miners silent at once).
	Members []string
}

// Alert is one alert's state, kept across restarts.
type Alert struct {
	Rule    string    `json:"rule"`
	Target  string    `json:"target"`
	Pending time.Time `json:"pending,omitzero"` // condition seen since, not fired yet
	Firing  bool      `json:"firing"`
	Since   time.Time `json:"since,omitzero"` // fired at
	Calm    time.Time `json:"calm,omitzero"`  // condition gone since, while firing
	Detail  string    `json:"detail,omitempty"`
	// Members are the targets an alert about many stands for, for the watchdog.
	Members []string `json:"members,omitempty"`
}

// Key names an alert in the engine's map.
func Key(rule, target string) string { return rule + "\x00" + target }

// Transition is an alert firing or resolving: an event and a hook run.
type Transition struct {
	Time   time.Time `json:"time"`
	Rule   string    `json:"rule"`
	Target string    `json:"target"`
	State  string    `json:"state"`
	Detail string    `json:"detail,omitempty"`
	Since  time.Time `json:"since"`
}

// Engine turns conditions into transitions: fire once when a condition has held for its rule's
// For, resolve once when it has been gone for its Clear. It is pure: the clock is passed in.
type Engine struct {
	Rules  map[string]RuleConfig
	Alerts map[string]*Alert
}

// Evaluate takes every condition of one pass. Alerts of rules evaluated in this pass whose
// target has no condition any more count as gone (a miner removed from the farm).
func (e *Engine) Evaluate(now time.Time, conds []Condition) []Transition {
	if e.Alerts == nil {
		e.Alerts = map[string]*Alert{}
	}
	var out []Transition
	seen := map[string]bool{}
	rules := map[string]bool{}
	for _, c := range conds {
		rules[c.Rule] = true
		k := Key(c.Rule, c.Target)
		seen[k] = true
		a := e.Alerts[k]
		if a == nil {
			if !c.Active {
				continue
			}
			a = &Alert{Rule: c.Rule, Target: c.Target}
			e.Alerts[k] = a
		}
		if c.Active && c.Members != nil {
			a.Members = c.Members
		}
		out = append(out, e.step(now, a, c.Active, c.Detail)...)
		if !a.Firing && a.Pending.IsZero() {
			delete(e.Alerts, k)
		}
	}
	for k, a := range e.Alerts {
		if !seen[k] && rules[a.Rule] {
			out = append(out, e.step(now, a, false, "")...)
			if !a.Firing && a.Pending.IsZero() {
				delete(e.Alerts, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule+out[i].Target < out[j].Rule+out[j].Target })
	return out
}

func (e *Engine) step(now time.Time, a *Alert, active bool, detail string) []Transition {
	r := e.Rules[a.Rule]
	if active {
		if detail != "" {
			a.Detail = detail
		}
		a.Calm = time.Time{}
		if a.Firing {
			return nil
		}
		if a.Pending.IsZero() {
			a.Pending = now
		}
		if now.Sub(a.Pending) >= r.For {
			a.Firing, a.Since, a.Pending = true, now, time.Time{}
			return []Transition{{Time: now, Rule: a.Rule, Target: a.Target, State: StateFired, Detail: a.Detail, Since: a.Since}}
		}
		return nil
	}
	a.Pending = time.Time{} // a blip shorter than For never fires
	if !a.Firing {
		return nil
	}
	if a.Calm.IsZero() {
		a.Calm = now
	}
	if now.Sub(a.Calm) >= r.Clear {
		a.Firing = false
		return []Transition{{Time: now, Rule: a.Rule, Target: a.Target, State: StateResolved, Detail: a.Detail, Since: a.Since}}
	}
	return nil
}

// Open returns the firing alerts, oldest first.
func (e *Engine) Open() []Alert {
	var out []Alert
	for _, a := range e.Alerts {
		if a.Firing {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}
