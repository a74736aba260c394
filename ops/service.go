package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/db4e/db4e/ingest"
)

// RunService is `db4e --headless`: follow P2Pool's log and keep the store tidy until ctx ends.
func (l *Local) RunService(ctx context.Context) error {
	f := &ingest.Follower{
		Path:  l.Cfg.P2Pool.Log,
		Name:  "p2pool",
		Store: l.Store,
		Cfg:   l.Cfg.P2Pool,
		Log:   l.Log.With("component", "follow"),
	}
	errc := make(chan error, 1)
	go func() { errc <- f.Run(ctx) }()

	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	release := time.NewTicker(10 * time.Second)
	defer release.Stop()
	l.pruneSeries()
	l.Store.ReleaseMappedPages()
	for {
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("follower: %w", err)
			}
			st := f.Stats()
			l.Log.Info("stopped", "added", st.Added, "duplicates", st.Duplicates, "skipped", st.Skipped)
			return nil
		case <-prune.C:
			l.pruneSeries()
		case <-release.C:
			l.Store.ReleaseMappedPages()
		}
	}
}

func (l *Local) pruneSeries() {
	n, err := l.Store.PruneSeries(l.Now())
	if err != nil {
		l.Log.Warn("prune time series", "err", err)
	} else if n > 0 {
		l.Log.Info("pruned time series", "days", n)
	}
}
