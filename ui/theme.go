package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// theme uses the 16 basic colours only, so it reads the same on any terminal; with NO_COLOR it
// uses none, and emphasis comes from bold and reverse.
//
// The selection is reverse video in both: every colour here is the terminal's default, and
// tview's own selection swaps foreground and background colours, which swaps default with
// default and shows nothing. Reverse is an attribute the terminal itself applies, so the
// selected row or button stands out on any palette, and a selected red (stale) row stays red.
// Nothing else uses reverse, so a selected row is never mistaken for a marked one.
type theme struct {
	noColor bool
	// colour tags for text views
	accent, good, bad, warn, key string

	normal, heading, staleRow, goodRow tcell.Style
	sharesChart, xmrChart, blocksChart tcell.Style
	border, focusBorder                tcell.Style
	title, focusTitle                  tcell.Color
	// selected is the selected item of a list and the focused button of a dialog.
	selected tcell.Style
}

// selectedOf is how a table cell drawn in style looks when its row is selected.
func selectedOf(style tcell.Style) tcell.Style { return style.Reverse(true) }

func newTheme(noColor bool) theme {
	base := tcell.StyleDefault
	if noColor {
		return theme{noColor: true,
			accent: "", good: "", bad: "", warn: "", key: "",
			normal: base, heading: base.Bold(true), staleRow: base.Bold(true), goodRow: base.Bold(true),
			sharesChart: base, xmrChart: base, blocksChart: base,
			border: base, focusBorder: base.Bold(true), title: tcell.ColorDefault, focusTitle: tcell.ColorDefault,
			selected: base.Reverse(true).Bold(true),
		}
	}
	return theme{
		accent: "green", good: "green", bad: "red", warn: "yellow", key: "yellow",
		normal:      base,
		heading:     base.Foreground(tcell.ColorTeal).Bold(true),
		staleRow:    base.Foreground(tcell.ColorRed).Bold(true),
		goodRow:     base.Foreground(tcell.ColorGreen),
		sharesChart: base.Foreground(tcell.ColorGreen),
		xmrChart:    base.Foreground(tcell.ColorYellow),
		blocksChart: base.Foreground(tcell.ColorTeal),
		border:      base,
		focusBorder: base.Foreground(tcell.ColorYellow),
		title:       tcell.ColorDefault,
		focusTitle:  tcell.ColorYellow,
		selected:    base.Reverse(true).Bold(true),
	}
}

// apply sets tview's defaults to the terminal's own background and the basic palette.
func (t theme) apply() {
	tview.Styles = tview.Theme{
		PrimitiveBackgroundColor:    tcell.ColorDefault,
		ContrastBackgroundColor:     tcell.ColorDefault,
		MoreContrastBackgroundColor: tcell.ColorDefault,
		BorderColor:                 tcell.ColorDefault,
		TitleColor:                  tcell.ColorDefault,
		GraphicsColor:               tcell.ColorDefault,
		PrimaryTextColor:            tcell.ColorDefault,
		SecondaryTextColor:          tcell.ColorDefault,
		TertiaryTextColor:           tcell.ColorDefault,
		InverseTextColor:            tcell.ColorDefault,
		ContrastSecondaryTextColor:  tcell.ColorDefault,
	}
	if !t.noColor {
		tview.Styles.SecondaryTextColor = tcell.ColorYellow
		tview.Styles.TertiaryTextColor = tcell.ColorGreen
	}
}

// paint wraps text in a colour tag, bold; without colours, bold only.
func (t theme) paint(color, text string) string {
	if t.noColor || color == "" {
		return "[::b]" + text + "[::-]"
	}
	return "[" + color + "::b]" + text + "[-::-]"
}

// paneTitle is a pane's title, marked when the pane has the keys: ▶ before it, and in reverse
// video without colours (a bold border alone is not visible on every terminal).
func (t theme) paneTitle(title string, focused bool) string {
	if !focused {
		return " " + title + " "
	}
	if t.noColor {
		return " [::r]▶ " + title + "[::-] "
	}
	return " ▶ " + title + " "
}
