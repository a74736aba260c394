package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/store"
)

// fakeRigs is xmrig's HTTP API for several rigs on one loopback server (/<rig>/2/summary),
// answering from the recorded summary with the hashrate, uptime and share counts the test sets,
// on the test's clock.
type fakeRigs struct {
	mu      sync.Mutex
	now     func() time.Time
	rigs    map[string]*fakeRig
	summary map[string]any
}

type fakeRig struct {
	hashrate      float64
	started       time.Time
	good, total   uint64
	restartsCount int
	// restartHelps: a restart brings the hashrate back to healthy.
	restartHelps bool
	healthy      float64
}

func newFakeRigs(t *testing.T, dir string, now func() time.Time) (*fakeRigs, *httptest.Server) {
	t.Helper()
	b, err := os.ReadFile("../collect/testdata/xmrig_summary.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRigs{now: now, rigs: map[string]*fakeRig{}}
	if err := json.Unmarshal(b, &f.summary); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if os.Remove(filepath.Join(dir, "restarted-"+name)) == nil {
			f.restarted(name) // the restart command ran
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		rig := f.rigs[name]
		if rig == nil || rest != "2/summary" {
			http.NotFound(w, r)
			return
		}
		s := f.summary
		uptime := f.now().Sub(rig.started).Seconds()
		s["worker_id"], s["uptime"] = name, uptime
		var rate any = rig.hashrate
		if uptime < 60 {
			rate = nil // xmrig has no 60 s figure in its first minute
		}
		s["hashrate"] = map[string]any{"total": []any{rate, rate, rate}}
		s["results"] = map[string]any{"shares_good": rig.good, "shares_total": rig.total}
		json.NewEncoder(w).Encode(s)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRigs) add(name string, hashrate float64, helps bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rigs[name] = &fakeRig{hashrate: hashrate, healthy: hashrate, started: f.now().Add(-24 * time.Hour), restartHelps: helps}
}

func (f *fakeRigs) set(name string, fn func(*fakeRig)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.rigs[name])
}

// restarted is the restart command's effect (it leaves restarted-<rig> in the test's dir): xmrig starts again, hashing again if that helps.
func (f *fakeRigs) restarted(name string) {
	f.set(name, func(r *fakeRig) {
		r.restartsCount++
		r.started = f.now()
		r.good, r.total = 0, 0
		if r.restartHelps {
			r.hashrate = r.healthy
		}
	})
}

// watchdogFarm is a service over rigs on a loopback xmrig API, with a controlled clock, the
// watchdog set up with restart.concurrency and a miner target for each rig whose restart
// command (a real shell) leaves a file that tells the fake xmrig it restarted.
type watchdogFarm struct {
	l     *Local
	rigs  *fakeRigs
	srv   *httptest.Server
	clock time.Time
	mu    sync.Mutex
	xmrig *collect.Xmrig
	// log has a line "start <rig>" and "end <rig>" for every restart command, in order.
	log string
	// reopen is the service started again on the same store (after a kill -9, a reboot).
	reopen func()
}

func newWatchdogFarm(t *testing.T, names []string, restartRule string, concurrency int, helps bool) *watchdogFarm {
	t.Helper()
	w := &watchdogFarm{clock: t0}
	now := func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.clock }
	dir := t.TempDir()
	w.rigs, w.srv = newFakeRigs(t, dir, now)
	w.log = filepath.Join(dir, "restarts.log")
	cfg := Config{P2Pool: ingest.DefaultConfig(), Alerts: alert.Defaults(), Miners: collect.DefaultMinersConfig()}
	cfg.Alerts.Rules.NoShares.Enabled, cfg.Alerts.Rules.DiskLow.Enabled, cfg.Alerts.Rules.HashrateLow.Enabled = false, false, false
	cfg.Alerts.Rules.MinerSilent.Enabled, cfg.Alerts.Rules.LogSilent.Enabled = false, false
	cfg.Alerts.Rules.RigSlow.Restart = restartRule
	var targets []restart.TargetConfig
	for _, n := range names {
		w.rigs.add(n, 6000, helps)
		cfg.Miners.Xmrig = append(cfg.Miners.Xmrig, collect.XmrigConfig{Name: n, URL: w.srv.URL + "/" + n})
		cmd := fmt.Sprintf(`echo "start %[1]s" >> %[2]s; sleep 0.2; touch %[3]s/restarted-%[1]s; echo "end %[1]s" >> %[2]s`, n, w.log, dir)
		targets = append(targets, restart.TargetConfig{Name: n, Kind: restart.KindMiner, Restart: cmd,
			Health: restart.HealthConfig{URL: w.srv.URL + "/" + n, Interval: 20 * time.Millisecond, Wait: 10 * time.Second}})
	}
	l, err := OpenLocal(dir, store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.WaitWatchdog(); l.Store.Close() })
	l.Now = now
	built, err := restart.BuildTargets(targets, "", "")
	if err != nil {
		t.Fatal(err)
	}
	l.SetWatchdog(&restart.Restarter{Concurrency: concurrency}, built)
	w.l, w.xmrig = l, &collect.Xmrig{Config: cfg.Miners}
	w.reopen = func() {
		l.WaitWatchdog()
		l.Store.Close()
		n, err := OpenLocal(dir, store.Config{Timezone: "UTC"}, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.WaitWatchdog(); n.Store.Close() })
		n.Now = now
		n.SetWatchdog(&restart.Restarter{Concurrency: concurrency}, built)
		w.l, l = n, n
	}
	return w
}

