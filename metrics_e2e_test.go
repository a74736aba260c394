package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/testtool"
)

// serviceOnFixture starts a service following a log that holds the fixture, with extra
// configuration lines.
func serviceOnFixture(t *testing.T, extra string) {
	t.Helper()
	cfg, logPath := writeConfig(t, t.TempDir())
	raw, err := os.ReadFile("ingest/testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(logPath, raw, 0o644)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(extra)
	f.Close()
	startService(t, cfg)
}

// Debian's Prometheus scrapes the service on loopback, and a counter is read back through
// Prometheus' own HTTP API; promtool finds nothing wrong with /metrics.
func TestPrometheusScrapesTheService(t *testing.T) {
	prom, promtool := testtool.Need(t, "prometheus", "prometheus"), testtool.Need(t, "prometheus", "promtool")
	dir := t.TempDir() // Prometheus's
	mport := testtool.FreePort(t)
	serviceOnFixture(t, fmt.Sprintf("metrics_listen: 127.0.0.1:%d\n", mport)) // the old name still works
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", mport)
	var body []byte
	for deadline := time.Now().Add(15 * time.Second); ; {
		if resp, err := http.Get(metricsURL); err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(body, []byte("db4e_blocks_total 2")) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed the fixture's 2 blocks:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(body)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}

	pport := testtool.FreePort(t)
	promCfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: db4e
    static_configs:
      - targets: ["127.0.0.1:%d"]
`, mport)), 0o644)
	p := exec.Command(prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", pport), "--log.level=error")
	var perr bytes.Buffer
	p.Stderr = &perr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { p.Process.Kill(); p.Wait() }()
	q := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=db4e_shares_total%%7Bhost%%3D%%22rig-02%%22%%7D", pport)
	for deadline := time.Now().Add(60 * time.Second); ; {
		if v := promValue(q); v == "3" {
			return // rig-02 found 3 shares in the fixture
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never had db4e_shares_total{host=rig-02}=3: %s\n%s", promValue(q), perr.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func promValue(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Data.Result) == 0 || len(r.Data.Result[0].Value) < 2 {
		return "no result"
	}
	return strings.TrimSpace(fmt.Sprint(r.Data.Result[0].Value[1]))
}

// http_listen serves the page, its data and /metrics on one port; a bare port is on loopback.
func TestServiceServesThePage(t *testing.T) {
	port := testtool.FreePort(t)
	serviceOnFixture(t, fmt.Sprintf("http_listen: \"%d\"\n", port))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var snap api.Snapshot
	for deadline := time.Now().Add(15 * time.Second); ; {
		if resp, err := http.Get(base + "/api/snapshot?days=7"); err == nil {
			json.NewDecoder(resp.Body).Decode(&snap)
			resp.Body.Close()
			if len(snap.Miners) == 3 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page's data never showed the fixture's 3 miners: %+v", snap.Miners)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for path, want := range map[string]string{"/": "assets/app.js", "/metrics": "db4e_blocks_total 2", "/assets/uPlot.iife.min.js": "uPlot"} {
		resp, b := testtool.Get(t, base+path)
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s: %s, want %q in it", path, resp.Status, want)
		}
	}
}
