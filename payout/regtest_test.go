package payout

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/internal/monerodtest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

const walletLogin = "db4e:wallet-secret-7d1f"

// farm is a real monerod in regtest and a real monero-wallet-rpc holding a view-only wallet of
// the mining address, a store holding P2Pool's claims, and a checker between them.
type farm struct {
	t              *testing.T
	node, wallet   string
	mine, other    monerodtest.Keys
	store          *store.Store
	checker        *Checker
	status         Status
	now            time.Time
	events         []model.Event
	claimedAmounts map[uint64]uint64
}

func newFarm(t *testing.T) *farm {
	node := monerodtest.Start(t, "")
	wallet := monerodtest.StartWallet(t, node, "", walletLogin)
	f := &farm{t: t, node: node, wallet: wallet, now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), claimedAmounts: map[uint64]uint64{}}
	f.other = monerodtest.NewWallet(t, wallet, walletLogin, "other")
	f.mine = monerodtest.NewWallet(t, wallet, walletLogin, "miner")
	monerodtest.ViewOnly(t, wallet, walletLogin, "db4e-view", f.mine)
	s, err := store.Open(t.TempDir(), store.Config{Timezone: "UTC", SeriesRetentionDays: 30, MinFreeMB: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
	f.checker = &Checker{Confirmations: 10,
		Node:   Monerod{RPC: &collect.JSONRPC{Name: "monerod", URL: node, Timeout: 30 * time.Second}},
		Wallet: WalletRPC{RPC: (WalletConfig{RPC: wallet, Login: walletLogin, Timeout: 60 * time.Second}).Endpoint()}}
	return f
}

// claim writes what P2Pool logs when a block it found pays the wallet: a payment event of the
// block's coinbase amount.
func (f *farm) claim(height uint64) {
	f.t.Helper()
	amount := monerodtest.CoinbaseAmount(f.t, f.node, "", height)
	f.claimedAmounts[height] = amount
	e := model.Event{Time: f.now, Kind: model.KindPayment, Height: height, Piconero: model.PiconeroFromUint(amount),
		ID: model.HashID(fmt.Appendf(nil, "claim %d", height))}
	if _, err := f.store.Apply(&store.Batch{Events: []model.Event{e}}); err != nil {
		f.t.Fatal(err)
	}
}

// round runs one check as the service does, and returns each height's state and wallet.
func (f *farm) round() map[uint64]string {
	f.t.Helper()
	f.now = f.now.Add(time.Minute)
	ps, err := f.store.Payouts()
	if err != nil {
		f.t.Fatal(err)
	}
	events, st := f.checker.Round(context.Background(), f.now, ps, f.status)
	f.status = st
	f.events = append(f.events, events...)
	if _, err := f.store.Apply(&store.Batch{Events: events}); err != nil {
		f.t.Fatal(err)
	}
	ps, _ = f.store.Payouts()
	got := map[uint64]string{}
	for _, p := range ps {
		got[p.Height] = p.State + "/" + p.Wallet
	}
	return got
}

func (f *farm) want(step string, got map[uint64]string, want map[uint64]string) {
	f.t.Helper()
	for h, w := range want {
		if got[h] != w {
			f.t.Errorf("%s: height %d is %q, want %q (status %+v)", step, h, got[h], w, f.status)
		}
	}
}

// TestPayoutsOnARealChain walks payouts through every state against monerod and
// monero-wallet-rpc: claimed while young, confirmed at 10 confirmations, unlocked at 60,
// orphaned after a reorg replaced the block, missing when the coinbase went to another address,
// and a coinbase no line claims found in the wallet.
func TestPayoutsOnARealChain(t *testing.T) {
	f := newFarm(t)
	A, B := f.mine.Address, f.other.Address
	monerodtest.Mine(t, f.node, "", 3, A) // 1, 2, 3: ours
	monerodtest.Mine(t, f.node, "", 1, B) // 4: another address's
	f.claim(2)
	f.claim(3)
	f.claim(4) // P2Pool says paid, but the block paid B: a wrong wallet
	got := f.round()
	f.want("young", got, map[uint64]string{2: "claimed/", 3: "claimed/", 4: "claimed/"})
	for _, h := range []uint64{2, 3, 4} {
		if p, _, _ := f.store.Payout(h); p.BlockID == "" {
			t.Errorf("height %d: its block's id not remembered at first sight", h)
		}
	}

	monerodtest.Mine(t, f.node, "", 8, B) // tip 12: 2 has 11 confirmations, 3 has 10, 4 has 9
	got = f.round()
	f.want("10 confirmations", got, map[uint64]string{2: "confirmed/received", 3: "confirmed/received", 4: "claimed/"})
	f.want("unexplained", got, map[uint64]string{1: "claimed/received"})
	if p, _, _ := f.store.Payout(1); p.Claims != 0 || p.WalletPiconero.IsZero() {
		t.Errorf("the coinbase at 1 no line claims: %+v", p)
	}
	monerodtest.Mine(t, f.node, "", 1, B) // tip 13: 4 has 10
	got = f.round()
	f.want("wrong wallet", got, map[uint64]string{4: "confirmed/missing"})

	// A reorg: P2Pool's block at 14 is replaced by another branch's.
	top := monerodtest.Mine(t, f.node, "", 1, A)
	f.claim(top)
	got = f.round()
	f.want("found", got, map[uint64]string{top: "claimed/"})
	monerodtest.PopBlocks(t, f.node, "", 1)
	tip := monerodtest.Mine(t, f.node, "", 12, B)
	got = f.round()
	f.want("reorg", got, map[uint64]string{top: "orphaned/"})

	days, _ := f.store.Days("", "")
	var confirmed, orphaned, claimed model.Piconero
	for _, d := range days {
		confirmed, orphaned, claimed = confirmed.Add(d.Confirmed), orphaned.Add(d.Orphaned), claimed.Add(d.Piconero)
	}
	wantConfirmed := model.PiconeroFromUint(f.claimedAmounts[2] + f.claimedAmounts[3] + f.claimedAmounts[4])
	if confirmed.Cmp(wantConfirmed) != 0 || orphaned.Cmp(model.PiconeroFromUint(f.claimedAmounts[top])) != 0 {
		t.Errorf("totals: claimed %s confirmed %s orphaned %s, want confirmed %s orphaned %d",
			claimed.XMR(), confirmed.XMR(), orphaned.XMR(), wantConfirmed.XMR(), f.claimedAmounts[top])
	}

	// One block short of 60 confirmations on 2, the wallet and db4e agree it is locked.
	monerodtest.Mine(t, f.node, "", int(model.CoinbaseUnlock+1-tip)-1, B)
	got = f.round()
	f.want("59 confirmations", got, map[uint64]string{2: "confirmed/received"})
	monerodtest.Mine(t, f.node, "", 1, B) // 2 has 60 confirmations: its output is spendable
	got = f.round()
	f.want("60 confirmations", got, map[uint64]string{2: "unlocked/received", 3: "confirmed/received"})
	// The wallet agrees: its transfer at 2 is unlocked, the one at 3 not yet.
	var tr struct {
		In []struct {
			Height uint64 `json:"height"`
			Locked bool   `json:"locked"`
		} `json:"in"`
	}
	monerodtest.Call(t, f.wallet, walletLogin, "get_transfers", map[string]any{"in": true, "filter_by_height": true, "min_height": 1, "max_height": 3}, &tr)
	for _, x := range tr.In {
		if x.Locked != (x.Height == 3) {
			t.Errorf("the wallet says the coinbase at %d locked=%v; db4e says %s", x.Height, x.Locked, got[x.Height])
		}
	}

	// The login never appears in what db4e keeps or says.
	all, _ := json.Marshal(struct {
		E []model.Event
		S Status
	}{f.events, f.status})
	if strings.Contains(string(all), "wallet-secret") {
		t.Error("the wallet login is in the events or the status")
	}
	if r, err := f.store.Check(context.Background()); err != nil || len(r.Problems) > 0 {
		t.Errorf("check: %v %v", r.Problems, err)
	}
}

// TestNodeDownOrWrongLoginChangesNothing: a node that does not answer leaves every state as
// it was and says why; a wallet whose login is refused says so without the login.
func TestNodeDownOrWrongLoginChangesNothing(t *testing.T) {
	f := newFarm(t)
	monerodtest.Mine(t, f.node, "", 12, f.mine.Address)
	f.claim(1)
	f.checker.Node = Monerod{RPC: &collect.JSONRPC{Name: "monerod", URL: "http://127.0.0.1:1", Timeout: time.Second}}
	got := f.round()
	if got[1] != "claimed/" || f.status.Problem == "" || !f.status.Checked.IsZero() {
		t.Errorf("node down: %v, status %+v", got, f.status)
	}
	f.checker.Node = Monerod{RPC: &collect.JSONRPC{Name: "monerod", URL: f.node, Timeout: 30 * time.Second}}
	f.checker.Wallet = WalletRPC{RPC: (WalletConfig{RPC: f.wallet, Login: "db4e:wrong-secret-99", Timeout: 10 * time.Second}).Endpoint()}
	got = f.round()
	if got[1] != "confirmed/" || !strings.Contains(f.status.WalletProblem, "login was refused") ||
		strings.Contains(f.status.WalletProblem, "wrong-secret") {
		t.Errorf("wrong wallet login: %v, status %+v", got, f.status)
	}
}
