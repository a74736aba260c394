package ops

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/model"
)

// rigLookBack is the past a rig is compared with: its own last hour, as minerstat does, so a
// slow old rig and a fast new one each have their own yardstick.
const rigLookBack = time.Hour

// rigWarmUp: xmrig has no 60 s figure yet after a start; a rig younger than this is not judged.
const rigWarmUp = 2 * time.Minute

// freshRigs are the rigs whose xmrig answered lately: a rig that stopped answering is
// miner_silent's, not judged here on its last answer.
func (l *Local) freshRigs(now time.Time) []collect.Rig {
	l.loadTelemetry()
	fresh := max(3*l.Cfg.Miners.Interval, 3*time.Minute)
	l.tele.mu.Lock()
	defer l.tele.mu.Unlock()
	var out []collect.Rig
	for _, r := range l.tele.rigs {
		if now.Sub(r.At) <= fresh {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b collect.Rig) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// slowRigs: a rig's 60 s hashrate under r.Percent of its own median over the hour before. While
// a rig is low, that hour stays the one before it fell, so a rig that stays stalled does not
// become its own yardstick and clear the alert after half an hour.
func (l *Local) slowRigs(now time.Time, r alert.RuleConfig) []alert.Condition {
	l.alerts.mu.Lock()
	fell := l.alerts.rigLow // read here, replaced whole below: only this pass writes it
	l.alerts.mu.Unlock()
	// next is when each answering rig fell, while it stays low; a rig that stopped answering
	// is not in it, and is judged afresh when it is back.
	next := map[string]time.Time{}
	var out []alert.Condition
	for _, rig := range l.freshRigs(now) {
		since, low := fell[rig.Name]
		if low {
			next[rig.Name] = since // kept while it warms up too: a restart does not move its yardstick
		}
		current, ok := rig.Summary.Rate(collect.Hashrate60s)
		if rig.Summary.Uptime < uint64(rigWarmUp.Seconds()) {
			continue // xmrig's first minutes: its figures are not yet its rate
		}
		if !ok {
			current = 0 // a warm xmrig with no figure is not hashing: no job, or stuck
		}
		end := now
		if low {
			end = since
		}
		samples, err := l.Store.Series("xmrig/"+rig.Name+"/hashrate_60s", end.Add(-rigLookBack), end)
		if err != nil {
			continue
		}
		median, ok := medianOf(samples)
		if !ok {
			continue // too little history to have a yardstick
		}
		active := median > 0 && current < median*r.Percent/100
		switch {
		case active && !low:
			next[rig.Name] = now
		case !active:
			delete(next, rig.Name)
		}
		out = append(out, alert.Condition{Rule: alert.RuleRigSlow, Target: rig.Name, Active: active,
			Detail: fmt.Sprintf("%s now, under %g%% of its median %s over the hour before", model.Hashrate(current), r.Percent, model.Hashrate(median))})
	}
	l.alerts.mu.Lock()
	l.alerts.rigLow = next
	l.alerts.mu.Unlock()
	return out
}

// medianOf is the median of the samples' values, when there are enough of them over a long
// enough time (5 samples over 10 minutes) to stand for the rig's usual rate.
func medianOf(samples []model.Sample) (float64, bool) {
	if len(samples) < 5 || samples[len(samples)-1].Time.Sub(samples[0].Time) < 10*time.Minute {
		return 0, false
	}
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = s.Value
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2, true
	}
	return v[len(v)/2], true
}

// rejectingRigs: more than r.Percent of a rig's shares rejected over the last hour, once it sent
// at least r.Floor. xmrig's counters restart with it; then the hour counts from its start.
func (l *Local) rejectingRigs(now time.Time, r alert.RuleConfig) []alert.Condition {
	var out []alert.Condition
	for _, rig := range l.freshRigs(now) {
		good, total := rig.Summary.Results.SharesGood, rig.Summary.Results.SharesTotal
		prefix := "xmrig/" + rig.Name + "/"
		g, err1 := l.Store.Series(prefix+"shares_good", now.Add(-rigLookBack), now)
		t, err2 := l.Store.Series(prefix+"shares_total", now.Add(-rigLookBack), now)
		if err1 != nil || err2 != nil {
			continue
		}
		if len(g) > 0 && len(t) > 0 && uint64(t[0].Value) <= total && uint64(g[0].Value) <= good {
			good, total = good-uint64(g[0].Value), total-uint64(t[0].Value)
		}
		if total == 0 || float64(total) < r.Floor {
			continue // too few shares to judge
		}
		rejected := total - min(good, total)
		pct := float64(rejected) / float64(total) * 100
		out = append(out, alert.Condition{Rule: alert.RuleRigRejected, Target: rig.Name, Active: pct > r.Percent,
			Detail: fmt.Sprintf("%d of %d shares rejected in the last hour (%.1f%%, more than %g%%)", rejected, total, pct, r.Percent)})
	}
	return out
}
