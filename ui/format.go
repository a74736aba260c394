package ui

import (
	"fmt"
	"math"
	"time"
)

// hashrate prints H/s the way miners read it: "6.20 kH/s".
func hashrate(v float64) string {
	switch {
	case v <= 0 || math.IsNaN(v):
		return "-"
	case v >= 1e9:
		return fmt.Sprintf("%.2f GH/s", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2f MH/s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2f kH/s", v/1e3)
	}
	return fmt.Sprintf("%.0f H/s", v)
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

func plural(n uint64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
