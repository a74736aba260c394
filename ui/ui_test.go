package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/internal/opstest"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
)

// now is "today" for the fixture: the day after its busiest day.
var now = time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)

func fixtureConsole(t *testing.T) *ops.Local {
	t.Helper()
	return opstest.Fixture(t, ops.Config{P2Pool: ingest.DefaultConfig(), Miners: collect.MinersConfig{StaleAfter: 6 * time.Hour}}, now)
}

type harness struct {
	t    *testing.T
	app  *App
	sim  tcell.SimulationScreen
	done chan error
}

func start(t *testing.T, c api.Console, w, h int, opts Options) *harness {
	t.Helper()
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		t.Fatal(err)
	}
	opts.Screen = sim
	if opts.Refresh == 0 {
		opts.Refresh = time.Hour
	}
	app := New(c, opts)
	hs := &harness{t: t, app: app, sim: sim, done: make(chan error, 1)}
	go func() { hs.done <- app.Run(context.Background()) }()
	select {
	case <-app.Drawn():
	case <-time.After(5 * time.Second):
		t.Fatal("no first screen within 5 s")
	}
	hs.resize(w, h)
	t.Cleanup(func() {
		app.Stop()
		<-hs.done
	})
	return hs
}

func (h *harness) resize(w, ht int) {
	h.sim.SetSize(w, ht)
	h.sim.PostEvent(tcell.NewEventResize(w, ht))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		lines := strings.Split(strings.TrimRight(h.text(), "\n"), "\n")
		drawn := strings.Contains(lines[len(lines)-1], "? help") || strings.Contains(lines[0], "Setup:") // the form covers all
		if len(lines) == ht && len([]rune(lines[0])) == w && drawn {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("screen not %dx%d", w, ht)
}

// text is the screen as lines of text. It is read on the UI goroutine: the simulation screen's
// cells are not guarded against a draw.
func (h *harness) text() string {
	out := make(chan string, 1)
	go h.app.app.QueueUpdate(func() {
		cells, w, ht := h.sim.GetContents()
		var b strings.Builder
		for y := range ht {
			for x := range w {
				c := cells[y*w+x]
				if len(c.Runes) > 0 {
					b.WriteRune(c.Runes[0])
				} else {
					b.WriteByte(' ')
				}
			}
			b.WriteByte('\n')
		}
		out <- b.String()
	})
	select {
	case s := <-out:
		return s
	case <-time.After(5 * time.Second):
		h.t.Fatal("the UI goroutine does not answer")
		return ""
	}
}

// cells copies the screen's cells on the UI goroutine.
func (h *harness) cells() []tcell.SimCell {
	out := make(chan []tcell.SimCell, 1)
	go h.app.app.QueueUpdate(func() {
		cells, _, _ := h.sim.GetContents()
		out <- append([]tcell.SimCell(nil), cells...)
	})
	return <-out
}

// waitFor waits until every want is on screen.
func (h *harness) waitFor(want ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := h.text()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%q not on screen:\n%s", missing, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) key(k tcell.Key) { h.sim.InjectKey(k, 0, tcell.ModNone) }

func (h *harness) typ(s string) {
	for _, r := range s {
		h.sim.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

// row returns the miners table's row of host, as far as the pane's right border.
func row(screen, host string) string {
	for _, l := range strings.Split(screen, "\n") {
		for _, border := range []string{"│", "║"} {
			if strings.HasPrefix(l, border+host+" ") {
				rest := strings.TrimPrefix(l, border)
				if i := strings.IndexAny(rest, "│║"); i >= 0 {
					rest = rest[:i]
				}
				return rest
			}
		}
	}
	return ""
}

func TestDashboardAt80x24(t *testing.T) {
	h := start(t, fixtureConsole(t), 80, 24, Options{})
	s := h.waitFor("db4e · embedded", "Today: 2 shares", "Shares/day · 30 d", "XMR/day confirmed · 30 d", "Miners (3", "Recent events")
	// the chart's y axis reaches the busiest day (4 shares) and its x axis ends today
	if !strings.Contains(s, " 4.0┤") && !strings.Contains(s, " 4┤") { // the header grew (issue 13): fewer rows, whole labels
		t.Errorf("no y label 4 on the shares chart:\n%s", s)
	}
	if !strings.Contains(s, "03-02") {
		t.Errorf("no date 03-02 on the x axis:\n%s", s)
	}
	// the busiest day's XMR is on the right chart's y axis
	if !strings.Contains(s, "0.0016") {
		t.Errorf("XMR axis does not reach 0.0016:\n%s", s)
	}
	// miners: rig-02 found 2 shares today; the others none today
	if l := row(s, "rig-02"); !strings.Contains(l, " 2 ") {
		t.Errorf("rig-02 row %q", l)
	}
	// rig-03's only hashrate is P2Pool's worker sample of the day before: not what it mines now,
	// so not shown as current (its own view shows it, dated)
	if l := row(s, "rig-03"); strings.Contains(l, "788 H/s") || !strings.Contains(l, " - ") {
		t.Errorf("rig-03 row shows its hashrate of 26 h ago as current: %q", l)
	}
	// rig-01 and rig-03 sent nothing for over 6 h: stale; rig-02 found a share at 06:18
	if !strings.Contains(row(s, "rig-01"), "STALE") || strings.Contains(row(s, "rig-02"), "STALE") {
		t.Errorf("stale marks wrong:\n%s", s)
	}
	if !strings.Contains(s, "? help") || !strings.Contains(s, "q quit") {
		t.Errorf("footer lacks keys:\n%s", s)
	}
}

func TestFilterHelpRangeAndQuit(t *testing.T) {
	h := start(t, fixtureConsole(t), 100, 30, Options{})
	h.waitFor("Recent events")
	h.typ("/rig-03")
	h.key(tcell.KeyEnter)
	s := h.waitFor(`matching "rig-03" (1)`)
	events := s[strings.Index(s, "Recent events"):]
	if strings.Contains(events, "rig-02 (") || strings.Contains(events, "payment") {
		t.Errorf("filter let other events through:\n%s", s)
	}
	h.typ("/")
	h.key(tcell.KeyEscape)
	h.waitFor(" Recent events ═", "? help")

	h.typ("?")
	h.waitFor("Keys", "this help", "chart range 7")
	h.key(tcell.KeyEscape)
	h.typ("1")
	h.waitFor("Shares/day · 7 d", "r 7d")
	h.typ("b")
	h.waitFor("Blocks/day (sidechain) · 7 d")
	h.typ("r")
	h.waitFor("Shares/day · 30 d")

	h.key(tcell.KeyTab) // focus moves to events; q still quits
	h.typ("q")
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatal(err)
		}
		h.done <- nil // for the cleanup
	case <-time.After(3 * time.Second):
		t.Fatal("q did not quit")
	}
}

func TestLiveUpdateWithoutKeypress(t *testing.T) {
	l := fixtureConsole(t)
	h := start(t, l, 80, 24, Options{})
	h.waitFor("Today: 2 shares")
	share := "2025-03-02 11:59:00.0000 StratumServer SHARE FOUND: mainchain height 3350900, sidechain height 10420900, diff 1, client 192.168.1.24:1, user rig-04, effort 3.000%\n"
	start := time.Now()
	if _, err := l.Import(context.Background(), api.FormatP2Pool, "live", strings.NewReader(share)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Today: 3 shares", "rig-04")
	if d := time.Since(start); d > time.Second {
		t.Errorf("the new share took %v to show", d)
	}
}

func TestResizeAndNoColor(t *testing.T) {
	h := start(t, fixtureConsole(t), 80, 24, Options{NoColor: true})
	h.waitFor("Miners (3")
	h.resize(140, 45)
	s := h.waitFor("Shares/day · 30 d")
	if w := len([]rune(strings.Split(s, "\n")[0])); w != 140 {
		t.Fatalf("screen width %d after resize", w)
	}
	// with NO_COLOR nothing has a colour; the selected row is told by reverse video
	reverse := false
	for _, c := range h.cells() {
		fg, bg, attr := c.Style.Decompose()
		if fg != tcell.ColorDefault || bg != tcell.ColorDefault {
			t.Fatalf("a coloured cell %q with NO_COLOR: fg %v bg %v", c.Runes, fg, bg)
		}
		reverse = reverse || attr&tcell.AttrReverse != 0
	}
	if !reverse {
		t.Error("no reverse-video selected row with NO_COLOR")
	}
}

func TestChartFitsItsPane(t *testing.T) {
	c := newChart("t", func(v float64) string { return "12345.6789" }, tcell.StyleDefault)
	vals := make([]float64, 365)
	dates := make([]string, 365)
	for i := range vals {
		vals[i] = float64(i % 17)
		dates[i] = "01-01"
	}
	c.set("t", vals, dates)
	for _, w := range []int{16, 38, 80, 200} {
		lines, _ := c.render(w, 9, 1)
		if maxWidth(lines) > w || len(lines) > 9 {
			t.Errorf("width %d: plot is %dx%d", w, maxWidth(lines), len(lines))
		}
	}
}

func TestFitColumnsKeepsValuesAndSums(t *testing.T) {
	vals := []float64{1, 5, 2}
	dates := []string{"a", "b", "c"}
	v, _, k := fitColumns(vals, dates, 7, 1)
	if k != 1 || len(v) != 6 || v[2] != 5 || v[3] != 5 {
		t.Errorf("stretch: %v %d", v, k)
	}
	v, d, k := fitColumns(vals, dates, 2, 1)
	if k != 2 || len(v) != 2 || v[0] != 6 || v[1] != 2 || d[0] != "b" {
		t.Errorf("sum: %v %v %d", v, d, k)
	}
}

func TestRestartMenuAndBackup(t *testing.T) {
	l := fixtureConsole(t)
	order := t.TempDir() + "/order"
	targets, err := restart.BuildTargets([]restart.TargetConfig{
		{Name: "monerod", Kind: restart.KindMonerod, Restart: "echo monerod >> " + order},
		{Name: "p2pool", Kind: restart.KindP2Pool, Restart: "echo 'p2pool.service not found' >&2; exit 4"},
	}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	l.Cfg.Backup.Dir = t.TempDir()
	h := start(t, l, 100, 30, Options{Actions: actions(l, targets)})
	h.typ("R")
	h.waitFor("Restart · start · stop (Enter chooses", "the daily sequence", "p2pool")
	h.key(tcell.KeyEnter) // "all"
	h.waitFor("Restart all (the daily sequence)?", "Restart", "Cancel")
	h.key(tcell.KeyEnter) // the Restart button
	s := h.waitFor("STOPPED", "exited with status 4", "p2pool.service not found", "Esc closes")
	if !strings.Contains(s, "monerod") {
		t.Errorf("monerod step not shown:\n%s", s)
	}
	h.key(tcell.KeyEscape)
	// the two restarts are action events, shown in the events pane
	h.waitFor("action", "p2pool: failed", "monerod: ok")

	h.typ("B")
	h.waitFor("Take a backup of the store now?")
	h.key(tcell.KeyEnter)
	h.waitFor("written:", ".backup.gz", "Esc closes")
	h.key(tcell.KeyEscape)
	h.waitFor("backup")
}

func TestInventoryDialog(t *testing.T) {
	l := fixtureConsole(t)
	leases := t.TempDir() + "/leases"
	os.WriteFile(leases, []byte("0 aa:bb:cc:00:00:21 192.168.1.21 rig-01 *\n0 aa:bb:cc:00:00:29 192.168.1.29 [red]evil[-] *\n"), 0o644)
	l.Cfg.Miners.Leases = leases
	l.PollOnce(context.Background())
	h := start(t, l, 100, 30, Options{})
	h.typ("i")
	h.waitFor("Miners on the network (2 of 2 present)", "192.168.1.21", "rig-01", "_red_evil_-_")
}

// The first screen answers "is my farm earning?" at 80x24 in words an operator reads without
// the manual, every line within 80 columns.
func TestFirstScreenAnswersEarnings(t *testing.T) {
	l := fixtureConsole(t)
	l.Cfg.P2Pool.DataAPI, l.Cfg.P2Pool.APIMaxAge = "../collect/testdata/data-api", 0
	l.PollOnce(context.Background()) // the recorded data-api, read at the fixture's clock
	h := start(t, l, 80, 24, Options{})
	s := h.waitFor("Today: 2 shares (usual", "last share", "PPLNS window: ", "of our shares in 2160 blocks", "effort 48% (avg 98%)",
		"Next share in ~2h47m", "XMR/day", "paid 0", "miners 4 up", "farm 13.1 kH/s (24h 12.8)")
	for _, line := range strings.Split(s, "\n") {
		if w := len([]rune(strings.TrimRight(line, " "))); w > 80 {
			t.Errorf("a line of %d columns: %q", w, line)
		}
	}
	for _, want := range []string{"Shares/day · 30 d", "Miners (4"} { // the charts and panes stay
		if !strings.Contains(s, want) {
			t.Errorf("no %q:\n%s", want, s)
		}
	}
}

// Rows are selected with ↑↓ and j k; Enter on a miner opens its own view (its name, a chart
// of its hashrate, not the dashboard's charts), Esc returns; Enter on an event shows its whole
// record; m finds a miner by name.
func TestSelectionAndDrillDown(t *testing.T) {
	h := start(t, fixtureConsole(t), 80, 24, Options{})
	h.waitFor("Miners (3", "rig-01")
	h.typ("j") // rig-01 → rig-02
	h.key(tcell.KeyEnter)
	s := h.waitFor("miner rig-02", "Hashrate · 24 h", "Its shares a day", "Its last shares", "250.9%", "129.0M", "Esc back")
	if strings.Contains(s, "Shares/day ·") || strings.Contains(s, "Recent events") {
		t.Errorf("the miner's view shows the dashboard:\n%s", s)
	}
	h.key(tcell.KeyEscape)
	s = h.waitFor("Shares/day · 30 d", "Recent events")
	if strings.Contains(s, "Its last shares") {
		t.Errorf("Esc left the miner's view up:\n%s", s)
	}

	h.key(tcell.KeyTab) // the events pane: its newest event is rig-02's share at 06:18:45
	h.key(tcell.KeyEnter)
	h.waitFor(`"kind": "share"`, `"host": "rig-02"`, `"side_height": 10420811`, "Esc closes")
	h.key(tcell.KeyEscape)
	h.waitFor("Shares/day · 30 d")
	h.typ("k") // still the first row; k at the top stays there
	h.key(tcell.KeyDown)
	h.key(tcell.KeyEnter)
	h.waitFor(`"host": "rig-02"`, `"time": "2025-03-02T00:00:00.0001Z"`)
	h.key(tcell.KeyEscape)

	h.typ("m")
	h.typ("03")
	h.key(tcell.KeyEnter)
	h.waitFor("miner rig-03", "Its last shares", "77.4%", "1 share, last 21h ago · 788 H/s 26h ago")
	h.key(tcell.KeyEscape)
	h.typ("?")
	s = h.waitFor("Keys", "Enter", "a miner by name", "PPLNS window", "effort", "EFF")
	for _, line := range strings.Split(s, "\n") {
		if w := len([]rune(strings.TrimRight(line, " "))); w > 80 {
			t.Errorf("help: a line of %d columns", w)
		}
	}
}

// Charts side by side sum the same days into a column, whatever the terminal's width and
// whatever each chart's axis labels take: their titles say the same "N-day sums".
func TestSideBySideChartsSumTheSameDays(t *testing.T) {
	for _, w := range []int{80, 81, 97, 120, 133, 200} {
		shares, xmr := newChart("s", func(v float64) string { return fmt.Sprintf("%.0f", v) }, tcell.StyleDefault),
			newChart("x", func(v float64) string { return fmt.Sprintf("%.4f", v) }, tcell.StyleDefault)
		vals, dates := make([]float64, 365), make([]string, 365)
		for i := range vals {
			vals[i], dates[i] = float64(i%7), "01-01"
		}
		shares.set("Shares", vals, dates)
		xmr.set("XMR", vals, dates)
		sim := tcell.NewSimulationScreen("UTF-8")
		if err := sim.Init(); err != nil {
			t.Fatal(err)
		}
		sim.SetSize(w, 12)
		pair := newChartPair(shares, xmr)
		pair.SetRect(0, 0, w, 12)
		pair.Draw(sim)
		if shares.group < 2 || shares.group != xmr.group {
			t.Errorf("width %d: %d-day sums beside %d-day sums", w, shares.group, xmr.group)
		}
		// and each chart alone would have chosen fewer days for the wider of the two
		_, _, lw, lh := shares.GetInnerRect()
		_, _, rw, rh := xmr.GetInnerRect()
		_, kl := shares.render(lw, lh, 1)
		_, kr := xmr.render(rw, rh, 1)
		if max(kl, kr) != shares.group {
			t.Errorf("width %d: group %d, alone %d and %d", w, shares.group, kl, kr)
		}
		sim.Fini()
	}
}
