// Package web is db4e's page for a browser: the console's Snapshot drawn with uPlot, served by
// the service beside /metrics, or written as a static site. It is read-only, and everything it
// loads is embedded in the binary: a farm node may have no internet.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
)

//go:embed assets
var assets embed.FS

// Ranges are the chart ranges the page offers, in days.
var Ranges = []int{7, 30, 90, 365}

// recentEvents is how many of the newest events a snapshot for the page carries.
const recentEvents = 20

// snapshotTimeout bounds one snapshot: a page never holds a request open on a busy store.
const snapshotTimeout = 20 * time.Second

// Handler serves the page on /, its assets, and GET /api/snapshot?days=N: the Snapshot c gives
// the console, as JSON.
func Handler(c api.Console) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		http.ServeFileFS(w, r, assets, "assets/index.html")
	})
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", withHeaders(files)))
	mux.HandleFunc("GET /data/site.js", func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write([]byte("// served live: the page asks api/snapshot\n"))
	})
	mux.HandleFunc("GET /api/snapshot", func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		days, err := parseDays(r.URL.Query().Get("days"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
		defer cancel()
		snap, err := c.Snapshot(ctx, api.SnapshotQuery{Days: days, Events: recentEvents})
		if err != nil {
			// The reason, without any login a URL in it may hold.
			http.Error(w, "snapshot: "+model.RedactErr(err).Error(), statusOf(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(snap)
	})
	return mux
}

// headers keep the page to itself: no script, style or connection from elsewhere, no framing,
// no sniffing.
func headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func withHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		h.ServeHTTP(w, r)
	})
}

// parseDays reads a range in days: 1 to 366 (the page offers Ranges), 30 when none is given.
func parseDays(s string) (int, error) {
	if s == "" {
		return 30, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 366 {
		return 0, errors.New("days: want a whole number from 1 to 366")
	}
	return n, nil
}

// statusOf: the store unable to answer now is the service's trouble (503), not the page's.
func statusOf(err error) int {
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout
	}
	return http.StatusServiceUnavailable
}
