package collect

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

// serve answers path with a recorded response, or as mode says.
func serve(t *testing.T, path, file, mode string) *httptest.Server {
	body, err := os.ReadFile(file)
	if file != "" && err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		switch mode {
		case "slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
				return
			}
		case "fail":
			http.Error(w, "internal error", 500)
			return
		case "garbage":
			w.Write([]byte("<html>not json\x00\xff"))
			return
		case "token":
			if r.Header.Get("Authorization") == "" {
				w.WriteHeader(401)
				return
			}
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				w.WriteHeader(403)
				return
			}
		case "huge":
			w.Write([]byte(`{"result":"`))
			for range 6 << 10 {
				w.Write([]byte(strings.Repeat("a", 1024)))
			}
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func samples(ss []model.Sample) map[string]float64 {
	m := map[string]float64{}
	for _, s := range ss {
		m[s.Series] = s.Value
	}
	return m
}

func TestPollMonerod(t *testing.T) {
	c := &http.Client{Timeout: time.Second}
	ctx := context.Background()
	info, ss, err := PollMonerod(ctx, c, serve(t, "/json_rpc", "testdata/monerod_get_info.json", "").URL, now)
	if err != nil || !info.Synchronized || info.Height != 3350301 {
		t.Fatalf("%+v %v", info, err)
	}
	m := samples(ss)
	// target_height is 0 once synchronized: the height stands for it
	if m["node/height"] != 3350301 || m["node/target_height"] != 3350301 || m["node/synchronized"] != 1 || m["node/connections_out"] != 24 {
		t.Fatalf("%v", m)
	}
	info, ss, err = PollMonerod(ctx, c, serve(t, "/json_rpc", "testdata/monerod_syncing.json", "").URL, now)
	if err != nil || info.Synchronized || samples(ss)["node/target_height"] != 3350301 {
		t.Fatalf("syncing: %+v %v", info, err)
	}
	for _, mode := range []string{"slow", "fail", "garbage", "huge"} {
		start := time.Now()
		_, _, err := PollMonerod(ctx, c, serve(t, "/json_rpc", "testdata/monerod_get_info.json", mode).URL, now)
		if err == nil || time.Since(start) > 2500*time.Millisecond {
			t.Errorf("%s: %v after %v", mode, err, time.Since(start))
		}
	}
	if _, _, err := PollMonerod(ctx, c, "http://127.0.0.1:1", now); err == nil {
		t.Error("nothing listening: no error")
	}
}

func TestPollXmrig(t *testing.T) {
	c := &http.Client{Timeout: time.Second}
	ctx := context.Background()
	s, ss, err := PollXmrig(ctx, c, "rig-01", serve(t, "/2/summary", "testdata/xmrig_summary.json", "").URL, "", now)
	m := samples(ss)
	if err != nil || s.Uptime != 34178 || m["xmrig/rig-01/hashrate_60s"] != 6190.12 || m["xmrig/rig-01/hashrate_15m"] != 6188.55 ||
		m["xmrig/rig-01/shares_good"] != 1254 || m["xmrig/rig-01/shares_total"] != 1256 || s.Connection.Pool != "192.168.1.2:3333" {
		t.Fatalf("%+v %v %v", s, m, err)
	}
	// a miner just started has null hashrates: no sample, no error
	_, ss, err = PollXmrig(ctx, c, "rig-02", serve(t, "/2/summary", "testdata/xmrig_summary_starting.json", "").URL, "", now)
	if err != nil || len(samples(ss)) != 2 {
		t.Fatalf("starting: %v %v", samples(ss), err)
	}
	tok := serve(t, "/2/summary", "testdata/xmrig_summary.json", "token").URL
	if _, _, err := PollXmrig(ctx, c, "r", tok, "", now); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("no token: %v", err)
	}
	if _, _, err := PollXmrig(ctx, c, "r", tok, "wrong", now); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("wrong token: %v", err)
	}
	if _, _, err := PollXmrig(ctx, c, "r", tok, "s3cret", now); err != nil {
		t.Errorf("right token: %v", err)
	}
	for _, mode := range []string{"slow", "fail", "garbage"} {
		if _, _, err := PollXmrig(ctx, c, "r", serve(t, "/2/summary", "testdata/xmrig_summary.json", mode).URL, "", now); err == nil {
			t.Errorf("%s: no error", mode)
		}
	}
}

