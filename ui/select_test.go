package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/store"
)

// at is the style of text's first cell where the screen shows prefix+text (prefix: a pane's
// border, to tell its rows from another pane's on the same line); ok false if it does not.
func (h *harness) at(prefix, text string) (tcell.Style, bool) {
	out := make(chan []tcell.SimCell, 1)
	var w int
	go h.app.app.QueueUpdate(func() {
		cells, width, _ := h.sim.GetContents()
		w = width
		out <- append([]tcell.SimCell(nil), cells...)
	})
	cells := <-out
	want := []rune(prefix + text)
	for i := range cells {
		if i%w+len(want) > w {
			continue
		}
		match := true
		for j, r := range want {
			if c := cells[i+j]; len(c.Runes) == 0 || c.Runes[0] != r {
				match = false
				break
			}
		}
		if match {
			return cells[i+len([]rune(prefix))].Style, true
		}
	}
	return tcell.StyleDefault, false
}

// reversed waits until text is on screen drawn in reverse video (want true) or not (false):
// text alone, or a row's start after its pane's border ("║rig-01": the focused pane).
func (h *harness) reversed(text string, want bool) {
	h.t.Helper()
	prefix := ""
	if r := []rune(text); r[0] == '║' || r[0] == '│' {
		prefix, text = string(r[0]), string(r[1:])
	}
	h.reversedAt(prefix, text, want)
}

// reversedAt is reversed for text where it follows prefix.
func (h *harness) reversedAt(prefix, text string, want bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, ok := h.at(prefix, text)
		_, _, attr := st.Decompose()
		if ok && (attr&tcell.AttrReverse != 0) == want {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%q on screen %v, reverse %v, want reverse %v:\n%s", text, ok, attr&tcell.AttrReverse != 0, want, h.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// actions restarts targets one at a time, recording into c, as the console's own do.
func actions(c api.Console, targets []restart.Target) Actions {
	return Actions{Targets: targets, Restarter: func(p func(restart.Step)) *restart.Restarter {
		return &restart.Restarter{Concurrency: 1, Record: c.Record, Who: "tester (console)", Progress: p}
	}}
}

func testTargets(t *testing.T, order string) []restart.Target {
	t.Helper()
	targets, err := restart.BuildTargets([]restart.TargetConfig{
		{Name: "monerod", Kind: restart.KindMonerod, Restart: "echo monerod >> " + order},
		{Name: "p2pool", Kind: restart.KindP2Pool, Restart: "echo p2pool >> " + order},
	}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return targets
}

// The selected row of every table, the selected item of the restart menu and the focused
// button of a confirm dialog are drawn in reverse video, and nothing else they sit beside is:
// with colours and without, at 80x24 and wider. The focused pane's title is marked.
func TestSelectionIsVisible(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, noColor := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d NO_COLOR=%v", size[0], size[1], noColor), func(t *testing.T) {
				l := fixtureConsole(t)
				order := t.TempDir() + "/order"
				h := start(t, l, size[0], size[1], Options{NoColor: noColor, Actions: actions(l, testTargets(t, order))})
				h.waitFor("▶ Miners (3", "rig-01", "rig-02")
				h.reversed("║rig-01", true)
				h.reversed("║rig-02", false)
				h.typ("j")
				h.reversed("║rig-02", true)
				h.reversed("║rig-01", false)
				h.key(tcell.KeyEnter) // its view: the newest of its shares is selected
				h.waitFor("Its last shares")
				h.reversed("║03-02 06:18:45", true)
				h.key(tcell.KeyEscape)

				h.key(tcell.KeyTab) // the events pane has the keys now, and says so
				s := h.waitFor("▶ Recent events")
				if strings.Contains(s, "▶ Miners") {
					t.Errorf("two panes marked focused:\n%s", s)
				}
				h.reversed("║06:18:45", true) // its newest event
				h.typ("j")
				h.reversed("║06:18:45", false)
				h.key(tcell.KeyTab)

				h.typ("R")
				h.waitFor("the daily sequence", "monerod on local")
				h.reversed("all", true)
				h.reversedAt("    ", "monerod", false) // the item, not its line of detail
				h.key(tcell.KeyDown)
				h.reversedAt("    ", "monerod", true)
				h.reversed("all", false)
				h.key(tcell.KeyEnter)
				h.waitFor("Restart monerod?", "Esc: cancel")
				h.reversed("Restart     Cancel", true) // the buttons: Restart focused on opening
				h.reversedAt("Restart     ", "Cancel", false)
				h.key(tcell.KeyTab)
				h.reversedAt("Restart     ", "Cancel", true)
				h.reversed("Restart     Cancel", false)
				h.key(tcell.KeyEscape)
				h.waitFor("restart of monerod cancelled")
			})
		}
	}
}

