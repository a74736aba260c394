// Package api is the Console contract: what an operator sees and does, the types it speaks in,
// and its transport over the service's socket, derived from one table of routes. It knows
// nothing of the store: the console UI depends on it alone.
package api

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/model"
)

// Console is what an operator sees and does. ops.Local works on a store in this process; Remote
// asks the service over its socket. The console UI and every subcommand use only this.
type Console interface {
	// Mode is "embedded" (this process has the store) or "attached" (the service has it).
	Mode() string
	Snapshot(ctx context.Context, q SnapshotQuery) (Snapshot, error)
	Report(ctx context.Context, q ReportQuery) (Report, error)
	Rebuild(ctx context.Context) (int, error)
	// Import reads one file or stream (plain, gzip, bzip2 or zstd) in the given format.
	Import(ctx context.Context, format, source string, r io.Reader) (ImportResult, error)
	ExportJSONSeq(ctx context.Context, from, to time.Time, w io.Writer) error
	// Watch returns when the data changed after version since (or ctx ends), with the new
	// version; a console redraws on it.
	Watch(ctx context.Context, since uint64) (uint64, error)
	// Record stores an action event (who restarted what, with which result).
	Record(ctx context.Context, e model.Event) error
	// Backup writes a snapshot into dir (empty: the configured one), with retention.
	Backup(ctx context.Context, dir string) (BackupResult, error)
	// BackupStream writes the store's snapshot stream to w.
	BackupStream(ctx context.Context, w io.Writer) error
	// Status is the health of monerod, P2Pool, the miners and the store.
	Status(ctx context.Context) (StatusReport, error)
	// Check verifies the whole store and lists what is damaged.
	Check(ctx context.Context) (model.CheckReport, error)
	// Miner is one miner's own view (ErrInvalid for a host the store does not know).
	Miner(ctx context.Context, q MinerQuery) (MinerDetail, error)
	// Acknowledge resolves an alert that waits for an operator's word (log_unread: part of the
	// log was lost unread); ErrInvalid for any other rule.
	Acknowledge(ctx context.Context, rule string) error
	// Payouts lists every payout with what the node and the wallet say of it.
	Payouts(ctx context.Context) (Payouts, error)
	// Yield asks an embedded console to hand its store to a service that is starting: it
	// stops following the log, closes the store and attaches to the service. Anything else
	// (the service itself) answers ErrInvalid.
	Yield(ctx context.Context) error
}

// The modes of a Console.
const (
	ModeEmbedded = "embedded" // this process has the store
	ModeAttached = "attached" // the service has it
)

// SnapshotQuery asks for what the dashboard shows.
type SnapshotQuery struct {
	Days   int `json:"days"`   // chart range, counted back from today
	Events int `json:"events"` // newest events wanted
}

// Snapshot is everything the dashboard draws, read in one go so that drawing never waits on
// the store.
type Snapshot struct {
	Now     time.Time     `json:"now"`
	Version uint64        `json:"version"`
	Mode    string        `json:"mode"`
	Days    []ReportDay   `json:"days"` // every day of the range, oldest first, empty days included
	Today   ReportDay     `json:"today"`
	Miners  []MinerRow    `json:"miners"`
	Recent  []model.Event `json:"recent"` // newest first
	Pool    PoolStatus    `json:"pool"`
	Ingest  IngestStatus  `json:"ingest"`
	Skipped uint64        `json:"skipped"`
	Health  []HealthRow   `json:"health,omitempty"`
	Node    NodeStatus    `json:"node"`
	Alerts  []alert.Alert `json:"alerts,omitempty"` // open, oldest first
	// Earnings are the figures of the first screen: today against usual, the PPLNS window,
	// effort, time to a share, XMR a day.
	Earnings Earnings `json:"earnings"`
	// Components is the same health model as status'.
	Components []Component `json:"components,omitempty"`
	// Inventory is the miners known from DHCP leases.
	Inventory []InventoryMiner `json:"inventory,omitempty"`
	// PayoutCheck is how the checks of the payouts on the chain go (the header's "unchecked").
	PayoutCheck PayoutCheck `json:"payout_check"`
}

// MinerRow is one line of the miners table.
type MinerRow struct {
	Host        string    `json:"host"`
	SharesToday uint64    `json:"shares_today"`
	Shares      uint64    `json:"shares"`
	LastShare   time.Time `json:"last_share"`
	Effort      float64   `json:"effort"`
	Hashrate    float64   `json:"hashrate"` // H/s, latest sample: xmrig's 60 s where it is newer, else P2Pool's
	HashrateAt  time.Time `json:"hashrate_at"`
	// HashrateStale says Hashrate is not current: older than twice its source's poll interval,
	// or its xmrig API stopped answering. It is its last figure, not what it mines now.
	HashrateStale bool `json:"hashrate_stale,omitempty"`
	// SeenAt is its xmrig API's last answer, hashrate or not (an xmrig that is starting).
	SeenAt time.Time `json:"seen_at,omitzero"`
	// State is the one word for it, the same in the table, the alerts and status: ok, stale,
	// down or alert (MinerState).
	State string `json:"state"`
	Stale bool   `json:"stale"` // silent (no share, no sample) for longer than stale_after
	// Down is set when the miner's xmrig API stopped answering.
	Down bool `json:"down,omitempty"`
	// Alert is set while an alert about the miner is open.
	Alert bool `json:"alert,omitempty"`
}

// LastSeen is the latest sign of life of the miner: a share, a hashrate, an xmrig answer.
func (m MinerRow) LastSeen() time.Time {
	last := m.LastShare
	for _, t := range []time.Time{m.HashrateAt, m.SeenAt} {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// AboutMiner says whether an action's or alert's target is the miner host: its name, or a
// target of a hosts list named group/host.
func AboutMiner(target, host string) bool {
	return target == host || strings.HasSuffix(target, "/"+host)
}

// AlertOnMiner says whether alert a is about miner host: its target, or a group it is in.
func AlertOnMiner(a alert.Alert, host string) bool {
	return AboutMiner(a.Target, host) || slices.Contains(a.Members, host)
}

// The states of a miner.
const (
	MinerOK    = "ok"
	MinerStale = "stale" // no share, hashrate or xmrig answer for longer than miners.stale_after
	MinerDown  = "down"  // its xmrig API stopped answering
	MinerAlert = "alert" // an alert about it is open
)

// MinerState is the one definition of a miner's state: down says the most (its xmrig does not
// answer), then an open alert, then silence.
func MinerState(m MinerRow) string {
	switch {
	case m.Down:
		return MinerDown
	case m.Alert:
		return MinerAlert
	case m.Stale:
		return MinerStale
	}
	return MinerOK
}

// PoolStatus is what P2Pool's own status says, from its latest samples.
type PoolStatus struct {
	SidechainHashrate float64   `json:"sidechain_hashrate"`
	MainchainHashrate float64   `json:"mainchain_hashrate"`
	OurHashrate       float64   `json:"our_hashrate"`
	At                time.Time `json:"at"`
}

// IngestStatus says whether the log is being read.
type IngestStatus struct {
	Path      string `json:"path"`
	Following bool   `json:"following"`
	// Started is when this process began following; LastLine is when it last read a line (zero
	// until it has read one); LastBatch when it last stored events.
	Started   time.Time `json:"started,omitzero"`
	LastBatch time.Time `json:"last_batch"`
	LastLine  time.Time `json:"last_line"`
	Error     string    `json:"error,omitempty"`
	// Paused says why nothing is read from the log now (the disk is full).
	Paused string `json:"paused,omitempty"`
}
