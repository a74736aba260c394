package collect

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// proxyServer answers /1/summary and /1/workers from the recorded answers (the rows as
// xmrig-proxy's ApiRouter writes them), behind an access token.
func proxyServer(t *testing.T, workers string) *httptest.Server {
	t.Helper()
	sum, err := os.ReadFile("testdata/xmrig-proxy/summary.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/1/summary":
			w.Write(sum)
		case "/1/workers":
			w.Write([]byte(workers))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestXmrigProxyWorkersAreMiners(t *testing.T) {
	workers, err := os.ReadFile("testdata/xmrig-proxy/workers.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := proxyServer(t, string(workers))
	x := &XmrigProxy{Config: MinersConfig{Timeout: time.Second, Proxy: []XmrigConfig{{Name: "proxy-a", URL: srv.URL, Token: "s3cret"}}}}
	r, err := x.Collect(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	m := samples(r.Samples)
	// kH/s to H/s; shares_total is accepted + rejected + invalid.
	for series, want := range map[string]float64{
		"xmrig/rig-11/hashrate_60s": 6210, "xmrig/rig-11/hashrate_15m": 6190,
		"xmrig/rig-12/shares_good": 35230, "xmrig/rig-12/shares_total": 35311,
		"xmrig/rig-13/hashrate_60s": 2920,
	} {
		if got := m[series]; got < want-0.01 || got > want+0.01 {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if _, ok := m["xmrig/rig-14/hashrate_60s"]; ok {
		t.Errorf("a worker not connected has samples: %v", m)
	}
	up := map[string]bool{}
	for _, h := range r.Health {
		up[h.Target+" "+h.Kind] = h.Up
	}
	// rig-15 last hashed 8 days before now: retired, no row.
	if _, listed := up["rig-15 xmrig"]; listed || !up["proxy-a xmrig-proxy"] || !up["rig-11 xmrig"] || up["rig-14 xmrig"] || len(up) != 5 {
		t.Errorf("health %+v", r.Health)
	}
	if len(r.Rigs) != 3 || r.Rigs[0].Name != "rig-11" || r.Rigs[0].Summary.Uptime != 169885 || r.Rigs[0].Summary.Version != "xmrig-proxy 6.22.0" {
		t.Fatalf("rigs %+v", r.Rigs)
	}
	if v, ok := r.Rigs[0].Summary.Rate(Hashrate60s); !ok || v != 6210 {
		t.Errorf("rig-11's 60 s rate %v %v", v, ok)
	}
}

// xmrig-proxy lists every worker it has seen until it restarts: one not connected that has not
// hashed for a week is a rig taken out of the farm, not a miner DOWN for good.
func TestRetiredProxyWorkers(t *testing.T) {
	for _, c := range []struct {
		name        string
		connections uint64
		lastHash    time.Duration // before now; 0: never hashed
		want        bool
	}{
		{"connected, quiet for long", 1, 30 * 24 * time.Hour, false},
		{"gone six days", 0, 6 * 24 * time.Hour, false},
		{"gone eight days", 0, 8 * 24 * time.Hour, true},
		{"never hashed", 0, 0, false},
	} {
		w := ProxyWorker{Name: "rig", Connections: c.connections}
		if c.lastHash > 0 {
			w.LastHash = now.Add(-c.lastHash)
		}
		if got := retired(w, now); got != c.want {
			t.Errorf("%s: retired %v, want %v", c.name, got, c.want)
		}
	}
}

// A row that is not a worker's is skipped and counted, and the rest still read; a proxy that
// does not answer, or answers with a wrong token, is down with the reason.
func TestXmrigProxyBadAnswers(t *testing.T) {
	rows := `{"workers": [["rig-11", "10.0.0.1", 1, 10, 0, 0, 5, 1763899205396, 1.5, 1.5, 1.5, 1.5, 1.5], ["short"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
		["rig-\u001b[2J", "10.0.0.2", 1, 10, 0, 0, 5, 0, -1, 0, 0, 0, 0]]}`
	ws, bad, err := ParseProxyWorkers([]byte(rows))
	if err != nil || len(ws) != 1 || bad != 3 || ws[0].Hashrate[0] != 1500 {
		t.Fatalf("%+v bad %d err %v", ws, bad, err)
	}
	srv := proxyServer(t, rows)
	x := &XmrigProxy{Config: MinersConfig{Timeout: time.Second, Proxy: []XmrigConfig{{Name: "p", URL: srv.URL, Token: "s3cret"}}}}
	r, err := x.Collect(context.Background(), now)
	if err != nil || !strings.Contains(r.Health[0].Detail, "3 rows of /1/workers not understood") {
		t.Fatalf("%+v %v", r.Health, err)
	}
	x.Config.Proxy[0].Token = "wrong"
	r, err = x.Collect(context.Background(), now)
	if err == nil || len(r.Health) != 1 || r.Health[0].Up || !strings.Contains(r.Health[0].Detail, "xmrig-proxy p") {
		t.Fatalf("%+v %v", r.Health, err)
	}
}
