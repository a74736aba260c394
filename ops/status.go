package ops

import (
	"context"

	"github.com/db4e/db4e/api"
)

// Status polls everything once when no poller has run in this process yet (no service), and
// reports.
func (l *Local) Status(ctx context.Context) (api.StatusReport, error) {
	l.loadTelemetry()
	l.tele.mu.Lock()
	polled := l.tele.polled
	l.tele.mu.Unlock()
	if !polled {
		l.PollOnce(ctx)
	}
	rows, node, inv := l.healthRows()
	n, err := l.Store.CountEvents()
	if err != nil {
		return api.StatusReport{}, err
	}
	skipped, err := l.Store.Skipped()
	if err != nil {
		return api.StatusReport{}, err
	}
	l.mu.Lock()
	ing := l.ingest
	l.mu.Unlock()
	now, alerts := l.Now(), l.OpenAlerts()
	miners, err := l.miners(now, api.ReportDay{})
	if err != nil {
		return api.StatusReport{}, err
	}
	markMiners(miners, alerts, rows)
	return api.StatusReport{Now: now, Components: l.Components(), Health: rows, Miners: miners, Node: node, Inventory: inv, Ingest: ing, Events: n,
		Skipped: skipped, DataDir: l.Store.Dir(), Alerts: alerts, Payouts: l.PayoutCheck()}, nil
}
