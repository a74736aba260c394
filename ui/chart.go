package ui

import (
	"fmt"
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
	title  string
	values []float64
	dates  []string // MM-DD of each value
	format func(float64) string
	// integer series get a decimal on the axis when their top is lower than the rows, so that
	// the labels do not repeat.
	integer bool
	style   tcell.Style
	empty   string
	// group is the fewest days summed into a column: a chartPair sets it so that charts side
	// by side sum the same days.
	group int
}

// chartPair draws two charts side by side, each summing the same days into a column: two
// panes a column apart in width could otherwise sum 12 days in one and 13 in the other, and
// their columns would not be the same days.
type chartPair struct {
	*tview.Box
	left, right *chart
}

func newChartPair(left, right *chart) *chartPair {
	return &chartPair{Box: tview.NewBox(), left: left, right: right}
}

// Draw lays the two charts out, half the width each, and draws them with one grouping.
func (p *chartPair) Draw(screen tcell.Screen) {
	x, y, w, h := p.GetRect()
	p.left.SetRect(x, y, w/2, h)
	p.right.SetRect(x+w/2, y, w-w/2, h)
	group := 1
	for _, c := range []*chart{p.left, p.right} {
		_, _, cw, ch := c.GetInnerRect()
		_, k := c.render(cw, ch, 1)
		group = max(group, k)
	}
	for _, c := range []*chart{p.left, p.right} {
		c.group = group
		c.Draw(screen)
	}
}

func newChart(title string, format func(float64) string, style tcell.Style) *chart {
	c := &chart{Box: tview.NewBox(), format: format, style: style, empty: "no data yet"}
	c.SetBorder(true).SetTitle(" " + title + " ").SetTitleAlign(tview.AlignLeft)
	return c
}

func (c *chart) set(title string, values []float64, dates []string) {
	c.title = title
	c.values, c.dates = values, dates
}

// Draw renders the plot into the pane.
func (c *chart) Draw(screen tcell.Screen) {
	x, y, w, h := c.GetInnerRect()
	lines, perColumn := c.render(w, h, c.group)
	title := c.title
	if perColumn > 1 {
		title += fmt.Sprintf(" · %d-day sums", perColumn)
	}
	c.SetTitle(" " + title + " ")
	c.Box.DrawForSubclass(screen, c)
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

// render returns the plot's lines for a w x h area, and how many days a column sums. Values
// are never resampled, which would shave the peaks: each day gets a whole number of columns,
// or, when the days outnumber the columns, whole numbers of days (at least group) are summed
// into one (the title says so).
func (c *chart) render(w, h, group int) ([]string, int) {
	if len(c.values) == 0 {
		return []string{c.empty}, 1
	}
	if w < 16 || h < 4 {
		return []string{"(too small)"}, 1
	}
	plotHeight := h - 3 // the x axis takes two lines, and asciigraph draws height+1 rows
	for labels := 7; labels <= w-4; labels++ {
		values, dates, perColumn := fitColumns(c.values, c.dates, w-labels, group)
		top := 0.0
		for _, v := range values {
			top = max(top, v)
		}
		format := c.format
		if c.integer && top < float64(plotHeight) {
			format = func(v float64) string { return fmt.Sprintf("%.1f", v) }
		}
		// The last date label hangs past the plot's right edge; where that is all that does
		// not fit, it is left out rather than a day.
		for _, lastLabel := range []bool{true, false} {
			lines := strings.Split(asciigraph.Plot(values,
				asciigraph.Height(plotHeight),
				asciigraph.Offset(2),
				asciigraph.LowerBound(0),
				asciigraph.UpperBound(1e-9), // all-zero days still draw a flat line
				asciigraph.YAxisValueFormatter(func(v float64) string {
					if v < 0 && v > -1e-6 {
						v = 0 // no "-0.0000"
					}
					return format(v)
				}),
				asciigraph.XAxisRange(0, float64(len(values)-1)),
				asciigraph.XAxisTickCount(max(2, min(len(values), (w-labels)/9))),
				asciigraph.XAxisValueFormatter(func(v float64) string {
					i := int(v + 0.5)
					if i < 0 || i >= len(dates) || (!lastLabel && i == len(dates)-1) {
						return ""
					}
					return dates[i]
				}),
			), "\n")
			if maxWidth(lines) <= w {
				return lines, perColumn
			}
		}
	}
	return []string{"(too small)"}, 1
}

// fitColumns stretches or sums the series to at most cols columns without changing any value
// a day had, or the total of any group of days; at least group days (1: each day) are summed
// into a column.
func fitColumns(values []float64, dates []string, cols, group int) ([]float64, []string, int) {
	n := len(values)
	if cols <= 0 {
		return values, dates, 1
	}
	k := max(group, (n+cols-1)/cols, 1)
	if k > 1 {
		var outV []float64
		var outD []string
		for i := 0; i < n; i += k {
			sum := 0.0
			for j := i; j < min(i+k, n); j++ {
				sum += values[j]
			}
			outV = append(outV, sum)
			outD = append(outD, dates[min(i+k, n)-1])
		}
		values, dates, n = outV, outD, len(outV)
	}
	rep := max(cols/n, 1)
	outV := make([]float64, 0, n*rep)
	outD := make([]string, 0, n*rep)
	for i, v := range values {
		for range rep {
			outV = append(outV, v)
			outD = append(outD, dates[i])
		}
	}
	return outV, outD, k
}

func maxWidth(lines []string) int {
	m := 0
	for _, l := range lines {
		m = max(m, utf8.RuneCountInString(l))
	}
	return m
}
