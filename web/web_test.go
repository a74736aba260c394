package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/internal/opstest"
	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/ops"
	"github.com/db4e/db4e/web"
)

// fixtureEnd is a moment of the shared fixture's second day: its shares are in every range.
var fixtureEnd = time.Date(2025, 3, 2, 18, 0, 0, 0, time.UTC)

// farm is a store with the shared fixture imported, on a clock stopped at fixtureEnd.
func farm(t *testing.T) *ops.Local {
	t.Helper()
	return opstest.Fixture(t, ops.Config{P2Pool: ingest.DefaultConfig()}, fixtureEnd)
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	return testtool.Get(t, srv.URL+path)
}

// The JSON endpoint is the console's Snapshot for the same range, byte for byte: the page and
// the console draw the same thing.
func TestSnapshotEndpointIsTheConsoleSnapshot(t *testing.T) {
	l := farm(t)
	srv := httptest.NewServer(web.Handler(l))
	defer srv.Close()
	for _, days := range web.Ranges {
		resp, got := get(t, srv, "/api/snapshot?days="+itoa(days))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("days %d: %s %s", days, resp.Status, got)
		}
		snap, err := l.Snapshot(context.Background(), api.SnapshotQuery{Days: days, Events: 20})
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		json.NewEncoder(&want).Encode(snap)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("days %d: the endpoint's snapshot differs from the console's:\n%s\n%s", days, got, want.Bytes())
		}
		var back api.Snapshot
		if err := json.Unmarshal(got, &back); err != nil || len(back.Days) != days || back.Today.Shares != 2 || len(back.Miners) != 3 {
			t.Errorf("days %d: %d days, today %d shares, %d miners, %v", days, len(back.Days), back.Today.Shares, len(back.Miners), err)
		}
	}
	if resp, b := get(t, srv, "/api/snapshot?days=lots"); resp.StatusCode != 400 || !strings.Contains(string(b), "days: want a whole number") {
		t.Errorf("bad days: %s %s", resp.Status, b)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The page loads nothing from elsewhere (a farm node may have no internet, and the page must not
// leak who watches it), weighs at most 300 KB, and only reads.
func TestPageIsSelfContainedAndReadOnly(t *testing.T) {
	srv := httptest.NewServer(web.Handler(farm(t)))
	defer srv.Close()
	resp, page := get(t, srv, "/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("%s %v", resp.Status, resp.Header)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 {
		t.Fatalf("the page names %d files", len(refs))
	}
	total := len(page)
	for _, r := range refs {
		if strings.Contains(r[1], "//") || strings.HasPrefix(r[1], "/") {
			t.Errorf("the page names %q, not a file of its own", r[1])
			continue
		}
		resp, b := get(t, srv, "/"+r[1])
		if resp.StatusCode != 200 {
			t.Errorf("%s: %s", r[1], resp.Status)
		}
		total += len(b)
	}
	t.Logf("page weight: %d bytes (%d files)", total, len(refs)+1)
	if total > 300<<10 {
		t.Errorf("page weight %d bytes, want at most 300 KB", total)
	}
	for _, js := range []string{"/assets/app.js", "/assets/uPlot.iife.min.js"} {
		_, b := get(t, srv, js)
		if m := regexp.MustCompile(`https?://[a-z0-9.-]+`).FindAllString(string(b), -1); js == "/assets/app.js" && len(m) > 0 {
			t.Errorf("%s reaches out: %v", js, m)
		}
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, srv.URL+"/api/snapshot", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %s, want 405", method, resp.Status)
		}
	}
}

// The static site has the page, its assets and every range's data, and nothing that reaches
// out.
func TestWriteSite(t *testing.T) {
	dir := t.TempDir()
	names, err := web.WriteSite(context.Background(), farm(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	site := os.DirFS(dir)
	for _, want := range []string{"index.html", "assets/app.js", "assets/uPlot.iife.min.js", "assets/uPlot.LICENSE", "data/site.js"} {
		if _, err := fs.Stat(site, want); err != nil {
			t.Errorf("%s: %v (wrote %v)", want, err, names)
		}
	}
	b, _ := fs.ReadFile(site, "data/site.js")
	var data map[string]api.Snapshot
	if err := json.Unmarshal(bytes.TrimSuffix(bytes.TrimPrefix(b, []byte("window.DB4E_SITE = ")), []byte(";\n")), &data); err != nil {
		t.Fatal(err)
	}
	for _, days := range web.Ranges {
		if s := data[itoa(days)]; len(s.Days) != days || len(s.Miners) != 3 {
			t.Errorf("range %d: %d days, %d miners", days, len(s.Days), len(s.Miners))
		}
	}
}
