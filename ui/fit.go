package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rivo/uniseg"
)

// fitTable draws a table whose first column gives way: before each draw its names are cut with
// … so that every other column fits the pane, however narrow the terminal. tview itself drops
// the rightmost columns that do not fit, and those are the ones an operator needs (a miner's
// state and effort), while a name is still recognisable from its start.
type fitTable struct {
	*tview.Table
	names []string // the first column's texts, unescaped, by row below the heading
}

// Draw fits the first column to the pane's width, then draws the table.
func (f *fitTable) Draw(screen tcell.Screen) {
	_, _, w, _ := f.GetInnerRect()
	f.fit(w)
	f.Table.Draw(screen)
}

// fit shortens the names to what the other columns leave of width w (a space between columns).
func (f *fitTable) fit(w int) {
	rows, cols := f.GetRowCount(), f.GetColumnCount()
	left := w - (cols - 1)
	for c := 1; c < cols; c++ {
		widest := 0
		for r := range rows {
			if cell := f.GetCell(r, c); cell != nil {
				widest = max(widest, tview.TaggedStringWidth(cell.Text))
			}
		}
		left -= widest
	}
	left = max(left, 4) // a name never shrinks to nothing: "ab…" at the least
	for i, name := range f.names {
		if cell := f.GetCell(i+1, 0); cell != nil {
			cell.SetText(tview.Escape(fitWidth(name, left)))
		}
	}
}

// fitWidth is s cut to at most n cells, ending in … when cut.
func fitWidth(s string, n int) string {
	if uniseg.StringWidth(s) <= n {
		return s
	}
	out, width := make([]byte, 0, len(s)), 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		if width+g.Width() > n-1 {
			break
		}
		out = append(out, g.Str()...)
		width += g.Width()
	}
	return string(out) + "…"
}
