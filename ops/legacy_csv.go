package ops

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
)

// legacyShortRows is how many rows the original's _short.csv files keep: its charts' 30 days.
const legacyShortRows = 30

// legacyFiles are the chart files the original db4e's modules wrote (lib/Mining/*Csv in
// NadimGhaznavi/db4e, with the names of its conf/db4e_prod.yml), byte for byte, so that its
// page (ApexCharts over these files) draws our data:
//
//   - blocks_found.csv: "Date,Blocks Found", YYYY-MM-DD, days with blocks only (BlocksFoundCsv);
//   - shares_found.csv: "Date,Shares Found", "YYYY-MM-DD 00:00:00" (a Python datetime at
//     midnight, as str() prints it), days with shares only (SharesFoundCsv);
//   - shares_found_by_host.csv: "Date," then a column per host in the order they first found
//     a share, dates as in shares_found.csv, 0 for a host without shares that day
//     (SharesFoundByHostCsv, which the original never called: it stops at a debugging exit);
//   - p2pool_payouts.csv: "Date,Total", the cumulative XMR rounded half-even to 4 decimals,
//     every day from the first payout's to the last's (P2PoolPaymentCsv), and
//     p2pool_payouts_daily.csv beside it with each day's own XMR (12 decimals, 0 on a day
//     without a payout), as the same module wrote;
//   - each with a _short.csv: the header and the last 30 rows. (The original sliced the last 30
//     lines of the whole file, header included, so a file under 30 rows got its header twice;
//     ApexCharts then reads a row "Date" as data. We write it once.)
//
// Days are cut in the store's timezone, as every other view.
func legacyFiles(r api.Report) map[string][]byte {
	var blocks, shares [][]string
	for _, d := range r.Days {
		if d.Blocks > 0 {
			blocks = append(blocks, []string{d.Date, u(d.Blocks)})
		}
		if d.Shares > 0 {
			shares = append(shares, []string{pythonMidnight(d.Date), u(d.Shares)})
		}
	}
	files := map[string][]byte{}
	add := func(name string, header []string, rows [][]string) {
		files[name] = writeRows(header, rows)
		files[strings.TrimSuffix(name, ".csv")+"_short.csv"] = writeRows(header, rows[max(0, len(rows)-legacyShortRows):])
	}
	add("blocks_found.csv", []string{"Date", "Blocks Found"}, blocks)
	add("shares_found.csv", []string{"Date", "Shares Found"}, shares)
	hosts, byHost := legacySharesByHost(r.Days)
	add("shares_found_by_host.csv", append([]string{"Date"}, hosts...), byHost)
	total, daily := legacyPayouts(r.Days)
	add("p2pool_payouts.csv", []string{"Date", "Total"}, total)
	add("p2pool_payouts_daily.csv", []string{"Date", "Total"}, daily)
	return files
}

// writeRows writes a CSV file as the original did: comma-joined lines ending in \n. Our dates
// and numbers never need quoting; a host name that does is quoted as CSV wants (and made safe
// for a spreadsheet by csvText), where the original would have broken its file.
func writeRows(header []string, rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	w.WriteAll(rows) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// pythonMidnight is a day as the original's str(datetime at 00:00:00) printed it.
func pythonMidnight(date string) string { return date + " 00:00:00" }

// legacySharesByHost is SharesFoundByHostCsv's table: the hosts in the order they first found a
// share (on the same day, by name: the day totals do not keep the hour), and a row for each day
// with shares.
func legacySharesByHost(days []api.ReportDay) ([]string, [][]string) {
	var hosts []string
	seen := map[string]bool{}
	for _, d := range days {
		var fresh []string
		for h, n := range d.SharesByHost {
			if n > 0 && !seen[h] {
				fresh = append(fresh, h)
			}
		}
		slices.Sort(fresh)
		for _, h := range fresh {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	var rows [][]string
	for _, d := range days {
		if d.Shares == 0 {
			continue
		}
		row := []string{pythonMidnight(d.Date)}
		for _, h := range hosts {
			row = append(row, u(d.SharesByHost[h]))
		}
		rows = append(rows, row)
	}
	for i, h := range hosts {
		hosts[i] = csvText(h)
	}
	return hosts, rows
}

// legacyPayouts is P2PoolPaymentCsv's two tables, from the first payout day to the last: the
// running total rounded as Python's round(Decimal, 4), and each day's own amount as str(Decimal)
// printed it (the payouts' 12 decimals, "0" on a day with none).
func legacyPayouts(days []api.ReportDay) (total, daily [][]string) {
	byDate := map[string]model.Piconero{}
	first, last := "", ""
	for _, d := range days {
		if d.Payments == 0 {
			continue
		}
		byDate[d.Date] = d.Piconero
		if first == "" {
			first = d.Date
		}
		last = d.Date
	}
	if first == "" {
		return nil, nil
	}
	start, err1 := time.Parse(time.DateOnly, first)
	end, err2 := time.Parse(time.DateOnly, last)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	var sum model.Piconero
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		date := d.Format(time.DateOnly)
		p, paid := byDate[date]
		sum = sum.Add(p)
		total = append(total, []string{date, sum.RoundXMR(4)})
		amount := "0"
		if paid {
			amount = p.XMR()
		}
		daily = append(daily, []string{date, amount})
	}
	return total, daily
}
