package ops

import (
	"context"
	"slices"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/model"
)

// minerLookBack bounds the events read for a miner's view: its last shares, restarts, alerts.
const minerLookBack = 30 * 24 * time.Hour

// minerListLen is how many of its shares, restarts and alerts a miner's view lists.
const minerListLen = 20

// Miner is one miner's own view.
func (l *Local) Miner(ctx context.Context, q api.MinerQuery) (api.MinerDetail, error) {
	now := l.Now()
	if q.Days <= 0 {
		q.Days = 30
	}
	// Its row as the dashboard shows it, without the rest of a snapshot (the earnings above all).
	r, err := BuildReport(l.Store, api.ReportQuery{Days: q.Days}, now)
	if err != nil {
		return api.MinerDetail{}, err
	}
	days := fillDays(r.Days, now.In(l.Store.Location()), q.Days)
	rows, err := l.miners(now, days[len(days)-1])
	if err != nil {
		return api.MinerDetail{}, err
	}
	i := slices.IndexFunc(rows, func(m api.MinerRow) bool { return m.Host == q.Host })
	if i < 0 {
		return api.MinerDetail{}, model.Invalid("no miner %q", model.SanitizeText(q.Host, model.MaxHostLen))
	}
	health, _, _ := l.healthRows()
	markMiners(rows[i:i+1], l.OpenAlerts(), health)
	d := api.MinerDetail{Row: rows[i]}
	if j := slices.IndexFunc(health, func(h api.HealthRow) bool { return h.Kind == "xmrig" && h.Name == q.Host }); j >= 0 {
		d.API = &health[j]
	}
	for _, day := range days {
		d.Days = append(d.Days, api.DayCount{Date: day.Date, Count: day.SharesByHost[q.Host]})
	}
	// xmrig's own 60 s figure where the miner has one; P2Pool's view of the worker otherwise.
	for _, series := range []string{"xmrig/" + q.Host + "/hashrate_60s", "worker/" + q.Host} {
		if d.Hashrate, err = l.Store.Series(series, now.Add(-24*time.Hour), now); err != nil {
			return d, err
		}
		if len(d.Hashrate) > 0 {
			break
		}
	}
	err = l.Store.Events(ctx, now.Add(-minerLookBack), now.Add(time.Minute), func(e *model.Event) error {
		switch {
		case e.Kind == model.KindShare && e.Host == q.Host:
			d.Shares = append(d.Shares, *e)
		case e.Kind == model.KindAction && api.AboutMiner(e.Target, q.Host):
			d.Actions = append(d.Actions, *e)
		case e.Kind == model.KindAlert:
			if _, target := e.AlertOf(); api.AboutMiner(target, q.Host) {
				d.Alerts = append(d.Alerts, *e)
			}
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	d.Shares, d.Actions, d.Alerts = newest(d.Shares), newest(d.Actions), newest(d.Alerts)
	l.loadTelemetry()
	l.tele.mu.Lock()
	rig, ok := l.tele.rigs[q.Host]
	l.tele.mu.Unlock()
	if ok {
		s := rig.Summary
		x := &api.XmrigStatus{At: rig.At, Version: s.Version, UptimeS: s.Uptime, Accepted: s.Results.SharesGood,
			Rejected: s.Results.SharesTotal - min(s.Results.SharesGood, s.Results.SharesTotal), Hugepages: -1, Pool: s.Connection.Pool}
		if hp, ok := s.HugepagesRatio(); ok {
			x.Hugepages = hp
		}
		x.Hashrate10s, _ = s.Rate(collect.Hashrate10s)
		x.Hashrate60s, _ = s.Rate(collect.Hashrate60s)
		x.Hashrate15m, _ = s.Rate(collect.Hashrate15m)
		d.Xmrig = x
	}
	return d, nil
}

// newest is the last minerListLen of events in time order, newest first.
func newest(events []model.Event) []model.Event {
	if len(events) > minerListLen {
		events = events[len(events)-minerListLen:]
	}
	slices.Reverse(events)
	return events
}
