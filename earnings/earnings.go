// Package earnings answers "is my farm earning as it should?" from what P2Pool publishes and
// from our own shares: pure functions, each with its formula, and no I/O.
package earnings

import (
	"math"
	"time"
)

// DayHashes is the hashes one H/s makes in a day.
const DayHashes = 86400

// SharesInWindow counts our shares still in the PPLNS window: those whose sidechain height is
// within the window's last size blocks, tip included:
//
//	tip - size < height <= tip
//
// A share at a height above tip (a newer tip than the one asked) counts too.
func SharesInWindow(heights []uint64, tip, size uint64) int {
	if size == 0 {
		return 0
	}
	n := 0
	for _, h := range heights {
		if h+size > tip {
			n++
		}
	}
	return n
}

// WindowDuration is how long the PPLNS window spans: size sidechain blocks of
// sidechainDifficulty / poolHashrate seconds each (P2Pool's pool/stats derives its hashRate as
// difficulty / block time, so this gives the block time back).
//
//	duration = size × difficulty / hashrate
func WindowDuration(size uint64, difficulty, poolHashrate float64) (time.Duration, bool) {
	if size == 0 || difficulty <= 0 || poolHashrate <= 0 {
		return 0, false
	}
	return seconds(float64(size) * difficulty / poolHashrate)
}

// TimeToShare is the expected time to our next share: a share needs difficulty hashes on
// average, and we make hashrate a second.
//
//	time = difficulty / hashrate
func TimeToShare(difficulty, hashrate float64) (time.Duration, bool) {
	if difficulty <= 0 || hashrate <= 0 {
		return 0, false
	}
	return seconds(difficulty / hashrate)
}

// Effort is the hashes spent since the last share against what a share needs, in percent:
//
//	effort = 100 × hashes / difficulty
//
// From the log alone, hashes is our hashrate times the time since our last share.
func Effort(hashes, difficulty float64) (float64, bool) {
	if difficulty <= 0 || hashes < 0 {
		return 0, false
	}
	return 100 * hashes / difficulty, true
}

// PerBlock is what one Monero block found by the pool pays us, in atomic units (piconero):
// our block_reward_share_percent of the block's reward.
//
//	per block = reward × share% / 100
func PerBlock(reward uint64, sharePercent float64) (float64, bool) {
	if reward == 0 || sharePercent < 0 || sharePercent > 100 {
		return 0, false
	}
	return float64(reward) * sharePercent / 100, true
}

// PoolBlocksPerDay is how many Monero blocks the pool finds a day on average: a block needs
// the network's difficulty in hashes, and the pool makes poolHashrate a second.
//
//	blocks/day = poolHashrate × 86400 / networkDifficulty
func PoolBlocksPerDay(poolHashrate, networkDifficulty float64) (float64, bool) {
	if poolHashrate <= 0 || networkDifficulty <= 0 {
		return 0, false
	}
	return poolHashrate * DayHashes / networkDifficulty, true
}

// PerDay is what we earn a day on average, in piconero: what a block pays us, times the
// pool's blocks a day.
//
//	per day = per block × blocks/day
func PerDay(perBlock, blocksPerDay float64) float64 { return perBlock * blocksPerDay }

// DailyAverage is the mean of the counts of the days before today (today is not over).
func DailyAverage(counts []uint64) (float64, bool) {
	if len(counts) == 0 {
		return 0, false
	}
	var sum uint64
	for _, c := range counts {
		sum += c
	}
	return float64(sum) / float64(len(counts)), true
}

func seconds(s float64) (time.Duration, bool) {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 || s > float64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)).Round(time.Second), true
}