func TestReadDataAPI(t *testing.T) {
	ps, ss, err := ReadDataAPI("testdata/data-api", now)
	if err != nil {
		t.Fatal(err)
	}
	m := samples(ss)
	if ps.Hashrate15m != 13137 || ps.SharesFound != 412 || ps.Workers != 4 || ps.SidechainHashrate != 12291000 || ps.Miners != 1211 {
		t.Fatalf("%+v", ps)
	}
	if m["worker/rig-01"] != 6201 || m["worker/rig-03"] != 788 || m["worker/2001:db8::7"] != 1000 || m["pool/hashrate_24h"] != 12810 {
		t.Fatalf("%v", m)
	}
	// What earnings need: effort and reward share (local/stratum), the PPLNS window
	// (pool/stats), the network's difficulty and reward (network/stats).
	for series, want := range map[string]float64{"pool/current_effort": 48.219, "pool/average_effort": 98.112, "pool/reward_share_percent": 0.107,
		"pool/window_size": 2160, "pool/sidechain_height": 10414880, "pool/sidechain_difficulty": 131880441,
		"network/difficulty": 367854023412, "network/reward": 600000000000} {
		if m[series] != want {
			t.Errorf("%s = %v, want %v", series, m[series], want)
		}
	}
	if _, ok := m["worker/evil"]; ok {
		t.Fatal("a worker with a bad hashrate was read")
	}
	// before v3.2 the file was local/stats
	old := t.TempDir()
	os.MkdirAll(old+"/local", 0o755)
	b, _ := os.ReadFile("testdata/data-api/local/stratum")
	os.WriteFile(old+"/local/stats", b, 0o644)
	if ps, _, err := ReadDataAPI(old, now); err != nil || ps.Hashrate15m != 13137 {
		t.Fatalf("local/stats: %+v %v", ps, err)
	}
	bad := t.TempDir()
	os.MkdirAll(bad+"/local", 0o755)
	os.WriteFile(bad+"/local/stratum", []byte("{garbage"), 0o644)
	if _, _, err := ReadDataAPI(bad, now); err == nil {
		t.Fatal("garbage data-api read")
	}
	if _, _, err := ReadDataAPI(t.TempDir(), now); err == nil {
		t.Fatal("missing data-api read")
	}
}

func TestReadLeasesWithHostileNames(t *testing.T) {
	f, err := os.Open("testdata/leases")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	leases, bad, err := ReadLeases(f)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 3 || len(leases) != 7 {
		t.Fatalf("%d leases, %d bad: %+v", len(leases), bad, leases)
	}
	byMAC := map[string]Lease{}
	for _, l := range leases {
		byMAC[l.MAC] = l
		if len(l.Name) > MaxLeaseName || strings.ContainsAny(l.Name, "/\x1b\x07\n") {
			t.Errorf("unsafe name %q", l.Name)
		}
	}
	if l := byMAC["aa:bb:cc:00:00:22"]; l.Name != "rig-02" || !l.Expires.IsZero() || l.IP != "192.168.1.22" {
		t.Errorf("%+v", l)
	}
	if byMAC["aa:bb:cc:00:00:23"].Name != "" {
		t.Error(`"*" is no name`)
	}
	if n := byMAC["aa:bb:cc:00:00:25"].Name; n != ".._.._etc_passwd" {
		t.Errorf("path-like name kept as %q", n)
	}
	if n := byMAC["aa:bb:cc:00:00:24"].Name; n != "$(reboot);rm${IFS}-rf${IFS}_" {
		t.Errorf("shell-like name %q (it is only ever shown, escaped)", n)
	}
	if n := byMAC["aa:bb:cc:00:00:26"].Name; len(n) != MaxLeaseName {
		t.Errorf("long name kept at %d", len(n))
	}
	if n := byMAC["aa:bb:cc:00:00:29"].Name; strings.ContainsRune(n, 0x1b) {
		t.Errorf("escape kept: %q", n)
	}
}

// An API that does not answer is said in the operator's words, the cause first.
func TestUnreachableSaysWhy(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, tc := range []struct {
		name, url, want string
	}{
		{"timeout", slow.URL, "no answer within 300ms (timeout)"},
		{"refused", closedURL, "connection refused (nothing listens there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Timeout: 300 * time.Millisecond}
			var v any
			err := FetchJSON(context.Background(), c, tc.url+"/2/summary", "tok", &v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want %q", err, tc.want)
			}
		})
	}
}
