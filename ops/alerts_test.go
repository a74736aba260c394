package ops

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

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
	got := collapse(conds, "silent")
	if len(got) != 1 || got[0].Target != ManyMiners || !got[0].Active || len(got[0].Members) != 30 || !strings.Contains(got[0].Detail, "30 miners silent") ||
		!strings.Contains(got[0].Detail, "rig-00") || !strings.Contains(got[0].Detail, "(+10 more)") {
		t.Fatalf("%+v", got)
	}
	few := conds[25:35] // 5 silent
	if got := collapse(few, "silent"); len(got) != len(few) {
		t.Fatalf("a few silent miners are alerted one by one: %+v", got)
	}
}

// A hook that fails is the alerts component's state, with its reason, until one works.
func TestFailingHookIsTheAlertsComponent(t *testing.T) {
	dir := t.TempDir()
	hook := filepath.Join(dir, "hook.sh")
	os.WriteFile(hook, []byte("#!/bin/sh\n[ -e \"$0.ok\" ] && exit 0\necho 'smtp refused' >&2\nexit 3\n"), 0o755)
	clock := t0
	l := alertLocal(t, t.TempDir(), []string{hook})
	defer l.Store.Close()
	l.Now = func() time.Time { return clock }
	component := func() api.Component {
		for _, c := range l.Components() {
			if c.Name == api.ComponentAlerts {
				return c
			}
		}
		t.Fatalf("no alerts component in %+v", l.Components())
		return api.Component{}
	}
	waitFor := func(up bool) api.Component {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if c := component(); c.Up == up && !c.Since.IsZero() {
				return c
			}
		}
		t.Fatalf("alerts component never up=%v: %+v", up, component())
		return api.Component{}
	}
	l.Store.Apply(&store.Batch{Events: []model.Event{shareAt(t0, "rig-01")}})
	clock = t0.Add(31 * time.Minute)
	l.EvaluateAlerts(context.Background()) // fires: the hook fails
	if c := waitFor(false); !strings.Contains(c.Reason, "smtp refused") {
		t.Fatalf("reason %q", c.Reason)
	}
	os.WriteFile(hook+".ok", nil, 0o644)
	l.Store.Apply(&store.Batch{Events: []model.Event{shareAt(clock, "rig-01")}})
	l.EvaluateAlerts(context.Background())
	clock = clock.Add(2 * time.Minute)
	l.EvaluateAlerts(context.Background()) // resolves: the hook works
	waitFor(true)
}

// A part of P2Pool's log lost unread fires log_unread once, naming the file, when and how much;
// status lists it and exits 1, /metrics counts it, and it resolves when acknowledged (or after
// its rule's after, 24 h) (issue 31).
func TestLogUnreadAlert(t *testing.T) {
	for _, end := range []string{"acknowledged", "24 h later"} {
		t.Run(end, func(t *testing.T) {
			clock := t0
			l := alertLocal(t, t.TempDir(), nil)
			defer l.Store.Close()
			l.Now = func() time.Time { return clock }
			ctx := context.Background()
			l.EvaluateAlerts(ctx)
			l.NoteUnread(ingest.Unread{Path: "/var/lib/p2pool/p2pool.log.1", Bytes: -1, Why: "deleted while db4e was stopped"})
			l.NoteUnread(ingest.Unread{Path: "/var/lib/p2pool/p2pool.log", Bytes: 4096, Why: "truncated (copytruncate) with no copy of it found"})
			tr := l.EvaluateAlerts(ctx)
			if len(tr) != 1 || tr[0].Rule != alert.RuleLogUnread || tr[0].State != alert.StateFired ||
				!strings.Contains(tr[0].Detail, "4096 bytes of /var/lib/p2pool/p2pool.log was never read") || !strings.Contains(tr[0].Detail, "2 such loss(es)") {
				t.Fatalf("transitions %+v", tr)
			}
			st, err := l.Status(ctx)
			if err != nil || !slices.Contains(st.Problems(), "alert log_unread /var/lib/p2pool/p2pool.log") {
				t.Fatalf("status problems %v %v", st.Problems(), err)
			}
			srv := httptest.NewServer(MetricsHandler(l))
			defer srv.Close()
			text := scrape(t, srv.URL)
			if !strings.Contains(text, "db4e_log_unread_total 2") || !strings.Contains(text, "db4e_log_unread_bytes_total 4096") {
				t.Errorf("metrics:\n%s", text)
			}
			clock = clock.Add(time.Hour)
			if tr := l.EvaluateAlerts(ctx); len(tr) != 0 {
				t.Fatalf("fired again: %+v", tr)
			}
			if end == "acknowledged" {
				if err := l.Acknowledge(ctx, alert.RuleLogUnread); err != nil {
					t.Fatal(err)
				}
			} else {
				clock = t0.Add(24*time.Hour + time.Minute)
			}
			tr = l.EvaluateAlerts(ctx)
			if len(tr) != 1 || tr[0].State != alert.StateResolved {
				t.Fatalf("not resolved: %+v", tr)
			}
		})
	}
}
