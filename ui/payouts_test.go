package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/store"
	"github.com/gdamore/tcell/v2"
)

// payoutsConsole is the fixture with a payout claimed today that the node has not confirmed
// yet, and one of yesterday's found orphaned.
func payoutsConsole(t *testing.T) *ops.Local {
	l := fixtureConsole(t)
	ps, err := l.Store.Payouts()
	if err != nil || len(ps) != 2 {
		t.Fatalf("fixture payouts %v %v", ps, err)
	}
	b := store.Batch{Events: []model.Event{
		{Time: now.Add(-time.Hour), Kind: model.KindPayment, Height: 3350999, Piconero: model.PiconeroFromInt(700_000_000), ID: "00000000000d4e01"},
		{Time: now.Add(-time.Minute), Kind: model.KindPayout, Height: ps[1].Height, State: model.PayoutOrphaned,
			Result: "block 3350555 is now 5a1b2c3d4e5f6a7b…; P2Pool's was 0f0e0d0c0b0a0908…", ID: "00000000000d4e02"},
	}}
	if _, err := l.Store.Apply(&b); err != nil {
		t.Fatal(err)
	}
	l.Changed()
	return l
}

// The header counts what monerod confirmed and says what P2Pool claimed beside it; $ lists
// every payout with its state, the orphaned one's reason under it, at 80x24 with and without
// colour.
func TestPayoutsDialog(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		t.Run(map[bool]string{false: "colour", true: "NO_COLOR"}[noColor], func(t *testing.T) {
			h := start(t, payoutsConsole(t), 80, 24, Options{NoColor: noColor})
			h.waitFor("paid 0 (0.0007 claimed)", "XMR/day confirmed")
			h.typ("$")
			s := h.waitFor("Payouts (3)", "not checked: set monerod.rpc", "3350999", "claimed", "3350555", "orphaned",
				"P2Pool's was 0f0e0d0c0b0a0908", "3350252", "confirmed", "Esc closes")
			if strings.Index(s, "3350999") > strings.Index(s, "3350252") {
				t.Error("the newest payout is not first")
			}
			st, ok := h.at("", "orphaned")
			fg, _, _ := st.Decompose()
			switch {
			case !ok:
				t.Error("orphaned not found")
			case noColor && fg != tcell.ColorDefault:
				t.Errorf("NO_COLOR: orphaned drawn in %v", fg)
			case !noColor && fg != tcell.ColorRed:
				t.Errorf("orphaned drawn in %v, want red", fg)
			}
			h.key(tcell.KeyEscape)
			h.waitFor("Shares/day · 30 d")
		})
	}
}

// With the checks failing, the header says the payouts are unchecked since the last good
// check: the states shown are as of then.
func TestHeaderSaysPayoutsUnchecked(t *testing.T) {
	l := payoutsConsole(t)
	l.Cfg.Monerod.RPC = "http://127.0.0.1:1"
	l.Cfg.Monerod.Timeout = time.Second
	if err := l.CheckPayouts(context.Background(), l.PayoutChecker()); err != nil {
		t.Fatal(err)
	}
	h := start(t, l, 100, 30, Options{})
	h.waitFor("payouts unchecked ($)")
	h.typ("$")
	h.waitFor("unchecked: monerod http://127.0.0.1:1", "refused (nothing listens there")
}
