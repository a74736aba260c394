package api

import (
	"time"

	"github.com/db4e/db4e/model"
)

// MinerQuery names the miner to show.
type MinerQuery struct {
	Host string `json:"host"`
	Days int    `json:"days"` // shares per day over this many days, today included
}

// MinerDetail is one miner's own view: the console opens it with Enter on a miner.
type MinerDetail struct {
	Row MinerRow `json:"row"`
	// Hashrate is its hashrate over the last day: xmrig's 60 s figure where it has one, else
	// what P2Pool reports of the worker.
	Hashrate []model.Sample `json:"hashrate"`
	// Days are its shares a day, oldest first.
	Days []DayCount `json:"days"`
	// Shares are its latest shares, newest first, with their effort.
	Shares []model.Event `json:"shares"`
	// Actions and Alerts are its restarts and alerts, newest first.
	Actions []model.Event `json:"actions"`
	Alerts  []model.Event `json:"alerts"`
	// Xmrig is what its xmrig API said last; nil when it has none configured or it never answered.
	Xmrig *XmrigStatus `json:"xmrig,omitempty"`
	// API is how the last poll of its xmrig API went (Detail says why it failed: a wrong
	// token, refused, a timeout); nil when it has none configured or it was never polled.
	API *HealthRow `json:"api,omitempty"`
}

// DayCount is one day's count.
type DayCount struct {
	Date  string `json:"date"`
	Count uint64 `json:"count"`
}

// XmrigStatus is a miner's xmrig, as its API last answered.
type XmrigStatus struct {
	At          time.Time `json:"at"`
	Version     string    `json:"version"`
	UptimeS     uint64    `json:"uptime_s"`
	Accepted    uint64    `json:"accepted"`
	Rejected    uint64    `json:"rejected"`
	Hugepages   float64   `json:"hugepages"` // the share of memory in huge pages, 0 to 1; -1 unknown
	Hashrate10s float64   `json:"hashrate_10s"`
	Hashrate60s float64   `json:"hashrate_60s"`
	Hashrate15m float64   `json:"hashrate_15m"`
	Pool        string    `json:"pool"`
}
