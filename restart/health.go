package restart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/internal/tick"
)

// checkTimeout bounds one health check.
const checkTimeout = 5 * time.Second

// Check tells whether t is up now; the error says why not.
func Check(ctx context.Context, t Target) error {
	h := t.Health
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	url := strings.ReplaceAll(h.URL, "{host}", t.hostName())
	switch {
	case h.DataAPI != "":
		return checkDataAPI(h.DataAPI, h.MaxAge)
	case h.Socket != "" && t.Kind == KindDB4E:
		_, err := api.Dial(ctx, h.Socket)
		return err
	case h.URL == "":
		return nil // nothing to ask: the restart command's success is all we know
	case t.Kind == KindMonerod:
		return checkMonerod(ctx, h.Node, url)
	case t.Kind == KindMiner:
		return checkXmrig(ctx, url, h.Token)
	default:
		return checkP2PoolHTTP(ctx, url)
	}
}

// checkMonerod: get_info answers with the monerod section's login, and the node is fit as the
// poller judges it (collect.NodeInfo.Fit).
func checkMonerod(ctx context.Context, node collect.MonerodConfig, base string) error {
	node.RPC, node.Timeout = base, checkTimeout
	r, err := (&collect.Monerod{Config: node}).Collect(ctx, time.Now())
	switch {
	case err != nil:
		return err
	case !r.Health[0].Up:
		return errors.New("monerod: " + r.Health[0].Detail)
	}
	return nil
}

// checkXmrig: the HTTP API answers its summary.
func checkXmrig(ctx context.Context, base, token string) error {
	_, _, err := collect.PollXmrig(ctx, healthClient(), "", base, token, time.Now())
	return err
}

// checkP2PoolHTTP: P2Pool's pool/stats, served over HTTP, answers with pool statistics.
func checkP2PoolHTTP(ctx context.Context, url string) error {
	var s struct {
		Pool *json.RawMessage `json:"pool_statistics"`
	}
	if err := collect.FetchJSON(ctx, healthClient(), url, "", &s); err != nil {
		return fmt.Errorf("p2pool: %w", err)
	}
	if s.Pool == nil {
		return errors.New("p2pool: answer without pool_statistics")
	}
	return nil
}

// checkDataAPI: P2Pool rewrites pool/stats while it runs.
func checkDataAPI(dir string, maxAge time.Duration) error {
	path := filepath.Join(dir, "pool", "stats")
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("p2pool: %w", err)
	}
	if age := time.Since(st.ModTime()); age > maxAge {
		return fmt.Errorf("p2pool: %s not updated for %s", path, age.Round(time.Second))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("p2pool: %w", err)
	}
	if !json.Valid(b) {
		return fmt.Errorf("p2pool: %s is not JSON", path)
	}
	return nil
}

// healthClient is a client for one check: the check's context bounds it too.
func healthClient() *http.Client { return &http.Client{Timeout: checkTimeout} }

// WaitHealthy checks t until it is up or its wait is over.
func WaitHealthy(ctx context.Context, t Target) error {
	deadline := time.Now().Add(t.Health.Wait)
	for {
		err := Check(ctx, t)
		if err == nil {
			return nil
		}
		if time.Now().Add(t.Health.Interval).After(deadline) {
			return fmt.Errorf("%s not healthy after %s: %w", t.Name, t.Health.Wait, err)
		}
		if !tick.Sleep(ctx, t.Health.Interval) {
			return ctx.Err()
		}
	}
}
