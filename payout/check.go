package payout

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/db4e/db4e/model"
)

// Status is what the checker last found, kept between rounds (and restarts) in the store.
type Status struct {
	// Checked is when the node last answered synchronized and the payouts were checked.
	Checked time.Time `json:"checked,omitzero"`
	Tip     uint64    `json:"tip,omitempty"`
	// Problem says why the last round judged nothing (the node down or syncing): the states
	// stay as they were, unchecked since Checked. "" when it did.
	Problem string `json:"problem,omitempty"`
	// Pending is how many payouts still wait for confirmations (or for the next round, past
	// the round's bound).
	Pending int `json:"pending"`
	// The wallet's side, when one is configured.
	Wallet        bool   `json:"wallet,omitempty"`
	WalletHeight  uint64 `json:"wallet_height,omitempty"`
	WalletProblem string `json:"wallet_problem,omitempty"`
	// Scanned: the wallet's coinbases up to this height were looked at for ones no payout
	// line claims.
	Scanned uint64 `json:"scanned,omitempty"`
}

// Checker judges payouts on the node and, with a wallet, in the wallet.
type Checker struct {
	Confirmations int
	Node          Node
	Wallet        Wallet // nil: none configured
	// MaxBlocks bounds the blocks asked for in one round: a store with years of payouts,
	// checked for the first time, is worked through over several rounds.
	MaxBlocks int
}

// maxScan is how many heights one get_transfers spans: at most one coinbase a height, each
// ~600 bytes of JSON, stays under what an answer may be (collect's 4 MB bound).
const maxScan = 5000

// Round checks every payout not yet final, and returns what changed as payout events and
// the new status. A node that does not answer, or is not synchronized, changes nothing.
func (c *Checker) Round(ctx context.Context, now time.Time, payouts []model.Payout, st Status) ([]model.Event, Status) {
	st.Wallet = c.Wallet != nil
	tip, err := c.Node.Tip(ctx)
	switch {
	case err != nil:
		st.Problem = err.Error()
		return nil, st
	case !tip.Synchronized:
		st.Problem = fmt.Sprintf("monerod is not synchronized: height %d of %d", tip.Height, tip.Target)
		return nil, st
	}
	st.Problem, st.Tip = "", tip.Height
	var out []model.Event
	emit := func(p *model.Payout, state, blockID string, pico model.Piconero, detail string) {
		at := now
		if !at.After(p.Checked) {
			at = p.Checked.Add(time.Nanosecond) // a clock stepped back: the payout's checks stay in order
		}
		e := model.Event{Time: at, Kind: model.KindPayout, Height: p.Height, State: state, BlockID: blockID, Piconero: pico,
			Result: detail, ID: model.HashID(fmt.Appendf(nil, "payout|%d|%s|%s|%s|%d", p.Height, state, blockID, pico, at.UnixNano()))}
		p.Apply(&e)
		out = append(out, e)
	}
	// The newest first: a payout just found is what the operator looks for.
	todo := slices.Clone(payouts)
	slices.SortFunc(todo, func(a, b model.Payout) int { return cmp.Compare(b.Height, a.Height) })
	asked := 0
	st.Pending = 0
	for i := range todo {
		p := &todo[i]
		if p.Claims == 0 || c.chainFinal(p, tip.Height) {
			continue
		}
		conf := model.Confirmations(p.Height, tip.Height)
		if conf < uint64(c.Confirmations) {
			st.Pending++
		}
		if conf == 0 {
			continue
		}
		if c.MaxBlocks > 0 && asked >= c.MaxBlocks {
			st.Pending++
			continue
		}
		asked++
		b, err := c.Node.Block(ctx, p.Height)
		if err != nil {
			st.Problem = err.Error()
			break
		}
		c.judge(p, b, conf, emit)
	}
	if c.Wallet != nil && st.Problem == "" {
		c.walletRound(ctx, todo, tip.Height, &st, emit)
	}
	if st.Problem == "" {
		st.Checked = now
	}
	return out, st
}

// judge compares the block at p's height with the one P2Pool found.
func (c *Checker) judge(p *model.Payout, b Block, conf uint64, emit func(*model.Payout, string, string, model.Piconero, string)) {
	remembered := p.BlockID
	if remembered == "" {
		switch {
		case b.Pays(p.Piconero):
			emit(p, model.PayoutSeen, b.ID, model.Piconero{}, fmt.Sprintf("block %s… pays %s XMR", b.ID[:16], p.Piconero.XMR()))
			remembered = b.ID
		case conf < uint64(c.Confirmations):
			return // the node may yet switch to P2Pool's block
		default:
			if p.State != model.PayoutOrphaned {
				emit(p, model.PayoutOrphaned, b.ID, model.Piconero{}, fmt.Sprintf("block %d is %s…, which pays no output of %s XMR: not the block P2Pool found",
					p.Height, b.ID[:16], p.Piconero.XMR()))
			}
			return
		}
	}
	if conf < uint64(c.Confirmations) {
		return
	}
	want, detail := model.PayoutConfirmed, fmt.Sprintf("%d confirmations", conf)
	if conf >= model.CoinbaseUnlock {
		want = model.PayoutUnlocked
	}
	if b.ID != remembered {
		want, detail = model.PayoutOrphaned, fmt.Sprintf("block %d is now %s…; P2Pool's was %s…", p.Height, b.ID[:16], remembered[:16])
	}
	if want != p.State {
		id := ""
		if want == model.PayoutOrphaned {
			id = b.ID
		}
		emit(p, want, id, model.Piconero{}, detail)
	}
}

