// Package ui is the console: a tview dashboard of the farm, driven by keyboard, fed only by an
// api.Console (the store in this process, or the service over its socket).
package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
)

// Options shape the console.
type Options struct {
	// Screen is the terminal; tests pass a tcell.SimulationScreen. Nil: the real terminal.
	Screen tcell.Screen
	// NoColor draws without colours (the NO_COLOR convention): emphasis by attributes only.
	NoColor bool
	// RangeDays is the charts' first range: 7, 30, 90 or 365.
	RangeDays int
	// Refresh is how often the dashboard is redrawn without a change (ages, stale marks).
	Refresh time.Duration
	// Events is how many recent events are fetched for the events pane.
	Events int
	// Actions are the restarts the menu offers.
	Actions Actions
	// Setup is the first-run form (key S); nil: not offered. OpenSetup opens it at start.
	Setup     *Setup
	OpenSetup bool
	// P2PoolStatus asks P2Pool its status through its stdin FIFO (key p); nil: not offered.
	P2PoolStatus func(context.Context) (string, error)
}

var ranges = []int{7, 30, 90, 365}

// App is the running console.
type App struct {
	app  *tview.Application
	opts Options
	// console is what the dashboard reads: the Local of an embedded console, or the service
	// once a console has handed its store over (SetConsole). swapped closes at each change.
	consoleMu sync.Mutex
	console   api.Console
	swapped   chan struct{}
	th        theme

	pages  *tview.Pages
	main   *tview.Flex
	header *tview.TextView
	banner *tview.TextView // open alerts; no height when there are none
	footer *tview.TextView
	filter *tview.InputField
	jump   *tview.InputField // m: a miner by name
	// minerView is one miner's page (miner.go).
	minerView *minerView
	// shown are the events the events pane lists, in its order (a filter hides some).
	shown     []model.Event
	bottom    *tview.Flex
	shares    *chart
	right     *chart
	miners    *tview.Table
	minersFit *fitTable // draws miners, its names cut to the pane
	events    *tview.Table
	help      *tview.TextView
	menu      *tview.List
	dialog    *tview.TextView
	saying    string // a message in the status line (say)
	busy      bool   // a restart or backup runs: its dialog stays
	ackable   bool   // the alert history is up with an alert to acknowledge (x)

	// UI goroutine state
	snap       api.Snapshot
	fetchErr   error
	notice     string // said in the header for a while: a handover
	noticeAt   time.Time
	haveSnap   bool
	showBlocks bool
	filterText string
	focusIdx   int
	// titles are the panes' titles (miners, events) as rendered, before markFocus marks the
	// focused one.
	titles [2]string

	// reads are the goroutines that read the console (the fetcher, a miner's view): Run waits
	// for them, so that no read reaches a store its caller closes after Run.
	reads sync.WaitGroup
	// posts carry work to the UI goroutine (post); ended is closed when Run's tview ends.
	posts chan func()
	ended chan struct{}

	rangeIdx atomic.Int32 // read by the fetcher
	refresh  chan struct{}
	drawn    chan struct{} // closed at the first full screen (benchmarks and tests wait on it)
	drawOnce atomic.Bool
}

// New builds the console over c.
func New(c api.Console, opts Options) *App {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.Events <= 0 {
		opts.Events = 300
	}
	a := &App{app: tview.NewApplication(), console: c, swapped: make(chan struct{}), opts: opts, th: newTheme(opts.NoColor),
		refresh: make(chan struct{}, 1), drawn: make(chan struct{}), posts: make(chan func()), ended: make(chan struct{})}
	a.rangeIdx.Store(1)
	for i, d := range ranges {
		if d == opts.RangeDays {
			a.rangeIdx.Store(int32(i))
		}
	}
	a.th.apply()
	if opts.Screen != nil {
		a.app.SetScreen(opts.Screen)
	}
	a.build()
	return a
}

// Drawn is closed once the first screen with data has been drawn.
func (a *App) Drawn() <-chan struct{} { return a.drawn }

