package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
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

// PollMonerod asks monerod's JSON-RPC get_info with c. Its messages name base without a login.
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
	shown := model.Redact(base)
	if err := doJSON(c, req, &resp); err != nil {
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: %w", shown, err)
	}
	if resp.Error != nil {
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: %s", shown, model.SanitizeText(resp.Error.Message, 200))
	}
	if resp.Result == nil || resp.Result.Status != "OK" {
		return NodeInfo{}, nil, fmt.Errorf("monerod %s: get_info without status OK", shown)
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

// Fit is the one definition of a node fit to serve P2Pool, for the poller, status and the
// restart health check: it is synchronized, and online unless offlineOK. The reason says why not.
func (n NodeInfo) Fit(offlineOK bool) (bool, string) {
	switch {
	case !n.Synchronized:
		return false, fmt.Sprintf("not synchronized: height %d of %d", n.Height, n.TargetHeight)
	case n.Offline && !offlineOK:
		return false, "offline (started with --offline): no new block reaches P2Pool; monerod.offline_ok accepts it"
	}
	return true, ""
}

// Monerod asks monerod's get_info, with its login when it has one.
type Monerod struct {
	Config MonerodConfig

	once sync.Once
	rpc  *JSONRPC
}

// Name is monerod.
func (m *Monerod) Name() string { return "monerod" }

// Interval is the monerod section's.
func (m *Monerod) Interval() time.Duration { return m.Config.Interval }

// Collect asks once. The node is up when it answers and is Fit.
func (m *Monerod) Collect(ctx context.Context, now time.Time) (Result, error) {
	info, samples, err := m.Ask(ctx, now)
	if err != nil {
		return Result{Health: []Health{health("monerod", "monerod", err)}}, err
	}
	h := health("monerod", "monerod", nil)
	// It answers, so the collection succeeded; an unfit node is still down for P2Pool.
	h.Up, h.Detail = info.Fit(m.Config.OfflineOK)
	return Result{Samples: samples, Health: []Health{h}, Node: &info}, nil
}

// Ask asks get_info. Its errors never hold the login.
func (m *Monerod) Ask(ctx context.Context, now time.Time) (NodeInfo, []model.Sample, error) {
	c, hasLogin, err := m.httpClient()
	if err != nil {
		return NodeInfo{}, nil, err
	}
	info, samples, err := PollMonerod(ctx, c, m.Config.RPC, now)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusUnauthorized {
		if hasLogin {
			err = fmt.Errorf("monerod %s: %s: the login was refused (monerod.login or login_file)", model.Redact(m.Config.RPC), se.Status)
		} else {
			err = fmt.Errorf("monerod %s: %s: it was started with --rpc-login: set monerod.login or login_file", model.Redact(m.Config.RPC), se.Status)
		}
	}
	return info, samples, model.RedactErr(err)
}

// httpClient is the section's JSONRPC's: made once, it follows a changed login_file itself.
func (m *Monerod) httpClient() (*http.Client, bool, error) {
	m.once.Do(func() {
		m.rpc = &JSONRPC{Name: "monerod", URL: m.Config.RPC, Login: m.Config.Login, LoginFile: m.Config.LoginFile, Timeout: m.Config.Timeout}
	})
	return m.rpc.HTTPClient()
}
