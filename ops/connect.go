package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
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
	attach := func() (Opened, bool) {
		if socket == "" {
			return Opened{}, false
		}
		r, err := api.Dial(ctx, socket)
		if err != nil {
			return Opened{}, false
		}
		r.WriteBackup = func(dir string, snapshot func(io.Writer) error) (api.BackupResult, error) {
			return writeBackup(dir, time.Now(), cfg.Backup.Keep, snapshot)
		}
		return Opened{Console: r, Close: func() error { return nil }}, true
	}
	if o, ok := attach(); ok {
		return o, nil
	}
	denied := socketDenied(socket)
	l, err := OpenLocal(dataDir, scfg, cfg, log)
	if errors.Is(err, model.ErrLocked) && denied == nil {
		// A service that is starting holds the store before its socket answers: wait for the
		// socket rather than fail (a status check or a cron report right after a start).
		for deadline := time.Now().Add(serviceStartWait); time.Now().Before(deadline); {
			if !tick.Sleep(ctx, 100*time.Millisecond) {
				return Opened{}, ctx.Err()
			}
			if o, ok := attach(); ok {
				return o, nil
			}
			if l, err = OpenLocal(dataDir, scfg, cfg, log); !errors.Is(err, model.ErrLocked) {
				break // the holder let go: a reader that finished
			}
		}
	}
	if err != nil {
		if denied != nil && (errors.Is(err, fs.ErrPermission) || errors.Is(err, model.ErrLocked)) {
			return Opened{}, denied // the socket is the way in, and it is closed to this user
		}
		if errors.Is(err, fs.ErrPermission) {
			return Opened{}, fmt.Errorf("%w (%s)", err, joinHint(dataDir))
		}
		return Opened{}, err
	}
	return Opened{Console: l, Local: l, Close: l.Store.Close}, nil
}

// serviceStartWait bounds how long a command waits for a starting service's socket, or for a
// short-lived reader (another command) to let the store go.
const serviceStartWait = 15 * time.Second

// socketDenied says why the service's socket is there but closed to this user; nil when it is
// not there or open.
func socketDenied(socket string) error {
	if socket == "" {
		return nil
	}
	if _, err := os.Stat(socket); err != nil {
		if errors.Is(err, fs.ErrPermission) { // its directory is closed to us
			return fmt.Errorf("the db4e service's socket %s cannot be reached (permission denied on its directory): %s", socket, joinHint(filepath.Dir(socket)))
		}
		return nil
	}
	if err := syscall.Access(socket, 2 /* W_OK: connecting to a socket writes to it */); errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("the db4e service's socket %s is not open to you (permission denied): %s", socket, joinHint(socket))
	}
	return nil
}

// joinHint names the group whose members may use path, and how to join it.
func joinHint(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "ask the service's owner for access"
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "ask the service's owner for access"
	}
	name := strconv.Itoa(int(st.Gid))
	if g, err := user.LookupGroupId(name); err == nil {
		name = g.Name
	}
	return fmt.Sprintf("members of group %s may use it: sudo usermod -aG %s $USER, then log in again", name, name)
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
		if errors.Is(err, model.ErrLocked) {
			if askToYield(ctx, socket, log) {
				l, err = waitForStore(ctx, dataDir, scfg, cfg, log, handoverWait)
			} else {
				// Another command (report from cron, a status check) reads the store for a
				// moment: wait for it rather than exit into a restart loop.
				log.Info("another db4e reads the store: waiting for it to finish", "dir", dataDir)
				l, err = waitForStore(ctx, dataDir, scfg, cfg, log, serviceStartWait)
			}
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
func waitForStore(ctx context.Context, dataDir string, scfg store.Config, cfg Config, log *slog.Logger, wait time.Duration) (*Local, error) {
	deadline := time.Now().Add(wait)
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
