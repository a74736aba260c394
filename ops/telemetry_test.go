package ops

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

func events(t *testing.T, l *Local, kind string) []model.Event {
	var out []model.Event
	err := l.Store.Events(context.Background(), time.Time{}, time.Time{}, func(e *model.Event) error {
		if e.Kind == kind {
			out = append(out, *e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// recorded serves a recorded answer from collect/testdata on loopback, until down is set:
// then 502, as a proxy in front of a dead miner or node answers.
func recorded(t *testing.T, file string) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("../collect/testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	down := new(atomic.Bool)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "gone", http.StatusBadGateway)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, down
}

func TestMinerDownAndUpOnceAcrossRestarts(t *testing.T) {
	xmrig, down := recorded(t, "xmrig_summary.json")
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Miners.Xmrig, cfg.Miners.Timeout = []collect.XmrigConfig{{Name: "rig-01", URL: xmrig.URL}}, time.Second
	open := func() *Local {
		l, err := OpenLocal(dir, store.Config{Timezone: "UTC"}, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	ctx := context.Background()
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	l.PollOnce(ctx) // up at first: not news
	if n := len(events(t, l, model.KindMiner)); n != 0 {
		t.Fatalf("%d events for a miner that was up from the start", n)
	}
	down.Store(true)
	l.PollOnce(ctx)
	l.PollOnce(ctx) // still down: no second event
	st, _ := l.Status(ctx)
	if got := st.Down(); len(got) != 1 || got[0] != "rig-01" {
		t.Fatalf("down %v", got)
	}
	snap, _ := l.Snapshot(ctx, api.SnapshotQuery{})
	if len(snap.Health) != 1 || snap.Health[0].Up {
		t.Fatalf("snapshot health %+v", snap.Health)
	}
	l.Store.Close()

	l = open() // the service restarts: rig-01 is still down, and that is not news either
	l.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	l.PollOnce(ctx)
	down.Store(false)
	l.PollOnce(ctx)
	evs := events(t, l, model.KindMiner)
	l.Store.Close()
	if len(evs) != 2 || evs[0].State != "down" || evs[1].State != "up" || evs[0].Host != "rig-01" || !strings.Contains(evs[0].Result, "502") {
		t.Fatalf("events %+v", evs)
	}
}

func TestLeasesInventory(t *testing.T) {
	dir := t.TempDir()
	leases := filepath.Join(dir, "dnsmasq.leases")
	os.WriteFile(leases, []byte("0 aa:bb:cc:00:00:21 192.168.1.21 rig-01 *\n0 aa:bb:cc:00:00:22 192.168.1.22 $(halt) *\n"), 0o644)
	l, err := OpenLocal(filepath.Join(dir, "data"), store.Config{Timezone: "UTC"}, Config{Miners: collect.MinersConfig{Leases: leases}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	ctx := context.Background()
	l.PollOnce(ctx)
	l.PollOnce(ctx) // nothing new
	os.WriteFile(leases, []byte("0 aa:bb:cc:00:00:22 192.168.1.32 $(halt) *\n"), 0o644)
	l.PollOnce(ctx)
	evs := events(t, l, model.KindMiner)
	var got []string
	for _, e := range evs {
		got = append(got, e.State+" "+e.MAC+" "+e.Host)
	}
	sort.Strings(got) // events of one poll share their time
	want := "appeared aa:bb:cc:00:00:21 rig-01|appeared aa:bb:cc:00:00:22 $(halt)|gone aa:bb:cc:00:00:21 rig-01"
	if strings.Join(got, "|") != want {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	st, _ := l.Status(ctx)
	if len(st.Inventory) != 2 || st.Inventory[1].IP != "192.168.1.32" || st.Inventory[0].Present {
		t.Fatalf("inventory %+v", st.Inventory)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	l := fixtureLocal(t, t.TempDir())
	defer l.Store.Close()
	l.Cfg.Miners = collect.DefaultMinersConfig()
	// rig-03's worker sample is from 09:30:00, read from the log (no data-api): current for
	// miners.stale_after (30 min), and then no longer exported.
	now := time.Date(2025, 3, 1, 9, 45, 0, 0, time.UTC)
	l.Now = func() time.Time { return now }
	hs := payoutHeights(t, l) // one confirmed by the node, one orphaned
	judge(t, l, model.PayoutConfirmed, hs[0])
	judge(t, l, model.PayoutOrphaned, hs[1])
	srv := httptest.NewServer(MetricsHandler(l))
	defer srv.Close()
	text := scrape(t, srv.URL)
	for _, want := range []string{
		`db4e_shares_total{host="rig-02"} 3`,
		`db4e_blocks_total 2`,
		`db4e_payments_total 2`,
		`db4e_payments_xmr_total 0.000531220018`,
		`db4e_payouts_xmr{state="claimed"} 0.001611286503`,
		`db4e_payouts_xmr{state="confirmed"} 0.000531220018`,
		`db4e_payouts_xmr{state="orphaned"} 0.001080066485`,
		`db4e_payouts_xmr{state="unlocked"} 0`,
		`db4e_miner_hashrate_hashes_per_second{miner="rig-03",source="p2pool"} 788`,
		`db4e_pool_hashrate_hashes_per_second{scope="sidechain"} 1.2291e+07`,
		`# TYPE db4e_shares_total counter`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	now = now.Add(20 * time.Minute)
	if text := scrape(t, srv.URL); strings.Contains(text, `miner="rig-03"`) {
		t.Errorf("rig-03's hashrate of 09:30 exported as current at 10:05:\n%s", text)
	}
	if r, err := http.Get(srv.URL + "/debug/vars"); err == nil && r.StatusCode == 200 {
		t.Error("expvar is served beside the metrics")
	}
}

// The Grafana dashboard in the repo asks only for metrics db4e serves.
func TestGrafanaDashboardMetricsExist(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	ch := make(chan *prometheus.Desc, 64)
	go func() { newMetrics(nil).describeAll(ch); close(ch) }()
	for d := range ch {
		if m := regexp.MustCompile(`fqName: "(\w+)"`).FindStringSubmatch(d.String()); m != nil {
			served[m[1]] = true
		}
	}
	names := regexp.MustCompile(`db4e_\w+`).FindAllString(string(b), -1)
	if len(names) < 5 {
		t.Fatalf("the dashboard names %d metrics", len(names))
	}
	for _, n := range names {
		if !served[n] {
			t.Errorf("the dashboard asks for %s, which db4e does not serve", n)
		}
	}
}

// Each collector has its own success and duration metric: one failing source shows as that
// collector failing, the others as working.
func TestEachCollectorHasItsOwnMetrics(t *testing.T) {
	xmrig, _ := recorded(t, "xmrig_summary.json")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // a port nothing answers on: monerod is down
	dir := t.TempDir()
	leases := filepath.Join(dir, "leases")
	os.WriteFile(leases, []byte("0 aa:bb:cc:00:00:21 192.168.1.21 rig-01 *\n"), 0o644)

	cfg := DefaultConfig()
	cfg.Monerod.RPC, cfg.Monerod.Timeout = closed.URL, time.Second
	cfg.P2Pool.DataAPI, cfg.P2Pool.APIMaxAge = "../collect/testdata/data-api", 0
	cfg.Miners.Xmrig = []collect.XmrigConfig{{Name: "rig-01", URL: xmrig.URL}, {Name: "rig-02", URL: closed.URL}}
	cfg.Miners.Leases = leases
	l, err := OpenLocal(filepath.Join(dir, "data"), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	l.PollOnce(context.Background())
	srv := httptest.NewServer(MetricsHandler(l))
	defer srv.Close()
	b := scrape(t, srv.URL)
	for _, c := range []struct {
		name string
		ok   int
	}{{"monerod", 0}, {"p2pool", 1}, {"xmrig", 0}, {"leases", 1}} {
		if want := fmt.Sprintf("db4e_collector_success{collector=%q} %d\n", c.name, c.ok); !strings.Contains(b, want) {
			t.Errorf("no %q", want)
		}
		if want := fmt.Sprintf("db4e_collector_duration_seconds{collector=%q} ", c.name); !strings.Contains(b, want) {
			t.Errorf("no %q", want)
		}
	}
	// monerod does not answer: no height or sync state of an old answer is shown as current.
	for _, stale := range []string{"db4e_node_height ", "db4e_node_synchronized "} {
		if strings.Contains(b, stale) {
			t.Errorf("%q while monerod is down", stale)
		}
	}
	for _, want := range []string{`db4e_component_up{component="monerod"} 0`, `db4e_component_up{component="p2pool"} 1`, "db4e_alerts_open 0"} {
		if !strings.Contains(b, want) {
			t.Errorf("no %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", b)
	}
}

// scrape reads base's /metrics.
func scrape(t *testing.T, base string) string {
	t.Helper()
	_, b := testtool.Get(t, base+"/metrics")
	return string(b)
}

// A node that stops answering loses its figures: its last height and sync state are not shown
// as if current (status, the header, /metrics).
func TestNodeFiguresDropWhenItStopsAnswering(t *testing.T) {
	monerod, down := recorded(t, "monerod_get_info.json")
	cfg := DefaultConfig()
	cfg.Monerod.RPC, cfg.Monerod.Timeout = monerod.URL, time.Second
	l, err := OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	srv := httptest.NewServer(MetricsHandler(l))
	defer srv.Close()
	l.PollOnce(context.Background())
	if m := scrape(t, srv.URL); !strings.Contains(m, "db4e_node_synchronized 1") || !strings.Contains(m, "db4e_node_height 3.350301e+06") {
		t.Fatalf("node up: no figures:\n%s", m)
	}
	down.Store(true)
	l.PollOnce(context.Background())
	if m := scrape(t, srv.URL); strings.Contains(m, "db4e_node_synchronized") || strings.Contains(m, "db4e_node_height ") {
		t.Fatalf("node down: its old figures are still shown:\n%s", m)
	}
	if st, _ := l.Status(context.Background()); !st.Node.At.IsZero() {
		t.Fatalf("status shows the node as of %v", st.Node.At)
	}
}

// One definition of a miner's state: a rig whose share is 2 h old but whose xmrig answers is
// ok in the table and raises no alert; a rig silent for 6 h is stale in the table and silent
// for the alert, never "ok" beside an alert.
func TestOneMinerState(t *testing.T) {
	xmrig, _ := recorded(t, "xmrig_summary.json")
	cfg := DefaultConfig()
	cfg.Miners.Xmrig = []collect.XmrigConfig{{Name: "rig-live", URL: xmrig.URL}}
	l, err := OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { return now }
	share := func(host string, at time.Time) model.Event {
		return model.Event{Time: at, Kind: model.KindShare, Host: host, ID: model.HashID([]byte(host + at.String()))}
	}
	l.Store.Apply(&store.Batch{Events: []model.Event{share("rig-live", now.Add(-2*time.Hour)), share("rig-quiet", now.Add(-6*time.Hour))}})
	l.PollOnce(context.Background())
	l.EvaluateAlerts(context.Background())
	snap, err := l.Snapshot(context.Background(), api.SnapshotQuery{Days: 7})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range snap.Miners {
		got[m.Host] = m.State
	}
	if got["rig-live"] != api.MinerOK || got["rig-quiet"] != api.MinerAlert {
		t.Errorf("states %v: want rig-live ok, rig-quiet alert (silent, with its alert open)", got)
	}
	for _, a := range snap.Alerts {
		if a.Target == "rig-live" {
			t.Errorf("an alert on a rig whose xmrig answers: %+v", a)
		}
	}
	if snap.Earnings.MinersUp != 1 || snap.Earnings.MinersStale != 1 { // silent is counted stale, alerted or not
		t.Errorf("up %d stale %d", snap.Earnings.MinersUp, snap.Earnings.MinersStale)
	}
}

// Workers behind an xmrig-proxy are miners like any other: rows with their hashrate, their own
// view with the proxy's figures, and the one not connected named in the miners component.
func TestXmrigProxyWorkersAreMiners(t *testing.T) {
	sum, err := os.ReadFile("../collect/testdata/xmrig-proxy/summary.json")
	if err != nil {
		t.Fatal(err)
	}
	workers, err := os.ReadFile("../collect/testdata/xmrig-proxy/workers.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		map[string]func(){"/1/summary": func() { w.Write(sum) }, "/1/workers": func() { w.Write(workers) }}[r.URL.Path]()
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Miners.Proxy = []collect.XmrigConfig{{Name: "proxy-a", URL: srv.URL}}
	l, err := OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	// Seconds after the proxy's answer was recorded: rig-14 left a day before (DOWN), rig-15
	// nine months before (retired).
	l.Now = func() time.Time { return time.UnixMilli(1763899210000).UTC() }
	ctx := context.Background()
	l.PollOnce(ctx)
	snap, err := l.Snapshot(ctx, api.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, m := range snap.Miners {
		hosts = append(hosts, fmt.Sprintf("%s %.0f %s", m.Host, m.Hashrate, m.State))
	}
	if got := strings.Join(hosts, ", "); got != "rig-11 6210 ok, rig-12 5840 ok, rig-13 2920 ok" {
		t.Fatalf("miners: %s", got)
	}
	d, err := l.Miner(ctx, api.MinerQuery{Host: "rig-12"})
	if err != nil || d.Xmrig == nil || d.Xmrig.Version != "xmrig-proxy 6.22.0" || d.Xmrig.Rejected != 81 || d.Xmrig.Pool != "via xmrig-proxy proxy-a" {
		t.Fatalf("rig-12's view: %+v %v", d.Xmrig, err)
	}
	i := slices.IndexFunc(l.Components(), func(c api.Component) bool { return c.Name == api.ComponentMiners })
	if c := l.Components()[max(i, 0)]; i < 0 || c.Up || !strings.Contains(c.Reason, "rig-14 (not connected to xmrig-proxy proxy-a)") || strings.Contains(c.Reason, "rig-15") {
		t.Fatalf("miners component %+v", c)
	}
}

// A rig whose xmrig stops answering is counted nowhere with its last figure: its row says the
// hashrate is stale, the farm's hashrate leaves it out, /metrics drops it, and its own view
// says why its API fails.
func TestDownRigCountsNowhere(t *testing.T) {
	xmrig, down := recorded(t, "xmrig_summary.json")
	cfg := DefaultConfig()
	cfg.Miners.Xmrig, cfg.Miners.Timeout = []collect.XmrigConfig{{Name: "rig-01", URL: xmrig.URL}}, time.Second
	l, err := OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	ctx := context.Background()
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { return clock }
	srv := httptest.NewServer(MetricsHandler(l))
	defer srv.Close()
	l.PollOnce(ctx)
	snap, _ := l.Snapshot(ctx, api.SnapshotQuery{})
	if len(snap.Miners) != 1 || snap.Miners[0].HashrateStale || !snap.Earnings.Hashrate.Ok() {
		t.Fatalf("an answering rig: %+v, farm %+v", snap.Miners, snap.Earnings.Hashrate)
	}
	if text := scrape(t, srv.URL); !strings.Contains(text, `db4e_miner_hashrate_hashes_per_second{miner="rig-01",source="xmrig"}`) {
		t.Fatalf("no hashrate for an answering rig:\n%s", text)
	}

	down.Store(true)
	clock = clock.Add(10 * time.Second) // within its poll interval: only the poll says it is down
	l.PollOnce(ctx)
	snap, _ = l.Snapshot(ctx, api.SnapshotQuery{})
	if m := snap.Miners[0]; !m.HashrateStale || m.State != api.MinerDown || snap.Earnings.Hashrate.Ok() {
		t.Errorf("a rig that stopped answering: %+v, farm %+v", m, snap.Earnings.Hashrate)
	}
	if text := scrape(t, srv.URL); strings.Contains(text, `miner="rig-01"`) || !strings.Contains(text, `db4e_target_up{kind="xmrig",target="rig-01"} 0`) {
		t.Errorf("the dead rig's last hashrate is exported:\n%s", text)
	}
	d, err := l.Miner(ctx, api.MinerQuery{Host: "rig-01"})
	if err != nil || d.API == nil || d.API.Up || !strings.Contains(d.API.Detail, "502") || !d.Row.HashrateStale {
		t.Errorf("its view: %v %+v %+v", err, d.API, d.Row)
	}

	// It answers again, then its samples stop (the collector stopped): older than twice
	// miners.interval, they are not current either.
	down.Store(false)
	clock = clock.Add(10 * time.Second)
	l.PollOnce(ctx)
	if snap, _ = l.Snapshot(ctx, api.SnapshotQuery{}); snap.Miners[0].HashrateStale {
		t.Errorf("an answering rig again: %+v", snap.Miners[0])
	}
	clock = clock.Add(2*cfg.Miners.Interval + time.Second)
	if snap, _ = l.Snapshot(ctx, api.SnapshotQuery{}); !snap.Miners[0].HashrateStale {
		t.Errorf("a sample %s old is current: %+v", 2*cfg.Miners.Interval+time.Second, snap.Miners[0])
	}
	if text := scrape(t, srv.URL); strings.Contains(text, `miner="rig-01"`) {
		t.Errorf("a sample %s old is exported:\n%s", 2*cfg.Miners.Interval+time.Second, text)
	}
}