func (a *App) build() {
	a.header = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.banner = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.footer = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.filter = tview.NewInputField().SetLabel("filter: ").SetFieldWidth(0)
	a.filter.SetChangedFunc(func(text string) {
		a.filterText = text
		a.renderEvents()
	})
	a.filter.SetDoneFunc(func(key tcell.Key) {
		if key == tcell.KeyEscape {
			a.filter.SetText("")
		}
		a.showFooter()
		a.app.SetFocus(a.events)
		a.focusIdx = 1
		a.markFocus()
	})
	a.shares = newChart("Shares/day", func(v float64) string { return fmt.Sprintf("%.0f", v) }, a.th.sharesChart)
	a.shares.integer = true
	a.right = newChart("XMR/day", func(v float64) string { return fmt.Sprintf("%.4f", v) }, a.th.xmrChart)

	a.miners = tview.NewTable().SetFixed(1, 0).SetSelectable(true, false)
	a.miners.SetBorder(true).SetTitleAlign(tview.AlignLeft)
	a.events = tview.NewTable().SetFixed(1, 0).SetSelectable(true, false)
	a.events.SetBorder(true).SetTitleAlign(tview.AlignLeft)
	a.titles = [2]string{"Miners", "Recent events"}

	charts := newChartPair(a.shares, a.right)
	a.minersFit = &fitTable{Table: a.miners}
	// The miners get the wider half: their columns are what says a rig is down; an event's
	// text reads well cut.
	a.bottom = tview.NewFlex().AddItem(a.minersFit, 0, 11, true).AddItem(a.events, 0, 9, false)
	a.main = tview.NewFlex().SetDirection(tview.FlexRow)
	a.main.
		AddItem(a.header, 4, 0, false).
		AddItem(a.banner, 0, 0, false).
		AddItem(charts, 0, 1, false).
		AddItem(a.bottom, 0, 1, true).
		AddItem(a.footer, 1, 0, false)

	a.help = tview.NewTextView().SetDynamicColors(true)
	a.help.SetBorder(true).SetTitle(" Keys ")
	a.help.SetText(helpText)
	modal := tview.NewFlex().
		AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(nil, 0, 1, false).AddItem(a.help, helpHeight, 0, true).AddItem(nil, 0, 1, false), 64, 0, true).
		AddItem(nil, 0, 1, false)

	a.pages = tview.NewPages().AddPage("main", a.main, true, true).AddPage("help", modal, true, false)
	a.buildActions()
	a.buildMinerView()
	a.buildJump()
	a.miners.SetSelectedFunc(func(row, _ int) {
		if row >= 1 && row <= len(a.snap.Miners) {
			a.openMiner(a.snap.Miners[row-1].Host)
		}
	})
	a.events.SetSelectedFunc(func(row, _ int) {
		if row >= 1 && row <= len(a.shown) {
			a.showEvent(a.shown[row-1])
		}
	})
	a.app.SetRoot(a.pages, true).SetFocus(a.miners)
	a.app.SetInputCapture(a.keys)
	a.app.SetAfterDrawFunc(func(tcell.Screen) {
		if a.haveSnap && a.drawOnce.CompareAndSwap(false, true) {
			close(a.drawn)
		}
	})
	a.markFocus()
	a.showFooter()
	a.header.SetText("db4e · loading…")
}

const helpText = `[::b]Moving[::-]
  Tab Shift-Tab  next / previous pane (miners, events)
  ↑ ↓ j k        select a row; PgUp PgDn g G scroll
  Enter          a miner: its own view · an event: its record
  Esc            back, or close a dialog
  m              a miner by name
[::b]Showing[::-]
  r  1 2 3 4     chart range 7, 30, 90, 365 days (r: the next)
  b              right chart: XMR ↔ blocks per day
  /              filter the events (Enter keeps, Esc clears)
  h  p  $        health, why a figure is – · P2Pool · payouts
  a  i           alert history · miners on the network (DHCP)
[::b]Doing[::-]
  R  B  S        restart/start/stop · backup · setup
  ?  q           this help · quit (also Ctrl-C)
[::b]Words[::-]
  PPLNS window   the recent sidechain blocks payouts count:
                 our shares in it are what a block pays for
  effort         hashes spent for a share against its
                 difficulty: 100% is as expected, less lucky
  EFF            the effort of a miner's last share
  STALE          no share or hashrate for miners.stale_after`