// A confirm dialog never inherits the focus an earlier one was left with: Enter on a fresh one
// always does what its action button says. Esc and Cancel say "cancelled" and do nothing.
func TestConfirmStartsOnItsAction(t *testing.T) {
	l := fixtureConsole(t)
	order := t.TempDir() + "/order"
	h := start(t, l, 80, 24, Options{Actions: actions(l, testTargets(t, order))})
	h.waitFor("Miners (3")
	h.typ("R")
	h.waitFor("the daily sequence")
	h.key(tcell.KeyEnter)
	h.waitFor("Restart all (the daily")
	h.key(tcell.KeyTab) // Cancel
	h.key(tcell.KeyEnter)
	h.waitFor("restart of all (the daily sequence) cancelled")
	h.typ("B")
	h.waitFor("Take a backup of the")
	h.key(tcell.KeyEscape)
	h.waitFor("backup cancelled")
	h.typ("R")
	h.waitFor("the daily sequence")
	h.key(tcell.KeyEscape)
	h.waitFor("restart cancelled")

	h.typ("R")
	h.waitFor("the daily sequence")
	h.key(tcell.KeyEnter)
	h.waitFor("Restart all (the daily")
	h.key(tcell.KeyEnter) // Restart, focused again
	h.waitFor("done: 2 target(s)", "Esc closes")
	events, err := l.Snapshot(context.Background(), api.SnapshotQuery{Days: 7, Events: 50})
	if err != nil {
		t.Fatal(err)
	}
	actions := 0
	for _, e := range events.Recent {
		if e.Kind == "action" {
			actions++
		}
	}
	if actions != 2 {
		t.Errorf("%d action events after one confirmed restart of 2 targets and three cancels", actions)
	}
}

// At 80x24 a miner's state and effort columns stay whatever its name: long names are cut with …
func TestLongMinerNamesKeepTheirColumns(t *testing.T) {
	names := []string{"ab", "p2pool-miner", "garage-rig-big-01", "a-forty-character-miner-name-of-a-big-rig"}
	for _, noColor := range []bool{false, true} {
		l := fixtureConsole(t)
		var lines strings.Builder
		for i, n := range names {
			fmt.Fprintf(&lines, "2025-03-02 11:5%d:00.0000 StratumServer SHARE FOUND: mainchain height 3350900, sidechain height 1042090%d, diff 1, client 192.168.1.3%d:1, user %s, effort 12%d.000%%\n", i, i, i, n, i)
		}
		if _, err := l.Import(context.Background(), api.FormatP2Pool, "live", strings.NewReader(lines.String())); err != nil {
			t.Fatal(err)
		}
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			// A subtest each: its console is stopped before the next starts (tview's styles,
			// which New sets, are one for the process).
			t.Run(fmt.Sprintf("%dx%d NO_COLOR=%v", size[0], size[1], noColor), func(t *testing.T) {
				h := start(t, l, size[0], size[1], Options{NoColor: noColor})
				h.waitFor("Miners (7")
				h.typ("G") // the last rows
				s := h.text()
				for i, n := range names {
					r := rowOf(s, n)
					if r == "" {
						t.Fatalf("no row for %q:\n%s", n, s)
					}
					if !strings.Contains(r, fmt.Sprintf("12%d%%", i)) {
						t.Errorf("%q's row lacks its effort: %q", n, r)
					}
					if !strings.HasSuffix(strings.TrimRight(r, " "), "ok") {
						t.Errorf("%q's row lacks its state: %q", n, r)
					}
				}
			})
		}
	}
}

// rowOf is the miners pane's row of a miner whose name is host, or its start cut with "…".
func rowOf(screen, host string) string {
	for _, l := range strings.Split(screen, "\n") {
		for _, border := range []string{"│", "║"} {
			if !strings.HasPrefix(l, border) {
				continue
			}
			rest := strings.TrimPrefix(l, border)
			if i := strings.IndexAny(rest, "│║"); i >= 0 {
				rest = rest[:i]
			}
			name, _, _ := strings.Cut(rest, " ")
			if name == host || strings.HasSuffix(name, "…") && strings.HasPrefix(host, strings.TrimSuffix(name, "…")) {
				return rest
			}
		}
	}
	return ""
}

