package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/guptarohit/asciigraph"
	"github.com/rivo/tview"
)

// chart draws one daily series with asciigraph, sized to its pane at every draw: it holds its
// data, so drawing never waits on anything.
type chart struct {
	*tview.Box
	values []float64
	dates  []string // MM-DD of each value
	format func(float64) string
	style  tcell.Style
	empty  string
}

func newChart(title string, format func(float64) string, style tcell.Style) *chart {
	c := &chart{Box: tview.NewBox(), format: format, style: style, empty: "no data yet"}
	c.SetBorder(true).SetTitle(" " + title + " ").SetTitleAlign(tview.AlignLeft)
	return c
}

func (c *chart) set(title string, values []float64, dates []string) {
	c.SetTitle(" " + title + " ")
	c.values, c.dates = values, dates
}

// Draw renders the plot into the pane.
func (c *chart) Draw(screen tcell.Screen) {
	c.Box.DrawForSubclass(screen, c)
	x, y, w, h := c.GetInnerRect()
	lines := c.render(w, h)
	for i, line := range lines {
		if i >= h {
			break
		}
		col := x
		for _, r := range line {
			if col >= x+w {
				break
			}
			screen.SetContent(col, y+i, r, nil, c.style)
			col++
		}
	}
}

// render returns the plot's lines for a w x h area.
func (c *chart) render(w, h int) []string {
	if len(c.values) == 0 {
		return []string{c.empty}
	}
	if w < 16 || h < 4 {
		return []string{"(too small)"}
	}
	plotHeight := h - 3 // the x axis takes two lines, and asciigraph draws height+1 rows
	ticks := max(2, min(len(c.values), w/9))
	plot := func(width int) []string {
		out := asciigraph.Plot(c.values,
			asciigraph.Height(plotHeight),
			asciigraph.Width(width),
			asciigraph.LowerBound(0),
			asciigraph.UpperBound(1e-9), // all-zero days still draw a flat line
			asciigraph.YAxisValueFormatter(c.format),
			asciigraph.XAxisRange(0, float64(len(c.values)-1)),
			asciigraph.XAxisTickCount(ticks),
			asciigraph.XAxisValueFormatter(func(v float64) string {
				i := int(v + 0.5)
				if i < 0 || i >= len(c.dates) {
					return ""
				}
				return c.dates[i]
			}),
		)
		return strings.Split(out, "\n")
	}
	width := w - 10
	lines := plot(width)
	// asciigraph's width is the plot's, without the y labels: fit the whole to the pane.
	if over := maxWidth(lines) - w; over > 0 && width-over >= 4 {
		lines = plot(width - over)
	}
	return lines
}

func maxWidth(lines []string) int {
	m := 0
	for _, l := range lines {
		m = max(m, utf8.RuneCountInString(l))
	}
	return m
}