// helpHeight fits the help and its border in a 24-line terminal.
var helpHeight = strings.Count(helpText, "\n") + 3

// Run shows the console until q, Ctrl-C or ctx ends. It returns once nothing it started reads
// the console any more: the caller may close the store then.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	a.reads.Go(func() { a.fetch(ctx) })
	go func() {
		<-ctx.Done()
		a.app.Stop()
	}()
	go a.forward()
	if a.opts.OpenSetup {
		go func() {
			select {
			case <-a.drawn:
				a.post(a.openSetup)
			case <-a.ended:
			}
		}()
	}
	err := a.app.Run()
	close(a.ended) // posts from now on are dropped, and the readers end
	cancel()
	a.reads.Wait()
	return err
}

// Stop ends Run.
func (a *App) Stop() { a.app.Stop() }

// fetch reads snapshots off the UI goroutine, whenever the data changes, the range changes or
// the refresh interval passes, and hands each to the UI in one place.
func (a *App) fetch(ctx context.Context) {
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	go func() {
		var v uint64
		lost := false
		for ctx.Err() == nil {
			c, swapped := a.current()
			wctx, cancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-swapped:
					cancel()
				case <-wctx.Done():
				}
			}()
			nv, err := c.Watch(wctx, v)
			cancel()
			select {
			case <-swapped:
				v = 0 // another console: its versions are its own
				signal()
				continue
			default:
			}
			if err != nil {
				if !lost && ctx.Err() == nil {
					// The service went away (killed, restarting): say so now, not at the
					// next refresh.
					lost = true
					signal()
				}
				tick.Sleep(ctx, 500*time.Millisecond)
				continue
			}
			if lost || nv != v {
				lost, v = false, nv
				signal()
			}
		}
	}()
	ticker := time.NewTicker(a.opts.Refresh)
	defer ticker.Stop()
	for {
		q := api.SnapshotQuery{Days: ranges[a.rangeIdx.Load()], Events: a.opts.Events}
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, _ := a.current()
		snap, err := c.Snapshot(qctx, q)
		cancel()
		if ctx.Err() != nil {
			return
		}
		a.post(func() { a.apply(snap, err) })
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-a.refresh:
		case <-ticker.C:
		}
	}
}

// current is the console the dashboard reads, and a channel closed when it changes.
func (a *App) current() (api.Console, <-chan struct{}) {
	a.consoleMu.Lock()
	defer a.consoleMu.Unlock()
	return a.console, a.swapped
}

// SetConsole makes the dashboard read c from now on (an embedded console that handed its
// store to the service reads the service), and says notice in the header. Safe from any
// goroutine.
func (a *App) SetConsole(c api.Console, notice string) {
	a.consoleMu.Lock()
	a.console = c
	close(a.swapped)
	a.swapped = make(chan struct{})
	a.consoleMu.Unlock()
	a.Notice(notice)
	a.requestRefresh()
}

// Notice says text in the header for a while. Safe from any goroutine.
func (a *App) Notice(text string) {
	a.post(func() {
		a.notice, a.noticeAt = text, time.Now()
		a.renderHeader()
	})
}

func (a *App) requestRefresh() {
	select {
	case a.refresh <- struct{}{}:
	default:
	}
}

// apply takes a new snapshot into the widgets; UI goroutine only.
func (a *App) apply(snap api.Snapshot, err error) {
	a.fetchErr = err
	if err == nil {
		a.snap, a.haveSnap = snap, true
	}
	a.renderHeader()
	if err != nil && !a.haveSnap {
		return
	}
	a.renderBanner()
	a.renderCharts()
	a.renderMiners()
	a.renderEvents()
	if front, _ := a.pages.GetFrontPage(); front == "miner" {
		a.loadMiner() // its view is as fresh as the dashboard
	}
}

// noticeFor is how long a notice (a handover) stays in the header.
const noticeFor = 15 * time.Second

// badWords names a component that is not well in the header, in a word or two.
var badWords = map[string]string{
	api.ComponentService: "NO SERVICE follows the log",
	api.ComponentLog:     "log DOWN",
	api.ComponentStore:   "store PAUSED",
	api.ComponentMonerod: "node DOWN",
	api.ComponentP2Pool:  "p2pool DOWN",
	api.ComponentMiners:  "miners DOWN",
	api.ComponentCSV:     "csv FAILING",
	api.ComponentAlerts:  "hooks FAILING",
}

