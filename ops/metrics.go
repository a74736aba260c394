package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics reads everything from the store and the pollers at scrape time: counters are the
// views' totals, so they survive restarts and a rebuild gives the same values.
type metrics struct {
	l *Local

	shares, blocks, payments, xmr, skipped          *prometheus.Desc
	hashrate, poolHashrate                          *prometheus.Desc
	height, targetHeight, synced, up, lag, lastPoll *prometheus.Desc
	collectorOK, collectorTime                      *prometheus.Desc
	componentUp, alertsOpen                         *prometheus.Desc
	unreadLosses, unreadBytes                       *prometheus.Desc
	payoutsXMR, payoutCheckOK, payoutChecked        *prometheus.Desc

	mu      sync.Mutex
	version uint64
	totals  struct {
		blocks, payments uint64
		xmr              float64
		// by state: claimed, confirmed (unlocked included), unlocked, orphaned
		payouts map[string]float64
	}
}

func newMetrics(l *Local) *metrics {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("db4e_"+name, help, labels, nil)
	}
	return &metrics{l: l,
		shares:        d("shares_total", "Shares found by our workers, by host.", "host"),
		blocks:        d("blocks_total", "Monero blocks found by the P2Pool sidechain."),
		payments:      d("payments_total", "Payouts to our wallet."),
		xmr:           d("payments_xmr_total", "XMR paid to our wallet, as monerod confirmed it (a float: exact sums are in report and the CSV files)."),
		payoutsXMR:    d("payouts_xmr", "XMR of the payouts by what the node says of them: claimed (every payout P2Pool logged), confirmed (unlocked included), unlocked, orphaned.", "state"),
		payoutCheckOK: d("payouts_check_success", "1 when the last check of the payouts reached a synchronized monerod (and the wallet, when one is configured)."),
		payoutChecked: d("payouts_checked_timestamp_seconds", "When the payouts were last checked on the chain."),
		skipped:       d("skipped_records_total", "Bad records seen and skipped."),
		hashrate:      d("miner_hashrate_hashes_per_second", "Hashrate of a miner, latest sample.", "miner", "source"),
		poolHashrate:  d("pool_hashrate_hashes_per_second", "Hashrates P2Pool reports.", "scope"),
		height:        d("node_height", "monerod's chain height."),
		targetHeight:  d("node_target_height", "The height monerod syncs to."),
		synced:        d("node_synchronized", "1 when monerod is synchronized."),
		up:            d("target_up", "1 when a polled target answers.", "target", "kind"),
		lag:           d("ingest_lag_seconds", "Time since the service last stored lines of P2Pool's log."),
		lastPoll:      d("target_last_check_timestamp_seconds", "When a target was last polled.", "target"),
		collectorOK:   d("collector_success", "1 when a collector's last run succeeded (monerod, p2pool, xmrig, leases).", "collector"),
		collectorTime: d("collector_duration_seconds", "How long a collector's last run took.", "collector"),
		componentUp:   d("component_up", "1 when a component is well (service, log, store, monerod, p2pool, miners, csv, alerts): what db4e status reports.", "component"),
		alertsOpen:    d("alerts_open", "Alerts firing now."),
		unreadLosses:  d("log_unread_total", "Parts of P2Pool's log lost before db4e could read them (a file truncated or deleted unread)."),
		unreadBytes:   d("log_unread_bytes_total", "Bytes of P2Pool's log lost unread, where the amount could be known."),
	}
}

// Describe lists every metric, whether or not it has a value yet.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) { m.describeAll(ch) }

