package collect

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

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
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: %s", base, model.SanitizeText(resp.Error.Message, 200))
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

// Monerod asks monerod's get_info: the node is up when it answers and is synchronized.
type Monerod struct{ Config MonerodConfig }

// Name is monerod.
func (m *Monerod) Name() string { return "monerod" }

// Interval is the monerod section's.
func (m *Monerod) Interval() time.Duration { return m.Config.Interval }

// Collect asks once.
func (m *Monerod) Collect(ctx context.Context, now time.Time) (Result, error) {
	info, samples, err := PollMonerod(ctx, client(m.Config.Timeout), m.Config.RPC, now)
	if err != nil {
		return Result{Health: []Health{health("monerod", "monerod", err)}}, err
	}
	h := health("monerod", "monerod", nil)
	if !info.Synchronized {
		// It answers: the collection succeeded, but a node still syncing does not serve P2Pool.
		h.Up, h.Detail = false, fmt.Sprintf("not synchronized: height %d of %d", info.Height, info.TargetHeight)
	}
	return Result{Samples: samples, Health: []Health{h}, Node: &info}, nil
}
