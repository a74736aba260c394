package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/db4e/db4e/model"
)

// XmrigSummary is what xmrig's /2/summary says of a miner.
type XmrigSummary struct {
	WorkerID string `json:"worker_id"`
	Version  string `json:"version"`
	Uptime   uint64 `json:"uptime"`
	// Hugepages is [allocated, total] (xmrig 6.x); an older xmrig says true or false.
	Hugepages json.RawMessage `json:"hugepages"`
	Hashrate  struct {
		Total []*float64 `json:"total"` // 10s, 60s, 15m; null until measured
	} `json:"hashrate"`
	Results struct {
		SharesGood  uint64 `json:"shares_good"`
		SharesTotal uint64 `json:"shares_total"`
	} `json:"results"`
	Connection struct {
		Pool string `json:"pool"`
		Ping uint64 `json:"ping"`
	} `json:"connection"`
}

// The figures of xmrig's hashrate.total, in its order.
const (
	Hashrate10s = iota
	Hashrate60s
	Hashrate15m
)

// Rate is one of xmrig's figures (Hashrate10s, 60s, 15m) in H/s; ok is false while xmrig
// has not measured it (null) or says something that is no rate.
func (s XmrigSummary) Rate(i int) (float64, bool) {
	if i >= len(s.Hashrate.Total) || s.Hashrate.Total[i] == nil {
		return 0, false
	}
	v := *s.Hashrate.Total[i]
	return v, v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v)
}

// PollXmrig asks one miner's HTTP API, with its access token if it has one.
func PollXmrig(ctx context.Context, c *http.Client, name, base, token string, now time.Time) (XmrigSummary, []model.Sample, error) {
	var s XmrigSummary
	if err := FetchJSON(ctx, c, strings.TrimRight(base, "/")+"/2/summary", token, &s); err != nil {
		return s, nil, fmt.Errorf("xmrig %s: %w", name, err)
	}
	prefix := "xmrig/" + name + "/"
	var out []model.Sample
	// The 10 s figure is noise at a poll a minute, so it is not kept.
	for i, label := range map[int]string{Hashrate60s: "hashrate_60s", Hashrate15m: "hashrate_15m"} {
		if v, ok := s.Rate(i); ok {
			out = append(out, model.Sample{Series: prefix + label, Time: now, Value: v})
		}
	}
	out = append(out,
		model.Sample{Series: prefix + "shares_good", Time: now, Value: float64(s.Results.SharesGood)},
		model.Sample{Series: prefix + "shares_total", Time: now, Value: float64(s.Results.SharesTotal)},
	)
	s.Connection.Pool = model.SanitizeText(s.Connection.Pool, 100)
	s.WorkerID = model.SanitizeName(s.WorkerID, model.MaxHostLen)
	s.Version = model.SanitizeName(s.Version, 40)
	return s, out, nil
}

// Xmrig asks every configured miner's xmrig API at once.
type Xmrig struct{ Config MinersConfig }

// Name is xmrig.
func (x *Xmrig) Name() string { return "xmrig" }

// Interval is the miners section's.
func (x *Xmrig) Interval() time.Duration { return x.Config.Interval }

// Collect asks each miner in parallel (askEach).
func (x *Xmrig) Collect(ctx context.Context, now time.Time) (Result, error) {
	c := client(x.Config.Timeout)
	return askEach(x.Config.Xmrig, func(m XmrigConfig) (Result, error) {
		sum, samples, err := PollXmrig(ctx, c, m.Name, m.URL, m.Token, now)
		r := Result{Samples: samples, Health: []Health{health(m.Name, "xmrig", err)}}
		if err == nil {
			r.Rigs = []Rig{{Name: m.Name, At: now, Summary: sum}}
		}
		return r, err
	})
}

// askEach asks every API at once: one slow miner or proxy costs one timeout, not one each. The
// results are merged in the configured order; the error is the first API's that did not answer.
func askEach(apis []XmrigConfig, ask func(XmrigConfig) (Result, error)) (Result, error) {
	results := make([]Result, len(apis))
	errs := make([]error, len(apis))
	var wg sync.WaitGroup
	for i, a := range apis {
		wg.Go(func() { results[i], errs[i] = ask(a) })
	}
	wg.Wait()
	var r Result
	var first error
	for i := range results {
		r.Samples = append(r.Samples, results[i].Samples...)
		r.Health = append(r.Health, results[i].Health...)
		r.Rigs = append(r.Rigs, results[i].Rigs...)
		if first == nil {
			first = errs[i]
		}
	}
	return r, first
}
