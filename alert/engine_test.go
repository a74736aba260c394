package alert

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func engine() *Engine {
	return &Engine{Rules: map[string]RuleConfig{"r": {Enabled: true, For: 5 * time.Minute, Clear: 2 * time.Minute}}}
}

// feed runs the engine once a minute with active taken from pattern ('#' active, '.' not).
func feed(e *Engine, start time.Time, pattern string) []Transition {
	var out []Transition
	for i, c := range pattern {
		out = append(out, e.Evaluate(start.Add(time.Duration(i)*time.Minute), []Condition{{Rule: "r", Target: "rig-01", Active: c == '#', Detail: "d"}})...)
	}
	return out
}

func states(ts []Transition) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.State+"@"+t.Time.Format("15:04"))
	}
	return strings.Join(s, " ")
}

func TestAlertLifeCycle(t *testing.T) {
	for _, tt := range []struct {
		name, pattern, want string
	}{
		{"fires after its duration, once", "########", "fired@12:05"},
		{"a blip shorter than the duration never fires", "####....####.", ""},
		{"resolves once the condition is gone for clear", "######.....", "fired@12:05 resolved@12:08"},
		{"a flapping value is one notification", "######.#.#.#.#.#.....", "fired@12:05 resolved@12:18"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := states(feed(engine(), t0, tt.pattern)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
