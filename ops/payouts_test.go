package ops

import (
	"testing"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/model"
)

// A round's stored checks move the payouts it read as the store's view moves them, so the
// alerts are worked out from the payouts after the round without reading them all again.
func TestAlertsFromTheRoundsChecks(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ps := []model.Payout{
		{Height: 10, Claims: 1, State: model.PayoutClaimed, Piconero: model.PiconeroFromInt(5)},
		{Height: 11, Claims: 1, State: model.PayoutConfirmed, Piconero: model.PiconeroFromInt(7)},
	}
	events := []model.Event{
		{Time: now, Kind: model.KindPayout, Height: 10, State: model.PayoutOrphaned, Result: "block 10 is now bb…"},
		{Time: now, Kind: model.KindPayout, Height: 11, State: model.WalletMissing, Result: "the wallet got nothing"},
		{Time: now, Kind: model.KindPayout, Height: 12, State: model.PayoutUnexplained, Piconero: model.PiconeroFromInt(9)},
	}
	ps = withChecks(ps, events)
	if len(ps) != 3 || ps[0].State != model.PayoutOrphaned || ps[1].Wallet != model.WalletMissing || ps[2].Claims != 0 || ps[2].Wallet != model.WalletReceived {
		t.Fatalf("payouts after the checks: %+v", ps)
	}
	for _, c := range payoutConditions(ps, now, 24*time.Hour) {
		if !c.Active {
			t.Errorf("%s not active: %+v", c.Rule, c)
		}
		if c.Rule == alert.RulePayoutOrphaned && c.Detail != "the payout of 0.000000000005 XMR in block 10 left the chain: block 10 is now bb…" {
			t.Errorf("orphaned detail %q", c.Detail)
		}
	}
}
