package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/db4e/db4e/deploy"
)

// Setup is the first-run form: what a new miner knows, each field with a default. Save checks
// the answers (every bad one named under the form) and hands them to the caller, which writes
// the configuration and returns the plan to show; Esc or Cancel leaves without writing.
type Setup struct {
	Defaults deploy.Answers
	Network  string
	// Save writes the answers and returns what to show after: the deploy plan.
	Save func(deploy.Answers) (string, error)
	// Done is called when the operator leaves (saved tells whether anything was written).
	Done func(saved bool)
}

// setupView is the form and the text under it, as one primitive.
type setupView struct {
	*tview.Flex
	form  *tview.Form
	note  *tview.TextView
	saved bool
}

func (s Setup) build(th theme) *setupView {
	v := &setupView{Flex: tview.NewFlex().SetDirection(tview.FlexRow)}
	a := s.Defaults
	sidechains := []string{"mini", "nano", "main"}
	side := 0
	for i, c := range sidechains {
		if c == a.Sidechain {
			side = i
		}
	}
	f := tview.NewForm()
	f.SetBorder(true).SetTitle(" Setup: what db4e deploys (Tab: next field · Esc: leave, nothing written) ").SetTitleAlign(tview.AlignLeft)
	field := th.normal.Underline(true)
	f.SetFieldStyle(field).SetButtonStyle(th.normal).SetButtonActivatedStyle(th.selected).SetLabelColor(tcell.ColorDefault)
	f.AddInputField("Wallet (main address, 4...)", a.Wallet, 0, nil, nil).
		AddDropDown("Sidechain", sidechains, side, nil).
		AddInputField("Chain directory", a.ChainDir, 0, nil, nil).
		AddCheckbox("Pruned chain (~95 GB, not ~230 GB)", a.Prune, nil).
		AddInputField("Rigs (user@host, space-separated)", a.Rigs, 0, nil, nil).
		AddInputField("This node's address, for the rigs", a.NodeAddress, 0, nil, nil)
	// The form redraws its fields with colours only: an empty field shows where to type by a
	// placeholder, dim, which tells it apart with colours and without.
	hint := th.normal.Dim(true)
	f.GetFormItem(0).(*tview.InputField).SetPlaceholder("paste the wallet's main address").SetPlaceholderStyle(hint)
	f.GetFormItem(4).(*tview.InputField).SetPlaceholder("e.g. root@10.0.0.21 root@10.0.0.22:2222, or none").SetPlaceholderStyle(hint)
	if dd, ok := f.GetFormItem(1).(*tview.DropDown); ok {
		dd.SetListStyles(th.normal, th.selected).SetFocusedStyle(th.selected)
	}
	v.form, v.note = f, tview.NewTextView().SetDynamicColors(true).SetWrap(true)
	const intro = "Save writes the configuration and shows what db4e deploy apply would do; nothing is installed yet."
	v.note.SetText(intro)
	// Said as it is typed: the wallet's network and kind, or what is wrong with it.
	f.GetFormItem(0).(*tview.InputField).SetChangedFunc(func(text string) {
		if v.saved {
			return
		}
		text = strings.TrimSpace(text)
		switch a, err := deploy.CheckWallet(text, s.Network); {
		case text == "":
			v.note.SetText(intro)
		case err != nil && len(text) < 95:
			v.note.SetText(fmt.Sprintf("Wallet: %d of 95 characters", len(text)))
		case err != nil:
			v.note.SetText(fmt.Sprintf("[%s::b]Wallet:[-::-] %s", th.bad, tview.Escape(err.Error())))
		default:
			v.note.SetText(fmt.Sprintf("[%s::b]Wallet:[-::-] a %s main address, checksum correct: P2Pool can pay it.", th.good, a.Network))
		}
	})
	answers := func() deploy.Answers {
		text := func(i int) string { return strings.TrimSpace(f.GetFormItem(i).(*tview.InputField).GetText()) }
		_, sc := f.GetFormItem(1).(*tview.DropDown).GetCurrentOption()
		return deploy.Answers{Wallet: text(0), Sidechain: sc, ChainDir: text(2),
			Prune: f.GetFormItem(3).(*tview.Checkbox).IsChecked(), Rigs: text(4), NodeAddress: text(5)}
	}
	f.AddButton("Save", func() {
		if v.saved {
			s.Done(true)
			return
		}
		ans := answers()
		if err := ans.Check(s.Network); err != nil {
			var lines []string
			for _, e := range strings.Split(err.Error(), "\n") {
				lines = append(lines, "• "+e)
			}
			v.note.SetText(fmt.Sprintf("[%s::b]Not saved:[-::-]\n%s", th.bad, tview.Escape(strings.Join(lines, "\n"))))
			return
		}
		plan, err := s.Save(ans)
		if err != nil {
			v.note.SetText(fmt.Sprintf("[%s::b]Not saved:[-::-] %s", th.bad, tview.Escape(err.Error())))
			return
		}
		v.saved = true
		f.GetButton(0).SetLabel("Close")
		f.GetButton(1).SetLabel("Close")
		v.note.SetText("[::b]Saved.[::-] Next: db4e deploy apply\n\n" + tview.Escape(plan))
	})
	f.AddButton("Cancel", func() { s.Done(v.saved) })
	f.SetCancelFunc(func() { s.Done(v.saved) })
	v.AddItem(f, 17, 0, true).AddItem(v.note, 0, 1, false)
	return v
}

// RunSetup shows the form on its own (db4e setup) and returns when the operator leaves;
// saved tells whether the configuration was written.
func RunSetup(opts Options, s Setup) (saved bool, err error) {
	th := newTheme(opts.NoColor)
	th.apply()
	app := tview.NewApplication()
	if opts.Screen != nil {
		app.SetScreen(opts.Screen)
	}
	done := s.Done
	s.Done = func(ok bool) {
		saved = ok
		if done != nil {
			done(ok)
		}
		app.Stop()
	}
	v := s.build(th)
	if err := app.SetRoot(v, true).SetFocus(v.form).Run(); err != nil {
		return saved, errors.Join(errors.New("setup"), err)
	}
	return saved, nil
}

// openSetup shows the form over the dashboard (key S).
func (a *App) openSetup() {
	if a.opts.Setup == nil {
		a.say("setup is not available in the demo: run db4e setup")
		return
	}
	s := *a.opts.Setup
	s.Done = func(saved bool) {
		a.pages.RemovePage("setup")
		a.app.SetFocus(a.focusables()[a.focusIdx])
		if saved {
			a.say("configuration written: restart db4e to use it; db4e deploy apply installs the farm")
		} else {
			a.say("setup left, nothing written")
		}
	}
	v := s.build(a.th)
	a.pages.AddPage("setup", v, true, true)
	a.app.SetFocus(v.form)
}

// showP2PoolStatus shows P2Pool's answer to its status command, asked off the UI goroutine.
func (a *App) showP2PoolStatus() {
	if a.opts.P2PoolStatus == nil {
		a.showResult("P2Pool status", "P2Pool's console is reached through the FIFO db4e deploy sets up (deploy section): not configured here.", false)
		return
	}
	a.showResult("P2Pool status", "asking P2Pool…", true)
	ask := a.opts.P2PoolStatus
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := ask(ctx)
		cancel()
		a.post(func() {
			if err != nil {
				a.showResult("P2Pool status", a.th.paint(a.th.bad, tview.Escape(err.Error())), false)
				return
			}
			a.showResult("P2Pool status", tview.Escape(strings.TrimRight(out, "\n")), false)
		})
	}()
}
