package collect

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/monerodtest"
)

// Two clients of one process asking a monerod started with --rpc-login at once (the node's
// collector and the payout checker) never see "login refused": monerod keeps one Digest
// session, and two transports each with its own nonce and count broke it for each other.
func TestTwoClientsShareMonerodsDigestSession(t *testing.T) {
	const login = "op:digest-pass-4"
	node := monerodtest.Start(t, login)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 2 {
		rpc := &JSONRPC{Name: "monerod", URL: node, Login: login, Timeout: 10 * time.Second}
		wg.Go(func() {
			for range 50 {
				var info struct {
					Height uint64 `json:"height"`
				}
				if err := rpc.Call(context.Background(), "get_info", nil, &info); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 3 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of 100 calls failed", n)
	}
}
