package api

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/db4e/db4e/alert"
)

// StatusReport is `db4e status`: the farm's health in one go.
type StatusReport struct {
	Now time.Time `json:"now"`
	// Components is every part db4e watches, in a fixed order; status exits 1 while one is bad.
	Components []Component `json:"components"`
	Health     []HealthRow `json:"health"`
	// Miners are the miners with their state (MinerState), as the console's table shows them.
	Miners    []MinerRow       `json:"miners"`
	Node      NodeStatus       `json:"node"`
	Inventory []InventoryMiner `json:"inventory,omitempty"`
	Ingest    IngestStatus     `json:"ingest"`
	Events    int              `json:"events"`
	Skipped   uint64           `json:"skipped"`
	DataDir   string           `json:"data_dir"`
	Alerts    []alert.Alert    `json:"alerts,omitempty"`
	// Payouts is how the checks of the payouts on the chain go.
	Payouts PayoutCheck `json:"payouts"`
}

// Problems is what makes `db4e status` exit 1, shortest first: the polled targets that are
// down by name, then every other bad component with its reason, then the open alerts.
func (s StatusReport) Problems() []string {
	out := s.downTargets()
	for _, c := range s.Components {
		if c.Up || s.hasRows(componentKinds[c.Name]) { // a target's row already named it
			continue
		}
		out = append(out, c.Name+" ("+c.Reason+")")
	}
	return append(out, s.openAlerts()...)
}

// Down lists the polled targets that are down, the open alerts, and a paused ingest.
func (s StatusReport) Down() []string {
	out := append(s.downTargets(), s.openAlerts()...)
	if s.Ingest.Paused != "" {
		out = append(out, "ingest paused")
	}
	return out
}

// componentKinds are the components that fold polled targets of one kind.
var componentKinds = map[string]string{ComponentMonerod: "monerod", ComponentP2Pool: "p2pool", ComponentMiners: "xmrig"}

// hasRows says whether a polled target of kind has a row; no kind has none.
func (s StatusReport) hasRows(kind string) bool {
	for _, h := range s.Health {
		if kind != "" && h.Kind == kind {
			return true
		}
	}
	return false
}

// alertsOn names the open alerts about miner host (their target is the miner, a group/host
// of it, or a group it is a member of).
func (s StatusReport) alertsOn(host string) string {
	var out []string
	for _, a := range s.Alerts {
		if AlertOnMiner(a, host) {
			out = append(out, "alert "+a.Rule)
		}
	}
	if len(out) == 0 {
		return "alert"
	}
	return strings.Join(out, ", ")
}

// hasTarget says whether a polled target is named host.
func (s StatusReport) hasTarget(host string) bool {
	return slices.ContainsFunc(s.Health, func(h HealthRow) bool { return h.Name == host })
}

func (s StatusReport) downTargets() []string {
	var out []string
	for _, h := range s.Health {
		if !h.Up {
			out = append(out, h.Name)
		}
	}
	return out
}

func (s StatusReport) openAlerts() []string {
	var out []string
	for _, a := range s.Alerts {
		out = append(out, "alert "+a.Rule+" "+a.Target)
	}
	return out
}

// WriteText prints the report for a terminal: the components, then each miner, then the
// open alerts.
func (s StatusReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name string, up bool, since time.Time, why string) {
		state, when := "up", "-"
		if !up {
			state = "DOWN"
		}
		if !since.IsZero() {
			when = since.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, state, when, why)
	}
	fmt.Fprintln(tw, "COMPONENT\tSTATE\tSINCE\tREASON")
	for _, c := range s.Components {
		row(c.Name, c.Up, c.Since, c.Reason)
	}
	// Each rig polled, and each other miner with an alert of its own, in the words of the
	// console's table: DOWN (its xmrig does not answer), ALERT (an alert about it fires).
	state := map[string]string{}
	for _, m := range s.Miners {
		state[m.Host] = m.State
	}
	for _, h := range s.Health {
		if h.Kind != "xmrig" {
			continue
		}
		if !h.Up || state[h.Name] != MinerAlert {
			row("  "+h.Name, h.Up, h.Since, h.Detail)
			continue
		}
		fmt.Fprintf(tw, "  %s\tALERT\t%s\t%s\n", h.Name, h.Since.Format("2006-01-02 15:04:05"), s.alertsOn(h.Name))
		delete(state, h.Name)
	}
	for _, m := range s.Miners {
		if state[m.Host] == MinerAlert && !s.hasTarget(m.Host) {
			fmt.Fprintf(tw, "  %s\tALERT\t-\t%s\n", m.Host, s.alertsOn(m.Host))
		}
	}
	for _, a := range s.Alerts {
		fmt.Fprintf(tw, "alert %s\tFIRING\t%s\t%s %s\n", a.Rule, a.Since.Format("2006-01-02 15:04:05"), a.Target, a.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !s.Node.At.IsZero() {
		offline := ""
		if s.Node.Offline {
			offline = ", offline"
		}
		fmt.Fprintf(w, "node: height %d of %d, synchronized %v%s, %d in / %d out\n", s.Node.Height, s.Node.TargetHeight, s.Node.Synchronized, offline, s.Node.Incoming, s.Node.Outgoing)
	}
	present := 0
	for _, m := range s.Inventory {
		if m.Present {
			present++
		}
	}
	if len(s.Inventory) > 0 {
		fmt.Fprintf(w, "leases: %d miner(s) present of %d known\n", present, len(s.Inventory))
	}
	fmt.Fprintf(w, "payouts: %s\n", s.Payouts.Words())
	fmt.Fprintf(w, "store: %s, %d events, %d bad records skipped\n", s.DataDir, s.Events, s.Skipped)
	_, err := fmt.Fprintf(w, "log: %s", s.Ingest.Path)
	if s.Ingest.Following {
		fmt.Fprintf(w, " (followed by the service)")
	}
	if s.Ingest.Paused != "" {
		fmt.Fprintf(w, "\n  PAUSED: %s", s.Ingest.Paused)
	}
	fmt.Fprintln(w)
	return err
}

// HealthRow is the state of one polled target.
type HealthRow struct {
	Name    string    `json:"name"`
	Kind    string    `json:"kind"` // monerod, p2pool, xmrig
	Up      bool      `json:"up"`
	Since   time.Time `json:"since"`   // when it last went up or down
	Checked time.Time `json:"checked"` // last poll
	Detail  string    `json:"detail,omitempty"`
}

// NodeStatus is monerod's latest answer.
type NodeStatus struct {
	Height       uint64    `json:"height"`
	TargetHeight uint64    `json:"target_height"`
	Synchronized bool      `json:"synchronized"`
	Offline      bool      `json:"offline"`
	Incoming     uint64    `json:"incoming"`
	Outgoing     uint64    `json:"outgoing"`
	At           time.Time `json:"at"`
}

// InventoryMiner is a miner known from DHCP leases.
type InventoryMiner struct {
	MAC       string    `json:"mac"`
	IP        string    `json:"ip"`
	Name      string    `json:"name"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Present   bool      `json:"present"`
}
