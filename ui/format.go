package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// hashrate prints H/s the way miners read it, "6.20 kH/s", and "-" for none.
func hashrate(v float64) string {
	if v <= 0 || math.IsNaN(v) {
		return "-"
	}
	return model.Hashrate(v)
}

// ago prints how long ago t was, coarsely: "42s", "5m", "3h", "2d".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// count is a large number in four figures: 129.0M, 2.16k, 812.
func count(v float64) string {
	for _, u := range []struct {
		scale  float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.scale {
			return fmt.Sprintf("%.1f%s", v/u.scale, u.suffix)
		}
	}
	return fmt.Sprintf("%.0f", v)
}

// hashUnit is the scale and unit a hashrate reads best in.
func hashUnit(v float64) (float64, string) {
	switch {
	case v >= 1e9:
		return 1e9, "GH/s"
	case v >= 1e6:
		return 1e6, "MH/s"
	case v >= 1e3:
		return 1e3, "kH/s"
	}
	return 1, "H/s"
}

// span is a duration of seconds in two units at most: 45s, 12m, 2h47m, 3d4h.
func span(sec float64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// percent is an effort: 48%, 121%.
func percent(v float64) string { return fmt.Sprintf("%.0f%%", v) }

// xmr is an estimate in piconero as XMR with four significant digits: 0.001853.
// xmrOf is an exact amount the way xmr shows a figure.
func xmrOf(p model.Piconero) string { return xmr(p.Float() * 1e12) }

func xmr(pico float64) string {
	v := pico / 1e12
	if v <= 0 {
		return "0"
	}
	digits := max(0, 3-int(math.Floor(math.Log10(v))))
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func plural(n uint64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