func (m *metrics) describeAll(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.shares, m.blocks, m.payments, m.xmr, m.skipped, m.hashrate, m.poolHashrate,
		m.height, m.targetHeight, m.synced, m.up, m.lag, m.lastPoll, m.collectorOK, m.collectorTime, m.componentUp, m.alertsOpen,
		m.unreadLosses, m.unreadBytes, m.payoutsXMR, m.payoutCheckOK, m.payoutChecked} {
		ch <- d
	}
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	l := m.l
	hosts, err := l.Store.Hosts()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.shares, err)
		return
	}
	for _, h := range hosts {
		ch <- prometheus.MustNewConstMetric(m.shares, prometheus.CounterValue, float64(h.Shares), h.Host)
	}
	if err := m.refreshTotals(); err != nil {
		ch <- prometheus.NewInvalidMetric(m.blocks, err)
		return
	}
	m.mu.Lock()
	t := m.totals
	m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(m.blocks, prometheus.CounterValue, float64(t.blocks))
	ch <- prometheus.MustNewConstMetric(m.payments, prometheus.CounterValue, float64(t.payments))
	ch <- prometheus.MustNewConstMetric(m.xmr, prometheus.CounterValue, t.xmr)
	for _, s := range []string{model.PayoutClaimed, model.PayoutConfirmed, model.PayoutUnlocked, model.PayoutOrphaned} {
		ch <- prometheus.MustNewConstMetric(m.payoutsXMR, prometheus.GaugeValue, t.payouts[s], s)
	}
	if pc := l.PayoutCheck(); pc.Enabled {
		ch <- prometheus.MustNewConstMetric(m.payoutCheckOK, prometheus.GaugeValue, b2f(pc.Problem == "" && pc.WalletProblem == "" && !pc.Checked.IsZero()))
		if !pc.Checked.IsZero() {
			ch <- prometheus.MustNewConstMetric(m.payoutChecked, prometheus.GaugeValue, float64(pc.Checked.UnixMilli())/1000)
		}
	}
	if n, err := l.Store.Skipped(); err == nil {
		ch <- prometheus.MustNewConstMetric(m.skipped, prometheus.CounterValue, float64(n))
	}
	rows, node, _ := l.healthRows()
	// A rig whose xmrig stopped answering: since when. Its last figure is not exported as
	// current, nor is any sample older than twice its poll interval (a Grafana sum of the
	// miners' hashrates must not count dead rigs).
	downSince := map[string]time.Time{}
	for _, r := range rows {
		if r.Kind == "xmrig" && !r.Up {
			downSince[r.Name] = r.Since
		}
	}
	now := l.Now()
	if latest, err := l.Store.Latest(""); err == nil {
		for series, s := range latest {
			switch {
			case strings.HasPrefix(series, "worker/"):
				if l.rateCurrent(series, s, now) {
					ch <- prometheus.MustNewConstMetric(m.hashrate, prometheus.GaugeValue, s.Value, series[len("worker/"):], "p2pool")
				}
			case strings.HasPrefix(series, "xmrig/") && strings.HasSuffix(series, "/hashrate_60s"):
				name := strings.TrimSuffix(strings.TrimPrefix(series, "xmrig/"), "/hashrate_60s")
				since, down := downSince[name]
				if l.rateCurrent(series, s, now) && (!down || s.Time.After(since)) {
					ch <- prometheus.MustNewConstMetric(m.hashrate, prometheus.GaugeValue, s.Value, name, "xmrig")
				}
			case series == "status/side_chain_hashrate" || series == "pool/sidechain_hashrate":
				ch <- prometheus.MustNewConstMetric(m.poolHashrate, prometheus.GaugeValue, s.Value, "sidechain")
			case series == "pool/hashrate_15m":
				ch <- prometheus.MustNewConstMetric(m.poolHashrate, prometheus.GaugeValue, s.Value, "ours_15m")
			case series == "status/your_hashrate_pool_side":
				ch <- prometheus.MustNewConstMetric(m.poolHashrate, prometheus.GaugeValue, s.Value, "ours_pool_side")
			}
		}
	}
	if !node.At.IsZero() {
		ch <- prometheus.MustNewConstMetric(m.height, prometheus.GaugeValue, float64(node.Height))
		ch <- prometheus.MustNewConstMetric(m.targetHeight, prometheus.GaugeValue, float64(node.TargetHeight))
		ch <- prometheus.MustNewConstMetric(m.synced, prometheus.GaugeValue, b2f(node.Synchronized))
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, b2f(r.Up), r.Name, r.Kind)
		ch <- prometheus.MustNewConstMetric(m.lastPoll, prometheus.GaugeValue, float64(r.Checked.UnixNano())/1e9, r.Name)
	}
	for _, c := range l.Components() {
		ch <- prometheus.MustNewConstMetric(m.componentUp, prometheus.GaugeValue, b2f(c.Up), c.Name)
	}
	ch <- prometheus.MustNewConstMetric(m.alertsOpen, prometheus.GaugeValue, float64(len(l.OpenAlerts())))
	unread := l.unread()
	ch <- prometheus.MustNewConstMetric(m.unreadLosses, prometheus.CounterValue, float64(unread.Files))
	ch <- prometheus.MustNewConstMetric(m.unreadBytes, prometheus.CounterValue, float64(unread.Bytes))
	for name, c := range l.collections() {
		ch <- prometheus.MustNewConstMetric(m.collectorOK, prometheus.GaugeValue, b2f(c.err == ""), name)
		ch <- prometheus.MustNewConstMetric(m.collectorTime, prometheus.GaugeValue, c.duration.Seconds(), name)
	}
	l.mu.Lock()
	last := l.ingest.LastBatch
	l.mu.Unlock()
	if !last.IsZero() {
		ch <- prometheus.MustNewConstMetric(m.lag, prometheus.GaugeValue, now.Sub(last).Seconds())
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// refreshTotals sums the day views again only when the data changed since the last scrape.
func (m *metrics) refreshTotals() error {
	v, _ := m.l.changes.current()
	m.mu.Lock()
	defer m.mu.Unlock()
	if v == m.version && m.version != 0 {
		return nil
	}
	days, err := m.l.Store.Days("", "")
	if err != nil {
		return err
	}
	var blocks, payments uint64
	var claimed, confirmed, unlocked, orphaned model.Piconero
	for _, d := range days {
		blocks += d.Blocks
		payments += d.Payments
		claimed, confirmed, unlocked, orphaned = claimed.Add(d.Piconero), confirmed.Add(d.Confirmed), unlocked.Add(d.Unlocked), orphaned.Add(d.Orphaned)
	}
	m.totals.blocks, m.totals.payments, m.totals.xmr = blocks, payments, confirmed.Float()
	m.totals.payouts = map[string]float64{model.PayoutClaimed: claimed.Float(), model.PayoutConfirmed: confirmed.Float(),
		model.PayoutUnlocked: unlocked.Float(), model.PayoutOrphaned: orphaned.Float()}
	m.version = v
	return nil
}

// MetricsHandler serves the Prometheus text format for l, from its own registry.
func MetricsHandler(l *Local) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newMetrics(l))
	mux := http.NewServeMux() // never http.DefaultServeMux: Badger registers /debug/vars there
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return mux
}

// ServeWeb serves the page (web) and /metrics on addr until ctx ends.
func (l *Local) ServeWeb(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http_listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", MetricsHandler(l))
	mux.Handle("/", web.Handler(l))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	l.Log.Info("serving the page and metrics", "url", "http://"+ln.Addr().String()+"/")
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}
