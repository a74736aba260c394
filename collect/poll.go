// Package collect reads the farm's state from its sources: monerod's RPC, P2Pool's data-api,
// xmrig's HTTP API and dnsmasq's leases. Each answer becomes samples and a health result.
package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// maxAnswer bounds what is read of an answer: a garbage or hostile server cannot fill memory.
const maxAnswer = 4 << 20

// NodeInfo is what monerod's get_info says.
type NodeInfo struct {
	Height       uint64 `json:"height"`
	TargetHeight uint64 `json:"target_height"`
	Synchronized bool   `json:"synchronized"`
	BusySyncing  bool   `json:"busy_syncing"`
	Offline      bool   `json:"offline"`
	Incoming     uint64 `json:"incoming_connections_count"`
	Outgoing     uint64 `json:"outgoing_connections_count"`
	Status       string `json:"status"`
}

// PollMonerod asks monerod's JSON-RPC get_info.
func PollMonerod(ctx context.Context, c *http.Client, base string, now time.Time) (NodeInfo, []model.Sample, error) {
	body := []byte(`{"jsonrpc":"2.0","id":"0","method":"get_info"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/json_rpc", bytes.NewReader(body))
	if err != nil {
		return NodeInfo{}, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	var resp struct {
		Result *NodeInfo `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := doJSON(c, req, &resp); err != nil {
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: %w", base, err)
	}
	if resp.Error != nil {
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: %s", base, model.SanitizeName(resp.Error.Message, 200))
	}
	if resp.Result == nil || resp.Result.Status != "OK" {
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: get_info without status OK", base)
	}
	n := *resp.Result
	// target_height is 0 once synchronized: trust synchronized, and give the height as target.
	if n.Synchronized || n.TargetHeight < n.Height {
		n.TargetHeight = n.Height
	}
	return n, []model.Sample{
		{Series: "node/height", Time: now, Value: float64(n.Height)},
		{Series: "node/target_height", Time: now, Value: float64(n.TargetHeight)},
		{Series: "node/synchronized", Time: now, Value: b2f(n.Synchronized)},
		{Series: "node/connections_in", Time: now, Value: float64(n.Incoming)},
		{Series: "node/connections_out", Time: now, Value: float64(n.Outgoing)},
	}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// XmrigSummary is what xmrig's /2/summary says of a miner.
type XmrigSummary struct {
	WorkerID string `json:"worker_id"`
	Uptime   uint64 `json:"uptime"`
	Hashrate struct {
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

// PollXmrig asks one miner's HTTP API, with its access token if it has one.
func PollXmrig(ctx context.Context, c *http.Client, name, base, token string, now time.Time) (XmrigSummary, []model.Sample, error) {
	var s XmrigSummary
	if err := FetchJSON(ctx, c, strings.TrimRight(base, "/")+"/2/summary", token, &s); err != nil {
		return s, nil, fmt.Errorf("xmrig %s: %w", name, err)
	}
	prefix := "xmrig/" + name + "/"
	var out []model.Sample
	// total is [10s, 60s, 15m]; the 10 s figure is noise at a poll a minute, so it is not kept.
	for i, label := range map[int]string{1: "hashrate_60s", 2: "hashrate_15m"} {
		if i < len(s.Hashrate.Total) && s.Hashrate.Total[i] != nil && *s.Hashrate.Total[i] >= 0 && !math.IsInf(*s.Hashrate.Total[i], 0) {
			out = append(out, model.Sample{Series: prefix + label, Time: now, Value: *s.Hashrate.Total[i]})
		}
	}
	out = append(out,
		model.Sample{Series: prefix + "shares_good", Time: now, Value: float64(s.Results.SharesGood)},
		model.Sample{Series: prefix + "shares_total", Time: now, Value: float64(s.Results.SharesTotal)},
	)
	s.Connection.Pool = model.SanitizeName(s.Connection.Pool, 100)
	s.WorkerID = model.SanitizeName(s.WorkerID, model.MaxHostLen)
	return s, out, nil
}

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
			HashRate float64 `json:"hashRate"`
			Miners   uint64  `json:"miners"`
		} `json:"pool_statistics"`
	}
	if err := readJSONFile(filepath.Join(dir, "pool", "stats"), &pool); err == nil && pool.Stats != nil {
		ps.SidechainHashrate, ps.Miners = pool.Stats.HashRate, pool.Stats.Miners
		out = append(out, model.Sample{Series: "pool/sidechain_hashrate", Time: now, Value: pool.Stats.HashRate},
			model.Sample{Series: "pool/miners", Time: now, Value: float64(pool.Stats.Miners)})
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

// FetchJSON GETs url (with a bearer token if one is given) and decodes a bounded answer.
func FetchJSON(ctx context.Context, c *http.Client, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return doJSON(c, req, v)
}

func doJSON(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return errors.New("401 Unauthorized: an access token is needed")
		case http.StatusForbidden:
			return errors.New("403 Forbidden: the access token is wrong")
		}
		return fmt.Errorf("answered %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(v); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("bad answer: %s", first)
	}
	return nil
}