// renderBanner shows the open alerts, oldest first, with their age.
func (a *App) renderBanner() {
	if len(a.snap.Alerts) == 0 {
		a.main.ResizeItem(a.banner, 0, 0)
		a.banner.SetText("")
		return
	}
	parts := make([]string, len(a.snap.Alerts))
	for i, al := range a.snap.Alerts {
		parts[i] = fmt.Sprintf("%s %s (%s)", al.Rule, tview.Escape(al.Target), ago(a.snap.Now, al.Since))
	}
	a.main.ResizeItem(a.banner, 1, 0)
	a.banner.SetText(a.th.paint(a.th.bad, fmt.Sprintf("ALERT %d open:", len(parts))) + " " + strings.Join(parts, " · ") + "  (a: history)")
}

func (a *App) renderHeader() {
	s := a.snap
	var b strings.Builder
	mode := api.ModeEmbedded
	if c, _ := a.current(); s.Mode == api.ModeAttached || c.Mode() == api.ModeAttached {
		mode = api.ModeAttached
	}
	now := s.Now
	if a.fetchErr != nil || !a.haveSnap {
		now = time.Now().In(s.Now.Location()) // the clock goes on when the data stops
	}
	fmt.Fprintf(&b, "%s · %s · %s", a.th.paint(a.th.accent, "db4e"), mode, now.Format("15:04 MST"))
	if a.notice != "" && time.Since(a.noticeAt) < noticeFor {
		fmt.Fprintf(&b, " · %s", a.th.paint(a.th.accent, a.notice))
	}
	if a.fetchErr != nil {
		// A whole error does not fit 80 columns: the header says what it means, h says it all.
		lost := "store unreadable, retrying"
		if mode == api.ModeAttached {
			lost = "service lost, retrying"
		}
		if a.haveSnap {
			lost += "; data as of " + s.Now.Format("15:04:05")
		}
		fmt.Fprintf(&b, " · %s (h: why)", a.th.paint(a.th.bad, lost))
		if a.haveSnap {
			fmt.Fprintf(&b, "\nToday, as of %s: %s · %s · %s %s XMR", s.Now.Format("15:04"), plural(s.Today.Shares, "share", "shares"),
				plural(s.Today.Blocks, "block", "blocks"), plural(s.Today.Payments, "payment", "payments"), s.Today.XMR)
		}
		a.header.SetText(b.String())
		return
	}
	// One word per component that is not well, from the same model as db4e status; h shows
	// the reasons whole.
	bad := map[string]bool{}
	var words []string
	for _, c := range s.Components {
		if !c.Up {
			bad[c.Name] = true
			words = append(words, badWords[c.Name])
		}
	}
	if problems := " · " + strings.Join(words, " · "); len(words) > 0 && tview.TaggedStringWidth(b.String()+problems) <= 52 {
		b.WriteString(a.th.paint(a.th.bad, problems))
	} else if len(words) > 0 {
		fmt.Fprintf(&b, " · %s", a.th.paint(a.th.bad, fmt.Sprintf("%d problems (h)", len(words))))
	}
	switch {
	case bad[api.ComponentService] || bad[api.ComponentLog] || bad[api.ComponentStore]:
	// The log's freshness is when this run last read a line of it (P2Pool writes one every few
	// seconds, events or not); the data's is "last share" below. "no event yet" is said only
	// of a store that has none.
	case s.Ingest.Following && !s.Ingest.LastLine.IsZero():
		fmt.Fprintf(&b, " · log %s ago", ago(s.Now, s.Ingest.LastLine))
	case s.Ingest.Following && len(s.Recent) == 0:
		b.WriteString(" · log: no event yet")
	case s.Ingest.Following && !s.Ingest.Started.IsZero():
		fmt.Fprintf(&b, " · log: no line in %s", ago(s.Now, s.Ingest.Started))
	case s.Ingest.Following:
		b.WriteString(" · log: no line yet")
	}
	if !bad[api.ComponentMonerod] && !s.Node.At.IsZero() {
		fmt.Fprintf(&b, " · node %d", s.Node.Height)
	}
	if pc := s.PayoutCheck; pc.Enabled && pc.Problem != "" {
		since := ""
		if !pc.Checked.IsZero() {
			since = " since " + pc.Checked.In(s.Now.Location()).Format("15:04")
		}
		b.WriteString(a.th.paint(a.th.warn, " · payouts unchecked"+since+" ($)"))
	}
	e := s.Earnings
	fmt.Fprintf(&b, " · miners %d up", e.MinersUp)
	if e.MinersStale > 0 {
		fmt.Fprintf(&b, ", %s", a.th.paint(a.th.warn, fmt.Sprintf("%d stale", e.MinersStale)))
	}
	if e.MinersDown > 0 {
		fmt.Fprintf(&b, ", %s", a.th.paint(a.th.bad, fmt.Sprintf("%d down", e.MinersDown)))
	}
	b.WriteString("\n" + a.earningsText(s))
	if s.Skipped > 0 {
		fmt.Fprintf(&b, " · %s", a.th.paint(a.th.warn, fmt.Sprintf("%d skipped", s.Skipped)))
	}
	a.header.SetText(b.String())
}

