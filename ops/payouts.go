package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/payout"
	"github.com/db4e/db4e/store"
)

// payoutCheckpoint names the checker's status in the store: the same for the service that
// checks and for every process that shows it.
const payoutCheckpoint = "payouts"

// maxBlocksARound bounds the blocks one check asks monerod for: years of payouts, checked for
// the first time, take several rounds, and the node is never flooded.
const maxBlocksARound = 1000

// payoutState is the checker's memory between rounds, in the process that checks.
type payoutState struct {
	mu sync.Mutex
	// conds are the alert conditions the last round found (payout_orphaned, payout_missing).
	conds []alert.Condition
	// kick asks for a round now: a payout line was just stored. Its block is best seen while
	// it is still the chain's, before a reorg could replace it with one that pays the same.
	kick chan struct{}
}

// KickPayouts has the checker look at new payouts now rather than at its next round.
func (l *Local) KickPayouts(events []model.Event) {
	for _, e := range events {
		if e.Kind == model.KindPayment {
			select {
			case l.payouts.kick <- struct{}{}:
			default: // a round is asked for already
			}
			return
		}
	}
}

// RunPayoutChecks checks the payouts on the chain every payouts.interval until ctx ends; with
// no monerod.rpc there is nothing to check against.
func (l *Local) RunPayoutChecks(ctx context.Context) {
	if l.Cfg.Monerod.RPC == "" {
		return
	}
	c := l.PayoutChecker()
	tick.EveryOr(ctx, l.Cfg.Payouts.Interval, true, l.payouts.kick, func() {
		if err := l.CheckPayouts(ctx, c); err != nil {
			l.Log.Error("payouts: check", "err", err)
		}
	})
}

// PayoutChecker is the checker the configuration makes: monerod.rpc, and wallet_rpc when set.
func (l *Local) PayoutChecker() *payout.Checker {
	m := l.Cfg.Monerod
	c := &payout.Checker{Confirmations: l.Cfg.Payouts.Confirmations, MaxBlocks: maxBlocksARound,
		Node: payout.Monerod{RPC: &collect.JSONRPC{Name: "monerod", URL: m.RPC, Login: m.Login, LoginFile: m.LoginFile, Timeout: m.Timeout}}}
	if l.Cfg.WalletRPC.RPC != "" {
		c.Wallet = payout.WalletRPC{RPC: l.Cfg.WalletRPC.Endpoint()}
	}
	return c
}

// CheckPayouts runs one round of c: the payouts not yet final are checked, what changed is
// stored as payout events with the checker's status, and the alerts are worked out again.
func (l *Local) CheckPayouts(ctx context.Context, c *payout.Checker) error {
	ps, err := l.Store.Payouts()
	if err != nil {
		return err
	}
	was := l.payoutStatus()
	events, st := c.Round(ctx, l.Now(), ps, was)
	if st.Problem != "" && st.Problem != was.Problem {
		l.Log.Warn("payouts: not checked; their states stay as they were", "why", st.Problem)
	}
	if st.WalletProblem != "" && st.WalletProblem != was.WalletProblem {
		l.Log.Warn("payouts: the wallet", "why", st.WalletProblem)
	}
	b, _ := json.Marshal(st)
	applied, err := l.Store.Apply(&store.Batch{Events: events, Checkpoints: []store.Checkpoint{{Name: payoutCheckpoint, Value: b}}})
	if err != nil {
		return fmt.Errorf("store the payouts' checks: %w", err)
	}
	for _, e := range applied.Events {
		switch e.State {
		case model.PayoutOrphaned, model.WalletMissing:
			l.Log.Warn("payout", "height", e.Height, "state", e.State, "detail", e.Result)
		case model.PayoutSeen:
		default:
			l.Log.Info("payout", "height", e.Height, "state", e.State, "detail", e.Result)
		}
	}
	ps = withChecks(ps, applied.Events)
	conds := payoutConditions(ps, l.Now(), l.Cfg.Alerts.Rules.Orphaned.After)
	l.payouts.mu.Lock()
	l.payouts.conds = conds
	l.payouts.mu.Unlock()
	if len(applied.Events) > 0 || st != was {
		l.changes.bump()
	}
	return nil
}

