package api

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/db4e/db4e/model"
)

// ReportQuery picks the days of a report. Days counts back from today; From/To (YYYY-MM-DD)
// bound it instead. Zero values mean every day.
type ReportQuery struct {
	Days int    `json:"days,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Report is the daily totals, in the stable format of `report --json`.
type Report struct {
	Days    []ReportDay `json:"days"`
	Skipped uint64      `json:"skipped"`
	// Incomplete says why the days do not yet count every stored event (an import or rebuild
	// that stopped); report exits 1 while it is set.
	Incomplete string `json:"incomplete,omitempty"`
}

// ReportDay is one day of a report.
type ReportDay struct {
	Date         string            `json:"date"`
	Shares       uint64            `json:"shares"`
	SharesByHost map[string]uint64 `json:"shares_by_host"`
	Blocks       uint64            `json:"blocks"`
	Payments     uint64            `json:"payments"`
	// XMR is what counts: the day's payouts monerod confirmed (unlocked ones included). Beside
	// it, what P2Pool's log claimed, what is spendable, and what left the chain. Each payout is
	// counted on the day P2Pool logged it.
	XMR         string `json:"xmr"`
	ClaimedXMR  string `json:"claimed_xmr"`
	UnlockedXMR string `json:"unlocked_xmr"`
	OrphanedXMR string `json:"orphaned_xmr"`
	// Kinds counts the day's events of kinds other than share, block and payment (imported
	// records, actions, miner changes).
	Kinds map[string]uint64 `json:"kinds,omitempty"`

	// Piconero is XMR as an exact integer, what sums and charts use, and so are the others of
	// their XMR strings. On the wire they are the strings (report --json's stable format), read
	// back exactly by UnmarshalJSON.
	Piconero model.Piconero `json:"-"`
	Claimed  model.Piconero `json:"-"`
	Unlocked model.Piconero `json:"-"`
	Orphaned model.Piconero `json:"-"`
}

// SetMoney sets the day's amounts and their XMR strings.
func (d *ReportDay) SetMoney(confirmed, claimed, unlocked, orphaned model.Piconero) {
	d.Piconero, d.Claimed, d.Unlocked, d.Orphaned = confirmed, claimed, unlocked, orphaned
	d.XMR, d.ClaimedXMR, d.UnlockedXMR, d.OrphanedXMR = confirmed.XMR(), claimed.XMR(), unlocked.XMR(), orphaned.XMR()
}

// UnmarshalJSON reads a day and its exact amount from the XMR string.
func (d *ReportDay) UnmarshalJSON(b []byte) error {
	type plain ReportDay // without this method
	if err := json.Unmarshal(b, (*plain)(d)); err != nil {
		return err
	}
	for _, m := range []struct {
		s string
		p *model.Piconero
	}{{d.XMR, &d.Piconero}, {d.ClaimedXMR, &d.Claimed}, {d.UnlockedXMR, &d.Unlocked}, {d.OrphanedXMR, &d.Orphaned}} {
		*m.p = model.Piconero{}
		if m.s == "" {
			continue
		}
		p, err := model.ParseXMR(m.s)
		if err != nil {
			return fmt.Errorf("day %s: %w", d.Date, err)
		}
		*m.p = p
	}
	return nil
}

// Validate checks a query's dates.
func (q ReportQuery) Validate() error {
	for _, d := range []string{q.From, q.To} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return model.Invalid("bad date %q: want YYYY-MM-DD", d)
		}
	}
	if q.Days < 0 {
		return model.Invalid("--days must not be negative")
	}
	if q.Days > 0 && q.From != "" {
		return model.Invalid("--days and --from both say where to start: give one")
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return model.Invalid("--from %s is after --to %s: no day is in that range", q.From, q.To)
	}
	return nil
}

// Range turns the query into inclusive dates in loc.
func (q ReportQuery) Range(now time.Time, loc *time.Location) (from, to string) {
	from, to = q.From, q.To
	if q.Days > 0 {
		from = now.In(loc).AddDate(0, 0, -(q.Days - 1)).Format(time.DateOnly)
		if to == "" {
			to = now.In(loc).Format(time.DateOnly)
		}
	}
	return from, to
}

// WriteText prints the report as a table an operator reads in a terminal.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DATE\tSHARES\tBLOCKS\tPAYMENTS\tXMR\tCLAIMED\tUNLOCKED\tORPHANED\t\tSHARES BY HOST")
	var shares, blocks, payments uint64
	var xmr, claimed, unlocked, orphaned model.Piconero
	for _, d := range r.Days {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\t%s\n", d.Date, d.Shares, d.Blocks, d.Payments,
			d.Piconero.XMR(), d.Claimed.XMR(), d.Unlocked.XMR(), d.Orphaned.XMR(), byHost(d.SharesByHost))
		shares, blocks, payments = shares+d.Shares, blocks+d.Blocks, payments+d.Payments
		xmr, claimed, unlocked, orphaned = xmr.Add(d.Piconero), claimed.Add(d.Claimed), unlocked.Add(d.Unlocked), orphaned.Add(d.Orphaned)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\t\n", shares, blocks, payments, xmr.XMR(), claimed.XMR(), unlocked.XMR(), orphaned.XMR())
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d day(s); %d bad record(s) skipped\nXMR: payouts monerod confirmed (db4e payouts lists each); CLAIMED: what P2Pool's log says it paid\n", len(r.Days), r.Skipped)
	return err
}

func byHost(m map[string]uint64) string {
	hosts := make([]string, 0, len(m))
	for h := range m {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = fmt.Sprintf("%s:%d", h, m[h])
	}
	return strings.Join(parts, " ")
}
