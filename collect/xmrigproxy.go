package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// ProxySummary is what xmrig-proxy's /1/summary says of itself.
type ProxySummary struct {
	Version string `json:"version"`
	Uptime  uint64 `json:"uptime"`
	Miners  struct {
		Now uint64 `json:"now"`
	} `json:"miners"`
}

// ProxyWorker is one row of xmrig-proxy's /1/workers: a miner behind the proxy, named by its
// rig-id (or user, password, agent or IP, as the proxy's "workers" option says).
type ProxyWorker struct {
	Name        string
	IP          string
	Connections uint64
	Accepted    uint64
	Rejected    uint64
	Invalid     uint64
	LastHash    time.Time
	// Hashrate is H/s over 1 m, 10 m, 1 h, 12 h and 24 h (the proxy says kH/s).
	Hashrate [5]float64
}

// ParseProxyWorkers reads /1/workers. A row is [name, ip, connections, accepted, rejected,
// invalid, hashes, last_hash_ms, 1m, 10m, 1h, 12h, 24h] (xmrig-proxy's ApiRouter::getWorkers);
// a row that is not is skipped and counted.
func ParseProxyWorkers(b []byte) ([]ProxyWorker, int, error) {
	var doc struct {
		Workers []json.RawMessage `json:"workers"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, 0, err
	}
	var out []ProxyWorker
	bad := 0
	for _, raw := range doc.Workers {
		w, ok := parseProxyWorker(raw)
		if !ok {
			bad++
			continue
		}
		out = append(out, w)
	}
	return out, bad, nil
}

func parseProxyWorker(raw json.RawMessage) (ProxyWorker, bool) {
	var row []any
	if json.Unmarshal(raw, &row) != nil || len(row) < 13 {
		return ProxyWorker{}, false
	}
	name, ok1 := row[0].(string)
	ip, ok2 := row[1].(string)
	if !ok1 || !ok2 {
		return ProxyWorker{}, false
	}
	nums := make([]float64, 11)
	for i := range nums {
		v, ok := row[i+2].(float64)
		if !ok || v < 0 || math.IsInf(v, 0) {
			return ProxyWorker{}, false
		}
		nums[i] = v
	}
	w := ProxyWorker{Name: model.SanitizeName(name, model.MaxHostLen), IP: model.SanitizeText(ip, 64),
		Connections: uint64(nums[0]), Accepted: uint64(nums[1]), Rejected: uint64(nums[2]), Invalid: uint64(nums[3])}
	if nums[5] > 0 {
		w.LastHash = time.UnixMilli(int64(nums[5]))
	}
	for i := range w.Hashrate {
		w.Hashrate[i] = nums[6+i] * 1000
	}
	return w, w.Name != ""
}

// XmrigProxy asks each configured xmrig-proxy for its workers: each is a miner, with the same
// series, health and rig summary as one whose own xmrig API is asked.
type XmrigProxy struct{ Config MinersConfig }

// Name is xmrig-proxy.
func (x *XmrigProxy) Name() string { return "xmrig-proxy" }

// Interval is the miners section's.
func (x *XmrigProxy) Interval() time.Duration { return x.Config.Interval }

// Collect asks every proxy in parallel (askEach).
func (x *XmrigProxy) Collect(ctx context.Context, now time.Time) (Result, error) {
	c := client(x.Config.Timeout)
	return askEach(x.Config.Proxy, func(p XmrigConfig) (Result, error) { return pollProxy(ctx, c, p, now) })
}

// KindProxy is the health rows' kind for an xmrig-proxy itself; its workers are "xmrig".
const KindProxy = "xmrig-proxy"

func pollProxy(ctx context.Context, c *http.Client, p XmrigConfig, now time.Time) (Result, error) {
	base := strings.TrimRight(p.URL, "/")
	var sum ProxySummary
	err := FetchJSON(ctx, c, base+"/1/summary", p.Token, &sum)
	var raw json.RawMessage
	if err == nil {
		err = FetchJSON(ctx, c, base+"/1/workers", p.Token, &raw)
	}
	var workers []ProxyWorker
	bad := 0
	if err == nil {
		workers, bad, err = ParseProxyWorkers(raw)
	}
	if err != nil {
		err = fmt.Errorf("xmrig-proxy %s: %w", p.Name, err)
		return Result{Health: []Health{health(p.Name, KindProxy, err)}}, err
	}
	r := Result{Health: []Health{{Target: p.Name, Kind: KindProxy, Up: true}}}
	if bad > 0 {
		r.Health[0].Detail = fmt.Sprintf("%d rows of /1/workers not understood and skipped", bad)
	}
	version := "xmrig-proxy " + model.SanitizeName(sum.Version, 40)
	for _, w := range workers {
		if retired(w, now) {
			continue
		}
		h := Health{Target: w.Name, Kind: "xmrig", Up: w.Connections > 0}
		if !h.Up {
			h.Detail = "not connected to xmrig-proxy " + p.Name
		}
		r.Health = append(r.Health, h)
		if !h.Up {
			continue // its figures are its past: no samples, no rig, as for an xmrig that does not answer
		}
		prefix := "xmrig/" + w.Name + "/"
		// The proxy's 1 m and 10 m figures stand where xmrig's own 60 s and 15 m would.
		r.Samples = append(r.Samples,
			model.Sample{Series: prefix + "hashrate_60s", Time: now, Value: w.Hashrate[0]},
			model.Sample{Series: prefix + "hashrate_15m", Time: now, Value: w.Hashrate[1]},
			model.Sample{Series: prefix + "shares_good", Time: now, Value: float64(w.Accepted)},
			model.Sample{Series: prefix + "shares_total", Time: now, Value: float64(w.Accepted + w.Rejected + w.Invalid)},
		)
		// A rig's own uptime is not told: the proxy's says how long its figures have been measured.
		s := XmrigSummary{WorkerID: w.Name, Version: version, Uptime: sum.Uptime}
		s.Hashrate.Total = []*float64{nil, &w.Hashrate[0], &w.Hashrate[1]}
		s.Results.SharesGood, s.Results.SharesTotal = w.Accepted, w.Accepted+w.Rejected+w.Invalid
		s.Connection.Pool = "via xmrig-proxy " + p.Name
		r.Rigs = append(r.Rigs, Rig{Name: w.Name, At: now, Summary: s})
	}
	return r, nil
}

// retired: a worker the proxy still lists (it keeps every worker until it restarts) though it
// has not been connected nor hashed for model.RetiredAfter: a rig taken out of the farm, not one
// DOWN for good. One that never hashed stays listed: there is no telling how long it is gone.
func retired(w ProxyWorker, now time.Time) bool {
	return w.Connections == 0 && !w.LastHash.IsZero() && now.Sub(w.LastHash) > model.RetiredAfter
}
