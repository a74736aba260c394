package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// keys is the one place keys are handled; what it does not handle goes to the focused pane.
func (a *App) keys(ev *tcell.EventKey) *tcell.EventKey {
	if f := a.app.GetFocus(); f == a.filter || f == a.jump {
		return ev // typing a filter or a name; Enter and Esc end it
	}
	if ev, took := a.dialogKeys(ev); took {
		return ev
	}
	if front, _ := a.pages.GetFrontPage(); front == "miner" {
		switch {
		case ev.Key() == tcell.KeyEscape:
			a.closeMiner()
			return nil
		case ev.Rune() == 'q':
			a.app.Stop()
			return nil
		}
		return ev // ↑↓ j k to the miner's shares
	}
	if front, _ := a.pages.GetFrontPage(); front == "setup" {
		return ev // the form's own keys: Tab, Enter, Esc
	}
	if front, _ := a.pages.GetFrontPage(); front == "help" {
		switch {
		case ev.Key() == tcell.KeyEscape, ev.Rune() == '?', ev.Rune() == 'q':
			a.pages.HidePage("help")
			a.app.SetFocus(a.focusables()[a.focusIdx])
			return nil
		case ev.Key() == tcell.KeyCtrlC:
			return ev
		}
		return nil
	}
	switch ev.Key() {
	case tcell.KeyTab:
		a.moveFocus(1)
		return nil
	case tcell.KeyBacktab:
		a.moveFocus(-1)
		return nil
	case tcell.KeyRune:
	default:
		return ev
	}
	switch ev.Rune() {
	case 'q':
		a.app.Stop()
	case '?':
		a.pages.ShowPage("help")
		a.app.SetFocus(a.help)
	case '/':
		a.bottomRow(a.filter)
		a.app.SetFocus(a.filter)
	case 'r':
		a.setRange((int(a.rangeIdx.Load()) + 1) % len(ranges))
	case '1', '2', '3', '4':
		a.setRange(int(ev.Rune() - '1'))
	case 'R':
		a.openRestartMenu()
	case 'B':
		a.confirmBackup()
	case 'S':
		a.openSetup()
	case 'p':
		a.showP2PoolStatus()
	case 'a':
		a.showAlertHistory()
	case 'i':
		a.showInventory()
	case '$':
		a.showPayouts()
	case 'h':
		a.showHealth()
	case 'm':
		a.jumpToMiner()
	case 'b':
		a.showBlocks = !a.showBlocks
		if a.haveSnap {
			a.renderCharts()
		}
		a.showFooter()
	default:
		return ev
	}
	return nil
}

func (a *App) setRange(i int) {
	a.rangeIdx.Store(int32(i))
	a.showFooter()
	a.requestRefresh()
}

func (a *App) focusables() []tview.Primitive { return []tview.Primitive{a.miners, a.events} }

func (a *App) moveFocus(d int) {
	n := len(a.focusables())
	a.focusIdx = (a.focusIdx + d + n) % n
	a.app.SetFocus(a.focusables()[a.focusIdx])
	a.markFocus()
}

// markFocus shows which pane has the keys: its border and title stand out.
func (a *App) markFocus() {
	for i, p := range []*tview.Table{a.miners, a.events} {
		focused := i == a.focusIdx
		p.SetTitle(a.th.paneTitle(a.titles[i], focused))
		if focused {
			p.SetBorderStyle(a.th.focusBorder)
			p.SetTitleColor(a.th.focusTitle)
		} else {
			p.SetBorderStyle(a.th.border)
			p.SetTitleColor(a.th.title)
		}
	}
}

// setPaneTitle sets pane i's title (0 miners, 1 events), marked if it has the keys.
func (a *App) setPaneTitle(i int, title string) {
	a.titles[i] = title
	a.markFocus()
}
