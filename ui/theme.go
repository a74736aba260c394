package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// theme uses the 16 basic colours only, so it reads the same on any terminal; with NO_COLOR it
// uses none, and emphasis comes from bold and reverse.
type theme struct {
	noColor bool
	// colour tags for text views
	accent, good, bad, warn, key string

	normal, heading, staleRow, goodRow tcell.Style
	sharesChart, xmrChart, blocksChart tcell.Style
	border, focusBorder                tcell.Style
	title, focusTitle                  tcell.Color
}

func newTheme(noColor bool) theme {
	base := tcell.StyleDefault
	if noColor {
		return theme{noColor: true,
			accent: "", good: "", bad: "", warn: "", key: "",
			normal: base, heading: base.Bold(true), staleRow: base.Reverse(true), goodRow: base.Bold(true),
			sharesChart: base, xmrChart: base, blocksChart: base,
			border: base, focusBorder: base.Bold(true), title: tcell.ColorDefault, focusTitle: tcell.ColorDefault,
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
