// Package collect reads the farm's state from its sources: monerod's RPC, P2Pool's data-api,
// xmrig's HTTP API and dnsmasq's leases. Each source is a Collector in a file of its own, as
// node_exporter keeps its collectors; the service runs each on its own interval.
package collect

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/db4e/db4e/model"
)

// A Collector asks one source once.
type Collector interface {
	// Name labels the collector's metrics and log lines: monerod, p2pool, xmrig, leases.
	Name() string
	// Interval is how often the service asks.
	Interval() time.Duration
	// Collect asks the source. The result has a health row for every target it asks, up or
	// down, even when err is set; err says the collection did not fully succeed.
	Collect(ctx context.Context, now time.Time) (Result, error)
}

// Result is what one collection learnt.
type Result struct {
	Samples []model.Sample
	Health  []Health
	// Node is monerod's state; nil unless monerod answered.
	Node *NodeInfo
	// Leases is the leases file's current leases; nil unless the file was read.
	Leases []Lease
	// Rigs are the xmrig APIs that answered, with what they said.
	Rigs []Rig
}

// Rig is one miner's xmrig summary, as asked at At.
type Rig struct {
	Name    string
	At      time.Time
	Summary XmrigSummary
}

// HugepagesRatio says what share of xmrig's memory is in huge pages, from [allocated, total] or an
// older xmrig's true or false; ok is false when xmrig did not say.
func (s XmrigSummary) HugepagesRatio() (float64, bool) {
	var pair []float64
	if json.Unmarshal(s.Hugepages, &pair) == nil && len(pair) == 2 && pair[1] > 0 {
		return pair[0] / pair[1], true
	}
	var on bool
	if json.Unmarshal(s.Hugepages, &on) == nil {
		return map[bool]float64{true: 1, false: 0}[on], true
	}
	return 0, false
}

// Health is whether one target answered as it should.
type Health struct {
	Target string // monerod, p2pool, or a miner's name
	Kind   string // monerod, p2pool or xmrig
	Up     bool
	Detail string // why it is down
}

func health(target, kind string, err error) Health {
	h := Health{Target: target, Kind: kind, Up: err == nil}
	if err != nil {
		h.Detail = err.Error()
	}
	return h
}

func client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &http.Client{Timeout: timeout}
}