// earningsText is the first screen's answer to "is my farm earning as it should?", in three
// lines of at most 80 columns, in words an operator reads without the manual. A figure whose
// inputs are missing or stale is "–" (h says why).
func (a *App) earningsText(s api.Snapshot) string {
	e, t := s.Earnings, s.Today
	today := a.th.paint(a.th.good, plural(t.Shares, "share", "shares"))
	if e.DailyAverage.Ok() {
		today += fmt.Sprintf(" (usual %.1f/day)", e.DailyAverage.Value)
	}
	farm := "–"
	if e.Hashrate.Ok() {
		scale, unit := hashUnit(e.Hashrate.Value)
		farm = fmt.Sprintf("%.3g %s", e.Hashrate.Value/scale, unit)
		if e.Hashrate24h.Ok() { // in the same unit, to be compared at a glance
			farm += fmt.Sprintf(" (24h %.3g)", e.Hashrate24h.Value/scale)
		}
	}
	last := "last share " + ago(s.Now, e.LastShare) + " ago"
	if e.LastShare.IsZero() {
		last = "no share yet"
	}
	line1 := fmt.Sprintf("Today: %s · %s · farm %s", today, last, farm)
	if tview.TaggedStringWidth(line1) > 80 { // the 24 h hashrate goes first, then the usual day
		line1 = fmt.Sprintf("Today: %s · %s · farm %s", today, last, strings.SplitN(farm, " (", 2)[0])
	}
	if tview.TaggedStringWidth(line1) > 80 {
		line1 = fmt.Sprintf("Today: %s · %s · farm %s", a.th.paint(a.th.good, plural(t.Shares, "share", "shares")), last, strings.SplitN(farm, " (", 2)[0])
	}
	window := fig(e.WindowShares, func(v float64) string { return fmt.Sprintf("%.0f of our shares", v) })
	if e.WindowBlocks.Ok() {
		window += fmt.Sprintf(" in %.0f blocks", e.WindowBlocks.Value)
		if e.WindowSeconds.Ok() {
			window += " (" + span(e.WindowSeconds.Value) + ")"
		}
	}
	line2 := fmt.Sprintf("PPLNS window: %s · effort %s (avg %s)", window,
		fig(e.Effort, percent), fig(e.AverageEffort, percent))
	about := func(f func(float64) string) func(float64) string { return func(v float64) string { return "~" + f(v) } }
	// Paid today is what monerod confirmed; what P2Pool claimed beside it while they differ.
	paid := "paid " + xmrOf(t.Piconero)
	if t.Claimed.Cmp(t.Piconero) != 0 {
		paid += a.th.paint(a.th.warn, fmt.Sprintf(" (%s claimed)", xmrOf(t.Claimed)))
	}
	line3 := ""
	for _, l := range []string{
		fmt.Sprintf("Next share in %s · earning %s XMR/day (%s per pool block) · %s", fig(e.TimeToShare, about(span)), fig(e.PerDay, about(xmr)), fig(e.PerBlock, xmr), paid),
		fmt.Sprintf("Next share in %s · earning %s XMR/day · %s", fig(e.TimeToShare, about(span)), fig(e.PerDay, about(xmr)), paid),
		fmt.Sprintf("Next share in %s · earning %s XMR/day (%s per pool block)", fig(e.TimeToShare, about(span)), fig(e.PerDay, about(xmr)), fig(e.PerBlock, xmr)),
	} {
		if line3 = l; tview.TaggedStringWidth(l) <= 80 {
			break
		}
	}
	return line1 + "\n" + line2 + "\n" + line3
}

