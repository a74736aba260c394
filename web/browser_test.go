package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/web"
)

// artifacts is where the screenshots are kept to be looked at: $DB4E_ARTIFACTS, or a directory
// under the system's temp dir that outlives the test.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DB4E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "db4e-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The page, served and as a static site opened from file://, in headless Chromium on a phone
// (390x844, touch) and a desk (1280x800): it draws the charts, lists the fixture's miners,
// fits the width, and says nothing failed. A screenshot of each is kept.
func TestPageInChromium(t *testing.T) {
	exe := testtool.Need(t, "chromium", "chromium", "chromium-browser")
	l := farm(t)
	srv := httptest.NewServer(web.Handler(l))
	defer srv.Close()
	siteDir := t.TempDir()
	if _, err := web.WriteSite(context.Background(), l, siteDir); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-component-update", true))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	out := artifacts(t)
	for _, page := range []struct{ name, url string }{
		{"served", srv.URL + "/"},
		{"site", "file://" + filepath.Join(siteDir, "index.html")},
	} {
		for _, size := range []struct {
			w, h   int64
			mobile bool
		}{{390, 844, true}, {1280, 800, false}} {
			name := fmt.Sprintf("%s-%dx%d", page.name, size.w, size.h)
			t.Run(name, func(t *testing.T) {
				ctx, cancel := chromedp.NewContext(alloc)
				defer cancel()
				ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				view := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
				if size.mobile {
					view = append(view, chromedp.EmulateMobile, chromedp.EmulateTouch)
				}
				err := chromedp.Do(ctx,
					chromedp.EmulateViewport(size.w, size.h, view...),
					chromedp.Navigate(page.url),
					chromedp.WaitVisible(`#miners tbody tr:nth-child(3)`),
					chromedp.WaitVisible(`#c-shares canvas`),
				)
				if err != nil {
					t.Fatal(err)
				}
				canvases := eval[int](t, ctx, `document.querySelectorAll("canvas").length`)
				rows := eval[int](t, ctx, `document.querySelectorAll("#miners tbody tr").length`)
				widest := eval[float64](t, ctx, `Math.max(...[...document.querySelectorAll(".uplot")].map(e => e.getBoundingClientRect().right))`)
				viewport := eval[int64](t, ctx, `document.documentElement.clientWidth`)
				body := eval[string](t, ctx, `document.body.innerText`)
				state := eval[string](t, ctx, `document.getElementById("farm-state").textContent`)
				shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(out, "page-"+name+".png")
				if err := os.WriteFile(path, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot %s (%d bytes): %d charts, %d miners, widest chart ends at %.0f of %d px", path, len(shot), canvases, rows, widest, viewport)
				if canvases < 4 || rows != 3 {
					t.Errorf("%d canvases (want a chart each for shares, by miner, blocks, XMR), %d miner rows", canvases, rows)
				}
				for _, host := range []string{"rig-01", "rig-02", "rig-03", "not checked: set monerod.rpc", "confirmed by monerod"} {
					if !strings.Contains(body, host) {
						t.Errorf("%s not on the page", host)
					}
				}
				if viewport != size.w || widest > float64(viewport) {
					t.Errorf("the page is %d px wide in a %d px window, a chart ends at %.0f", viewport, size.w, widest)
				}
				if state == "no answer" || strings.Contains(body, "not answering") {
					t.Errorf("the page could not read its data: %q", state)
				}
			})
		}
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}
