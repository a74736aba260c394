package api

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/db4e/db4e/model"
)

// Payouts is every payout P2Pool claimed, with what the node and the wallet say of it, in the
// stable format of `payouts --json`.
type Payouts struct {
	Payouts []PayoutRow `json:"payouts"`
	// Unexplained are coinbase outputs the wallet received that no payout line claims: a line
	// lost, or rotated away unread (they count in no total).
	Unexplained []Coinbase  `json:"unexplained"`
	Check       PayoutCheck `json:"check"`
}

// Coinbase is a coinbase output the wallet received.
type Coinbase struct {
	Height uint64 `json:"height"`
	XMR    string `json:"xmr"`
	Detail string `json:"detail,omitempty"`
}

// PayoutRow is one payout.
type PayoutRow struct {
	Height uint64 `json:"height"`
	// XMR is what P2Pool claimed.
	XMR string `json:"xmr"`
	// State is claimed, confirmed, unlocked or orphaned (model.Payout*).
	State string `json:"state"`
	// Wallet is "" (no wallet configured, or not yet checked), received or missing.
	Wallet        string    `json:"wallet"`
	WalletXMR     string    `json:"wallet_xmr,omitempty"`
	Confirmations uint64    `json:"confirmations"`
	Time          time.Time `json:"time,omitzero"`
	Date          string    `json:"date,omitempty"`
	BlockID       string    `json:"block_id,omitempty"`
	Checked       time.Time `json:"checked,omitzero"`
	Detail        string    `json:"detail,omitempty"`
}

// PayoutCheck is how the checks go.
type PayoutCheck struct {
	// Enabled is false without monerod.rpc: nothing can be checked, every payout stays claimed.
	Enabled bool `json:"enabled"`
	// Checked is the last time the node was asked and answered synchronized; the states are
	// as of then.
	Checked time.Time `json:"checked,omitzero"`
	Tip     uint64    `json:"tip,omitempty"`
	// Problem says why the latest round checked nothing (node down, syncing).
	Problem       string `json:"problem,omitempty"`
	Pending       int    `json:"pending"`
	Wallet        bool   `json:"wallet"`
	WalletHeight  uint64 `json:"wallet_height,omitempty"`
	WalletProblem string `json:"wallet_problem,omitempty"`
	Confirmations int    `json:"confirmations_needed"`
	// Summary is Words, for the page.
	Summary string `json:"summary"`
}

// Words says how the checks go in one line: what status and the console print.
func (c PayoutCheck) Words() string {
	switch {
	case !c.Enabled:
		return "not checked: set monerod.rpc to have payouts confirmed on the chain"
	case c.Problem != "" && c.Checked.IsZero():
		return "unchecked: " + c.Problem
	case c.Problem != "":
		return fmt.Sprintf("unchecked since %s: %s", c.Checked.Local().Format("2006-01-02 15:04"), c.Problem)
	case c.Checked.IsZero():
		return "not checked yet"
	}
	// The chain's height as monerod and the header say it: blocks 0 to Tip.
	s := fmt.Sprintf("checked %s at node height %d", c.Checked.Local().Format("15:04"), c.Tip+1)
	if c.Pending > 0 {
		s += fmt.Sprintf(", %d waiting for %d confirmations", c.Pending, c.Confirmations)
	}
	switch {
	case !c.Wallet:
		s += "; no wallet_rpc"
	case c.WalletProblem != "":
		s += "; wallet: " + c.WalletProblem
	default:
		s += fmt.Sprintf("; wallet at height %d", c.WalletHeight)
	}
	return s
}

// WriteText prints the payouts as a table, the newest last.
func (p Payouts) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HEIGHT\tTIME\tXMR\tCONFIRMATIONS\tSTATE\tWALLET\tDETAIL")
	for _, r := range p.Payouts {
		when := "-"
		if !r.Time.IsZero() {
			when = r.Time.Local().Format("2006-01-02 15:04")
		}
		wallet := r.Wallet
		if wallet == "" {
			wallet = "-"
		}
		detail := ""
		if r.State == model.PayoutOrphaned || r.Wallet == model.WalletMissing {
			detail = r.Detail
		}
		conf := "-" // the node not asked yet
		if r.Confirmations > 0 {
			conf = fmt.Sprint(r.Confirmations)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Height, when, r.XMR, conf, r.State, wallet, detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Unexplained) > 0 {
		fmt.Fprintf(w, "\nIn the wallet, claimed by no payout line (a line lost or rotated away unread; in no total):\n")
		for _, c := range p.Unexplained {
			fmt.Fprintf(w, "  block %d: %s XMR\n", c.Height, c.XMR)
		}
	}
	var sums [4]model.Piconero
	for _, r := range p.Payouts {
		x, err := model.ParseXMR(r.XMR)
		if err != nil {
			continue
		}
		// What a payout adds to each sum is model.Payout.Counted's, as in the day views.
		confirmed, unlocked, orphaned := (&model.Payout{Claims: 1, State: r.State, Piconero: x}).Counted()
		sums[0] = sums[0].Add(x)
		sums[1], sums[2], sums[3] = sums[1].Add(confirmed), sums[2].Add(unlocked), sums[3].Add(orphaned)
	}
	_, err := fmt.Fprintf(w, "%d payout(s): claimed %s XMR, confirmed %s (unlocked %s), orphaned %s\npayouts %s\n",
		len(p.Payouts), sums[0].XMR(), sums[1].XMR(), sums[2].XMR(), sums[3].XMR(), p.Check.Words())
	return err
}

// Trouble says what makes `db4e payouts` exit 1: the checks cannot run, or a payout the node
// confirmed is missing from the wallet. An orphaned payout is the chain's doing, not a fault.
func (p Payouts) Trouble() []string {
	var out []string
	if p.Check.Problem != "" {
		out = append(out, "payouts unchecked: "+p.Check.Problem)
	}
	if p.Check.WalletProblem != "" {
		out = append(out, "wallet: "+p.Check.WalletProblem)
	}
	n := 0
	for _, r := range p.Payouts {
		if r.Wallet == model.WalletMissing {
			n++
		}
	}
	if n > 0 {
		out = append(out, fmt.Sprintf("%d payout(s) missing from the wallet", n))
	}
	return out
}

// MarshalJSON keeps `payouts` a list when there are none.
func (p Payouts) MarshalJSON() ([]byte, error) {
	type plain Payouts
	if p.Payouts == nil {
		p.Payouts = []PayoutRow{}
	}
	if p.Unexplained == nil {
		p.Unexplained = []Coinbase{}
	}
	return json.Marshal(plain(p))
}
