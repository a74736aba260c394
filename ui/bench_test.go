package ui

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/store"
)

// The console benchmarks run against a store of five years of a 50-rig farm, made by
// bench/genstore; bench/console.sh makes it and names it in DB4E_BENCH_STORE.
func benchStore(b *testing.B) string {
	dir := os.Getenv("DB4E_BENCH_STORE")
	if dir == "" {
		b.Skip("DB4E_BENCH_STORE not set (bench/console.sh sets it)")
	}
	return dir
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFirstScreen5y: from opening the store to the first full screen drawn.
func BenchmarkFirstScreen5y(b *testing.B) {
	dir := benchStore(b)
	for b.Loop() {
		l, err := ops.OpenLocal(dir, store.Config{Timezone: "UTC"}, ops.Config{P2Pool: ingest.DefaultConfig()}, nil)
		if err != nil {
			b.Fatal(err)
		}
		sim := tcell.NewSimulationScreen("UTF-8")
		app := New(l, Options{Screen: sim, Refresh: time.Hour})
		done := make(chan error, 1)
		go func() { done <- app.Run(context.Background()) }()
		select {
		case <-app.Drawn():
		case <-time.After(10 * time.Second):
			b.Fatal("no first screen")
		}
		b.StopTimer()
		app.Stop()
		<-done
		l.Store.Close()
		b.StartTimer()
	}
}

// BenchmarkRefresh5y: one dashboard refresh (snapshot from the views, widgets, draw), in CPU.
func BenchmarkRefresh5y(b *testing.B) {
	dir := benchStore(b)
	l, err := ops.OpenLocal(dir, store.Config{Timezone: "UTC"}, ops.Config{P2Pool: ingest.DefaultConfig()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Store.Close()
	sim := tcell.NewSimulationScreen("UTF-8")
	sim.Init()
	sim.SetSize(80, 24)
	app := New(l, Options{Screen: sim})
	for _, days := range []int{30, 365} {
		b.Run(map[int]string{30: "30d", 365: "365d"}[days], func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				snap, err := l.Snapshot(context.Background(), api.SnapshotQuery{Days: days, Events: 300})
				if err != nil {
					b.Fatal(err)
				}
				app.apply(snap, nil)
				app.pages.Draw(sim)
				sim.Show()
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