// minute moves the clock on a minute, polls the rigs and evaluates the alerts, as the service
// does, and waits for the watchdog's restarts.
func (w *watchdogFarm) minute(ctx context.Context) []alert.Transition {
	w.mu.Lock()
	w.clock = w.clock.Add(time.Minute)
	w.mu.Unlock()
	w.l.collect(ctx, w.xmrig)
	tr := w.l.EvaluateAlerts(ctx)
	w.l.WaitWatchdog()
	return tr
}

func (w *watchdogFarm) restarts(t *testing.T) []model.Event {
	t.Helper()
	var out []model.Event
	w.l.Store.Events(context.Background(), t0.Add(-time.Hour), t0.Add(48*time.Hour), func(e *model.Event) error {
		if e.Kind == model.KindAction && e.Who == WatchdogWho {
			out = append(out, *e)
		}
		return nil
	})
	return out
}

func fired(trs []alert.Transition, rule string) []alert.Transition {
	var out []alert.Transition
	for _, tr := range trs {
		if tr.Rule == rule && tr.State == alert.StateFired {
			out = append(out, tr)
		}
	}
	return out
}

// A rig that stalls is restarted once when its rig_slow alert fires; it comes back, the alert
// resolves, and nothing else is restarted.
func TestWatchdogRestartsARigThatStalls(t *testing.T) {
	ctx := context.Background()
	w := newWatchdogFarm(t, []string{"rig-01", "rig-02"}, alert.RestartMiner, 4, true)
	for range 60 { // an hour of normal work: the rigs' yardstick
		if tr := w.minute(ctx); len(tr) != 0 {
			t.Fatalf("alert while all is well: %+v", tr)
		}
	}
	w.rigs.set("rig-01", func(r *fakeRig) { r.hashrate = 0 })
	var all []alert.Transition
	for range 30 {
		all = append(all, w.minute(ctx)...)
	}
	if f := fired(all, alert.RuleRigSlow); len(f) != 1 || f[0].Target != "rig-01" || !strings.Contains(f[0].Detail, "0 H/s now") ||
		!strings.Contains(f[0].Detail, "6.00 kH/s") {
		t.Fatalf("rig_slow fired %+v", all)
	}
	got := w.restarts(t)
	if len(got) != 1 || got[0].Target != "rig-01" || got[0].Result != "ok" {
		t.Fatalf("watchdog restarts %+v", got)
	}
	if !hasTransition(all, alert.RuleRigSlow, "rig-01", alert.StateResolved) {
		t.Fatalf("rig_slow did not resolve once the rig hashed again: %+v", all)
	}
	if f := fired(all, alert.RuleWatchdogGaveUp); len(f) != 0 {
		t.Fatalf("gave up on a restart that helped: %+v", f)
	}
}

func hasTransition(trs []alert.Transition, rule, target, state string) bool {
	for _, tr := range trs {
		if tr.Rule == rule && tr.Target == target && tr.State == state {
			return true
		}
	}
	return false
}

// A rig that a restart does not help is restarted at most max_restarts times in the window,
// settle apart; then one watchdog_gave_up alert says so, and no more restarts follow while the
// alert fires, across a restart of the service. When the rig is fixed by hand, both resolve.
func TestWatchdogGivesUp(t *testing.T) {
	ctx := context.Background()
	w := newWatchdogFarm(t, []string{"rig-01"}, alert.RestartMiner, 4, false)
	for range 60 {
		w.minute(ctx)
	}
	w.rigs.set("rig-01", func(r *fakeRig) { r.hashrate = 0 })
	var all []alert.Transition
	for range 20 { // restarts at minutes 66 and 76
		all = append(all, w.minute(ctx)...)
	}
	// The service restarts: the watchdog counts the restarts it made before from the store.
	w.reopen()
	for range 100 {
		all = append(all, w.minute(ctx)...)
	}
	got := w.restarts(t)
	if len(got) != 3 {
		var when []string
		for _, e := range got {
			when = append(when, e.Time.Sub(t0).String())
		}
		t.Fatalf("%d restarts (at %v after the start), want max_restarts (3)", len(got), when)
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].Time.Sub(got[i-1].Time); gap < 10*time.Minute {
			t.Fatalf("restarts %s apart, under settle (10m)", gap)
		}
	}
	gave := fired(all, alert.RuleWatchdogGaveUp)
	if len(gave) != 1 || gave[0].Target != "rig-01" || !strings.Contains(gave[0].Detail, "restarted 3 times") {
		t.Fatalf("watchdog_gave_up %+v", gave)
	}
	if f := fired(all, alert.RuleRigSlow); len(f) != 1 {
		t.Fatalf("rig_slow fired %d times: %+v", len(f), f)
	}
	// Fixed by hand: rig_slow resolves, and with it the watchdog's giving up.
	w.rigs.set("rig-01", func(r *fakeRig) { r.hashrate = 6000 })
	all = nil
	for range 15 {
		all = append(all, w.minute(ctx)...)
	}
	if !hasTransition(all, alert.RuleRigSlow, "rig-01", alert.StateResolved) || !hasTransition(all, alert.RuleWatchdogGaveUp, "rig-01", alert.StateResolved) {
		t.Fatalf("not resolved: %+v", all)
	}
}