// chainFinal says no block can change p's state any more: unlocked, or orphaned twice the
// unlock depth ago.
func (c *Checker) chainFinal(p *model.Payout, tip uint64) bool {
	switch p.State {
	case model.PayoutUnlocked:
		return true
	case model.PayoutOrphaned:
		return model.Confirmations(p.Height, tip) > 2*model.CoinbaseUnlock
	}
	return false
}

// walletRound matches each confirmed payout with the wallet's coinbase at its height, and
// looks for coinbases no payout line claims.
func (c *Checker) walletRound(ctx context.Context, todo []model.Payout, tip uint64, st *Status,
	emit func(*model.Payout, string, string, model.Piconero, string)) {
	wh, err := c.Wallet.Height(ctx)
	if err == nil && wh <= tip {
		if err = c.Wallet.Refresh(ctx); err == nil {
			wh, err = c.Wallet.Height(ctx)
		}
	}
	if err != nil {
		st.WalletProblem = err.Error()
		return
	}
	st.WalletHeight, st.WalletProblem = wh, ""
	if wh <= tip {
		st.WalletProblem = fmt.Sprintf("the wallet has scanned to height %d of %d", wh, tip+1)
	}
	known := map[uint64]*model.Payout{}
	asked := 0
	for i := range todo {
		p := &todo[i]
		known[p.Height] = p
		if p.Claims == 0 || wh <= p.Height || !c.walletDue(p, tip) {
			continue
		}
		if c.MaxBlocks > 0 && asked >= c.MaxBlocks {
			continue
		}
		asked++
		ts, err := c.Wallet.Coinbase(ctx, p.Height-1, p.Height)
		if err != nil {
			st.WalletProblem = err.Error()
			return
		}
		var got model.Piconero
		state := model.WalletMissing
		for _, t := range ts {
			if t.Height != p.Height {
				continue
			}
			got = got.Add(t.Piconero)
			if t.Piconero.Cmp(p.Piconero) == 0 {
				state, got = model.WalletReceived, t.Piconero
				break
			}
		}
		if state == p.Wallet && got.Cmp(p.WalletPiconero) == 0 {
			continue
		}
		detail := fmt.Sprintf("the wallet received %s XMR in block %d", got.XMR(), p.Height)
		if state == model.WalletMissing {
			there := "nothing"
			if !got.IsZero() {
				there = got.XMR() + " XMR"
			}
			detail = fmt.Sprintf("P2Pool says %s XMR was paid in block %d; the wallet got %s there: a wrong wallet, or a payout to another address",
				p.Piconero.XMR(), p.Height, there)
		}
		emit(p, state, "", got, detail)
	}
	// Coinbases with N confirmations that no line claims (a line lost or rotated away unread).
	var upto uint64
	if wh > 0 && tip+1 >= uint64(c.Confirmations) {
		upto = min(wh-1, tip+1-uint64(c.Confirmations))
	}
	for calls := 0; st.Scanned < upto && calls < 200; calls++ {
		to := min(upto, st.Scanned+maxScan)
		ts, err := c.Wallet.Coinbase(ctx, st.Scanned, to)
		if err != nil {
			st.WalletProblem = err.Error()
			break
		}
		for _, t := range ts {
			p := known[t.Height]
			if p != nil && (p.Claims > 0 || p.Wallet != "") {
				continue
			}
			if p == nil {
				p = &model.Payout{Height: t.Height}
				known[t.Height] = p
			}
			emit(p, model.PayoutUnexplained, "", t.Piconero, fmt.Sprintf("the wallet received %s XMR in block %d (tx %s), which no payout line in P2Pool's log claims",
				t.Piconero.XMR(), t.Height, t.TxID))
		}
		st.Scanned = to
	}
}

// walletDue says whether p's wallet side is to be checked this round: once the node has
// confirmed it, until the wallet has it, or (missing) until long past any reorg.
func (c *Checker) walletDue(p *model.Payout, tip uint64) bool {
	switch {
	case p.State != model.PayoutConfirmed && p.State != model.PayoutUnlocked:
		return false
	case p.Wallet == model.WalletReceived:
		return false
	case p.Wallet == model.WalletMissing:
		return model.Confirmations(p.Height, tip) <= 2*model.CoinbaseUnlock
	}
	return true
}
