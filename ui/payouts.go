package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
	"github.com/rivo/tview"
)

// showPayouts lists the payouts, the newest first, with what the node and the wallet say of
// each: asked off the UI goroutine, as the list may be long.
func (a *App) showPayouts() {
	a.showResult("Payouts", "reading the payouts…", true)
	c, _ := a.current()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := c.Payouts(ctx)
		cancel()
		a.post(func() {
			if err != nil {
				a.showResult("Payouts", a.th.paint(a.th.bad, tview.Escape(err.Error())), false)
				return
			}
			a.showResult(fmt.Sprintf("Payouts (%d)", len(p.Payouts)), a.payoutsText(p), false)
		})
	}()
}

// payoutsText is the payouts as the dialog shows them: the checks' state first (unchecked
// since when, and why), then one line a payout, the newest first.
func (a *App) payoutsText(p api.Payouts) string {
	var b strings.Builder
	check := tview.Escape(p.Check.Words())
	if p.Check.Problem != "" || !p.Check.Enabled {
		check = a.th.paint(a.th.warn, check)
	}
	fmt.Fprintf(&b, "%s\n", check)
	if len(p.Payouts) == 0 && len(p.Unexplained) == 0 {
		b.WriteString("\nNo payout yet: P2Pool logs one when a block it finds pays this wallet.")
		return b.String()
	}
	// One line counts them by state, so an orphaned or missing payout far down the list shows.
	counts := map[string]int{}
	for _, r := range p.Payouts {
		counts[r.State]++
		if r.Wallet != "" {
			counts[r.Wallet]++
		}
	}
	var parts []string
	for _, s := range []string{model.PayoutClaimed, model.PayoutConfirmed, model.PayoutUnlocked, model.PayoutOrphaned, model.WalletReceived, model.WalletMissing} {
		if n := counts[s]; n > 0 {
			part := fmt.Sprintf("%d %s", n, s)
			if s == model.PayoutOrphaned || s == model.WalletMissing {
				part = a.th.paint(a.th.bad, part)
			}
			parts = append(parts, part)
		}
	}
	fmt.Fprintf(&b, "%s\n", strings.Join(parts, " · "))
	loc := a.snap.Now.Location()
	if loc == nil {
		loc = time.Local
	}
	b.WriteString("\nHEIGHT   FOUND        XMR             CONF STATE      WALLET\n")
	rows := slices.Clone(p.Payouts)
	slices.Reverse(rows)
	for _, r := range rows {
		when, xmr := "-          ", r.XMR
		if !r.Time.IsZero() {
			when = r.Time.In(loc).Format("01-02 15:04")
		}
		state := fmt.Sprintf("%-10s", r.State)
		switch r.State {
		case model.PayoutOrphaned:
			state = a.th.paint(a.th.bad, state)
		case model.PayoutUnlocked, model.PayoutConfirmed:
			state = a.th.paint(a.th.good, state)
		}
		wallet := r.Wallet
		switch {
		case r.Wallet == model.WalletMissing:
			wallet = a.th.paint(a.th.bad, wallet)
		case wallet == "":
			wallet = "-"
		}
		conf := "-"
		if r.Confirmations > 0 {
			conf = fmt.Sprint(r.Confirmations)
		}
		fmt.Fprintf(&b, "%-8d %s  %s %5s %s %s\n", r.Height, when, xmr, conf, state, wallet)
		if r.State == model.PayoutOrphaned || r.Wallet == model.WalletMissing {
			fmt.Fprintf(&b, "  %s\n", tview.Escape(r.Detail))
		}
	}
	if len(p.Unexplained) > 0 {
		b.WriteString("\n" + a.th.paint(a.th.warn, "In the wallet, claimed by no payout line (lost or rotated away unread):") + "\n")
		for _, c := range p.Unexplained {
			fmt.Fprintf(&b, "  block %d: %s XMR\n", c.Height, c.XMR)
		}
	}
	return b.String()
}
