package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// TelemetryConfig is what the pollers ask and how often.
type TelemetryConfig struct {
	MonerodRPC      string
	MonerodInterval time.Duration
	MonerodTimeout  time.Duration
	DataAPI         string
	DataAPIInterval time.Duration
	DataAPIMaxAge   time.Duration
	Xmrig           []XmrigConfig
	MinerInterval   time.Duration
	MinerTimeout    time.Duration
	Leases          string
}

// XmrigConfig is one miner's xmrig HTTP API.
type XmrigConfig struct {
	Name  string `yaml:"name"`
	URL   string `yaml:"url"`
	Token string `yaml:"token"`
}

// telemetry is the pollers' state, shared with snapshots, status and metrics.
type telemetry struct {
	mu        sync.Mutex
	health    map[string]api.HealthRow
	node      api.NodeStatus
	inventory map[string]api.InventoryMiner
	loaded    bool
	polled    bool
}

const (
	checkpointHealth = "health"
	checkpointLeases = "leases"
)

func (l *Local) loadTelemetry() {
	t := &l.tele
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded {
		return
	}
	t.loaded = true
	t.health, t.inventory = map[string]api.HealthRow{}, map[string]api.InventoryMiner{}
	if b, err := l.Store.Checkpoint(checkpointHealth); err == nil && b != nil {
		_ = json.Unmarshal(b, &t.health)
	}
	if b, err := l.Store.Checkpoint(checkpointLeases); err == nil && b != nil {
		_ = json.Unmarshal(b, &t.inventory)
	}
	if t.health == nil { // a stored "null"
		t.health = map[string]api.HealthRow{}
	}
	if t.inventory == nil {
		t.inventory = map[string]api.InventoryMiner{}
	}
}

// RunPollers polls monerod, P2Pool's data-api, the miners' xmrig APIs and the leases file
// until ctx ends, each on its own interval.
func (l *Local) RunPollers(ctx context.Context) {
	l.loadTelemetry()
	tc := l.Cfg.Telemetry
	var wg sync.WaitGroup
	every := func(d time.Duration, fn func(context.Context)) {
		if d <= 0 {
			d = 30 * time.Second
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				fn(ctx)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if tc.MonerodRPC != "" {
		every(tc.MonerodInterval, l.pollMonerod)
	}
	if tc.DataAPI != "" {
		every(tc.DataAPIInterval, l.pollDataAPI)
	}
	if len(tc.Xmrig) > 0 {
		every(tc.MinerInterval, l.pollMiners)
	}
	if tc.Leases != "" {
		every(tc.MinerInterval, l.pollLeases)
	}
	wg.Wait()
}

// PollOnce runs every poller once: `db4e status` without a service.
func (l *Local) PollOnce(ctx context.Context) {
	l.loadTelemetry()
	tc := l.Cfg.Telemetry
	if tc.MonerodRPC != "" {
		l.pollMonerod(ctx)
	}
	if tc.DataAPI != "" {
		l.pollDataAPI(ctx)
	}
	if len(tc.Xmrig) > 0 {
		l.pollMiners(ctx)
	}
	if tc.Leases != "" {
		l.pollLeases(ctx)
	}
}

func (l *Local) client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &http.Client{Timeout: timeout}
}

func (l *Local) pollMonerod(ctx context.Context) {
	now := l.Now()
	info, samples, err := collect.PollMonerod(ctx, l.client(l.Cfg.Telemetry.MonerodTimeout), l.Cfg.Telemetry.MonerodRPC, now)
	detail := ""
	up := err == nil
	switch {
	case err != nil:
		detail = err.Error()
	case !info.Synchronized:
		up, detail = false, fmt.Sprintf("not synchronized: height %d of %d", info.Height, info.TargetHeight)
	}
	if err == nil {
		l.tele.mu.Lock()
		l.tele.node = api.NodeStatus{Height: info.Height, TargetHeight: info.TargetHeight, Synchronized: info.Synchronized,
			Incoming: info.Incoming, Outgoing: info.Outgoing, At: now}
		l.tele.mu.Unlock()
	}
	l.applyPoll(samples, []healthResult{{"monerod", "monerod", up, detail}})
}

func (l *Local) pollDataAPI(ctx context.Context) {
	now := l.Now()
	ps, samples, err := collect.ReadDataAPI(l.Cfg.Telemetry.DataAPI, now)
	up, detail := err == nil, ""
	if err != nil {
		detail = err.Error()
	} else if maxAge := l.Cfg.Telemetry.DataAPIMaxAge; maxAge > 0 && now.Sub(ps.Updated) > maxAge {
		up, detail = false, fmt.Sprintf("data-api not updated for %s", now.Sub(ps.Updated).Round(time.Second))
	}
	l.applyPoll(samples, []healthResult{{"p2pool", "p2pool", up, detail}})
}

func (l *Local) pollMiners(ctx context.Context) {
	tc := l.Cfg.Telemetry
	c := l.client(tc.MinerTimeout)
	type answer struct {
		samples []model.Sample
		res     healthResult
	}
	answers := make([]answer, len(tc.Xmrig))
	var wg sync.WaitGroup
	for i, x := range tc.Xmrig {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, samples, err := collect.PollXmrig(ctx, c, x.Name, x.URL, x.Token, l.Now())
			a := answer{samples: samples, res: healthResult{x.Name, "xmrig", err == nil, ""}}
			if err != nil {
				a.res.detail = err.Error()
			}
			answers[i] = a
		}()
	}
	wg.Wait()
	var samples []model.Sample
	var results []healthResult
	for _, a := range answers {
		samples = append(samples, a.samples...)
		results = append(results, a.res)
	}
	l.applyPoll(samples, results)
}

