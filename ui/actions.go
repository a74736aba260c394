package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/restart"
)

// Actions are what the operator can do from the console besides looking.
type Actions struct {
	Targets []restart.Target
	// Restarter returns a restarter that reports its steps to progress. Its Record is replaced
	// by the console's current one.
	Restarter func(progress func(restart.Step)) *restart.Restarter
}

// post is the one way work from other goroutines reaches the widgets.
// Once the console has stopped, posts are dropped: tview runs a queued update only while it
// runs, and waits for it, so a post after the end would block its goroutine for good.
func (a *App) post(fn func()) {
	select {
	case a.posts <- fn:
	case <-a.ended:
	}
}

// forward hands posts to tview while it runs.
func (a *App) forward() {
	for {
		select {
		case fn := <-a.posts:
			a.app.QueueUpdateDraw(fn)
		case <-a.ended:
			return
		}
	}
}

func (a *App) buildActions() {
	a.menu = tview.NewList().ShowSecondaryText(true).SetHighlightFullLine(true).SetSelectedStyle(a.th.selected)
	a.menu.SetBorder(true).SetTitle(" Restart (Enter chooses, Esc closes) ")
	a.dialog = tview.NewTextView().SetDynamicColors(true).SetScrollable(true)
	a.dialog.SetBorder(true)
	a.pages.AddPage("menu", centered(a.menu, 64, 16), true, false)
	a.pages.AddPage("progress", centered(a.dialog, 76, 18), true, false)
}

// ask shows a confirm dialog: question, a button named for the action, and Cancel. Each is a
// new dialog with the action's button focused and shown selected, so no dialog inherits the
// focus an earlier one was left with (Enter always does what the selected button says). Esc
// and Cancel say "cancelled" in the status line; the action's button runs do.
func (a *App) ask(question, action, cancelled string, do func()) {
	m := tview.NewModal().
		SetText(question + "\n\nEnter: " + action + " · Tab: the other button · Esc: cancel").
		AddButtons([]string{action, "Cancel"}).
		SetButtonStyle(a.th.normal).
		SetButtonActivatedStyle(a.th.selected)
	m.SetDoneFunc(func(_ int, label string) {
		a.pages.RemovePage("confirm")
		if label != action {
			a.closeDialogs()
			a.say(cancelled + " cancelled")
			return
		}
		do()
	})
	m.SetFocus(0)
	a.pages.AddPage("confirm", m, true, true)
	a.app.SetFocus(m)
}

// say shows text in the status line (the footer) for a while, then the keys again.
func (a *App) say(text string) {
	a.saying = text
	a.bottomRow(a.footer)
	a.footer.SetText(a.th.paint(a.th.warn, tview.Escape(text)))
	time.AfterFunc(sayFor, func() {
		a.post(func() {
			if a.saying == text {
				a.saying = ""
				if f := a.app.GetFocus(); f != a.filter && f != a.jump {
					a.showFooter()
				}
			}
		})
	})
}

// sayFor is how long the status line keeps a message.
const sayFor = 8 * time.Second

func centered(p tview.Primitive, w, h int) tview.Primitive {
	return tview.NewFlex().
		AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(nil, 0, 1, false).AddItem(p, h, 0, true).AddItem(nil, 0, 1, false), w, 0, true).
		AddItem(nil, 0, 1, false)
}

// openRestartMenu lists the daily sequence and every target; choosing one asks what to do
// with it (restart, start, stop: those it has commands for), then asks to confirm.
func (a *App) openRestartMenu() {
	a.menu.Clear()
	a.menu.SetTitle(" Restart · start · stop (Enter chooses, Esc closes) ")
	if len(a.opts.Actions.Targets) == 0 {
		a.showResult("Restart", "No targets are configured: add them under targets: in the configuration file, or run db4e setup and db4e deploy.", false)
		return
	}
	a.menu.AddItem("all", "the daily sequence: monerod, P2Pool, db4e, then the miners", 'a', func() {
		a.chooseAction("all (the daily sequence)", restart.DailyOrder(a.opts.Actions.Targets))
	})
	for _, t := range a.opts.Actions.Targets {
		where := "local"
		if !t.Local {
			where = t.Dest.String()
		}
		a.menu.AddItem(tview.Escape(t.Name), tview.Escape(fmt.Sprintf("%s on %s: %s", t.Kind, where, t.Restart)), 0, func() {
			a.chooseAction(t.Name, []restart.Target{t})
		})
	}
	a.pages.ShowPage("menu")
	a.app.SetFocus(a.menu)
}

// actionTargets is who of targets an action applies to, in its order: a stop goes miners
// first, and a target without the action's command is left out.
func actionTargets(action string, targets []restart.Target) []restart.Target {
	out := slices.DeleteFunc(slices.Clone(targets), func(t restart.Target) bool { return t.Command(action) == "" })
	if action == restart.Stop {
		slices.Reverse(out)
	}
	return out
}