// With the rule's restart off (the default), a stalled rig is alerted on and never restarted.
func TestWatchdogOffRestartsNothing(t *testing.T) {
	ctx := context.Background()
	w := newWatchdogFarm(t, []string{"rig-01"}, "", 4, true)
	for range 60 {
		w.minute(ctx)
	}
	w.rigs.set("rig-01", func(r *fakeRig) { r.hashrate = 0 })
	var all []alert.Transition
	for range 60 {
		all = append(all, w.minute(ctx)...)
	}
	if len(fired(all, alert.RuleRigSlow)) != 1 {
		t.Fatalf("rig_slow did not fire: %+v", all)
	}
	if got := w.restarts(t); len(got) != 0 {
		t.Fatalf("restarted with the rule's restart off: %+v", got)
	}
	if b, _ := os.ReadFile(w.log); len(b) != 0 {
		t.Fatalf("a restart command ran:\n%s", b)
	}
}

// Twelve rigs stall at once (their pool went away): one alert names them all, and the watchdog
// restarts each, never more than restart.concurrency at once.
func TestWatchdogManyRigsWithinConcurrency(t *testing.T) {
	ctx := context.Background()
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("rig-%02d", i))
	}
	w := newWatchdogFarm(t, names, alert.RestartMiner, 3, true)
	for range 60 {
		w.minute(ctx)
	}
	for _, n := range names {
		w.rigs.set(n, func(r *fakeRig) { r.hashrate = 100 })
	}
	var all []alert.Transition
	for range 10 {
		all = append(all, w.minute(ctx)...)
	}
	f := fired(all, alert.RuleRigSlow)
	if len(f) != 1 || f[0].Target != ManyMiners || !strings.Contains(f[0].Detail, "12 miners slow at once") {
		t.Fatalf("rig_slow fired %+v", f)
	}
	if got := w.restarts(t); len(got) != 12 {
		t.Fatalf("%d restarts, want one for each of the 12 rigs", len(got))
	}
	b, err := os.ReadFile(w.log)
	if err != nil {
		t.Fatal(err)
	}
	running, most := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "start ") {
			running++
		} else {
			running--
		}
		most = max(most, running)
	}
	if most > 3 || most < 2 {
		t.Fatalf("at most %d restarts ran at once, want up to restart.concurrency (3):\n%s", most, b)
	}
}

// A rig that starts to have its shares rejected is alerted on once more than 5% of its shares
// in the last hour were rejected; xmrig's counters restarting with it do not confuse the count.
func TestRigRejectedOverTheLastHour(t *testing.T) {
	ctx := context.Background()
	w := newWatchdogFarm(t, []string{"rig-01", "rig-02"}, "", 4, true)
	share := func(good, total uint64) {
		for _, n := range []string{"rig-01", "rig-02"} {
			w.rigs.set(n, func(r *fakeRig) {
				if n == "rig-01" {
					r.good += good
				} else {
					r.good += total
				}
				r.total += total
			})
		}
	}
	var all []alert.Transition
	for range 60 {
		share(10, 10)
		all = append(all, w.minute(ctx)...)
	}
	if len(all) != 0 {
		t.Fatalf("alerts while no share was rejected: %+v", all)
	}
	for range 40 { // rig-01: 2 of every 10 rejected from now on
		share(8, 10)
		all = append(all, w.minute(ctx)...)
	}
	f := fired(all, alert.RuleRigRejected)
	if len(f) != 1 || f[0].Target != "rig-01" || !strings.Contains(f[0].Detail, "shares rejected in the last hour") {
		t.Fatalf("rig_rejected fired %+v", f)
	}
	w.rigs.restarted("rig-01") // its counters start again from 0
	all = nil
	for range 40 {
		share(10, 10)
		all = append(all, w.minute(ctx)...)
	}
	if !hasTransition(all, alert.RuleRigRejected, "rig-01", alert.StateResolved) || len(fired(all, alert.RuleRigRejected)) != 0 {
		t.Fatalf("after its restart with no rejects: %+v", all)
	}
}
