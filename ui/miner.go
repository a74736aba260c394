package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
)

// minerView is one miner's own page, opened with Enter on its row (or m and its name): its
// hashrate over the day, its shares a day, its last shares, what its xmrig says, its restarts
// and alerts. Esc goes back to the dashboard.
type minerView struct {
	page     *tview.Flex
	title    *tview.TextView
	hashrate *chart
	days     *chart
	info     *tview.TextView
	shares   *tview.Table
	host     string
	loading  bool // a request for its data is under way
	shown    bool // its data was shown once: a refresh keeps the operator's place in its shares
}

func (a *App) buildMinerView() {
	v := &minerView{
		title:  tview.NewTextView().SetDynamicColors(true).SetWrap(false),
		info:   tview.NewTextView().SetDynamicColors(true),
		shares: tview.NewTable().SetFixed(1, 0).SetSelectable(true, false),
	}
	v.hashrate = newChart("Hashrate · 24 h", hashrate, a.th.sharesChart)
	v.hashrate.empty = "no hashrate sample in the last 24 h"
	v.days = newChart("Its shares a day · 30 d", func(x float64) string { return fmt.Sprintf("%.0f", x) }, a.th.xmrChart)
	v.days.integer = true
	v.info.SetBorder(true).SetTitle(" xmrig · restarts · alerts ").SetTitleAlign(tview.AlignLeft)
	v.shares.SetBorder(true).SetTitle(" Its last shares ").SetTitleAlign(tview.AlignLeft)
	top := tview.NewFlex().AddItem(v.hashrate, 0, 1, false).AddItem(v.days, 0, 1, false) // not a chartPair: hours beside days
	bottom := tview.NewFlex().AddItem(v.shares, 0, 1, true).AddItem(v.info, 0, 1, false)
	help := tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	help.SetText(fmt.Sprintf("%s back to the farm  %s scroll its shares  %s quit",
		a.th.paint(a.th.key, "Esc"), a.th.paint(a.th.key, "↑↓ j k"), a.th.paint(a.th.key, "q")))
	v.page = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(v.title, 1, 0, false).
		AddItem(top, 0, 1, false).
		AddItem(bottom, 0, 1, true).
		AddItem(help, 1, 0, false)
	a.minerView = v
	a.pages.AddPage("miner", v.page, true, false)
}

// openMiner shows host's view, filled when its data arrives.
func (a *App) openMiner(host string) {
	v := a.minerView
	v.host, v.shown = host, false
	v.title.SetText(a.th.paint(a.th.accent, "db4e") + " · miner " + tview.Escape(host) + " · loading…")
	a.pages.ShowPage("miner")
	a.app.SetFocus(v.shares)
	a.loadMiner()
}

// loadMiner asks for the open miner's view, one request at a time, and shows it when it comes:
// when the view opens, and again with every new snapshot of the dashboard.
func (a *App) loadMiner() {
	v := a.minerView
	if v.host == "" || v.loading {
		return
	}
	v.loading = true
	host := v.host
	c, _ := a.current()
	a.reads.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d, err := c.Miner(ctx, api.MinerQuery{Host: host, Days: 30})
		a.post(func() {
			v.loading = false
			if v.host == host {
				a.renderMiner(d, err)
			}
		})
	})
}

func (a *App) closeMiner() {
	a.minerView.host = ""
	a.pages.HidePage("miner")
	a.app.SetFocus(a.focusables()[a.focusIdx])
}

