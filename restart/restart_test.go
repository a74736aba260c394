package restart

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
)

// monerodServer answers get_info, synchronized only from the syncAfter-th call on.
func monerodServer(t *testing.T, syncAfter int32) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/json_rpc" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		n := calls.Add(1)
		fmt.Fprintf(w, `{"id":"0","jsonrpc":"2.0","result":{"status":"OK","synchronized":%v,"height":3350000,"target_height":3350100,"offline":false}}`, n >= syncAfter)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func jsonServer(t *testing.T, path, body string, code int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(code)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	poolStats = `{"pool_list":["pplns"],"pool_statistics":{"hashRate":12291000,"miners":1200,"totalHashes":1,"lastBlockFoundTime":1,"lastBlockFound":3350555,"totalBlocksFound":5000}}`
	xmrigSum  = `{"id":"x","worker_id":"rig","uptime":10,"hashrate":{"total":[6201.3,6190.1,null],"highest":6300},"results":{"shares_good":3,"shares_total":3},"connection":{"pool":"10.0.0.2:3333","ping":1}}`
)

// farm is a set of local targets whose commands write their name to a file, in order.
type farm struct {
	order   string
	targets []TargetConfig
	mu      sync.Mutex
	events  []model.Event
	steps   []Step
}

func newFarm(t *testing.T) *farm {
	return &farm{order: filepath.Join(t.TempDir(), "order")}
}

func (f *farm) add(name, kind, healthURL string, wait time.Duration) {
	f.targets = append(f.targets, TargetConfig{
		Name: name, Kind: kind, Restart: fmt.Sprintf("echo %s >> %s", name, f.order),
		Health: HealthConfig{URL: healthURL, Wait: wait, Interval: 50 * time.Millisecond},
	})
}

func (f *farm) restarter() *Restarter {
	return &Restarter{Concurrency: 2, Who: "test",
		Record: func(_ context.Context, e model.Event) error {
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
			return nil
		},
		Progress: func(s Step) {
			f.mu.Lock()
			f.steps = append(f.steps, s)
			f.mu.Unlock()
		},
	}
}

func (f *farm) ran(t *testing.T) []string {
	b, _ := os.ReadFile(f.order)
	return strings.Fields(string(b))
}