// fig is a figure formatted, or "–" when it has no value.
func fig(f api.Figure, format func(float64) string) string {
	if !f.Ok() {
		return "–"
	}
	return format(f.Value)
}

func (a *App) renderCharts() {
	days := a.snap.Days
	n := len(days)
	shares := make([]float64, n)
	right := make([]float64, n)
	dates := make([]string, n)
	for i, d := range days {
		shares[i] = float64(d.Shares)
		dates[i] = shortDate(d.Date)
		if a.showBlocks {
			right[i] = float64(d.Blocks)
		} else {
			right[i] = d.Piconero.Float()
		}
	}
	span := fmt.Sprintf("%d d", n)
	a.shares.set("Shares/day · "+span, shares, dates)
	if a.showBlocks {
		a.right.style = a.th.blocksChart
		a.right.format = func(v float64) string { return fmt.Sprintf("%.0f", v) }
		a.right.integer = true
		a.right.set("Blocks/day (sidechain) · "+span, right, dates)
	} else {
		a.right.style = a.th.xmrChart
		a.right.format = func(v float64) string { return fmt.Sprintf("%.4f", v) }
		a.right.integer = false
		a.right.set("XMR/day confirmed · "+span, right, dates)
	}
}

func shortDate(d string) string {
	if len(d) == 10 {
		return d[5:]
	}
	return d
}

// keepTop leaves a table showing its newest rows unless the operator has moved down it.
func keepTop(t *tview.Table) func() {
	row, _ := t.GetSelection()
	return func() {
		if row <= 1 {
			t.Select(1, 0)
			t.ScrollToBeginning()
		}
	}
}

func (a *App) renderMiners() {
	t := a.miners
	defer keepTop(t)()
	t.Clear()
	for i, h := range []string{"HOST", "TODAY", "LAST", "HASHRATE", "EFF", ""} {
		t.SetCell(0, i, tview.NewTableCell(h).SetStyle(a.th.heading).SetSelectable(false).SetExpansion(boolInt(i == 0)))
	}
	stale := 0
	a.minersFit.names = a.minersFit.names[:0]
	for r, m := range a.snap.Miners {
		a.minersFit.names = append(a.minersFit.names, m.Host)
		style := a.th.normal
		state := api.MinerState(m)
		if state != api.MinerOK {
			style = a.th.staleRow
			state = strings.ToUpper(state)
		}
		if m.Stale {
			stale++
		}
		effort := "-"
		if m.Effort > 0 {
			effort = fmt.Sprintf("%.0f%%", m.Effort)
		}
		rate := hashrate(m.Hashrate)
		if m.HashrateStale {
			rate = "-" // its last figure is not what it mines now; its view shows it, dated
		}
		cells := []string{tview.Escape(m.Host), fmt.Sprint(m.SharesToday), ago(a.snap.Now, m.LastShare), rate, effort, state}
		for c, text := range cells {
			cell := tview.NewTableCell(text).SetStyle(style).SetSelectedStyle(selectedOf(style)).SetExpansion(boolInt(c == 0))
			if c > 0 {
				cell.SetAlign(tview.AlignRight)
			}
			t.SetCell(r+1, c, cell)
		}
	}
	title := fmt.Sprintf("Miners (%d", len(a.snap.Miners))
	if stale > 0 {
		title += fmt.Sprintf(", %d stale", stale)
	}
	title += ")"
	if hr := a.snap.Pool.OurHashrate; hr > 0 {
		title += " · " + hashrate(hr)
	}
	a.setPaneTitle(0, title+a.staleMark())
}