func (a *App) renderMiner(d api.MinerDetail, err error) {
	v := a.minerView
	if err != nil {
		v.title.SetText(a.th.paint(a.th.accent, "db4e") + " · miner " + tview.Escape(v.host) + " · " + a.th.paint(a.th.bad, tview.Escape(shorten(err.Error(), 50))))
		return
	}
	m := d.Row
	state := a.th.paint(a.th.good, "ok")
	if s := api.MinerState(m); s != api.MinerOK {
		state = a.th.paint(a.th.bad, strings.ToUpper(s))
	}
	now := a.snap.Now
	rate := hashrate(m.Hashrate)
	if m.HashrateStale && m.Hashrate > 0 {
		rate = a.th.paint(a.th.warn, fmt.Sprintf("%s %s ago", rate, ago(now, m.HashrateAt)))
	}
	shares := plural(m.Shares, "share", "shares")
	if !m.LastShare.IsZero() {
		shares += ", last " + ago(now, m.LastShare) + " ago"
	}
	// The hashrate last: dated when stale, it is the longest part, and the first cut at 80.
	v.title.SetText(fmt.Sprintf("%s · miner %s · %s · %s · %s",
		a.th.paint(a.th.accent, "db4e"), tview.Escape(m.Host), state, shares, rate))

	values, labels := hourly(d.Hashrate, now)
	v.hashrate.set("Hashrate · 24 h", values, labels)
	counts := make([]float64, len(d.Days))
	dates := make([]string, len(d.Days))
	for i, day := range d.Days {
		counts[i], dates[i] = float64(day.Count), shortDate(day.Date)
	}
	v.days.set(fmt.Sprintf("Its shares a day · %d d", len(d.Days)), counts, dates)

	t := v.shares
	row, _ := t.GetSelection()
	t.Clear()
	for i, h := range []string{"TIME", "EFFORT", "SIDECHAIN", "DIFF"} {
		t.SetCell(0, i, tview.NewTableCell(h).SetStyle(a.th.heading).SetSelectable(false).SetExpansion(boolInt(i == 0)))
	}
	for r, e := range d.Shares {
		cells := []string{e.Time.In(now.Location()).Format("01-02 15:04:05"), fmt.Sprintf("%.1f%%", e.Effort), fmt.Sprint(e.SideHeight), count(float64(e.Difficulty))}
		for c, text := range cells {
			cell := tview.NewTableCell(text).SetStyle(a.th.normal).SetSelectedStyle(a.th.selected).SetExpansion(boolInt(c == 0))
			if c > 0 {
				cell.SetAlign(tview.AlignRight)
			}
			t.SetCell(r+1, c, cell)
		}
	}
	if len(d.Shares) == 0 {
		t.SetCell(1, 0, tview.NewTableCell("no share in the last 30 days").SetStyle(a.th.normal))
	}
	if !v.shown || row < 1 || row > len(d.Shares) {
		row = 1
	}
	t.Select(row, 0)
	v.shown = true
	v.info.SetText(a.minerInfo(d, now))
}

// minerInfo is what its xmrig says (the rejected share, the huge pages, the hashrates), and its
// restarts and alerts.
func (a *App) minerInfo(d api.MinerDetail, now time.Time) string {
	var b strings.Builder
	// Whether its API answers comes first: what it said last is only history when it does not.
	if h := d.API; h != nil && !h.Up {
		fmt.Fprintf(&b, "%s since %s\n%s\n", a.th.paint(a.th.bad, "xmrig API DOWN"), h.Since.In(now.Location()).Format("01-02 15:04"),
			tview.Escape(h.Detail))
		if d.Xmrig != nil {
			b.WriteString(a.th.paint(a.th.warn, "its last answer, "+ago(now, d.Xmrig.At)+" ago:") + "\n")
		}
	}
	if x := d.Xmrig; x != nil {
		rejected := 0.0
		if total := x.Accepted + x.Rejected; total > 0 {
			rejected = 100 * float64(x.Rejected) / float64(total)
		}
		rej := fmt.Sprintf("%d rejected (%.1f%%)", x.Rejected, rejected)
		if rejected >= 1 {
			rej = a.th.paint(a.th.bad, rej)
		}
		hp := "huge pages unknown"
		if x.Hugepages >= 0 {
			hp = fmt.Sprintf("huge pages %.0f%%", 100*x.Hugepages)
			if x.Hugepages < 1 {
				hp = a.th.paint(a.th.warn, hp)
			}
		}
		fmt.Fprintf(&b, "xmrig %s · up %s · asked %s ago\n%d accepted · %s\n%s\n10s %s · 60s %s · 15m %s\n",
			tview.Escape(x.Version), span(float64(x.UptimeS)), ago(now, x.At), x.Accepted, rej, hp,
			hashrate(x.Hashrate10s), hashrate(x.Hashrate60s), hashrate(x.Hashrate15m))
	} else if d.API == nil {
		b.WriteString("no xmrig API for it (miners.xmrig)\n")
	}
	list := func(title string, events []model.Event, line func(e model.Event) string) {
		fmt.Fprintf(&b, "\n[::b]%s[::-]\n", title)
		if len(events) == 0 {
			b.WriteString("none in 30 days\n")
		}
		for _, e := range events {
			fmt.Fprintf(&b, "%s %s\n", e.Time.In(now.Location()).Format("01-02 15:04"), tview.Escape(line(e)))
		}
	}
	list("Restarts", d.Actions, func(e model.Event) string { return e.Result + " · " + e.Who })
	list("Alerts", d.Alerts, func(e model.Event) string { rule, _ := e.AlertOf(); return rule + " " + e.State })
	return b.String()
}

