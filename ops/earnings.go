package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/earnings"
	"github.com/db4e/db4e/model"
)

// maxWindowLookBack bounds the share events read to count those in the PPLNS window.
const maxWindowLookBack = 7 * 24 * time.Hour

// inputs are the latest samples the earnings read, each judged fresh or not.
type inputs struct {
	latest map[string]model.Sample
	now    time.Time
	maxAge time.Duration
	why    string // what is missing when a series is absent
}

// get is a fresh sample's value, or why there is none.
func (in inputs) get(series string) (float64, string) {
	s, ok := in.latest[series]
	switch {
	case !ok:
		return 0, in.why
	case in.now.Sub(s.Time) > in.maxAge:
		return 0, fmt.Sprintf("P2Pool's data-api not updated for %s", in.now.Sub(s.Time).Round(time.Minute))
	}
	return s.Value, ""
}

// figure is get as an api.Figure.
func (in inputs) figure(series string) api.Figure {
	v, why := in.get(series)
	if why != "" {
		return api.Missing(why)
	}
	return api.Have(v)
}

// freshFor is how old a data-api figure may be and still be shown.
func (l *Local) freshFor() time.Duration {
	return max(3*l.Cfg.P2Pool.APIInterval, l.Cfg.P2Pool.APIMaxAge, 2*time.Minute)
}

