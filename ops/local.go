// Package ops is what an operator sees and does: reports, imports, restarts, backups, health.
// The Local implementation works on the store in this process; api.Remote asks the service.
package ops

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/payout"
	"github.com/db4e/db4e/store"
)

// Config is the sections of the configuration file ops works with, each owned by the package
// that reads it; the yaml keys are those of the file.
type Config struct {
	P2Pool  ingest.Config         `yaml:"p2pool"`
	Miners  collect.MinersConfig  `yaml:"miners"`
	Monerod collect.MonerodConfig `yaml:"monerod"`
	Backup  BackupConfig          `yaml:"backup"`
	// HTTPListen is the one HTTP listener: the page on / and Prometheus metrics on /metrics
	// (e.g. 127.0.0.1:9732; a bare port is on 127.0.0.1); empty: off.
	HTTPListen string `yaml:"http_listen"`
	// MetricsListen is http_listen's old name, still read.
	MetricsListen string       `yaml:"metrics_listen"`
	CSV           CSVConfig    `yaml:"csv"`
	Alerts        alert.Config `yaml:"alerts"`
	// Payouts and WalletRPC are how payouts are proven on the chain (payout package).
	Payouts   payout.Config       `yaml:"payouts"`
	WalletRPC payout.WalletConfig `yaml:"wallet_rpc"`
}

// DefaultConfig is every section's defaults.
func DefaultConfig() Config {
	return Config{
		P2Pool:    ingest.DefaultConfig(),
		Miners:    collect.DefaultMinersConfig(),
		Monerod:   collect.DefaultMonerodConfig(),
		Backup:    DefaultBackupConfig(),
		CSV:       DefaultCSVConfig(),
		Alerts:    alert.Defaults(),
		Payouts:   payout.DefaultConfig(),
		WalletRPC: payout.DefaultWalletConfig(),
	}
}

// HTTPAddr is where the HTTP listener binds, from http_listen or its old name; a bare port
// ("9732", ":9732") is on 127.0.0.1, so the page is never on the farm's network by surprise.
func (c Config) HTTPAddr() string {
	addr := c.HTTPListen
	if addr == "" {
		addr = c.MetricsListen
	}
	if addr == "" {
		return ""
	}
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	return addr
}

// Local works on a store this process has open.
type Local struct {
	Store *store.Store
	Cfg   Config
	Log   *slog.Logger
	Now   func() time.Time
	// Via says, in the audit trail, which db4e did what it records itself: cli, console, service.
	Via string

	changes *notifier
	mu      sync.Mutex
	ingest  api.IngestStatus
	tele    telemetry
	alerts  alerting
	// dog restarts what the alert rules name; nil unless SetWatchdog was called.
	dog *watchdog
	// onYield is set by an embedded console: how it hands the store to a starting service.
	onYield func()
	// book and csvState are the health model's memory (health.go).
	book     healthBook
	unreadMu sync.Mutex // serialises the unread record's read-modify-write (unread.go)
	csvState outcome
	payouts  payoutState
}

var _ api.Console = (*Local)(nil)

// NewLocal wires a Local.
func NewLocal(s *store.Store, cfg Config, log *slog.Logger) *Local {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Local{Store: s, Cfg: cfg, Log: log, Now: time.Now, Via: "cli", changes: newNotifier(), ingest: api.IngestStatus{Path: cfg.P2Pool.Log}}
	l.csvState.name, l.alerts.hookState.name = api.ComponentCSV, api.ComponentAlerts
	l.payouts.kick = make(chan struct{}, 1)
	return l
}

// OnYield makes this Local an embedded console's: fn hands the store over when a service
// asks (Yield). It is called once, on its own goroutine.
func (l *Local) OnYield(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var once sync.Once
	l.onYield = func() { once.Do(fn) }
}

// Yield hands the store over, when this is an embedded console.
func (l *Local) Yield(ctx context.Context) error {
	l.mu.Lock()
	fn := l.onYield
	l.mu.Unlock()
	if fn == nil {
		return model.Invalid("this db4e keeps its store: only an embedded console hands it over")
	}
	go fn()
	return nil
}

// Mode says the store is in this process.
func (l *Local) Mode() string { return api.ModeEmbedded }

// api.Report returns the daily totals.
func (l *Local) Report(ctx context.Context, q api.ReportQuery) (api.Report, error) {
	return BuildReport(l.Store, q, l.Now())
}

// Rebuild recomputes every view from the event log.
func (l *Local) Rebuild(ctx context.Context) (int, error) {
	n, err := l.Store.Rebuild(ctx)
	l.changes.bump()
	return n, err
}

// Record stores an action event (a restart, a backup) in the log.
func (l *Local) Record(ctx context.Context, e model.Event) error {
	if err := validAction(&e); err != nil {
		return err
	}
	if _, err := l.Store.Apply(&store.Batch{Events: []model.Event{e}}); err != nil {
		return err
	}
	l.changes.bump()
	return l.Store.Sync()
}

