package model

import (
	"math"
	"time"
)

// MoneroStart is the day Monero's chain began (its genesis block, 2014-04-18): nothing a farm
// records is older.
var MoneroStart = time.Date(2014, 4, 18, 0, 0, 0, 0, time.UTC)

// FutureSlack is how far past this machine's clock a record's time may be: a node a little
// ahead, a zone written wrong, not a share dated 2099 that would keep its miner "LAST now".
const FutureSlack = 24 * time.Hour

// TimeProblem says why t cannot be the time of a record read now: before earliest (MoneroStart
// for what P2Pool writes), or more than FutureSlack after now. "" when it can.
func TimeProblem(t, earliest, now time.Time) string {
	switch {
	case t.Before(earliest):
		return "time " + t.UTC().Format(time.DateOnly) + " is before " + earliest.UTC().Format(time.DateOnly)
	case t.After(now.Add(FutureSlack)):
		return "time " + t.UTC().Format(time.DateOnly) + " is more than a day after this machine's clock"
	}
	return ""
}

// KeyTime says whether t fits the store's keys, nanoseconds since 1970 in 64 bits (1970 to
// 2262): a time outside would wrap to another date.
func KeyTime(t time.Time) bool {
	return !t.Before(time.Unix(0, 0)) && t.Before(time.Unix(0, math.MaxInt64))
}
