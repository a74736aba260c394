package farmsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Rigs is xmrig's HTTP API for the simulated rigs, on one server: /<rig>/2/summary. A rig may
// be made to stall (hashing nothing while its API still answers, as a rig whose pool
// connection hangs); a restart, told by a file restarted-<rig> in Dir that its restart command
// leaves, brings it back. Safe for concurrent use.
type Rigs struct {
	// Dir is where restart commands leave restarted-<rig>.
	Dir string

	mu   sync.Mutex
	rigs map[string]*rig
}

type rig struct {
	rate        float64 // H/s when hashing
	stalled     bool
	started     time.Time
	good, total uint64
	last        time.Time // the share counters were last moved on
}

// NewRigs gives each of the simulation's rigs an xmrig API with a steady rate of its own.
func (s *Sim) NewRigs(dir string, now time.Time) *Rigs {
	r := &Rigs{Dir: dir, rigs: map[string]*rig{}}
	for i, name := range s.Rigs {
		r.rigs[name] = &rig{rate: 3000 + float64(i)*900, started: now.Add(-30 * time.Hour), last: now}
	}
	return r
}

// Rate is a rig's rate now (H/s; 0 while stalled), and whether there is such a rig.
func (r *Rigs) Rate(name string) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.rigs[name]
	if !ok || g.stalled {
		return 0, ok
	}
	return g.rate, true
}

// Stalled says whether a rig hashes nothing now.
func (r *Rigs) Stalled(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.rigs[name]
	return ok && g.stalled
}

// Total is the farm's hashrate now (H/s): stalled rigs count nothing.
func (r *Rigs) Total() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0.0
	for _, g := range r.rigs {
		if !g.stalled {
			total += g.rate
		}
	}
	return total
}

// Stall makes a rig hash nothing until it is restarted.
func (r *Rigs) Stall(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g, ok := r.rigs[name]; ok {
		g.stalled = true
	}
}

// ServeHTTP answers /<rig>/2/summary as xmrig 6.x does.
func (r *Rigs) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	now := time.Now()
	if r.Dir != "" && os.Remove(filepath.Join(r.Dir, "restarted-"+filepath.Base(name))) == nil {
		r.mu.Lock()
		if g, ok := r.rigs[name]; ok {
			g.stalled, g.started, g.good, g.total, g.last = false, now, 0, 0, now
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	g, ok := r.rigs[name]
	if !ok || rest != "2/summary" {
		r.mu.Unlock()
		http.NotFound(w, req)
		return
	}
	uptime := now.Sub(g.started)
	// Shares at P2Pool's stratum difficulty come every ~20 s at these rates; one in 200 late.
	if n := uint64(now.Sub(g.last) / (20 * time.Second)); n > 0 && !g.stalled {
		g.good, g.total, g.last = g.good+n-n/200, g.total+n, now
	}
	var rates []any
	for _, window := range []time.Duration{10 * time.Second, time.Minute, 15 * time.Minute} {
		switch {
		case uptime < window:
			rates = append(rates, nil) // not measured yet, as xmrig says it
		case g.stalled:
			rates = append(rates, 0.0)
		default:
			rates = append(rates, g.rate*(0.97+0.06*rand.Float64()))
		}
	}
	sum := map[string]any{
		"worker_id": name, "version": "6.22.2", "kind": "miner", "uptime": int(uptime.Seconds()), "algo": "rx/0",
		"hugepages": []int{2016, 2016}, "hashrate": map[string]any{"total": rates},
		"results":    map[string]any{"shares_good": g.good, "shares_total": g.total},
		"connection": map[string]any{"pool": "192.168.1.2:3333", "ping": 1},
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(sum)
}

// WriteDataAPI writes P2Pool's --data-api files (local/stratum, pool/stats, network/stats) for
// the farm as its xmrig APIs hash now, as P2Pool rewrites them: each file replaced whole.
func (s *Sim) WriteDataAPI(dir string, now time.Time) error {
	rigs := s.Xmrig
	if rigs == nil {
		return fmt.Errorf("the data-api needs the rigs' xmrig APIs (Sim.Xmrig)")
	}
	farm := rigs.Total()
	const poolRate, sideDiff, netDiff, reward = 12_300_000.0, 131_880_441.0, 367_854_023_412.0, 600_000_000_000
	var workers []string
	for i, name := range s.Rigs {
		rate, _ := rigs.Rate(name)
		workers = append(workers, fmt.Sprintf("192.168.1.%d:%d,%d,131880,%.0f,%s", 20+i, 40000+i, 34178, rate, name))
	}
	files := map[string]any{
		"local/stratum": map[string]any{
			"hashrate_15m": farm, "hashrate_1h": farm, "hashrate_24h": farm * 0.98, "shares_found": 412, "shares_failed": 3,
			"average_effort": 98.1, "current_effort": 40 + float64(now.Unix()%600)/10, "connections": len(s.Rigs),
			"block_reward_share_percent": farm / poolRate * 100, "last_share_found_time": now.Add(-20 * time.Minute).Unix(), "workers": workers,
		},
		"pool/stats": map[string]any{"pool_list": []string{"pplns"}, "pool_statistics": map[string]any{
			"hashRate": poolRate, "miners": 1211, "pplnsWindowSize": 2160, "sidechainDifficulty": sideDiff, "sidechainHeight": s.sideHeight,
			"lastBlockFoundTime": now.Add(-3 * time.Hour).Unix(), "lastBlockFound": s.mainHeight - 20}},
		"network/stats": map[string]any{"difficulty": netDiff, "height": s.mainHeight, "reward": reward, "timestamp": now.Unix()},
	}
	for name, v := range files {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p+".tmp", b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return err
		}
	}
	return nil
}