// chooseAction offers restart, and start and stop where the targets have those commands.
func (a *App) chooseAction(what string, targets []restart.Target) {
	var actions []string
	for _, act := range []string{restart.Restart, restart.Start, restart.Stop} {
		if len(actionTargets(act, targets)) > 0 {
			actions = append(actions, act)
		}
	}
	if len(actions) == 1 {
		a.confirmAction(actions[0], what, actionTargets(actions[0], targets))
		return
	}
	a.menu.Clear()
	a.menu.SetTitle(" " + tview.Escape(what) + ": what to do (Enter chooses, Esc closes) ")
	for i, act := range actions {
		ts := actionTargets(act, targets)
		a.menu.AddItem(act, tview.Escape(fmt.Sprintf("%d target(s): %s", len(ts), ts[0].Command(act))), rune('1'+i), func() {
			a.confirmAction(act, what, ts)
		})
	}
	a.menu.SetCurrentItem(0)
	a.app.SetFocus(a.menu)
}

func title(action string) string { return strings.ToUpper(action[:1]) + action[1:] }

func (a *App) confirmAction(action, what string, targets []restart.Target) {
	a.pages.HidePage("menu")
	wait := "each is waited for until healthy"
	if action == restart.Stop {
		wait = "miners first, monerod last"
	}
	a.ask(fmt.Sprintf("%s %s?\n(%d target(s); %s)", title(action), tview.Escape(what), len(targets), wait),
		title(action), action+" of "+what, func() { a.runAction(action, what, targets) })
}

// runAction runs in the background; each step is posted to the progress dialog.
func (a *App) runAction(action, what string, targets []restart.Target) {
	a.dialog.Clear()
	a.dialog.SetTitle(" " + title(restart.Ing(action)) + " " + tview.Escape(what) + " ")
	a.busy = true
	a.pages.ShowPage("progress")
	a.app.SetFocus(a.dialog)
	r := a.opts.Actions.Restarter(func(s restart.Step) {
		a.post(func() {
			color := map[string]string{"failed": a.th.bad, "healthy": a.th.good, "done": a.th.good, "stopped": a.th.good}[s.Phase]
			fmt.Fprintf(a.dialog, "%s %s %s %s\n", s.Time.Format("15:04:05"), tview.Escape(s.Target),
				a.th.paint(color, s.Phase), tview.Escape(s.Message))
			a.dialog.ScrollToEnd()
		})
	})
	r.Action = action
	c, _ := a.current()
	r.Record = c.Record // the console read now: the service's, after a handover
	go func() {
		err := r.Run(context.Background(), targets)
		a.post(func() {
			a.busy = false
			if err != nil {
				fmt.Fprintf(a.dialog, "\n%s\n", a.th.paint(a.th.bad, "STOPPED: "+tview.Escape(err.Error())))
			} else {
				fmt.Fprintf(a.dialog, "\n%s\n", a.th.paint(a.th.good, "done: "+restart.DoneAction(action, targets)))
			}
			fmt.Fprint(a.dialog, "Esc closes")
			a.dialog.ScrollToEnd()
		})
		a.requestRefresh()
	}()
}

func (a *App) confirmBackup() {
	a.ask("Take a backup of the store now?", "Backup", "backup", func() {
		a.showResult("Backup", "writing…", true)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			c, _ := a.current()
			res, err := c.Backup(ctx, "")
			cancel()
			a.post(func() {
				a.busy = false
				if err != nil {
					a.showResult("Backup", a.th.paint(a.th.bad, "failed: "+tview.Escape(err.Error())), false)
					return
				}
				msg := fmt.Sprintf("%s\n%d bytes", tview.Escape(res.Path), res.Bytes)
				if len(res.Removed) > 0 {
					msg += fmt.Sprintf("\n%d old backup(s) removed", len(res.Removed))
				}
				a.showResult("Backup", a.th.paint(a.th.good, "written: ")+msg, false)
			})
			a.requestRefresh()
		}()
	})
}

func (a *App) showResult(title, text string, busy bool) {
	a.busy, a.ackable = busy, false
	a.dialog.Clear()
	a.dialog.SetTitle(" " + title + " ")
	fmt.Fprint(a.dialog, text)
	if !busy {
		fmt.Fprint(a.dialog, "\n\nEsc closes")
	}
	a.pages.ShowPage("progress")
	a.app.SetFocus(a.dialog)
}

func (a *App) closeDialogs() {
	for _, p := range []string{"menu", "confirm", "progress"} {
		a.pages.HidePage(p)
	}
	a.app.SetFocus(a.focusables()[a.focusIdx])
}

