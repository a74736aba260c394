package model

import "fmt"

// Hashrate prints H/s the way miners read it: "950 H/s", "6.20 kH/s", "1.05 MH/s".
func Hashrate(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f GH/s", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2f MH/s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2f kH/s", v/1e3)
	}
	return fmt.Sprintf("%.0f H/s", v)
}
