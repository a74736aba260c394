package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// PoolStats is what P2Pool's data-api files say.
type PoolStats struct {
	Hashrate15m, Hashrate1h, Hashrate24h float64
	SharesFound, SharesFailed            uint64
	Connections                          uint64
	SidechainHashrate                    float64
	Miners                               uint64
	Workers                              int
	Updated                              time.Time // of local/stratum
}

// ReadDataAPI reads P2Pool's data-api directory: local/stratum (local/stats before v3.2) and
// pool/stats. The files are written atomically by P2Pool (temp + rename).
func ReadDataAPI(dir string, now time.Time) (PoolStats, []model.Sample, error) {
	var ps PoolStats
	var local struct {
		Hashrate15m   float64  `json:"hashrate_15m"`
		Hashrate1h    float64  `json:"hashrate_1h"`
		Hashrate24h   float64  `json:"hashrate_24h"`
		SharesFound   uint64   `json:"shares_found"`
		SharesFailed  uint64   `json:"shares_failed"`
		Connections   uint64   `json:"connections"`
		IncomingConns uint64   `json:"incoming_connections"`
		Workers       []string `json:"workers"`
		// Since P2Pool v2.x (stratum_server.cpp api_update_local_stats); absent before.
		CurrentEffort *float64 `json:"current_effort"`
		AverageEffort *float64 `json:"average_effort"`
		RewardShare   *float64 `json:"block_reward_share_percent"`
	}
	path := filepath.Join(dir, "local", "stratum")
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		path = filepath.Join(dir, "local", "stats")
		st, err = os.Stat(path)
	}
	if err != nil {
		return ps, nil, fmt.Errorf("p2pool data-api: %w", err)
	}
	if err := readJSONFile(path, &local); err != nil {
		return ps, nil, err
	}
	ps = PoolStats{Hashrate15m: local.Hashrate15m, Hashrate1h: local.Hashrate1h, Hashrate24h: local.Hashrate24h,
		SharesFound: local.SharesFound, SharesFailed: local.SharesFailed, Connections: local.Connections, Updated: st.ModTime()}
	out := []model.Sample{
		{Series: "pool/hashrate_15m", Time: now, Value: local.Hashrate15m},
		{Series: "pool/hashrate_1h", Time: now, Value: local.Hashrate1h},
		{Series: "pool/hashrate_24h", Time: now, Value: local.Hashrate24h},
		{Series: "pool/shares_found", Time: now, Value: float64(local.SharesFound)},
		{Series: "pool/shares_failed", Time: now, Value: float64(local.SharesFailed)},
		{Series: "pool/connections", Time: now, Value: float64(local.Connections)},
	}
	for series, v := range map[string]*float64{"pool/current_effort": local.CurrentEffort, "pool/average_effort": local.AverageEffort,
		"pool/reward_share_percent": local.RewardShare} {
		if v != nil && *v >= 0 && !math.IsInf(*v, 0) && !math.IsNaN(*v) {
			out = append(out, model.Sample{Series: series, Time: now, Value: *v})
		}
	}
	for _, w := range local.Workers {
		name, hr, ok := parseWorker(w)
		if !ok {
			continue
		}
		ps.Workers++
		out = append(out, model.Sample{Series: "worker/" + name, Time: now, Value: hr})
	}
	var pool struct {
		Stats *struct {
			HashRate   float64 `json:"hashRate"`
			Miners     uint64  `json:"miners"`
			WindowSize uint64  `json:"pplnsWindowSize"`
			Difficulty float64 `json:"sidechainDifficulty"`
			Height     uint64  `json:"sidechainHeight"`
		} `json:"pool_statistics"`
	}
	if err := readJSONFile(filepath.Join(dir, "pool", "stats"), &pool); err == nil && pool.Stats != nil {
		st := pool.Stats
		ps.SidechainHashrate, ps.Miners = st.HashRate, st.Miners
		out = append(out, model.Sample{Series: "pool/sidechain_hashrate", Time: now, Value: st.HashRate},
			model.Sample{Series: "pool/miners", Time: now, Value: float64(st.Miners)})
		if st.WindowSize > 0 && st.Height > 0 && st.Difficulty > 0 { // P2Pool v2.x on
			out = append(out, model.Sample{Series: "pool/window_size", Time: now, Value: float64(st.WindowSize)},
				model.Sample{Series: "pool/sidechain_height", Time: now, Value: float64(st.Height)},
				model.Sample{Series: "pool/sidechain_difficulty", Time: now, Value: st.Difficulty})
		}
	}
	// network/stats: the Monero chain's tip as P2Pool sees it.
	var network struct {
		Difficulty float64 `json:"difficulty"`
		Reward     uint64  `json:"reward"`
	}
	if err := readJSONFile(filepath.Join(dir, "network", "stats"), &network); err == nil && network.Difficulty > 0 && network.Reward > 0 {
		out = append(out, model.Sample{Series: "network/difficulty", Time: now, Value: network.Difficulty},
			model.Sample{Series: "network/reward", Time: now, Value: float64(network.Reward)})
	}
	return ps, out, nil
}

// parseWorker reads "IP:port,uptime_s,diff,hashrate,user" from local/stratum's workers.
func parseWorker(s string) (string, float64, bool) {
	f := strings.Split(s, ",")
	if len(f) < 4 {
		return "", 0, false
	}
	hr, err := strconv.ParseFloat(strings.TrimSpace(f[3]), 64)
	if err != nil || hr < 0 || math.IsInf(hr, 0) || math.IsNaN(hr) {
		return "", 0, false
	}
	name := ""
	if len(f) >= 5 {
		name = strings.TrimSpace(strings.Join(f[4:], ","))
	}
	if name == "" || name == "x" {
		name = model.HostOfAddr(strings.TrimSpace(f[0]))
	}
	if name == "" {
		return "", 0, false
	}
	return model.SanitizeName(name, model.MaxHostLen), hr, true
}

func readJSONFile(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("p2pool data-api: %w", err)
	}
	defer f.Close()
	if err := json.NewDecoder(io.LimitReader(f, maxAnswer)).Decode(v); err != nil {
		return fmt.Errorf("p2pool data-api %s: %w", path, err)
	}
	return nil
}

// DataAPI reads P2Pool's data-api directory: P2Pool is up when its files are fresh.
type DataAPI struct {
	Dir   string
	Every time.Duration
	// MaxAge is how old local/stratum may be before P2Pool counts as down; 0: any age.
	MaxAge time.Duration
}

// Name is p2pool.
func (d *DataAPI) Name() string { return "p2pool" }

// Interval is the p2pool section's api_interval.
func (d *DataAPI) Interval() time.Duration { return d.Every }

// Collect reads the files once.
func (d *DataAPI) Collect(ctx context.Context, now time.Time) (Result, error) {
	ps, samples, err := ReadDataAPI(d.Dir, now)
	if err != nil {
		return Result{Health: []Health{health("p2pool", "p2pool", err)}}, err
	}
	h := health("p2pool", "p2pool", nil)
	if age := now.Sub(ps.Updated); d.MaxAge > 0 && age > d.MaxAge {
		h.Up, h.Detail = false, fmt.Sprintf("data-api not updated for %s", age.Round(time.Second))
	}
	return Result{Samples: samples, Health: []Health{h}}, nil
}