// earnings are the first screen's figures: from P2Pool's data-api when it is fresh, from the
// log (our shares, their difficulty and effort) and the miners' hashrates otherwise.
func (l *Local) earnings(ctx context.Context, now time.Time, today api.ReportDay, miners []api.MinerRow) (api.Earnings, error) {
	e := api.Earnings{TodayShares: today.Shares}
	latest := map[string]model.Sample{}
	for _, prefix := range []string{"pool/", "network/"} {
		m, err := l.Store.Latest(prefix)
		if err != nil {
			return e, err
		}
		for k, v := range m {
			latest[k] = v
		}
	}
	in := inputs{latest: latest, now: now, maxAge: l.freshFor(), why: "P2Pool has not published it yet"}
	if l.Cfg.P2Pool.DataAPI == "" {
		in.why = "needs p2pool.data_api"
	}

	// Today against the 7 days before it.
	loc := l.Store.Location()
	day := now.In(loc)
	days, err := l.Store.Days(day.AddDate(0, 0, -7).Format(time.DateOnly), day.AddDate(0, 0, -1).Format(time.DateOnly))
	if err != nil {
		return e, err
	}
	shares := make(map[string]uint64, len(days))
	for _, d := range days {
		shares[d.Date] = d.Shares
	}
	counts := make([]uint64, 7) // days without a share are days of 0
	for i := range counts {
		counts[i] = shares[day.AddDate(0, 0, -1-i).Format(time.DateOnly)]
	}
	avg, _ := earnings.DailyAverage(counts)
	e.DailyAverage = api.Have(avg)

	// The farm's hashrate: P2Pool's count of what reaches it, else the miners' own.
	e.Hashrate = in.figure("pool/hashrate_15m")
	if !e.Hashrate.Ok() {
		var sum float64
		for _, m := range miners {
			if !m.HashrateAt.IsZero() && !m.HashrateStale {
				sum += m.Hashrate
			}
		}
		if sum > 0 {
			e.Hashrate = api.Have(sum)
		}
	}
	e.Hashrate24h = in.figure("pool/hashrate_24h")
	for _, m := range miners {
		switch state := api.MinerState(m); {
		case state == api.MinerDown:
			e.MinersDown++
		case m.Stale: // silent, alerted or not
			e.MinersStale++
		default:
			e.MinersUp++
		}
		if m.LastShare.After(e.LastShare) {
			e.LastShare = m.LastShare
		}
	}

	// The PPLNS window and our shares in it.
	size, whySize := in.get("pool/window_size")
	tip, whyTip := in.get("pool/sidechain_height")
	sideDiff, whyDiff := in.get("pool/sidechain_difficulty")
	poolRate, whyPool := in.get("pool/sidechain_hashrate")
	lookBack := maxWindowLookBack
	switch {
	case whySize != "":
		e.WindowBlocks, e.WindowSeconds = api.Missing(whySize), api.Missing(whySize)
	case firstOf(whyDiff, whyPool) != "":
		e.WindowBlocks, e.WindowSeconds = api.Have(size), api.Missing(firstOf(whyDiff, whyPool))
	default:
		e.WindowBlocks = api.Have(size)
		if d, ok := earnings.WindowDuration(uint64(size), sideDiff, poolRate); ok {
			e.WindowSeconds = api.Have(d.Seconds())
			lookBack = min(2*d, maxWindowLookBack)
		} else {
			e.WindowSeconds = api.Missing("no pool hashrate")
		}
	}
	var heights []uint64
	var last *model.Event
	var effortSum float64
	err = l.Store.Events(ctx, now.Add(-lookBack), now.Add(time.Minute), func(ev *model.Event) error {
		if ev.Kind == model.KindShare {
			heights = append(heights, ev.SideHeight)
			effortSum += ev.Effort
			c := *ev
			last = &c
		}
		return nil
	})
	if err != nil {
		return e, err
	}
	if last != nil { // the newest share read; the miners' views hold older ones too
		e.LastShare = last.Time
	}
	if whySize == "" && whyTip == "" {
		e.WindowShares = api.Have(float64(earnings.SharesInWindow(heights, uint64(tip), uint64(size))))
	} else {
		e.WindowShares = api.Missing(firstOf(whySize, whyTip))
	}

	// Effort and the time to a share: P2Pool's own figures, else from our last share in the
	// log (its difficulty, and the hashes since at the farm's hashrate).
	e.Effort, e.AverageEffort = in.figure("pool/current_effort"), in.figure("pool/average_effort")
	if whyDiff != "" && last != nil && last.Difficulty > 0 {
		sideDiff, whyDiff = float64(last.Difficulty), ""
	}
	if !e.Effort.Ok() && whyDiff == "" && e.Hashrate.Ok() && last != nil {
		if v, ok := earnings.Effort(e.Hashrate.Value*now.Sub(last.Time).Seconds(), sideDiff); ok {
			e.Effort = api.Have(v)
		}
	}
	if !e.AverageEffort.Ok() && len(heights) > 0 {
		e.AverageEffort = api.Have(effortSum / float64(len(heights))) // the mean of the shares' own, from the log
	}
	switch {
	case whyDiff != "":
		e.TimeToShare = api.Missing(whyDiff)
	case !e.Hashrate.Ok():
		e.TimeToShare = api.Missing("no hashrate known: set p2pool.data_api or miners.xmrig")
	default:
		if d, ok := earnings.TimeToShare(sideDiff, e.Hashrate.Value); ok {
			e.TimeToShare = api.Have(d.Seconds())
		} else {
			e.TimeToShare = api.Missing("no hashrate")
		}
	}

	// XMR: what a pool block pays us, and a day's worth.
	reward, whyReward := in.get("network/reward")
	share, whyShare := in.get("pool/reward_share_percent")
	netDiff, whyNet := in.get("network/difficulty")
	if why := firstOf(whyReward, whyShare); why != "" {
		e.PerBlock, e.PerDay = api.Missing(why), api.Missing(why)
		return e, nil
	}
	pb, ok := earnings.PerBlock(uint64(reward), share)
	if !ok {
		e.PerBlock, e.PerDay = api.Missing("P2Pool's reward share is out of range"), api.Missing("P2Pool's reward share is out of range")
		return e, nil
	}
	e.PerBlock = api.Have(pb)
	if why := firstOf(whyNet, whyPool); why != "" {
		e.PerDay = api.Missing(why)
	} else if bpd, ok := earnings.PoolBlocksPerDay(poolRate, netDiff); ok {
		e.PerDay = api.Have(earnings.PerDay(pb, bpd))
	} else {
		e.PerDay = api.Missing("no pool hashrate")
	}
	return e, nil
}

func firstOf(whys ...string) string {
	for _, w := range whys {
		if w != "" {
			return w
		}
	}
	return ""
}