// validAction bounds what a client may write into the log through Record.
func validAction(e *model.Event) error {
	if e.Kind != model.KindAction {
		return fmt.Errorf("record: only action events, not %q", e.Kind)
	}
	if e.Time.IsZero() || len(e.ID) != 16 {
		return fmt.Errorf("record: action without time or id")
	}
	e.Who = model.SanitizeText(e.Who, 120)
	e.Target = model.SanitizeText(e.Target, 120)
	e.Command = model.SanitizeText(e.Command, 500)
	e.Result = model.SanitizeText(e.Result, 1000)
	e.Host, e.ClientIP, e.Fields = "", "", nil
	return nil
}

// Watch waits for a change after version since.
func (l *Local) Watch(ctx context.Context, since uint64) (uint64, error) {
	return l.changes.wait(ctx, since)
}

// Changed tells watchers that the data changed (events stored by another path).
func (l *Local) Changed() { l.changes.bump() }

// Import reads one file or stream, plain or compressed (gzip, bzip2, zstd) whatever its name says.
func (l *Local) Import(ctx context.Context, format, source string, r io.Reader) (api.ImportResult, error) {
	im := &ingest.Importer{Store: l.Store, LogLoc: l.Cfg.P2Pool.Location()}
	dr, closeFn, err := ingest.Decompress(r)
	if err != nil {
		return api.ImportResult{}, fmt.Errorf("import %s: %w", source, err)
	}
	defer closeFn()
	var st ingest.Stats
	switch format {
	case api.FormatP2Pool, "":
		st, err = im.ImportP2Pool(ctx, dr, source)
	case api.FormatJSONSeq:
		st, err = im.ImportJSONSeq(ctx, dr, source)
	default:
		return api.ImportResult{}, fmt.Errorf("import: unknown format %q (want p2pool or jsonseq)", format)
	}
	res := api.ImportResult{Files: 1, Bytes: st.Bytes, Records: st.Records, Bad: st.Bad, Added: st.Added, Duplicates: st.Duplicates, Skipped: st.Skipped, Samples: st.Samples}
	if st.Added > 0 {
		l.changes.bump()
	}
	if err != nil {
		return res, fmt.Errorf("import %s: %w", source, err)
	}
	if err := l.Store.Sync(); err != nil {
		return res, err
	}
	l.Log.Info("imported", "source", source, "bytes", st.Bytes, "added", st.Added, "duplicates", st.Duplicates, "skipped", st.Skipped)
	return res, nil
}

