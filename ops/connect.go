package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// Opened is a api.Console and how to let it go.
type Opened struct {
	api.Console
	// Local is set when this process holds the store (no service answered).
	Local *Local
	Close func() error
}

// Connect attaches to the service when one answers on socket, and otherwise opens the store in
// dataDir itself: every subcommand works the same with the service running and without it.
func Connect(ctx context.Context, socket, dataDir string, scfg store.Config, cfg Config, log *slog.Logger) (Opened, error) {
	if socket != "" {
		if r, err := api.Dial(ctx, socket); err == nil {
			r.WriteBackup = func(dir string, snapshot func(io.Writer) error) (api.BackupResult, error) {
				return writeBackup(dir, time.Now(), cfg.Backup.Keep, snapshot)
			}
			return Opened{Console: r, Close: func() error { return nil }}, nil
		}
	}
	l, err := OpenLocal(dataDir, scfg, cfg, log)
	if err != nil {
		return Opened{}, err
	}
	return Opened{Console: l, Local: l, Close: l.Store.Close}, nil
}

// OpenLocal opens the store in dataDir for this process alone.
func OpenLocal(dataDir string, scfg store.Config, cfg Config, log *slog.Logger) (*Local, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !scfg.Reader { // a reader creates nothing
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	st, err := store.Open(dataDir, scfg, log.With("component", "store"))
	if errors.Is(err, model.ErrLocked) {
		return nil, fmt.Errorf("%w; if it is a db4e, its socket does not answer here: check the socket key of both configurations", err)
	}
	if err != nil {
		return nil, err
	}
	return NewLocal(st, cfg, log), nil
}

// OpenService opens the store for the service. On a disk under store.min_free_mb it waits,
// saying so once, rather than exit: under systemd that would be a restart loop, and opening
// read-write can itself write (a crash's memtables are flushed at once).
//
// A console that embeds the store (opened while no service ran) is asked, over the socket, to
// hand it over; it closes the store and attaches to this service once it listens.
func OpenService(ctx context.Context, dataDir, socket string, scfg store.Config, cfg Config, log *slog.Logger) (*Local, error) {
	said := false
	for {
		l, err := OpenLocal(dataDir, scfg, cfg, log)
		if errors.Is(err, model.ErrLocked) && askToYield(ctx, socket, log) {
			l, err = waitForStore(ctx, dataDir, scfg, cfg, log)
		}
		if !errors.Is(err, model.ErrDiskFull) {
			if said && err == nil {
				log.Info("the disk has room: the store is open")
			}
			return l, err
		}
		if !said {
			log.Warn("waiting for free space before opening the store", "err", err)
			said = true
		}
		if !tick.Sleep(ctx, 5*time.Second) {
			return nil, ctx.Err()
		}
	}
}

// handoverWait bounds how long the service waits for a console to close the store it hands over.
const handoverWait = 15 * time.Second

// askToYield asks the db4e on socket to hand over the store; true when it agreed.
func askToYield(ctx context.Context, socket string, log *slog.Logger) bool {
	r, err := api.Dial(ctx, socket)
	if err != nil {
		return false
	}
	if err := r.Yield(ctx); err != nil {
		log.Warn("the db4e holding the store does not hand it over", "err", err)
		return false
	}
	log.Info("a console holds the store: it hands it over and attaches to this service")
	return true
}

// waitForStore opens the store as soon as the console that had it lets it go.
func waitForStore(ctx context.Context, dataDir string, scfg store.Config, cfg Config, log *slog.Logger) (*Local, error) {
	deadline := time.Now().Add(handoverWait)
	for {
		l, err := OpenLocal(dataDir, scfg, cfg, log)
		if !errors.Is(err, model.ErrLocked) || time.Now().After(deadline) {
			return l, err
		}
		if !tick.Sleep(ctx, 50*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}
