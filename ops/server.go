package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// The socket API: the Console interface over HTTP+JSON on a Unix socket. Paths are versioned so a
// console and a service of different releases fail clearly rather than misread each other.
const (
	pathPing     = "/v1/ping"
	pathSnapshot = "/v1/snapshot"
	pathReport   = "/v1/report"
	pathRebuild  = "/v1/rebuild"
	pathImport   = "/v1/import"
	pathExport   = "/v1/export/jsonseq"
	pathWatch    = "/v1/watch"
	pathRecord   = "/v1/record"
	pathBackup   = "/v1/backup"
	pathStatus   = "/v1/status"
	pathCheck    = "/v1/check"
	// pathBackupStream is a read: the snapshot goes to the client, which writes it itself.
	pathBackupStream = "/v1/backup/stream"
	// The stream's trailers: done, or why not.
	trailerBackupDone  = "X-Db4e-Backup-Done"
	trailerBackupError = "X-Db4e-Backup-Error"
)

// maxWatch bounds a long poll, under any proxy's or client's idle timeout.
const maxWatch = 25 * time.Second

// Handler serves a Console to remote consoles and subcommands.
func Handler(c Console, backupDir string, log *slog.Logger) http.Handler {
	mux := http.NewServeMux() // never http.DefaultServeMux: Badger registers expvar there
	mux.HandleFunc("GET "+pathPing, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"mode": "service"})
	})
	mux.HandleFunc("GET "+pathSnapshot, func(w http.ResponseWriter, r *http.Request) {
		var q SnapshotQuery
		var err error
		if q.Days, err = intParam(r, "days", 0, 3660); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		if q.Events, err = intParam(r, "events", 0, 10000); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		snap, err := c.Snapshot(r.Context(), q)
		if err != nil {
			httpError(w, http.StatusInternalServerError, err)
			return
		}
		snap.Mode = "attached"
		writeJSON(w, snap)
	})
	mux.HandleFunc("GET "+pathReport, func(w http.ResponseWriter, r *http.Request) {
		q := ReportQuery{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
		var err error
		if q.Days, err = intParam(r, "days", 0, 1<<20); err == nil {
			err = q.Validate()
		}
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		rep, err := c.Report(r.Context(), q)
		if err != nil {
			httpError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, rep)
	})
	mux.HandleFunc("POST "+pathRebuild, ownerOnly("rebuild", func(w http.ResponseWriter, r *http.Request) {
		n, err := c.Rebuild(r.Context())
		if err != nil {
			httpError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, map[string]int{"events": n})
	}))
	mux.HandleFunc("POST "+pathImport, ownerOnly("import", func(w http.ResponseWriter, r *http.Request) {
		format := r.URL.Query().Get("format")
		source := r.URL.Query().Get("source")
		if len(source) > 512 {
			source = source[:512]
		}
		res, err := c.Import(r.Context(), format, "client:"+source, r.Body)
		if err != nil {
			httpError(w, http.StatusUnprocessableEntity, err)
			return
		}
		writeJSON(w, res)
	}))
	mux.HandleFunc("GET "+pathExport, func(w http.ResponseWriter, r *http.Request) {
		from, err1 := timeParam(r, "from")
		to, err2 := timeParam(r, "to")
		if err := errors.Join(err1, err2); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		w.Header().Set("Content-Type", "application/json-seq")
		if err := c.ExportJSONSeq(r.Context(), from, to, w); err != nil {
			log.Warn("export over socket", "err", err)
		}
	})
	mux.HandleFunc("GET "+pathWatch, func(w http.ResponseWriter, r *http.Request) {
		since, err := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("since: %w", err))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), maxWatch)
		defer cancel()
		v, _ := c.Watch(ctx, since)
		writeJSON(w, map[string]uint64{"version": v})
	})
	mux.HandleFunc("GET "+pathStatus, func(w http.ResponseWriter, r *http.Request) {
		st, err := c.Status(r.Context())
		if err != nil {
			httpError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, st)
	})
	mux.HandleFunc("GET "+pathBackupStream, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", trailerBackupDone+", "+trailerBackupError)
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := c.BackupStream(r.Context(), w); err != nil {
			w.Header().Set(trailerBackupError, err.Error())
			return
		}
		w.Header().Set(trailerBackupDone, "1")
	})
	mux.HandleFunc("GET "+pathCheck, func(w http.ResponseWriter, r *http.Request) {
		rep, err := c.Check(r.Context())
		if err != nil {
			httpError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, rep)
	})
	mux.HandleFunc("POST "+pathRecord, ownerOnly("recording an event", func(w http.ResponseWriter, r *http.Request) {
		var e model.Event
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&e); err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("record: %w", err))
			return
		}
		if err := c.Record(r.Context(), e); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, map[string]bool{"ok": true})
	}))
	mux.HandleFunc("POST "+pathBackup, ownerOnly("a backup", func(w http.ResponseWriter, r *http.Request) {
		dir := r.URL.Query().Get("dir")
		if dir != "" && !filepath.IsAbs(dir) {
			httpError(w, http.StatusBadRequest, fmt.Errorf("backup: the directory must be absolute, got %q", dir))
			return
		}
		// The service writes backups under backup.dir only: a client may not have it create
		// or fill any other directory with the service's rights.
		if dir != "" && !within(dir, backupDir) {
			httpError(w, http.StatusForbidden, fmt.Errorf("backup: the service writes backups under backup.dir (%q) only, not in %q", backupDir, dir))
			return
		}
		res, err := c.Backup(r.Context(), dir)
		if err != nil {
			httpError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, res)
	}))
	return mux
}

// within reports whether dir is base or below it.
func within(dir, base string) bool {
	if base == "" {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(base), filepath.Clean(dir))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func intParam(r *http.Request, name string, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: want a number from %d to %d, got %q", name, lo, hi, s)
	}
	return n, nil
}

func timeParam(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

type apiError struct {
	Error string `json:"error"`
}

func httpError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(apiError{err.Error()})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Listen opens the service's socket, mode 0660 (the group may attach a console). A socket left by
// a crashed service is replaced; one a running service answers on is an error.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("socket dir: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("socket %s: another db4e service answers there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod socket %s: %w", path, err)
	}
	return ln, nil
}

// Serve answers on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, c Console, backupDir string, log *slog.Logger) error {
	srv := &http.Server{Handler: Handler(c, backupDir, log), ReadHeaderTimeout: 10 * time.Second,
		// An idle connection is closed: a client that opens many and leaves them costs memory.
		IdleTimeout: 30 * time.Second, ConnContext: withPeer}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve socket: %w", err)
	}
}
