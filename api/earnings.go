package api

import "time"

// Figure is one estimate: its value, or why there is none (an input missing or stale). The
// console shows "–" and the reason rather than a number it cannot stand behind.
type Figure struct {
	Value float64 `json:"value"`
	Why   string  `json:"why,omitempty"`
}

// Ok says the figure has a value.
func (f Figure) Ok() bool { return f.Why == "" }

// Have is a figure with a value.
func Have(v float64) Figure { return Figure{Value: v} }

// Missing is a figure without one, and why.
func Missing(why string) Figure { return Figure{Why: why} }

// Earnings answers "is my farm earning as it should?" (package earnings has the formulas).
type Earnings struct {
	TodayShares uint64 `json:"today_shares"`
	// DailyAverage is shares a day over the 7 days before today.
	DailyAverage Figure    `json:"daily_average"`
	LastShare    time.Time `json:"last_share,omitzero"`
	// Hashrate is the farm's now (H/s); Hashrate24h its average over a day, as P2Pool counts it.
	Hashrate    Figure `json:"hashrate"`
	Hashrate24h Figure `json:"hashrate_24h"`
	// WindowShares are our shares in the PPLNS window, which spans WindowBlocks sidechain
	// blocks, about WindowSeconds.
	WindowShares  Figure `json:"window_shares"`
	WindowBlocks  Figure `json:"window_blocks"`
	WindowSeconds Figure `json:"window_seconds"`
	// Effort is the hashes since our last share against a share's difficulty, in percent;
	// AverageEffort P2Pool's average over our shares.
	Effort        Figure `json:"effort"`
	AverageEffort Figure `json:"average_effort"`
	// TimeToShare is the expected seconds to our next share.
	TimeToShare Figure `json:"time_to_share"`
	// PerBlock is what a Monero block found by the pool pays us, PerDay what we earn a day on
	// average; both in piconero.
	PerBlock Figure `json:"per_block"`
	PerDay   Figure `json:"per_day"`
	// MinersUp, MinersStale and MinersDown count the miners by state.
	MinersUp    int `json:"miners_up"`
	MinersStale int `json:"miners_stale"`
	MinersDown  int `json:"miners_down"`
}