// ExportJSONSeq writes the event log from..to as RFC 7464.
func (l *Local) ExportJSONSeq(ctx context.Context, from, to time.Time, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	err := l.Store.Events(ctx, from, to, func(e *model.Event) error { return ingest.WriteJSONSeq(bw, e) })
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// api.Snapshot reads what the dashboard shows: views and latest samples, never a scan of the log.
func (l *Local) Snapshot(ctx context.Context, q api.SnapshotQuery) (api.Snapshot, error) {
	now := l.Now()
	if q.Days <= 0 {
		q.Days = 30
	}
	if q.Events <= 0 {
		q.Events = 200
	}
	version, _ := l.changes.current()
	snap := api.Snapshot{Now: now, Version: version, Mode: l.Mode()}
	r, err := BuildReport(l.Store, api.ReportQuery{Days: q.Days}, now)
	if err != nil {
		return snap, err
	}
	snap.Skipped = r.Skipped
	snap.Days = fillDays(r.Days, now.In(l.Store.Location()), q.Days)
	snap.Today = snap.Days[len(snap.Days)-1]

	if snap.Miners, err = l.miners(now, snap.Today); err != nil {
		return snap, err
	}
	// A payout's first sight (its block's id remembered) is bookkeeping, not news.
	if snap.Recent, err = l.Store.Recent(q.Events, func(e *model.Event) bool { return e.Kind != model.KindPayout || e.State != model.PayoutSeen }); err != nil {
		return snap, err
	}
	status, err := l.Store.Latest("status/")
	if err != nil {
		return snap, err
	}
	snap.Pool = api.PoolStatus{
		SidechainHashrate: status["status/side_chain_hashrate"].Value,
		MainchainHashrate: status["status/main_chain_hashrate"].Value,
		OurHashrate:       status["status/your_hashrate_pool_side"].Value,
		At:                status["status/side_chain_hashrate"].Time,
	}
	l.mu.Lock()
	snap.Ingest = l.ingest
	l.mu.Unlock()
	snap.Health, snap.Node, snap.Inventory = l.healthRows()
	snap.Alerts = l.OpenAlerts()
	snap.Components = l.Components()
	snap.PayoutCheck = l.PayoutCheck()
	markMiners(snap.Miners, snap.Alerts, snap.Health)
	snap.Earnings, err = l.earnings(ctx, now, snap.Today, snap.Miners)
	return snap, err
}

// markMiners sets what the alerts and the polls say of each miner, and so its State.
// minerRules are the rules whose alerts are about one miner (or, with members, several).
var minerRules = map[string]bool{alert.RuleMinerSilent: true, alert.RuleRigSlow: true, alert.RuleRigRejected: true, alert.RuleWatchdogGaveUp: true}

// alertsOnMiner says whether a is about the miner host: its own alert, one about many that
// names it, or the watchdog giving up on its target.
func alertsOnMiner(a alert.Alert, host string) bool {
	return minerRules[a.Rule] && api.AlertOnMiner(a, host)
}

func markMiners(rows []api.MinerRow, alerts []alert.Alert, health []api.HealthRow) {
	for i := range rows {
		for _, a := range alerts {
			if alertsOnMiner(a, rows[i].Host) {
				rows[i].Alert = true
			}
		}
		for _, h := range health {
			if h.Kind == "xmrig" && h.Name == rows[i].Host && !h.Up {
				rows[i].Down = true
				if !rows[i].HashrateAt.After(h.Since) { // its last answer, not what it mines now
					rows[i].HashrateStale = true
				}
			}
		}
		rows[i].State = api.MinerState(rows[i])
	}
}

func (l *Local) miners(now time.Time, today api.ReportDay) ([]api.MinerRow, error) {
	hosts, err := l.Store.Hosts()
	if err != nil {
		return nil, err
	}
	rates, err := l.Store.Latest("worker/")
	if err != nil {
		return nil, err
	}
	rows := map[string]*api.MinerRow{}
	for _, h := range hosts {
		rows[h.Host] = &api.MinerRow{Host: h.Host, Shares: h.Shares, LastShare: h.LastShare, Effort: h.Effort, SharesToday: today.SharesByHost[h.Host]}
	}
	for series, sm := range rates {
		name := series[len("worker/"):]
		m := rows[name]
		if m == nil {
			m = &api.MinerRow{Host: name}
			rows[name] = m
		}
		m.Hashrate, m.HashrateAt = sm.Value, sm.Time
		m.HashrateStale = !l.rateCurrent(series, sm, now)
	}
	// A miner's own xmrig says more, and more often, than P2Pool's worker list.
	xmrig, err := l.Store.Latest("xmrig/")
	if err != nil {
		return nil, err
	}
	for series, sm := range xmrig {
		name, figure, ok := strings.Cut(strings.TrimPrefix(series, "xmrig/"), "/")
		if !ok {
			continue
		}
		m := rows[name]
		if m == nil {
			m = &api.MinerRow{Host: name}
			rows[name] = m
		}
		if sm.Time.After(m.SeenAt) {
			m.SeenAt = sm.Time
		}
		if figure == "hashrate_60s" && sm.Time.After(m.HashrateAt) {
			m.Hashrate, m.HashrateAt = sm.Value, sm.Time
			m.HashrateStale = !l.rateCurrent(series, sm, now)
		}
	}
	out := make([]api.MinerRow, 0, len(rows))
	for _, m := range rows {
		m.Stale = now.Sub(m.LastSeen()) > l.Cfg.Miners.StaleAfter
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// rateCurrent says whether a miner's hashrate sample is what it mines now: younger than twice
// the interval its source is polled at (xmrig: miners.interval; P2Pool's data-api:
// p2pool.api_interval). P2Pool's log lists its workers only when asked, so a sample from the
// log, with no data-api, stays current for miners.stale_after. One rule for the miners table,
// the farm's hashrate and /metrics: a rig that stopped answering is counted nowhere.
func (l *Local) rateCurrent(series string, s model.Sample, now time.Time) bool {
	maxAge := l.Cfg.Miners.StaleAfter
	switch {
	case strings.HasPrefix(series, "xmrig/"):
		maxAge = 2 * l.Cfg.Miners.Interval
	case strings.HasPrefix(series, "worker/") && l.Cfg.P2Pool.DataAPI != "":
		maxAge = 2 * l.Cfg.P2Pool.APIInterval
	}
	return now.Sub(s.Time) <= maxAge
}

// fillDays returns every day of the n ending today, with the report's days where it has them.
func fillDays(have []api.ReportDay, today time.Time, n int) []api.ReportDay {
	byDate := make(map[string]api.ReportDay, len(have))
	for _, d := range have {
		byDate[d.Date] = d
	}
	out := make([]api.ReportDay, n)
	for i := range n {
		date := today.AddDate(0, 0, i-n+1).Format(time.DateOnly)
		d, ok := byDate[date]
		if !ok {
			d = api.ReportDay{Date: date, SharesByHost: map[string]uint64{}}
			d.SetMoney(model.Piconero{}, model.Piconero{}, model.Piconero{}, model.Piconero{})
		}
		out[i] = d
	}
	return out
}

// Check verifies the whole store.
func (l *Local) Check(ctx context.Context) (model.CheckReport, error) { return l.Store.Check(ctx) }
