package api

import "time"

// The components db4e watches: each is in one state, with since and reason. status, the
// console's header and /metrics all read them.
const (
	ComponentService = "service" // a db4e follows P2Pool's log (the service, or an embedded console)
	ComponentLog     = "log"     // P2Pool's log is there, a regular file, readable
	ComponentStore   = "store"   // the store takes writes (not paused for disk space)
	ComponentMonerod = "monerod" // the node answers and is fit to serve P2Pool
	ComponentP2Pool  = "p2pool"  // P2Pool's data-api is fresh
	ComponentMiners  = "miners"  // every configured xmrig answers
	ComponentCSV     = "csv"     // the CSV files are written (and pushed, with csv.git)
	ComponentAlerts  = "alerts"  // alert hooks run
)

// Component is one part of the farm in one state. Since is when it entered that state, zero
// when this process cannot know (a one-off command).
type Component struct {
	Name   string    `json:"name"`
	Up     bool      `json:"up"`
	Since  time.Time `json:"since,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// Bad lists the components that are not up, as "name: reason".
func Bad(cs []Component) []string {
	var out []string
	for _, c := range cs {
		if !c.Up {
			out = append(out, c.Name+": "+c.Reason)
		}
	}
	return out
}