// dialogKeys handles keys while a dialog is up; true if it took the key.
func (a *App) dialogKeys(ev *tcell.EventKey) (*tcell.EventKey, bool) {
	front, _ := a.pages.GetFrontPage()
	switch front {
	case "menu":
		if ev.Key() == tcell.KeyEscape {
			a.closeDialogs()
			a.say("restart cancelled")
			return nil, true
		}
		return ev, true
	case "confirm":
		return ev, true
	case "progress":
		if ev.Key() == tcell.KeyEscape && !a.busy {
			a.closeDialogs()
			return nil, true
		}
		if a.ackable && ev.Key() == tcell.KeyRune && ev.Rune() == 'x' {
			a.acknowledge()
			return nil, true
		}
		if strings.ContainsRune("q", ev.Rune()) && ev.Key() == tcell.KeyRune {
			return nil, true // no quitting half way through a restart by a stray q
		}
		return ev, true
	}
	return ev, false
}

// showAlertHistory lists the alerts fired and resolved among the recent events, newest first.
func (a *App) showAlertHistory() {
	var b strings.Builder
	n := 0
	for _, e := range a.snap.Recent {
		if e.Kind != model.KindAlert {
			continue
		}
		n++
		rule, target := e.AlertOf()
		state := e.State
		if state == alert.StateFired {
			state = a.th.paint(a.th.bad, state)
		}
		fmt.Fprintf(&b, "%s  %-12s %-8s %s  %s\n", e.Time.In(a.snap.Now.Location()).Format("01-02 15:04"), tview.Escape(rule), state,
			tview.Escape(target), tview.Escape(e.Result))
	}
	if n == 0 {
		b.WriteString("No alert among the recent events.")
	}
	ackable := slices.ContainsFunc(a.snap.Alerts, func(al alert.Alert) bool { return al.Rule == alert.RuleLogUnread })
	if ackable {
		fmt.Fprintf(&b, "\n%s acknowledges %s: part of P2Pool's log was lost unread (it resolves)", a.th.paint(a.th.key, "x"), alert.RuleLogUnread)
	}
	a.showResult(fmt.Sprintf("Alerts (%d open)", len(a.snap.Alerts)), b.String(), false)
	a.ackable = ackable
}

// acknowledge resolves the log_unread alert, from the alert history.
func (a *App) acknowledge() {
	a.ackable = false
	a.closeDialogs()
	c, _ := a.current()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Acknowledge(ctx, alert.RuleLogUnread)
		cancel()
		a.post(func() {
			if err != nil {
				a.say("acknowledge failed: " + err.Error())
				return
			}
			a.say(alert.RuleLogUnread + " acknowledged")
		})
		a.requestRefresh()
	}()
}

// showInventory lists the miners known from DHCP leases.
// showHealth is db4e status in the console: every component with its reason whole.
func (a *App) showHealth() {
	var b strings.Builder
	if a.fetchErr != nil {
		fmt.Fprintf(&b, "%s\n  %s\n\n", a.th.paint(a.th.bad, "service lost, retrying"), tview.Escape(a.fetchErr.Error()))
	}
	for _, c := range a.snap.Components {
		state := a.th.paint(a.th.good, "up")
		if !c.Up {
			state = a.th.paint(a.th.bad, "DOWN")
		}
		since := ""
		if !c.Since.IsZero() {
			since = " since " + c.Since.In(a.snap.Now.Location()).Format("01-02 15:04")
		}
		fmt.Fprintf(&b, "%-8s %s%s\n", c.Name, state, since)
		if c.Reason != "" {
			fmt.Fprintf(&b, "  %s\n", tview.Escape(c.Reason))
		}
	}
	// Why a figure of the first screen is "–".
	e := a.snap.Earnings
	var missing []string
	for _, f := range []struct {
		name string
		fig  api.Figure
	}{{"farm hashrate", e.Hashrate}, {"24 h hashrate", e.Hashrate24h}, {"PPLNS window", e.WindowShares}, {"window length", e.WindowSeconds},
		{"effort", e.Effort}, {"average effort", e.AverageEffort}, {"next share", e.TimeToShare}, {"XMR per pool block", e.PerBlock}, {"XMR a day", e.PerDay}} {
		if !f.fig.Ok() {
			missing = append(missing, fmt.Sprintf("  %-18s – %s", f.name, tview.Escape(f.fig.Why)))
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "\nNot shown:\n%s\n", strings.Join(missing, "\n"))
	}
	a.showResult("Health", b.String(), false)
}

func (a *App) showInventory() {
	var b strings.Builder
	if len(a.snap.Inventory) == 0 {
		b.WriteString("No leases read: set miners.leases to dnsmasq's leases file.")
	}
	present := 0
	for _, m := range a.snap.Inventory {
		state := "here"
		if m.Present {
			present++
		} else {
			state = a.th.paint(a.th.bad, "gone")
		}
		name := m.Name
		if name == "" {
			name = "(no name)"
		}
		fmt.Fprintf(&b, "%-15s %-17s %-20s %s  seen %s … %s\n", m.IP, m.MAC, tview.Escape(shorten(name, 20)), state,
			m.FirstSeen.In(a.snap.Now.Location()).Format("01-02"), ago(a.snap.Now, m.LastSeen))
	}
	a.showResult(fmt.Sprintf("Miners on the network (%d of %d present)", present, len(a.snap.Inventory)), b.String(), false)
}