func TestDailySequence(t *testing.T) {
	monerod, calls := monerodServer(t, 4) // syncs at the 4th check: the sequence must wait for it
	p2pool := jsonServer(t, "/pool/stats", poolStats, 200)
	rig := jsonServer(t, "/2/summary", xmrigSum, 200)
	f := newFarm(t)
	// configured in an order unlike the daily one
	f.add("rig-a", KindMiner, rig.URL, 5*time.Second)
	f.add("p2pool", KindP2Pool, p2pool.URL+"/pool/stats", 5*time.Second)
	f.add("rig-b", KindMiner, rig.URL, 5*time.Second)
	f.add("monerod", KindMonerod, monerod.URL, 5*time.Second)
	f.add("rig-c", KindMiner, rig.URL, 5*time.Second)
	targets, err := BuildTargets(f.targets, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.restarter().Run(context.Background(), DailyOrder(targets)); err != nil {
		t.Fatal(err)
	}
	got := f.ran(t)
	if len(got) != 5 || got[0] != "monerod" || got[1] != "p2pool" {
		t.Fatalf("order %v", got)
	}
	if calls.Load() < 4 {
		t.Fatalf("monerod checked %d times: P2Pool was restarted before monerod synchronized", calls.Load())
	}
	// P2Pool was restarted only after monerod was healthy
	var healthyMonerod, restartP2Pool time.Time
	for _, s := range f.steps {
		if s.Target == "monerod" && s.Phase == "healthy" {
			healthyMonerod = s.Time
		}
		if s.Target == "p2pool" && s.Phase == "restarting" {
			restartP2Pool = s.Time
		}
	}
	if restartP2Pool.Before(healthyMonerod) {
		t.Fatal("p2pool restarted before monerod was healthy")
	}
	if len(f.events) != 5 {
		t.Fatalf("%d action events, want 5", len(f.events))
	}
	for _, e := range f.events {
		if e.Kind != model.KindAction || e.Who != "test" || e.Result != "ok" || e.Command == "" || e.ID == "" {
			t.Errorf("action event %+v", e)
		}
	}
}

func TestSequenceStopsAtFirstUnhealthy(t *testing.T) {
	monerod, _ := monerodServer(t, 1)
	brokenPool := jsonServer(t, "/pool/stats", `{"error":"starting"}`, 503)
	rig := jsonServer(t, "/2/summary", xmrigSum, 200)
	f := newFarm(t)
	f.add("monerod", KindMonerod, monerod.URL, 5*time.Second)
	f.add("p2pool", KindP2Pool, brokenPool.URL+"/pool/stats", 500*time.Millisecond)
	f.add("rig-a", KindMiner, rig.URL, 5*time.Second)
	targets, _ := BuildTargets(f.targets, "", "")
	err := f.restarter().Run(context.Background(), DailyOrder(targets))
	if err == nil || !strings.Contains(err.Error(), "p2pool not healthy") || !strings.Contains(err.Error(), "1 target(s) after it not restarted") {
		t.Fatalf("error %v", err)
	}
	if got := f.ran(t); strings.Join(got, " ") != "monerod p2pool" {
		t.Fatalf("ran %v: the miners must not be restarted", got)
	}
	if last := f.events[len(f.events)-1]; last.Target != "p2pool" || !strings.HasPrefix(last.Result, "failed:") {
		t.Fatalf("last action %+v", last)
	}
}

func TestFailedCommandStopsWithItsStderr(t *testing.T) {
	f := newFarm(t)
	f.targets = []TargetConfig{
		{Name: "monerod", Kind: KindMonerod, Restart: "echo 'Failed to restart monerod.service: Unit not found.' >&2; exit 5"},
		{Name: "p2pool", Kind: KindP2Pool, Restart: "echo p2pool >> " + f.order},
	}
	targets, _ := BuildTargets(f.targets, "", "")
	err := f.restarter().Run(context.Background(), targets)
	if err == nil || !strings.Contains(err.Error(), "status 5") || !strings.Contains(err.Error(), "Unit not found") {
		t.Fatalf("%v", err)
	}
	if len(f.ran(t)) != 0 {
		t.Fatal("p2pool restarted after monerod failed")
	}
}

func TestLocalCommandTimeout(t *testing.T) {
	start := time.Now()
	_, err := runner.Run(context.Background(), runner.Command{Shell: "sleep 30", Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timed out") || time.Since(start) > 5*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

func TestTargetsConfig(t *testing.T) {
	for _, tt := range []struct {
		list []TargetConfig
		want string
	}{
		{[]TargetConfig{{Name: "a b", Kind: KindMiner, Restart: "x"}}, "targets[0] (a b).name"},
		{[]TargetConfig{{Name: "a", Kind: "toaster", Restart: "x"}}, "targets[0] (a).kind"},
		{[]TargetConfig{{Name: "a", Kind: KindMiner}}, "targets[0] (a).restart"},
		{[]TargetConfig{{Name: "a", Kind: KindMiner, Restart: "x", Host: "bob@h:99999"}}, "targets[0] (a).host"},
		{[]TargetConfig{{Name: "a", Kind: KindMiner, Restart: "x", Health: HealthConfig{URL: "ftp://x"}}}, "targets[0] (a).health.url"},
		{[]TargetConfig{{Name: "a", Kind: KindMiner, Restart: "x"}, {Name: "a", Kind: KindMiner, Restart: "x"}}, "used twice"},
	} {
		if _, err := BuildTargets(tt.list, "", ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.list, err, tt.want)
		}
	}
	targets, err := BuildTargets([]TargetConfig{{Name: "rigs", Kind: KindMiner, Restart: "x", Hosts: []string{"m@10.0.0.21", "m@10.0.0.22:2222"}}}, "", "")
	if err != nil || len(targets) != 2 || targets[1].Name != "rigs/10.0.0.22" || targets[1].Dest.Port != 2222 {
		t.Fatalf("%+v %v", targets, err)
	}
	sel, err := Select(targets, []string{"rigs"})
	if err != nil || len(sel) != 2 {
		t.Fatalf("select group: %v %v", sel, err)
	}
	if _, err := Select(targets, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "rigs/10.0.0.21") {
		t.Fatalf("select unknown: %v", err)
	}
}

// A target with no health check is never called healthy: only its command's exit status is
// known, and the step and the summary say so.
func TestNoHealthCheckIsNotHealthy(t *testing.T) {
	rig := jsonServer(t, "/2/summary", xmrigSum, 200)
	f := newFarm(t)
	f.add("rig-a", KindMiner, rig.URL, 5*time.Second)
	f.targets = append(f.targets, TargetConfig{Name: "p2pool", Kind: KindP2Pool, Restart: "echo p2pool >> " + f.order})
	targets, err := BuildTargets(f.targets, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.restarter().Run(context.Background(), DailyOrder(targets)); err != nil {
		t.Fatal(err)
	}
	phases := map[string]string{}
	for _, s := range f.steps {
		if s.Phase == "healthy" || s.Phase == "done" {
			phases[s.Target] = s.Phase + " " + s.Message
		}
	}
	if !strings.HasPrefix(phases["rig-a"], "healthy in ") || !strings.HasPrefix(phases["p2pool"], "done in ") ||
		!strings.HasSuffix(phases["p2pool"], "; no health check configured") {
		t.Errorf("last steps %q", phases)
	}
	for _, tc := range []struct {
		targets []Target
		want    string
	}{
		{targets, "2 target(s) restarted: 1 healthy, 1 with no health check configured"},
		{targets[:1], "1 target(s) restarted and healthy"},
		{targets[1:], "1 target(s) restarted; no health check configured"},
	} {
		if got := Done(tc.targets); got != tc.want {
			t.Errorf("Done: %q, want %q", got, tc.want)
		}
	}
}