type healthResult struct {
	name, kind string
	up         bool
	detail     string
}

// applyPoll stores samples, and an event for each target that went up or down, with the new
// states in the same transaction: a restart of the service does not report them again.
func (l *Local) applyPoll(samples []model.Sample, results []healthResult) {
	l.loadTelemetry()
	now := l.Now()
	var b store.Batch
	b.Samples = samples
	l.tele.mu.Lock()
	l.tele.polled = true
	for _, r := range results {
		old, known := l.tele.health[r.name]
		row := api.HealthRow{Name: r.name, Kind: r.kind, Up: r.up, Since: old.Since, Checked: now, Detail: model.SanitizeName(r.detail, 300)}
		if !known || old.Up != r.up {
			row.Since = now
			if known || !r.up { // a first answer that is up is not news
				kind := "health"
				if r.kind == "xmrig" {
					kind = model.KindMiner
				}
				state := map[bool]string{true: "up", false: "down"}[r.up]
				b.Events = append(b.Events, model.Event{Time: now, Kind: kind, Host: r.name, State: state, Result: row.Detail,
					ID: model.HashID(fmt.Appendf(nil, "%d|%s|%s", now.UnixNano(), r.name, state))})
			}
		}
		l.tele.health[r.name] = row
	}
	state, _ := json.Marshal(l.tele.health)
	l.tele.mu.Unlock()
	b.Checkpoints = append(b.Checkpoints, store.Checkpoint{Name: checkpointHealth, Value: state})
	if _, err := l.Store.Apply(&b); err != nil {
		l.Log.Warn("store poll results", "err", err)
		return
	}
	if len(b.Events) > 0 || len(samples) > 0 {
		l.changes.bump()
	}
}

func (l *Local) pollLeases(ctx context.Context) {
	l.loadTelemetry()
	f, err := os.Open(l.Cfg.Telemetry.Leases)
	if err != nil {
		l.Log.Warn("read leases", "err", err)
		return
	}
	leases, bad, err := collect.ReadLeases(f)
	f.Close()
	if err != nil {
		l.Log.Warn("read leases", "err", err)
		return
	}
	if bad > 0 {
		l.Log.Debug("leases file has unreadable lines", "count", bad)
	}
	now := l.Now()
	var b store.Batch
	l.tele.mu.Lock()
	seen := map[string]bool{}
	for _, le := range leases {
		if !le.Expires.IsZero() && le.Expires.Before(now) {
			continue
		}
		seen[le.MAC] = true
		m, known := l.tele.inventory[le.MAC]
		if !known {
			m = api.InventoryMiner{MAC: le.MAC, FirstSeen: now}
		}
		if !m.Present {
			b.Events = append(b.Events, model.Event{Time: now, Kind: model.KindMiner, State: "appeared", MAC: le.MAC, ClientIP: le.IP, Host: le.Name,
				ID: model.HashID(fmt.Appendf(nil, "%d|%s|appeared", now.UnixNano(), le.MAC))})
		}
		m.IP, m.Name, m.LastSeen, m.Present = le.IP, le.Name, now, true
		l.tele.inventory[le.MAC] = m
	}
	for mac, m := range l.tele.inventory {
		if m.Present && !seen[mac] {
			m.Present = false
			l.tele.inventory[mac] = m
			b.Events = append(b.Events, model.Event{Time: now, Kind: model.KindMiner, State: "gone", MAC: mac, ClientIP: m.IP, Host: m.Name,
				ID: model.HashID(fmt.Appendf(nil, "%d|%s|gone", now.UnixNano(), mac))})
		}
	}
	state, _ := json.Marshal(l.tele.inventory)
	l.tele.mu.Unlock()
	b.Checkpoints = append(b.Checkpoints, store.Checkpoint{Name: checkpointLeases, Value: state})
	if _, err := l.Store.Apply(&b); err != nil {
		l.Log.Warn("store leases", "err", err)
		return
	}
	if len(b.Events) > 0 {
		l.changes.bump()
	}
}

// healthRows returns the polled targets by name.
func (l *Local) healthRows() ([]api.HealthRow, api.NodeStatus, []api.InventoryMiner) {
	l.loadTelemetry()
	l.tele.mu.Lock()
	defer l.tele.mu.Unlock()
	rows := make([]api.HealthRow, 0, len(l.tele.health))
	for _, r := range l.tele.health {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	inv := make([]api.InventoryMiner, 0, len(l.tele.inventory))
	for _, m := range l.tele.inventory {
		inv = append(inv, m)
	}
	sort.Slice(inv, func(i, j int) bool { return inv[i].IP < inv[j].IP })
	return rows, l.tele.node, inv
}
