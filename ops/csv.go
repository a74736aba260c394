package ops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/tick"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
	"github.com/db4e/db4e/web"
	"github.com/google/renameio/v2"
)

// CSVConfig is the csv section: the daily-total CSV files the service keeps up to date.
type CSVConfig struct {
	// Dir gets shares.csv, shares_by_host.csv, blocks.csv and payments.csv (or, with Legacy,
	// the original db4e's chart files: legacyFiles) rewritten after new events; empty: off.
	Dir    string `yaml:"dir"`
	Legacy bool   `yaml:"legacy"`
	// Site writes the web page into Dir too, as `db4e export site` does (index.html, assets/,
	// data/site.js), so that Git publishes it with the files.
	Site bool `yaml:"site"`
	// Git commits the files in Dir (a git work tree) and pushes them.
	Git bool `yaml:"git"`
	// Every bounds how often they are rewritten.
	Every time.Duration `yaml:"every"`
}

// DefaultCSVConfig is the csv section when the file has none.
func DefaultCSVConfig() CSVConfig { return CSVConfig{Every: time.Minute} }

// Validate names the first bad key of the section, relative to it.
func (c CSVConfig) Validate() error {
	var p model.Problems
	p.Check(c.Every < time.Second, "every: want at least 1s, got %s", c.Every)
	p.Check(c.Git && c.Dir == "", "dir: needed for csv.git")
	return p.Err()
}