// A miner's view is as fresh as the dashboard: a new share shows in it without a key, and when
// its xmrig API fails the view says why (not "no xmrig API").
func TestMinerViewRefreshesAndSaysWhyItsAPIFails(t *testing.T) {
	l := fixtureConsole(t)
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	}))
	defer forbidden.Close()
	l.Cfg.Miners.Xmrig = []collect.XmrigConfig{{Name: "rig-02", URL: forbidden.URL, Token: "wrong"}}
	l.Cfg.Miners.Timeout = time.Second
	l.PollOnce(context.Background())
	h := start(t, l, 80, 24, Options{})
	h.waitFor("Miners (3", "rig-02")
	h.typ("j")
	h.key(tcell.KeyEnter)
	h.waitFor("miner rig-02", "DOWN", "3 shares, last 5h ago", "5.87 kH/s 26h ago", "xmrig API DOWN", "token is wrong")
	share := "2025-03-02 11:59:00.0000 StratumServer SHARE FOUND: mainchain height 3350900, sidechain height 10420900, diff 1, client 192.168.1.22:1, user rig-02, effort 3.000%\n"
	if _, err := l.Import(context.Background(), api.FormatP2Pool, "live", strings.NewReader(share)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("miner rig-02", "4 shares, last 1m ago", "03-02 11:59:00")
}

// following is a console whose snapshots say the log is followed, as a service's do.
type following struct {
	api.Console
	ingest api.IngestStatus
}

func (f following) Snapshot(ctx context.Context, q api.SnapshotQuery) (api.Snapshot, error) {
	s, err := f.Console.Snapshot(ctx, q)
	s.Ingest = f.ingest
	s.Components = nil // the service and its log are well, as they are where one follows it
	return s, err
}

// The header says only what is true: the log's age is when a line of it was last read; "no
// event yet" only of a store that has none; a store with events and a log quiet since this run
// started says that instead.
func TestHeaderSaysOnlyWhatIsTrue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		empty  bool
		ingest api.IngestStatus
		want   string
		not    string
	}{
		{"lines read", false, api.IngestStatus{Following: true, Started: now.Add(-time.Hour), LastLine: now.Add(-7 * time.Second)}, "log 7s ago", "no event yet"},
		{"quiet since start", false, api.IngestStatus{Following: true, Started: now.Add(-5 * time.Minute)}, "log: no line in 5m", "no event yet"},
		{"empty store", true, api.IngestStatus{Following: true, Started: now.Add(-5 * time.Minute)}, "log: no event yet", "no line in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c api.Console = fixtureConsole(t)
			if tc.empty {
				l, err := ops.OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, ops.Config{P2Pool: ingest.DefaultConfig()}, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Store.Close() })
				l.Now = func() time.Time { return now }
				c = l
			}
			h := start(t, following{c, tc.ingest}, 80, 24, Options{})
			if s := h.waitFor(tc.want); strings.Contains(s, tc.not) {
				t.Errorf("%q beside %q:\n%s", tc.not, tc.want, s)
			}
		})
	}
}

// The header's lines fit 80 columns with large figures: what gives way is the 24 h hashrate,
// then the usual day, never the line's end cut mid-figure.
func TestHeaderLinesFit80(t *testing.T) {
	a := New(nil, Options{})
	s := api.Snapshot{Now: now, Today: api.ReportDay{Shares: 1234}}
	s.Earnings.DailyAverage = api.Have(1403.7)
	s.Earnings.LastShare = now.Add(-7 * time.Second)
	s.Earnings.Hashrate, s.Earnings.Hashrate24h = api.Have(31_500_000), api.Have(30_100_000)
	for _, line := range strings.Split(a.earningsText(s), "\n") {
		if w := tview.TaggedStringWidth(line); w > 80 {
			t.Errorf("a header line of %d columns: %q", w, line)
		}
	}
	if line := strings.Split(a.earningsText(s), "\n")[0]; !strings.Contains(line, "farm 31.5 MH/s") || !strings.Contains(line, "1234 shares") {
		t.Errorf("line 1 lost a figure: %q", line)
	}
}

// A part of the log lost unread shows as an alert; the alert history offers x, which
// acknowledges it and says so (issue 31).
func TestAcknowledgeUnreadLog(t *testing.T) {
	l := fixtureConsole(t)
	l.Cfg.Alerts = alert.Defaults()
	l.NoteUnread(ingest.Unread{Path: "/var/lib/p2pool/p2pool.log", Bytes: -1, Why: "deleted while db4e was stopped"})
	l.EvaluateAlerts(context.Background())
	h := start(t, l, 80, 24, Options{})
	h.waitFor("ALERT ", "log_unread")
	h.typ("a")
	h.waitFor("x acknowledges log_unread")
	h.typ("x")
	h.waitFor("log_unread acknowledged")
	l.EvaluateAlerts(context.Background())
	for _, a := range l.OpenAlerts() {
		if a.Rule == alert.RuleLogUnread {
			t.Errorf("still open: %+v", a)
		}
	}
}
