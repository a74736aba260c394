package model

import "fmt"

// CheckReport is what `db4e check` found.
type CheckReport struct {
	Tables   int      `json:"tables"`
	Keys     int      `json:"keys"`
	Events   int      `json:"events"`
	Days     int      `json:"days"`
	Hosts    int      `json:"hosts"`
	Problems []string `json:"problems,omitempty"`
	// Incomplete says the views lag the log for a known reason (an import or rebuild that
	// stopped, not damage), and what to do.
	Incomplete string `json:"incomplete,omitempty"`
}

// maxProblems bounds the report: a badly damaged store would list every key.
const maxProblems = 50

// Add notes a problem; past maxProblems it says only that there are more.
func (r *CheckReport) Add(format string, a ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "(more problems not listed)")
	}
}
