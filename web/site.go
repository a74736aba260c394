package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/renameio/v2"

	"github.com/db4e/db4e/api"
)

// WriteSite writes the page into dir as a static site, the way the original db4e published its
// charts: index.html, assets/, and data/site.js holding a snapshot for each of Ranges. It opens
// from file:// and from any web server, and csv.git can push it. Each file is replaced whole.
func WriteSite(ctx context.Context, c api.Console, dir string) ([]string, error) {
	data := map[string]api.Snapshot{}
	for _, days := range Ranges {
		snap, err := c.Snapshot(ctx, api.SnapshotQuery{Days: days, Events: recentEvents})
		if err != nil {
			return nil, fmt.Errorf("site: snapshot of %d days: %w", days, err)
		}
		data[strconv.Itoa(days)] = snap
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	// A script rather than a JSON file: a page opened from file:// may not fetch.
	files := map[string][]byte{"data/site.js": append(append([]byte("window.DB4E_SITE = "), b...), ";\n"...)}
	err = fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		if path == "assets/index.html" {
			path = "index.html"
		}
		files[path] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	var names []string
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
		if err := renameio.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
		names = append(names, name)
	}
	return names, nil
}
