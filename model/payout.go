package model

import "time"

// What became of a payout P2Pool claimed, as the node says (Payout.State).
const (
	// PayoutClaimed: P2Pool's log says so; the node has not yet confirmed it.
	PayoutClaimed = "claimed"
	// PayoutConfirmed: the block P2Pool found is still the main chain's block at its height
	// after the configured number of confirmations.
	PayoutConfirmed = "confirmed"
	// PayoutUnlocked: still there after CoinbaseUnlock confirmations: the output is spendable.
	PayoutUnlocked = "unlocked"
	// PayoutOrphaned: another block is at its height: the payout never happened.
	PayoutOrphaned = "orphaned"
)

// What the operator's wallet says of a payout (Payout.Wallet); "" when no wallet is asked.
const (
	// WalletReceived: the wallet has a coinbase transfer at the height, of the amount to the
	// piconero.
	WalletReceived = "received"
	// WalletMissing: the wallet has scanned the height and has no such transfer: P2Pool paid
	// another address.
	WalletMissing = "missing"
)

// The states of a payout event (KindPayout) that are not a Payout's State or Wallet.
const (
	// PayoutSeen: the block at the height pays the claimed amount; its id is remembered, and
	// later checks compare against it.
	PayoutSeen = "seen"
	// PayoutUnexplained: the wallet received a coinbase at a height no payout line claims (a
	// line lost, or rotated away unread).
	PayoutUnexplained = "unexplained"
)

// CoinbaseUnlock is how many confirmations a coinbase output needs before it can be spent:
// Monero's CRYPTONOTE_MINED_MONEY_UNLOCK_WINDOW (the output's unlock_time is its height + 60).
const CoinbaseUnlock = 60

// Payout is one height's payout: P2Pool's claim and what the checks found. It is a view:
// derived from the payment and payout events alone (Claim, Apply), so a rebuild makes it again.
type Payout struct {
	Height uint64 `json:"height"`
	// Time is the first claim's (P2Pool's line); Date the day its amount is counted on.
	Time     time.Time `json:"time,omitzero"`
	Date     string    `json:"date,omitempty"`
	Piconero Piconero  `json:"piconero,omitzero"`
	// Claims counts payment lines for the height: 1, or 0 for a coinbase only the wallet knows.
	Claims int    `json:"claims"`
	State  string `json:"state"`
	// BlockID is the block's id remembered when it was first seen paying the amount.
	BlockID string `json:"block_id,omitempty"`
	Wallet  string `json:"wallet,omitempty"`
	// WalletPiconero is what the wallet got at the height, when it got anything.
	WalletPiconero Piconero `json:"wallet_piconero,omitzero"`
	// Checked is the time of the last check that changed something; Detail its words.
	Checked time.Time `json:"checked,omitzero"`
	Detail  string    `json:"detail,omitempty"`
}

// Claim counts a payment event (KindPayment) of p's height.
func (p *Payout) Claim(e *Event) {
	p.Height = e.Height
	if p.Claims == 0 || e.Time.Before(p.Time) {
		p.Time, p.Piconero = e.Time.UTC(), e.Piconero
	}
	p.Claims++
	if p.State == "" {
		p.State = PayoutClaimed
	}
}

// Apply moves p by a payout event (KindPayout) of its height. It is the one place states move.
func (p *Payout) Apply(e *Event) {
	p.Height = e.Height
	if p.State == "" {
		p.State = PayoutClaimed
	}
	switch e.State {
	case PayoutSeen:
		p.BlockID = e.BlockID
	case PayoutClaimed, PayoutConfirmed, PayoutUnlocked, PayoutOrphaned:
		p.State = e.State
		if e.BlockID != "" && e.State != PayoutOrphaned {
			p.BlockID = e.BlockID
		}
	case WalletReceived, WalletMissing:
		p.Wallet, p.WalletPiconero = e.State, e.Piconero
	case PayoutUnexplained:
		p.Wallet, p.WalletPiconero = WalletReceived, e.Piconero
	}
	if e.Time.After(p.Checked) {
		p.Checked = e.Time.UTC()
	}
	if e.Result != "" {
		p.Detail = e.Result
	}
}

// Counted is what p adds to its day's sums: its amount as confirmed (unlocked included),
// unlocked and orphaned. A coinbase no line claims adds nothing: the totals are P2Pool's
// claims, judged.
func (p *Payout) Counted() (confirmed, unlocked, orphaned Piconero) {
	if p.Claims == 0 {
		return
	}
	switch p.State {
	case PayoutConfirmed:
		confirmed = p.Piconero
	case PayoutUnlocked:
		confirmed, unlocked = p.Piconero, p.Piconero
	case PayoutOrphaned:
		orphaned = p.Piconero
	}
	return
}

// Confirmations is how many blocks, the one at height included, are on top of the chain up to
// tip (the newest block's height), as Monero's wallets count them: a block just found has 1.
func Confirmations(height, tip uint64) uint64 {
	if tip < height {
		return 0
	}
	return tip - height + 1
}
