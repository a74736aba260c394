package ops

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/store"
)

// RunIngest follows P2Pool's log and keeps the store tidy until ctx ends: the service's work,
// and the embedded console's when no service runs.
func (l *Local) RunIngest(ctx context.Context) error {
	f := &ingest.Follower{
		Path:  l.Cfg.P2Pool.Log,
		Name:  "p2pool",
		Store: l.Store,
		Cfg:   l.Cfg.P2Pool,
		Log:   l.Log.With("component", "follow"),
		// inotify, or polling where it cannot be had (the follower says so)
		Applied: func(a store.Applied) {
			l.mu.Lock()
			l.ingest.LastBatch = l.Now()
			l.mu.Unlock()
			l.changes.bump()
			l.goodNews(ctx, a.Events)
			l.KickPayouts(a.Events)
		},
		OnLine: func(time.Time) {
			l.mu.Lock()
			l.ingest.LastLine = l.Now()
			l.ingest.Error = ""
			l.mu.Unlock()
		},
		OnError: func(err error) {
			l.mu.Lock()
			l.ingest.Error = err.Error()
			l.mu.Unlock()
			l.changes.bump()
		},
		OnUnread: l.NoteUnread,
		OnPause: func(err error) {
			l.mu.Lock()
			l.ingest.Paused = ""
			if err != nil {
				l.ingest.Paused = err.Error()
			}
			l.mu.Unlock()
			l.changes.bump()
		},
	}
	l.mu.Lock()
	l.ingest.Following = true
	l.ingest.Started = l.Now() // the log's silence counts from here until a line is read
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.ingest.Following = false
		l.mu.Unlock()
	}()
	errc := make(chan error, 1)
	if l.Cfg.P2Pool.Follow {
		go func() { errc <- f.Run(ctx) }()
	} else {
		// p2pool.follow: false: the pollers and the rest, no log.
		l.mu.Lock()
		l.ingest.Following = false
		l.mu.Unlock()
		l.Log.Info("not following P2Pool's log (p2pool.follow: false)")
		go func() { <-ctx.Done(); errc <- nil }()
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	var loops sync.WaitGroup
	loops.Go(func() { l.RunPollers(loopCtx) })
	loops.Go(func() { l.RunAlerts(loopCtx) })
	loops.Go(func() { l.RunPayoutChecks(loopCtx) })
	loops.Go(func() { tick.Every(loopCtx, seriesUpkeep, true, func() { l.tidySeries(loopCtx) }) })
	// The health model is looked at every few seconds, not only when someone asks: a state's
	// SINCE is when it began (within componentsEvery), not when status was first run.
	loops.Go(func() { tick.Every(loopCtx, componentsEvery, true, func() { l.Components() }) })
	// A watchdog restart under way is stopped with the loops, and records that before the
	// store closes.
	defer func() { stopLoops(); loops.Wait(); l.WaitWatchdog() }()

	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
		l.mu.Lock()
		l.ingest.Error = err.Error()
		l.mu.Unlock()
		return err
	}
	st := f.Stats()
	l.Log.Info("stopped", "added", st.Added, "duplicates", st.Duplicates, "skipped", st.Skipped)
	return nil
}

// componentsEvery is how often the service looks at its components' states.
const componentsEvery = 2 * time.Second

// seriesUpkeep is how often the time series are pruned and sealed: the samples of the last
// minutes wait as a key each (~35 bytes) until sealed into chunks (~4).
const seriesUpkeep = 10 * time.Minute

func (l *Local) tidySeries(ctx context.Context) {
	n, err := l.Store.PruneSeries(l.Now())
	if err != nil {
		l.Log.Warn("prune time series", "err", err)
	} else if n > 0 {
		l.Log.Info("pruned time series", "days", n)
	}
	sealed, err := l.Store.SealSeries(ctx)
	if err != nil && ctx.Err() == nil {
		l.Log.Warn("seal time series", "err", err, "sealed", sealed)
	} else {
		l.Log.Debug("sealed time series", "samples", sealed)
	}
}

// RunService is `db4e --headless`: the ingest, and the socket that consoles and subcommands use.
func (l *Local) RunService(ctx context.Context, socket string) error {
	l.Via = "service"
	ln, err := api.Listen(socket)
	if err != nil {
		return err
	}
	defer os.Remove(socket)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	workers := 2
	go func() { errc <- api.Serve(ctx, ln, l, l.Cfg.Backup.Dir) }()
	go func() { errc <- l.RunIngest(ctx) }()
	if addr := l.Cfg.HTTPAddr(); addr != "" {
		workers++
		go func() { errc <- l.ServeWeb(ctx, addr) }()
	}
	if l.Cfg.CSV.Dir != "" {
		go l.publishCSV(ctx)
	}
	if b := l.Cfg.Backup; b.Interval > 0 && b.Dir != "" {
		go l.scheduledBackups(ctx, b.Interval)
	}
	l.Log.Info("service running", "socket", socket, "data", l.Store.Dir())
	err = <-errc
	cancel()
	for range workers - 1 {
		if err2 := <-errc; err == nil {
			err = err2
		}
	}
	return err
}

func (l *Local) scheduledBackups(ctx context.Context, every time.Duration) {
	tick.Every(ctx, every, false, func() {
		if _, err := l.Backup(ctx, ""); err != nil {
			l.Log.Error("scheduled backup", "err", err)
		}
	})
}