// hourly averages the day's samples into at most 24 values, oldest first, labelled HH:MM:
// an hour each over a full day, less when the samples cover less (a rig polled for 20 minutes
// gets minutes). Rates are averaged, never summed.
func hourly(samples []model.Sample, now time.Time) ([]float64, []string) {
	if len(samples) == 0 {
		return nil, nil
	}
	start := samples[0].Time
	if day := now.Add(-24 * time.Hour); start.Before(day) {
		start = day
	}
	size := max(time.Minute, (now.Sub(start) / 24).Round(time.Minute))
	start = start.Truncate(size)
	n := int(now.Sub(start)/size) + 1
	sums, counts := make([]float64, n), make([]int, n)
	for _, s := range samples {
		if i := int(s.Time.Sub(start) / size); i >= 0 && i < n {
			sums[i] += s.Value
			counts[i]++
		}
	}
	values, labels := make([]float64, 0, n), make([]string, 0, n)
	for i := range n {
		v := 0.0
		if counts[i] > 0 {
			v = sums[i] / float64(counts[i])
		} else if i > 0 {
			v = values[i-1] // a gap between polls is not a drop to 0 H/s
		}
		values = append(values, v)
		labels = append(labels, start.Add(time.Duration(i)*size).In(now.Location()).Format("15:04"))
	}
	return values, labels
}

// showEvent is the whole record of an event: Enter on a row of the events pane.
func (a *App) showEvent(e model.Event) {
	b, _ := json.MarshalIndent(e, "", "  ")
	a.showResult(e.Kind+" at "+e.Time.In(a.snap.Now.Location()).Format("2006-01-02 15:04:05"), tview.Escape(string(b)), false)
}

// jumpToMiner asks a name and opens the first miner whose name holds it.
func (a *App) jumpToMiner() {
	a.jump.SetText("")
	a.bottomRow(a.jump)
	a.app.SetFocus(a.jump)
}

func (a *App) buildJump() {
	a.jump = tview.NewInputField().SetLabel("miner: ").SetFieldWidth(0)
	a.jump.SetDoneFunc(func(key tcell.Key) {
		text := strings.ToLower(strings.TrimSpace(a.jump.GetText()))
		a.showFooter()
		a.app.SetFocus(a.focusables()[a.focusIdx])
		if key != tcell.KeyEnter || text == "" {
			return
		}
		i := slices.IndexFunc(a.snap.Miners, func(m api.MinerRow) bool { return strings.Contains(strings.ToLower(m.Host), text) })
		if i < 0 {
			a.showResult("No such miner", fmt.Sprintf("No miner's name holds %q.", tview.Escape(text)), false)
			return
		}
		a.miners.Select(i+1, 0)
		a.openMiner(a.snap.Miners[i].Host)
	})
}
