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
	XMR          string            `json:"xmr"`
	// Kinds counts the day's events of kinds other than share, block and payment (imported
	// records, actions, miner changes).
	Kinds map[string]uint64 `json:"kinds,omitempty"`

	// Piconero is XMR as an exact integer, what sums and charts use. On the wire it is the XMR
	// string (report --json's stable format), read back exactly by UnmarshalJSON.
	Piconero model.Piconero `json:"-"`
}

// UnmarshalJSON reads a day and its exact amount from the XMR string.
func (d *ReportDay) UnmarshalJSON(b []byte) error {
	type plain ReportDay // without this method
	if err := json.Unmarshal(b, (*plain)(d)); err != nil {
		return err
	}
	if d.XMR == "" {
		d.Piconero = model.Piconero{}
		return nil
	}
	p, err := model.ParseXMR(d.XMR)
	if err != nil {
		return fmt.Errorf("day %s: %w", d.Date, err)
	}
	d.Piconero = p
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
	fmt.Fprintln(tw, "DATE\tSHARES\tBLOCKS\tPAYMENTS\tXMR\t\tSHARES BY HOST")
	var shares, blocks, payments uint64
	var xmr model.Piconero
	for _, d := range r.Days {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\t%s\n", d.Date, d.Shares, d.Blocks, d.Payments, d.XMR, byHost(d.SharesByHost))
		shares, blocks, payments = shares+d.Shares, blocks+d.Blocks, payments+d.Payments
		xmr = xmr.Add(d.Piconero)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%s\t\t\n", shares, blocks, payments, xmr.XMR())
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d day(s); %d bad record(s) skipped\n", len(r.Days), r.Skipped)
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
