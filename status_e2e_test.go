package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/db4e/db4e/api"
)

func TestStatusCommand(t *testing.T) {
	info, _ := os.ReadFile("collect/testdata/monerod_get_info.json")
	monerod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(info) }))
	defer monerod.Close()
	summary, _ := os.ReadFile("collect/testdata/xmrig_summary.json")
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(summary) }))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 500) }))
	defer bad.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "db4e.yaml")
	write := func(xmrigURL string) {
		os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
socket: %s
monerod:
  rpc: %s
miners:
  xmrig:
    - {name: rig-01, url: %s}
`, filepath.Join(dir, "data"), filepath.Join(dir, "db4e.sock"), monerod.URL, xmrigURL)), 0o644)
	}
	write(good.URL)
	if _, errs, code := db4e(t, nil, "--config", cfg, "import", "ingest/testdata/sample.log"); code != 0 {
		t.Fatalf("a store to report on: %s", errs) // status, a reader, creates none
	}
	out, errs, code := db4e(t, nil, "--config", cfg, "status")
	if code != 0 || !strings.Contains(out, "height 3350301") || !strings.Contains(out, "rig-01") {
		t.Fatalf("all up: exit %d\n%s\n%s", code, out, errs)
	}
	write(bad.URL)
	out, errs, code = db4e(t, nil, "--config", cfg, "status", "--json")
	if code != 1 || !strings.Contains(errs, "down: rig-01") {
		t.Fatalf("rig down: exit %d\n%s\n%s", code, out, errs)
	}
	var st api.StatusReport
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Node.Height != 3350301 || len(st.Down()) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
}