// staleMark marks a pane whose data stopped coming (the service was lost).
func (a *App) staleMark() string {
	if a.fetchErr != nil {
		return " · STALE"
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *App) renderEvents() {
	t := a.events
	defer keepTop(t)()
	t.Clear()
	for i, h := range []string{"TIME", "KIND", "WHAT"} {
		t.SetCell(0, i, tview.NewTableCell(h).SetStyle(a.th.heading).SetSelectable(false).SetExpansion(boolInt(i == 2)))
	}
	needle := strings.ToLower(a.filterText)
	row := 1
	a.shown = a.shown[:0]
	loc := a.snap.Now.Location()
	today := a.snap.Now.Format(time.DateOnly)
	for i := range a.snap.Recent {
		e := &a.snap.Recent[i]
		when := e.Time.In(loc).Format("15:04:05")
		if e.Time.In(loc).Format(time.DateOnly) != today {
			when = e.Time.In(loc).Format("01-02 15:04")
		}
		what := describe(e)
		if needle != "" && !strings.Contains(strings.ToLower(when+" "+e.Kind+" "+what), needle) {
			continue
		}
		style := a.th.normal
		switch e.Kind {
		case model.KindBlock, model.KindPayment:
			style = a.th.goodRow
		}
		for c, text := range []string{when, tview.Escape(e.Kind), tview.Escape(what)} {
			t.SetCell(row, c, tview.NewTableCell(text).SetStyle(style).SetSelectedStyle(selectedOf(style)).SetExpansion(boolInt(c == 2)))
		}
		a.shown = append(a.shown, *e)
		row++
	}
	title := "Recent events"
	if a.filterText != "" {
		title = fmt.Sprintf("Recent events matching %q (%d)", tview.Escape(shorten(a.filterText, 20)), row-1)
	}
	a.setPaneTitle(1, title+a.staleMark())
}

// describe is an event in a few words.
func describe(e *model.Event) string {
	switch e.Kind {
	case model.KindShare:
		s := e.Host
		if e.ClientIP != "" && e.ClientIP != e.Host {
			s += " (" + e.ClientIP + ")"
		}
		if e.Effort > 0 {
			s += fmt.Sprintf(" effort %.1f%%", e.Effort)
		}
		return s
	case model.KindBlock:
		by := map[string]string{"you": "by us", "other": "by another miner of the pool", "pool": "by the pool"}[e.MinedBy]
		return fmt.Sprintf("Monero block %d found %s", e.Height, by)
	case model.KindPayment:
		return fmt.Sprintf("%s XMR in block %d", e.Piconero.XMR(), e.Height)
	case model.KindPayout:
		return fmt.Sprintf("block %d %s: %s", e.Height, e.State, e.Result)
	case model.KindAction:
		return strings.TrimSpace(fmt.Sprintf("%s: %s · %s", e.Target, e.Result, e.Who))
	case model.KindMiner:
		return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Host, e.ClientIP, e.State))
	case model.KindAlert:
		rule, target := e.AlertOf()
		return strings.TrimSpace(fmt.Sprintf("%s %s %s: %s", rule, target, e.State, e.Result))
	case "health":
		return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Host, e.State, e.Result))
	}
	return shorten(string(e.Fields), 120)
}

func shorten(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (a *App) showFooter() {
	a.bottomRow(a.footer)
	if a.saying != "" {
		return
	}
	k := func(s string) string { return a.th.paint(a.th.key, s) }
	a.footer.SetText(fmt.Sprintf("%s pane %s filter %s %dd %s %s %s restart %s backup %s help %s quit",
		k("Tab"), k("/"), k("r"), ranges[a.rangeIdx.Load()], k("b"), map[bool]string{true: "XMR", false: "blocks"}[a.showBlocks], k("R"), k("B"), k("?"), k("q")))
}

// bottomRow puts p (the footer or the filter field) in the last row.
func (a *App) bottomRow(p tview.Primitive) {
	n := a.main.GetItemCount()
	if n == 0 || a.main.GetItem(n-1) == p {
		return
	}
	a.main.RemoveItem(a.main.GetItem(n - 1))
	a.main.AddItem(p, 1, 0, false)
}
