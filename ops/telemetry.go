package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// telemetry is the pollers' state, shared with snapshots, status and metrics.
type telemetry struct {
	mu        sync.Mutex
	health    map[string]api.HealthRow
	node      api.NodeStatus
	inventory map[string]api.InventoryMiner
	collected map[string]collection
	// rigs are the xmrig summaries last answered, by miner, for its own view (kept in memory:
	// the next poll brings them back after a restart).
	rigs   map[string]collect.Rig
	loaded bool
	polled bool
}

// collection is how a collector's last run went, for its metrics.
type collection struct {
	duration time.Duration
	err      string // empty when it succeeded
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
	t.health, t.inventory, t.collected, t.rigs = map[string]api.HealthRow{}, map[string]api.InventoryMiner{}, map[string]collection{}, map[string]collect.Rig{}
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

// collectors are the sources the configuration names, each with its own interval.
func (c Config) collectors() []collect.Collector {
	var cs []collect.Collector
	if c.Monerod.RPC != "" {
		cs = append(cs, &collect.Monerod{Config: c.Monerod})
	}
	if c.P2Pool.DataAPI != "" {
		cs = append(cs, &collect.DataAPI{Dir: c.P2Pool.DataAPI, Every: c.P2Pool.APIInterval, MaxAge: c.P2Pool.APIMaxAge})
	}
	if len(c.Miners.Xmrig) > 0 {
		cs = append(cs, &collect.Xmrig{Config: c.Miners})
	}
	if len(c.Miners.Proxy) > 0 {
		cs = append(cs, &collect.XmrigProxy{Config: c.Miners})
	}
	if c.Miners.Leases != "" {
		cs = append(cs, &collect.Leases{Path: c.Miners.Leases, Every: c.Miners.Interval})
	}
	return cs
}

// RunPollers runs every collector on its own interval until ctx ends.
func (l *Local) RunPollers(ctx context.Context) {
	l.loadTelemetry()
	var wg sync.WaitGroup
	for _, c := range l.Cfg.collectors() {
		wg.Go(func() { tick.Every(ctx, c.Interval(), true, func() { l.collect(ctx, c) }) })
	}
	wg.Wait()
}

// PollOnce runs every collector once: `db4e status` without a service.
func (l *Local) PollOnce(ctx context.Context) {
	l.loadTelemetry()
	for _, c := range l.Cfg.collectors() {
		l.collect(ctx, c)
	}
}

// collect runs c once, keeps how it went for the metrics, and stores what it learnt. A
// failure is logged when it starts or changes, not at every interval.
func (l *Local) collect(ctx context.Context, c collect.Collector) {
	l.loadTelemetry()
	start := time.Now()
	r, err := c.Collect(ctx, l.Now())
	if ctx.Err() != nil {
		return // stopping: a cancelled request is not a finding
	}
	run := collection{duration: time.Since(start)}
	if err != nil {
		run.err = err.Error()
	}
	l.tele.mu.Lock()
	last := l.tele.collected[c.Name()]
	l.tele.collected[c.Name()] = run
	for _, rig := range r.Rigs {
		l.tele.rigs[rig.Name] = rig
	}
	if _, isNode := c.(*collect.Monerod); isNode {
		// A node that does not answer has no height and is not synchronized: no figure of
		// its last answer is shown as if it were current (status, the header, /metrics).
		l.tele.node = api.NodeStatus{}
		if n := r.Node; n != nil {
			l.tele.node = api.NodeStatus{Height: n.Height, TargetHeight: n.TargetHeight, Synchronized: n.Synchronized,
				Offline: n.Offline, Incoming: n.Incoming, Outgoing: n.Outgoing, At: l.Now()}
		}
	}
	l.tele.mu.Unlock()
	l.mu.Lock()
	level := slog.LevelDebug // a one-off command says it in its output, not in its log
	if l.ingest.Following {
		level = slog.LevelWarn
	}
	l.mu.Unlock()
	switch {
	case err != nil && run.err != last.err:
		l.Log.Log(ctx, level, "collector failed", "collector", c.Name(), "err", err)
	case err == nil && last.err != "":
		l.Log.Info("collector recovered", "collector", c.Name())
	}
	if len(r.Samples) > 0 || len(r.Health) > 0 {
		l.applyPoll(r.Samples, r.Health)
	}
	if r.Leases != nil {
		l.applyLeases(r.Leases)
	}
}

// applyPoll stores samples, and an event for each target that went up or down, with the new
// states in the same transaction: a restart of the service does not report them again.
func (l *Local) applyPoll(samples []model.Sample, results []collect.Health) {
	l.loadTelemetry()
	now := l.Now()
	var b store.Batch
	b.Samples = samples
	l.tele.mu.Lock()
	l.tele.polled = true
	for _, r := range results {
		old, known := l.tele.health[r.Target]
		row := api.HealthRow{Name: r.Target, Kind: r.Kind, Up: r.Up, Since: old.Since, Checked: now, Detail: model.SanitizeText(r.Detail, 300)}
		if !known || old.Up != r.Up {
			row.Since = now
			if known || !r.Up { // a first answer that is up is not news
				kind := "health"
				if r.Kind == "xmrig" {
					kind = model.KindMiner
				}
				state := map[bool]string{true: "up", false: "down"}[r.Up]
				b.Events = append(b.Events, model.Event{Time: now, Kind: kind, Host: r.Target, State: state, Result: row.Detail,
					ID: model.HashID(fmt.Appendf(nil, "%d|%s|%s", now.UnixNano(), r.Target, state))})
			}
		}
		l.tele.health[r.Target] = row
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

// applyLeases keeps the inventory of miners: an event when one appears on the network or
// leaves it, stored with the new inventory.
func (l *Local) applyLeases(leases []collect.Lease) {
	l.loadTelemetry()
	now := l.Now()
	var b store.Batch
	l.tele.mu.Lock()
	seen := map[string]bool{}
	for _, le := range leases {
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

// collections is how each collector's last run went.
func (l *Local) collections() map[string]collection {
	l.loadTelemetry()
	l.tele.mu.Lock()
	defer l.tele.mu.Unlock()
	return maps.Clone(l.tele.collected)
}