// WriteCSV writes the daily-total files of r into dir, each atomically (temp file, rename):
// shares.csv (date,shares), shares_by_host.csv (date,host,shares), blocks.csv (date,blocks) and
// payments.csv (date,payments,xmr). With legacy, the chart files the original db4e wrote instead
// (legacyFiles).
func WriteCSV(dir string, r api.Report, legacy bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	files := legacyFiles(r)
	if !legacy {
		files = currentFiles(r)
	}
	var names []string
	for name, b := range files {
		if err := writeAtomic(filepath.Join(dir, name), b); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// currentFiles are db4e's own CSV files: every day, one table each.
func currentFiles(r api.Report) map[string][]byte {
	shares := [][]string{{"date", "shares"}}
	byHost := [][]string{{"date", "host", "shares"}}
	blocks := [][]string{{"date", "blocks"}}
	// xmr is what counts (confirmed on the chain), as in report; the others beside it.
	payments := [][]string{{"date", "payments", "xmr", "claimed_xmr", "unlocked_xmr", "orphaned_xmr"}}
	for _, d := range r.Days {
		shares = append(shares, []string{d.Date, u(d.Shares)})
		hosts := make([]string, 0, len(d.SharesByHost))
		for h := range d.SharesByHost {
			hosts = append(hosts, h)
		}
		sort.Strings(hosts)
		for _, h := range hosts {
			byHost = append(byHost, []string{d.Date, csvText(h), u(d.SharesByHost[h])})
		}
		blocks = append(blocks, []string{d.Date, u(d.Blocks)})
		payments = append(payments, []string{d.Date, u(d.Payments), d.Piconero.XMR(), d.Claimed.XMR(), d.Unlocked.XMR(), d.Orphaned.XMR()})
	}
	files := map[string][]byte{}
	for name, rows := range map[string][][]string{"shares.csv": shares, "shares_by_host.csv": byHost, "blocks.csv": blocks, "payments.csv": payments} {
		files[name] = writeRows(rows[0], rows[1:])
	}
	return files
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

// csvText makes a name from a miner safe in a spreadsheet: a cell that starts with = + - @ (or a
// tab or carriage return) is a formula to Excel and LibreOffice, so it gets a leading quote, as
// OWASP advises against CSV injection. Only names get this: dates and numbers are ours.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeAtomic replaces path with b whole: a reader (a web server, git) sees the old file or
// the new one, never half of one, and a crash leaves one of the two (renameio syncs before the
// rename).
func writeAtomic(path string, b []byte) error {
	if err := renameio.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// ExportCSV writes the CSV files of every day into dir.
func (l *Local) ExportCSV(ctx context.Context, dir string, legacy bool) ([]string, error) {
	r, err := l.Report(ctx, api.ReportQuery{})
	if err != nil {
		return nil, err
	}
	return WriteCSV(dir, r, legacy)
}

// publishCSV keeps the CSV files current in the service: after new events, at most every
// cfg.Every, and, in a git work tree, committed and pushed, as the original farm published
// them to its web page. A failure is the csv component's state (status, /metrics, the console),
// an event when it starts and when it ends, and is retried with a growing pause until it heals,
// new events or not.
func (l *Local) publishCSV(ctx context.Context) {
	cfg := l.Cfg.CSV
	var seen uint64
	for {
		if fails := l.csvState.failures(); fails == 0 {
			v, err := l.changes.wait(ctx, seen)
			if err != nil {
				return
			}
			seen = v
		} else if !tick.Sleep(ctx, csvBackoff(cfg.Every, fails)) {
			return
		}
		err := l.publishOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		l.noteCSV(ctx, err)
		if !tick.Sleep(ctx, cfg.Every) {
			return
		}
	}
}

func (l *Local) publishOnce(ctx context.Context) error {
	cfg := l.Cfg.CSV
	names, err := l.ExportCSV(ctx, cfg.Dir, cfg.Legacy)
	if err != nil {
		return err
	}
	if cfg.Site {
		site, err := web.WriteSite(ctx, l, cfg.Dir)
		if err != nil {
			return err
		}
		names = append(names, site...)
	}
	if !cfg.Git {
		return nil
	}
	if err := gitPublish(ctx, cfg.Dir, names); err != nil {
		return fmt.Errorf("git: %w", err)
	}
	return nil
}

// noteCSV keeps the csv component's state; its start and its end are logged and recorded.
func (l *Local) noteCSV(ctx context.Context, err error) {
	was := l.csvState.failures()
	l.csvState.set(err, l.Now())
	switch {
	case err != nil && was == 0:
		l.Log.Warn("csv publishing failed; retrying", "err", err)
		l.recordAction(ctx, "csv publish", l.Cfg.CSV.Dir, err)
		l.changes.bump()
	case err != nil:
		l.Log.Debug("csv publishing failed again", "err", err, "tries", was+1)
	case was > 0:
		l.Log.Info("csv publishing works again", "after", was)
		l.recordAction(ctx, "csv publish", l.Cfg.CSV.Dir, nil)
		l.changes.bump()
	}
}

// csvBackoff is the pause before the next try after fails failures in a row: every, doubled
// each time, at most ten minutes.
func csvBackoff(every time.Duration, fails int) time.Duration {
	d := every
	for i := 1; i < fails && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// gitPublish commits the files (if they changed) and, when the branch is ahead of its
// upstream, fetches, rebases onto it and pushes: another commit on the remote (a page edited
// there) does not reject every later push, and commits left by a failed push go with the next.
// On a conflict db4e's files win: they are rewritten from the store anyway. Fixed arguments,
// no shell.
func gitPublish(ctx context.Context, dir string, names []string) error {
	git := func(args ...string) (string, error) {
		res, err := runner.Run(ctx, runner.Command{Argv: append([]string{"git", "-C", dir}, args...), Name: "git " + args[0], Timeout: 2 * time.Minute})
		return strings.TrimSpace(res.Stdout), err
	}
	if _, err := git(append([]string{"add", "--"}, names...)...); err != nil {
		return err
	}
	out, err := git("status", "--porcelain", "--", ".")
	if err != nil {
		return err
	}
	if out != "" {
		if _, err := git("commit", "-q", "-m", "db4e: daily totals "+time.Now().UTC().Format(time.DateOnly)); err != nil {
			return err
		}
	}
	ahead, err := git("rev-list", "--count", "@{upstream}..HEAD")
	if err != nil {
		return fmt.Errorf("%w (the branch needs an upstream: git push -u origin BRANCH once)", err)
	}
	if ahead == "0" {
		return nil
	}
	if _, err := git("pull", "-q", "--rebase", "-X", "theirs", "--no-edit"); err != nil {
		git("rebase", "--abort") // leave the work tree as it was; the next try starts clean
		return err
	}
	_, err = git("push", "-q")
	return err
}