// withChecks is ps as the store's view has them after events: moved by model.Payout.Apply, as
// the store moves them, rather than read whole again.
func withChecks(ps []model.Payout, events []model.Event) []model.Payout {
	at := make(map[uint64]int, len(ps))
	for i := range ps {
		at[ps[i].Height] = i
	}
	for i := range events {
		e := &events[i]
		j, ok := at[e.Height]
		if !ok {
			j = len(ps)
			at[e.Height] = j
			ps = append(ps, model.Payout{})
		}
		ps[j].Apply(e)
	}
	return ps
}

// payoutStatus is the checker's last status, from the store.
func (l *Local) payoutStatus() payout.Status {
	var st payout.Status
	if b, err := l.Store.Checkpoint(payoutCheckpoint); err == nil && b != nil {
		_ = json.Unmarshal(b, &st) // an unreadable status is a fresh start: nothing is lost but the scan's place
	}
	return st
}

// PayoutCheck is how the checks go, for status, the console and the page.
func (l *Local) PayoutCheck() api.PayoutCheck {
	st := l.payoutStatus()
	c := api.PayoutCheck{Enabled: l.Cfg.Monerod.RPC != "", Checked: st.Checked, Tip: st.Tip, Problem: st.Problem, Pending: st.Pending,
		Wallet: l.Cfg.WalletRPC.RPC != "", WalletHeight: st.WalletHeight, WalletProblem: st.WalletProblem, Confirmations: l.Cfg.Payouts.Confirmations}
	c.Summary = c.Words()
	return c
}

// Payouts lists every payout, the oldest first, with the checks' status.
func (l *Local) Payouts(ctx context.Context) (api.Payouts, error) {
	ps, err := l.Store.Payouts()
	if err != nil {
		return api.Payouts{}, err
	}
	out := api.Payouts{Check: l.PayoutCheck(), Payouts: make([]api.PayoutRow, 0, len(ps))}
	for _, p := range ps {
		if p.Claims == 0 {
			out.Unexplained = append(out.Unexplained, api.Coinbase{Height: p.Height, XMR: p.WalletPiconero.XMR(), Detail: p.Detail})
			continue
		}
		r := api.PayoutRow{Height: p.Height, XMR: p.Piconero.XMR(), State: p.State, Wallet: p.Wallet, Time: p.Time, Date: p.Date,
			BlockID: p.BlockID, Checked: p.Checked, Detail: p.Detail}
		if !p.WalletPiconero.IsZero() || p.Wallet != "" {
			r.WalletXMR = p.WalletPiconero.XMR()
		}
		if out.Check.Tip > 0 {
			r.Confirmations = model.Confirmations(p.Height, out.Check.Tip)
		}
		out.Payouts = append(out.Payouts, r)
	}
	return out, nil
}

// payoutConditions: payout_orphaned while a payout found orphaned in the last window is there;
// payout_missing while the newest payout the wallet was asked about is missing from it.
func payoutConditions(ps []model.Payout, now time.Time, window time.Duration) []alert.Condition {
	orphaned := alert.Condition{Rule: alert.RulePayoutOrphaned, Target: "payouts"}
	var newestJudged *model.Payout
	for i := range ps {
		p := &ps[i]
		if p.Claims > 0 && p.State == model.PayoutOrphaned && now.Sub(p.Checked) < window {
			orphaned.Active = true
			orphaned.Detail = fmt.Sprintf("the payout of %s XMR in block %d left the chain: %s", p.Piconero.XMR(), p.Height, p.Detail)
		}
		if p.Claims > 0 && p.Wallet != "" && (newestJudged == nil || p.Height > newestJudged.Height) {
			newestJudged = p
		}
	}
	missing := alert.Condition{Rule: alert.RulePayoutMissing, Target: "wallet"}
	if newestJudged != nil && newestJudged.Wallet == model.WalletMissing {
		missing.Active, missing.Detail = true, newestJudged.Detail
	}
	return []alert.Condition{orphaned, missing}
}

// payoutAlertConditions are the last round's conditions of the enabled payout rules.
func (l *Local) payoutAlertConditions() []alert.Condition {
	l.payouts.mu.Lock()
	defer l.payouts.mu.Unlock()
	rules := l.Cfg.Alerts.Rules.Map()
	return slices.DeleteFunc(slices.Clone(l.payouts.conds), func(c alert.Condition) bool { return !rules[c.Rule].Enabled })
}
