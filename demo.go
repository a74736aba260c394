package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/config"
	"github.com/db4e/db4e/internal/farmsim"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/store"
)

// demoStall is when the demo's stalling rig stops hashing (DB4E_DEMO_STALL overrides it); the
// watchdog restarts it about a minute later.
const (
	demoStall    = 90 * time.Second
	demoStallRig = "rig-03"
)

// runDemo is the console over a simulated farm in a temporary directory: a month of history, a
// generator writing P2Pool's log and data-api live, each rig's xmrig API on loopback, and one
// rig that stalls and is restarted by the watchdog, so a newcomer sees all of db4e at work.
func runDemo(ctx context.Context, e *env) error {
	dir, err := os.MkdirTemp("", "db4e-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logf := &logFile{path: filepath.Join(dir, "console.log")}
	defer logf.Close()
	log := logf.logger()

	sim := farmsim.New(uint64(time.Now().UnixNano()), 6, time.Now())
	sim.Xmrig = sim.NewRigs(dir, time.Now())
	sim.DataAPI = filepath.Join(dir, "data-api")
	node := sim.NewNode()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo xmrig APIs: %w", err)
	}
	srv := &http.Server{Handler: sim.Xmrig, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	nodeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo monerod: %w", err)
	}
	nodeSrv := &http.Server{Handler: node, ReadHeaderTimeout: 5 * time.Second}
	go nodeSrv.Serve(nodeLn)
	defer nodeSrv.Close()

	cfg := demoConfig(e.cfg, dir, sim, "http://"+ln.Addr().String())
	cfg.Ops.Monerod.RPC = "http://" + nodeLn.Addr().String()
	l, err := ops.OpenLocal(cfg.DataDir, cfg.Store, cfg.Ops, log)
	if err != nil {
		return err
	}
	defer l.Store.Close()
	history := sim.History(30, 60)
	if _, err := l.Import(ctx, api.FormatP2Pool, "demo history", bytes.NewReader(history)); err != nil {
		return err
	}
	node.Orphan(20) // one payout of the history that left the chain: what $ and the alerts show of it
	if err := seedRigHour(l.Store, sim, time.Now()); err != nil {
		return err
	}
	if err := sim.WriteDataAPI(sim.DataAPI, time.Now()); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := sim.Live(ctx, cfg.Ops.P2Pool.Log, 2*time.Second); err != nil {
			log.Error("demo generator", "err", err)
		}
	}()
	stall := demoStall
	if d, err := time.ParseDuration(os.Getenv("DB4E_DEMO_STALL")); err == nil {
		stall = d // the end-to-end test does not wait a minute and a half
	}
	go func() {
		if tick.Sleep(ctx, stall) {
			log.Info("demo: a rig stalls", "rig", demoStallRig)
			sim.Xmrig.Stall(demoStallRig)
		}
	}()
	demo := *e
	demo.cfg, demo.demo = cfg, true
	return runEmbedded(ctx, &demo, l)
}

// demoConfig is the configuration of the demo's farm: everything in dir, short intervals so
// that things happen while one watches, and the watchdog on for rig_slow.
func demoConfig(cfg config.File, dir string, sim *farmsim.Sim, xmrigBase string) config.File {
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Socket = filepath.Join(dir, "db4e.sock")
	cfg.Ops.P2Pool.Log = filepath.Join(dir, "p2pool.log")
	cfg.Ops.P2Pool.DataAPI, cfg.Ops.P2Pool.APIInterval = sim.DataAPI, 10*time.Second
	cfg.Ops.Miners.StaleAfter, cfg.Ops.Miners.Interval = 10*time.Minute, 10*time.Second
	cfg.Ops.Backup = ops.BackupConfig{Dir: filepath.Join(dir, "backups"), Keep: 3}
	cfg.Ops.Alerts.Interval = 5 * time.Second
	cfg.Ops.Payouts.Interval = 10 * time.Second
	cfg.Ops.Alerts.Rules.RigSlow = alert.RuleConfig{Enabled: true, Percent: 50, For: 30 * time.Second, Clear: 30 * time.Second, Restart: alert.RestartMiner}
	cfg.Ops.Alerts.Watchdog = alert.WatchdogConfig{MaxRestarts: 3, Window: time.Hour, Settle: 3 * time.Minute}
	// Harmless stand-ins, so the restart menu can be tried: they only wait a moment. A rig's
	// leaves the file that tells its simulated xmrig it was restarted.
	cfg.Targets = []restart.TargetConfig{
		{Name: "monerod", Kind: restart.KindMonerod, Restart: "sleep 1"},
		{Name: "p2pool", Kind: restart.KindP2Pool, Restart: "sleep 1"},
	}
	cfg.Ops.Miners.Xmrig = nil
	for _, rig := range sim.Rigs {
		url := xmrigBase + "/" + rig
		cfg.Ops.Miners.Xmrig = append(cfg.Ops.Miners.Xmrig, collect.XmrigConfig{Name: rig, URL: url})
		cfg.Targets = append(cfg.Targets, restart.TargetConfig{Name: rig, Kind: restart.KindMiner,
			Restart: "sleep 1; touch " + filepath.Join(dir, "restarted-"+rig),
			Health:  restart.HealthConfig{URL: url, Wait: 30 * time.Second, Interval: time.Second}})
	}
	return cfg
}

// seedRigHour stores the hour before now of each rig's xmrig figures, a minute apart: the
// yardstick rig_slow compares a rig with.
func seedRigHour(st *store.Store, sim *farmsim.Sim, now time.Time) error {
	var b store.Batch
	for _, rig := range sim.Rigs {
		rate, _ := sim.Xmrig.Rate(rig)
		for m := 60; m > 0; m-- {
			at := now.Add(-time.Duration(m) * time.Minute)
			b.Samples = append(b.Samples,
				model.Sample{Series: "xmrig/" + rig + "/hashrate_60s", Time: at, Value: rate * (0.98 + 0.0004*float64(m))},
				model.Sample{Series: "xmrig/" + rig + "/hashrate_15m", Time: at, Value: rate})
		}
	}
	_, err := st.Apply(&b)
	return err
}
