package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// Handler serves a Console to remote consoles and subcommands: every route of Routes, each
// write for the owner only. backupDir bounds where the service writes a backup it is asked for.
func Handler(c Console, backupDir string) http.Handler {
	mux := http.NewServeMux() // never http.DefaultServeMux: Badger registers expvar there
	mux.HandleFunc("GET "+pathPing, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"mode": "service"})
	})
	serve(mux, RouteSnapshot, c.Snapshot)
	serve(mux, RouteReport, c.Report)
	serve(mux, RouteRebuild, func(ctx context.Context, _ none) (rebuildAnswer, error) {
		n, err := c.Rebuild(ctx)
		return rebuildAnswer{Events: n}, err
	})
	serve(mux, RouteWatch, func(ctx context.Context, q watchRequest) (watchAnswer, error) {
		ctx, cancel := context.WithTimeout(ctx, maxWatch)
		defer cancel()
		v, _ := c.Watch(ctx, q.Since) // the long poll's end is an answer, not an error
		return watchAnswer{Version: v}, nil
	})
	serve(mux, RouteRecord, func(ctx context.Context, e model.Event) (none, error) {
		return none{}, c.Record(ctx, e)
	})
	serve(mux, RouteBackup, func(ctx context.Context, q backupRequest) (BackupResult, error) {
		// The service writes backups under backup.dir only: a client may not have it create or
		// fill any other directory with the service's rights.
		if q.Dir != "" && (!filepath.IsAbs(q.Dir) || !within(q.Dir, backupDir)) {
			return BackupResult{}, fmt.Errorf("backup: the service writes backups under backup.dir (%q) only, not in %q: %w", backupDir, q.Dir, model.ErrDenied)
		}
		return c.Backup(ctx, q.Dir)
	})
	serve(mux, RouteStatus, func(ctx context.Context, _ none) (StatusReport, error) { return c.Status(ctx) })
	serve(mux, RouteCheck, func(ctx context.Context, _ none) (model.CheckReport, error) { return c.Check(ctx) })
	serve(mux, RouteYield, func(ctx context.Context, _ none) (none, error) { return none{}, c.Yield(ctx) })
	serve(mux, RouteMiner, c.Miner)
	serve(mux, RouteAcknowledge, func(ctx context.Context, q ackRequest) (none, error) { return none{}, c.Acknowledge(ctx, q.Rule) })
	serve(mux, RoutePayouts, func(ctx context.Context, _ none) (Payouts, error) { return c.Payouts(ctx) })

	mux.HandleFunc("POST "+RouteImport.Path, guard(RouteImport, func(w http.ResponseWriter, r *http.Request) {
		source := r.URL.Query().Get("source")
		if len(source) > 512 {
			source = source[:512]
		}
		res, err := c.Import(r.Context(), r.URL.Query().Get("format"), "client:"+source, r.Body)
		if err != nil {
			// What was stored before the error is stored: the caller's summary counts it.
			if b, jerr := json.Marshal(res); jerr == nil {
				w.Header().Set(importResultHeader, string(b))
			}
			httpError(w, err)
			return
		}
		writeJSON(w, res)
	}))
	streamed(mux, RouteExportJSONSeq, "application/json-seq", func(r *http.Request, w io.Writer) error {
		from, err1 := timeParam(r, "from")
		to, err2 := timeParam(r, "to")
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%w: %w", model.ErrInvalid, err)
		}
		return c.ExportJSONSeq(r.Context(), from, to, w)
	})
	streamed(mux, RouteBackupStream, "application/octet-stream", func(r *http.Request, w io.Writer) error {
		return c.BackupStream(r.Context(), w)
	})
	return mux
}

// serve registers a unary route: the request decoded from JSON, fn's answer encoded, or its
// error with its code.
func serve[Req, Resp any](mux *http.ServeMux, rt Route, fn func(context.Context, Req) (Resp, error)) {
	mux.HandleFunc("POST "+rt.Path, guard(rt, func(w http.ResponseWriter, r *http.Request) {
		var in Req
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			httpError(w, fmt.Errorf("%s: %w: %w", rt.Method, model.ErrInvalid, err))
			return
		}
		out, err := fn(r.Context(), in)
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, out)
	}))
}

// streamed registers a route whose answer is a stream: its failure after the stream began, or
// its end, goes in a trailer.
func streamed(mux *http.ServeMux, rt Route, contentType string, fn func(*http.Request, io.Writer) error) {
	mux.HandleFunc("GET "+rt.Path, guard(rt, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", strings.Join([]string{trailerDone, trailerError, trailerErrorCode}, ", "))
		w.Header().Set("Content-Type", contentType)
		if err := fn(r, w); err != nil {
			code, _ := codeOf(err)
			w.Header().Set(trailerError, err.Error())
			w.Header().Set(trailerErrorCode, code)
			return
		}
		w.Header().Set(trailerDone, "1")
	}))
}

// guard lets a write route through only from the service's own user or root.
func guard(rt Route, h http.HandlerFunc) http.HandlerFunc {
	if !rt.Owner {
		return h
	}
	return ownerOnly(rt.Method, h)
}

// within reports whether dir is base or below it.
func within(dir, base string) bool {
	if base == "" {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(base), filepath.Clean(dir))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
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

func httpError(w http.ResponseWriter, err error) {
	code, status := codeOf(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(wireError{Code: code, Error: err.Error()})
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
func Serve(ctx context.Context, ln net.Listener, c Console, backupDir string) error {
	srv := &http.Server{Handler: Handler(c, backupDir), ReadHeaderTimeout: 10 * time.Second,
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
