package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
	"github.com/db4e/db4e/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func engine() *alert.Engine {
	return &alert.Engine{Rules: map[string]alert.RuleConfig{"r": {Enabled: true, For: 5 * time.Minute, Clear: 2 * time.Minute}}}
}

// feed runs the engine once a minute with active taken from pattern ('#' active, '.' not).
func feed(e *alert.Engine, start time.Time, pattern string) []alert.Transition {
	var out []alert.Transition
	for i, c := range pattern {
		out = append(out, e.Evaluate(start.Add(time.Duration(i)*time.Minute), []alert.Condition{{Rule: "r", Target: "rig-01", Active: c == '#', Detail: "d"}})...)
	}
	return out
}

func states(ts []alert.Transition) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.State+"@"+t.Time.Format("15:04"))
	}
	return strings.Join(s, " ")
}

func TestAlertLifeCycle(t *testing.T) {
	for _, tt := range []struct {
		name, pattern, want string
	}{
		{"fires after its duration, once", "########", "fired@12:05"},
		{"a blip shorter than the duration never fires", "####....####.", ""},
		{"resolves once the condition is gone for clear", "######.....", "fired@12:05 resolved@12:08"},
		{"a flapping value is one notification", "######.#.#.#.#.#.....", "fired@12:05 resolved@12:18"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := states(feed(engine(), t0, tt.pattern)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func alertLocal(t *testing.T, dir string, hook []string) *Local {
	t.Helper()
	cfg := Config{P2Pool: ingest.DefaultConfig(), Alerts: alert.Defaults()}
	cfg.Alerts.Hook = hook
	cfg.Alerts.HookTimeout = time.Second
	cfg.Alerts.Rules.MinerSilent = alert.RuleConfig{Enabled: true, After: 30 * time.Minute, For: 0, Clear: time.Minute}
	cfg.Alerts.Rules.NoShares.Enabled, cfg.Alerts.Rules.DiskLow.Enabled, cfg.Alerts.Rules.HashrateLow.Enabled = false, false, false
	l, err := OpenLocal(dir, store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func shareAt(tm time.Time, host string) model.Event {
	return model.Event{Time: tm, Kind: model.KindShare, Host: host, ID: model.HashID([]byte(host + tm.String()))}
}

// A miner goes silent: the alert fires once, is stored, survives a restart of the service
// without firing again, and resolves once the miner is back.
func TestMinerSilentAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clock := t0
	l := alertLocal(t, dir, nil)
	l.Now = func() time.Time { return clock }
	const host = "rig-\"01\"; $(reboot) `id`"
	l.Store.Apply(&store.Batch{Events: []model.Event{shareAt(t0, model.SanitizeName(host, 64))}})
	ctx := context.Background()
	clock = t0.Add(20 * time.Minute)
	if tr := l.EvaluateAlerts(ctx); len(tr) != 0 {
		t.Fatalf("fired early: %+v", tr)
	}
	clock = t0.Add(31 * time.Minute)
	tr := l.EvaluateAlerts(ctx)
	if len(tr) != 1 || tr[0].State != alert.StateFired || tr[0].Rule != alert.RuleMinerSilent {
		t.Fatalf("%+v", tr)
	}
	snap, _ := l.Snapshot(ctx, api.SnapshotQuery{})
	if len(snap.Alerts) != 1 || !snap.Miners[0].Alert {
		t.Fatalf("snapshot alerts %+v miners %+v", snap.Alerts, snap.Miners)
	}
	if st, _ := l.Status(ctx); len(st.Down()) != 1 {
		t.Fatalf("status does not count the open alert: %v", st.Down())
	}
	l.Store.Close()

	l = alertLocal(t, dir, nil) // the service restarts
	l.Now = func() time.Time { return clock }
	clock = t0.Add(40 * time.Minute)
	if tr := l.EvaluateAlerts(ctx); len(tr) != 0 {
		t.Fatalf("fired again after a restart: %+v", tr)
	}
	if len(l.OpenAlerts()) != 1 {
		t.Fatal("the open alert was lost in the restart")
	}
	l.Store.Apply(&store.Batch{Events: []model.Event{shareAt(clock, model.SanitizeName(host, 64))}})
	l.EvaluateAlerts(ctx)
	clock = clock.Add(2 * time.Minute)
	tr = l.EvaluateAlerts(ctx)
	if len(tr) != 1 || tr[0].State != alert.StateResolved {
		t.Fatalf("resolve: %+v", tr)
	}
	var kinds []string
	l.Store.Events(ctx, time.Time{}, time.Time{}, func(e *model.Event) error {
		if e.Kind == "alert" {
			kinds = append(kinds, e.State)
		}
		return nil
	})
	l.Store.Close()
	if strings.Join(kinds, ",") != "fired,resolved" {
		t.Fatalf("alert events %v", kinds)
	}
}

// The hook gets the alert as JSON on stdin and in its environment; a hostile miner name arrives
// intact and runs nothing; a hook that hangs is killed at its timeout.
func TestAlertHook(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hook.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ncat > \"$OUT/stdin.json\"\nenv | grep ^DB4E_ | sort > \"$OUT/env\"\n"), 0o755)
	t.Setenv("OUT", dir)
	h := &alert.Hook{Timeout: 5 * time.Second}
	hostile := "rig\"; touch " + dir + "/pwned; `touch " + dir + "/pwned2` $(touch " + dir + "/pwned3)"
	tr := alert.Transition{Time: t0, Rule: alert.RuleMinerSilent, Target: hostile, State: alert.StateFired, Detail: "no share for 31m", Since: t0}
	if err := h.Run(context.Background(), []string{script}, tr); err != nil {
		t.Fatal(err)
	}
	var got alert.Transition
	b, _ := os.ReadFile(filepath.Join(dir, "stdin.json"))
	if err := json.Unmarshal(b, &got); err != nil || got.Target != hostile || got.State != alert.StateFired {
		t.Fatalf("stdin %s: %v", b, err)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	for _, want := range []string{"DB4E_ALERT=miner_silent", "DB4E_STATE=fired", "DB4E_TARGET=" + hostile} {
		if !strings.Contains(string(env), want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	for _, f := range []string{"pwned", "pwned2", "pwned3"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Fatalf("the miner name ran a command (%s)", f)
		}
	}
	hang := filepath.Join(dir, "hang.sh")
	os.WriteFile(hang, []byte("#!/bin/sh\nsleep 60\n"), 0o755)
	h.Timeout = 300 * time.Millisecond
	start := time.Now()
	err := h.Run(context.Background(), []string{hang}, tr)
	if !errors.Is(err, runner.ErrTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("hanging hook: %v after %v", err, time.Since(start))
	}
	fail := filepath.Join(dir, "fail.sh")
	os.WriteFile(fail, []byte("#!/bin/sh\necho 'smtp refused' >&2\nexit 2\n"), 0o755)
	if err := h.Run(context.Background(), []string{fail}, tr); err == nil || !strings.Contains(err.Error(), "smtp refused") {
		t.Fatalf("failing hook: %v", err)
	}
}

// A hook that hangs never holds up the evaluation (nor, so, the ingest beside it).
func TestHookDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	hang := filepath.Join(dir, "hang.sh")
	os.WriteFile(hang, []byte("#!/bin/sh\nsleep 5\n"), 0o755)
	clock := t0
	l := alertLocal(t, t.TempDir(), []string{hang})
	defer l.Store.Close()
	l.Now = func() time.Time { return clock }
	l.Store.Apply(&store.Batch{Events: []model.Event{shareAt(t0, "rig-01")}})
	clock = t0.Add(31 * time.Minute)
	start := time.Now()
	if tr := l.EvaluateAlerts(context.Background()); len(tr) != 1 {
		t.Fatalf("%+v", tr)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("evaluation waited %v for the hook", d)
	}
}

// Many miners silent at once (a switch, a power cut) are one alert naming them, not one each.
func TestManySilentMinersAreOneAlert(t *testing.T) {
	var conds []alert.Condition
	for i := range 40 {
		conds = append(conds, alert.Condition{Rule: alert.RuleMinerSilent, Target: fmt.Sprintf("rig-%02d", i), Active: i < 30})
	}
	got := collapseSilent(conds)
	if len(got) != 1 || got[0].Target != ManyMiners || !got[0].Active || !strings.Contains(got[0].Detail, "30 miners silent") ||
		!strings.Contains(got[0].Detail, "rig-00") || !strings.Contains(got[0].Detail, "(+10 more)") {
		t.Fatalf("%+v", got)
	}
	few := conds[25:35] // 5 silent
	if got := collapseSilent(few); len(got) != len(few) {
		t.Fatalf("a few silent miners are alerted one by one: %+v", got)
	}
}
