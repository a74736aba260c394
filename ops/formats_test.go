package ops

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

func readCSV(t *testing.T, path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// judge stores what a check found for the payouts at heights, as the checker would.
func judge(t *testing.T, l *Local, state string, heights ...uint64) {
	t.Helper()
	var b store.Batch
	for _, h := range heights {
		b.Events = append(b.Events, model.Event{Time: time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC), Kind: model.KindPayout, Height: h, State: state,
			ID: model.HashID(fmt.Appendf(nil, "%s %d", state, h))})
	}
	if _, err := l.Store.Apply(&b); err != nil {
		t.Fatal(err)
	}
}

// payoutHeights are the heights of the fixture's payouts.
func payoutHeights(t *testing.T, l *Local) []uint64 {
	ps, err := l.Store.Payouts()
	if err != nil || len(ps) == 0 {
		t.Fatalf("payouts %v %v", ps, err)
	}
	var hs []uint64
	for _, p := range ps {
		hs = append(hs, p.Height)
	}
	return hs
}

func TestCSVFiles(t *testing.T) {
	l := fixtureLocal(t, t.TempDir())
	defer l.Store.Close()
	hs := payoutHeights(t, l)
	judge(t, l, model.PayoutConfirmed, hs[0])
	judge(t, l, model.PayoutOrphaned, hs[1])
	dir := t.TempDir()
	if _, err := l.ExportCSV(context.Background(), dir, false); err != nil {
		t.Fatal(err)
	}
	want := map[string][][]string{
		"shares.csv":         {{"date", "shares"}, {"2025-03-01", "4"}, {"2025-03-02", "2"}},
		"shares_by_host.csv": {{"date", "host", "shares"}, {"2025-03-01", "rig-01", "2"}, {"2025-03-01", "rig-02", "1"}, {"2025-03-01", "rig-03", "1"}, {"2025-03-02", "rig-02", "2"}},
		"blocks.csv":         {{"date", "blocks"}, {"2025-03-01", "2"}, {"2025-03-02", "0"}},
		"payments.csv": {{"date", "payments", "xmr", "claimed_xmr", "unlocked_xmr", "orphaned_xmr"},
			{"2025-03-01", "2", "0.000531220018", "0.001611286503", "0.000000000000", "0.001080066485"},
			{"2025-03-02", "0", "0.000000000000", "0.000000000000", "0.000000000000", "0.000000000000"}},
	}
	for name, rows := range want {
		if got := readCSV(t, filepath.Join(dir, name)); !reflect.DeepEqual(got, rows) {
			t.Errorf("%s: %v, want %v", name, got, rows)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The original db4e's chart files, byte for byte, from the shared fixture: testdata/legacy has
// what its modules (lib/Mining/*Csv, NadimGhaznavi/db4e) write for these events, checked against
// a run of their Python code (bench/legacy_csv_check.py).
//
// The files count what monerod confirmed, as every db4e total does: with every payout confirmed
// they are the original's; an orphaned payout is left out (TestCSVFiles).
func TestLegacyCSVGolden(t *testing.T) {
	l := fixtureLocal(t, t.TempDir())
	defer l.Store.Close()
	judge(t, l, model.PayoutConfirmed, payoutHeights(t, l)...)
	dir := t.TempDir()
	names, err := l.ExportCSV(context.Background(), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"blocks_found.csv", "blocks_found_short.csv", "p2pool_payouts.csv", "p2pool_payouts_daily.csv",
		"p2pool_payouts_daily_short.csv", "p2pool_payouts_short.csv", "shares_found.csv", "shares_found_by_host.csv",
		"shares_found_by_host_short.csv", "shares_found_short.csv"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("wrote %v, want %v", names, want)
	}
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "legacy", name)
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			os.WriteFile(golden, got, 0o644)
		}
		if w, err := os.ReadFile(golden); err != nil || !bytes.Equal(got, w) {
			t.Errorf("%s:\n%s\nwant (%s):\n%s", name, got, golden, w)
		}
	}
}

// The legacy files' own rules, on days the fixture does not have: the payouts filled in from
// the first payout day to the last (not to today), the totals rounded half-even to 4 decimals,
// a host's column from the day of its first share, and _short.csv's last 30 rows under one
// header.
func TestLegacyCSVRules(t *testing.T) {
	var days []api.ReportDay
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		d := api.ReportDay{Date: start.AddDate(0, 0, i).Format(time.DateOnly), SharesByHost: map[string]uint64{}}
		if i%2 == 0 {
			d.Shares, d.SharesByHost["rig-b"] = 2, 2
		}
		if i >= 10 && i%2 == 0 {
			d.Shares++
			d.SharesByHost["rig-a"] = 1
		}
		switch i {
		case 3:
			d.Payments, d.Piconero = 1, model.PiconeroFromInt(125_000_000) // 0.000125
		case 5:
			d.Payments, d.Piconero = 1, model.PiconeroFromInt(25_000_000) // to 0.000150: half, rounds to even 0.0002
		}
		days = append(days, d)
	}
	files := legacyFiles(api.Report{Days: days})
	if got := string(files["p2pool_payouts.csv"]); got != "Date,Total\n2025-01-04,0.0001\n2025-01-05,0.0001\n2025-01-06,0.0002\n" {
		t.Errorf("p2pool_payouts.csv:\n%s", got)
	}
	if got := string(files["p2pool_payouts_daily.csv"]); got != "Date,Total\n2025-01-04,0.000125000000\n2025-01-05,0\n2025-01-06,0.000025000000\n" {
		t.Errorf("p2pool_payouts_daily.csv:\n%s", got)
	}
	byHost := strings.Split(string(files["shares_found_by_host.csv"]), "\n")
	if byHost[0] != "Date,rig-b,rig-a" || byHost[1] != "2025-01-01 00:00:00,2,0" || byHost[6] != "2025-01-11 00:00:00,2,1" {
		t.Errorf("shares_found_by_host.csv: %q", byHost[:7])
	}
	short := strings.Split(strings.TrimSpace(string(files["shares_found_short.csv"])), "\n")
	if len(short) != 1+20 || short[0] != "Date,Shares Found" || short[1] != "2025-01-01 00:00:00,2" {
		t.Errorf("shares_found_short.csv (20 days with shares): %d lines, %q", len(short), short[:2])
	}
	all := strings.Split(strings.TrimSpace(string(files["p2pool_payouts.csv"])), "\n")
	if len(all) != 4 {
		t.Errorf("%q", all)
	}
	var many []api.ReportDay
	for i := range 45 {
		many = append(many, api.ReportDay{Date: start.AddDate(0, 0, i).Format(time.DateOnly), Blocks: uint64(i + 1)})
	}
	short = strings.Split(strings.TrimSpace(string(legacyFiles(api.Report{Days: many})["blocks_found_short.csv"])), "\n")
	if len(short) != 31 || short[0] != "Date,Blocks Found" || short[1] != "2025-01-16,16" || short[30] != "2025-02-14,45" {
		t.Errorf("blocks_found_short.csv: %d lines %q ... %q", len(short), short[:2], short[len(short)-1])
	}
}

// Archived streams: text before the '{', records with and without 0x1E, their own time fields
// and type or cmd as kind; bad records counted, and the export imported again gives the same.
func TestJSONSeqImportAndRoundTrip(t *testing.T) {
	l, err := OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, Config{P2Pool: ingest.DefaultConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	f, _ := os.Open("testdata/archived.seq")
	res, err := l.Import(context.Background(), api.FormatJSONSeq, "archived.seq", f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 7 || res.Skipped != 3 {
		t.Fatalf("%+v", res)
	}
	r, _ := l.Report(context.Background(), api.ReportQuery{})
	kinds := map[string]uint64{}
	for _, d := range r.Days {
		for k, n := range d.Kinds {
			kinds[k] += n
		}
	}
	if !reflect.DeepEqual(kinds, map[string]uint64{"time": 2, "hashrate": 3, "reboot": 1, "temp": 1}) {
		t.Fatalf("kinds %v (days %+v)", kinds, r.Days)
	}
	// the same stream again: nothing new
	f, _ = os.Open("testdata/archived.seq")
	res, _ = l.Import(context.Background(), api.FormatJSONSeq, "archived.seq", f)
	f.Close()
	if res.Added != 0 || res.Duplicates != 7 {
		t.Fatalf("again: %+v", res)
	}
	// export, import into an empty store: the same report
	var seq bytes.Buffer
	if err := l.ExportJSONSeq(context.Background(), time.Time{}, time.Time{}, &seq); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(seq.Bytes(), []byte{0x1e, '{'}) || bytes.Count(seq.Bytes(), []byte{0x1e}) != 7 {
		t.Fatalf("not RFC 7464:\n%q", seq.String())
	}
	if !strings.Contains(seq.String(), `"nodename":"overlord"`) {
		t.Fatal("the records' own fields are not exported")
	}
	l2, _ := OpenLocal(t.TempDir(), store.Config{Timezone: "UTC"}, Config{}, nil)
	defer l2.Store.Close()
	if _, err := l2.Import(context.Background(), api.FormatJSONSeq, "export", &seq); err != nil {
		t.Fatal(err)
	}
	r2, _ := l2.Report(context.Background(), api.ReportQuery{})
	// the skipped records are the first store's history of bad input, not events: not exported
	if !reflect.DeepEqual(r.Days, r2.Days) || r2.Skipped != 0 {
		t.Fatalf("round trip\n%+v\n%+v", r, r2)
	}
}

// The service rewrites the CSV files after new events and, in a git work tree, commits and
// pushes them, as the original farm published them for its chart page.
// gitSite is a bare remote (site.git) and a clone of it (site) with one commit pushed, as a
// farm's chart page is published; run runs git as the test's own user db4e@farm.
func gitSite(t *testing.T, dir string) (bare, work string, run func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	bare, work = filepath.Join(dir, "site.git"), filepath.Join(dir, "site")
	t.Setenv("HOME", dir) // db4e's own git runs see the same identity
	os.WriteFile(filepath.Join(dir, ".gitconfig"), []byte("[user]\n\tname = db4e\n\temail = db4e@farm\n"), 0o644)
	run = func(args ...string) string {
		cmd := exec.Command("git", args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("init", "-q", "--bare", bare)
	run("clone", "-q", bare, work)
	run("-C", work, "commit", "-q", "--allow-empty", "-m", "start")
	run("-C", work, "push", "-q", "origin", "HEAD")
	return bare, work, run
}

func TestPublishCSVToGit(t *testing.T) {
	dir := t.TempDir()
	bare, work, run := gitSite(t, dir)

	l, err := OpenLocal(filepath.Join(dir, "data"), store.Config{Timezone: "UTC"}, Config{P2Pool: ingest.DefaultConfig(),
		CSV: CSVConfig{Dir: work, Legacy: true, Site: true, Git: true, Every: 50 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.publishCSV(ctx)
	f, _ := os.Open("testdata/sample.log")
	l.Import(ctx, api.FormatP2Pool, "sample.log", f)
	f.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if out := run("--git-dir", bare, "log", "--format=%s"); strings.Contains(out, "db4e: daily totals") {
			files := run("--git-dir", bare, "show", "--name-only", "--format=", "HEAD")
			if !strings.Contains(files, "shares_found.csv") || !strings.Contains(files, "blocks_found.csv") ||
				!strings.Contains(files, "index.html") || !strings.Contains(files, "data/site.js") {
				t.Fatalf("pushed %s", files)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no commit pushed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A worker name is the miner's to choose: one that a spreadsheet would run as a formula goes
// into the CSV files neutralised (OWASP), and any other name as it is.
func TestCSVNamesAreNotFormulas(t *testing.T) {
	hosts := map[string]string{
		`=HYPERLINK("http://x","y")`: `'=HYPERLINK("http://x","y")`,
		"+1+1":                       "'+1+1",
		"-2+3":                       "'-2+3",
		"@SUM(A1)":                   "'@SUM(A1)",
		"rig-01":                     "rig-01",
		"a=b":                        "a=b",
	}
	d := api.ReportDay{Date: "2025-03-01", SharesByHost: map[string]uint64{}}
	for h := range hosts {
		d.SharesByHost[h] = 1
	}
	dir := t.TempDir()
	if _, err := WriteCSV(dir, api.Report{Days: []api.ReportDay{d}}, false); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, row := range readCSV(t, filepath.Join(dir, "shares_by_host.csv"))[1:] {
		got[row[1]] = true
	}
	for in, want := range hosts {
		if !got[want] {
			t.Errorf("%q: no row %q in %v", in, want, got)
		}
	}
}

// The site's remote moves ahead (a page edited there), then disappears and comes back: db4e's
// commits land on top of the other one, the failure shows as the csv component with its reason
// and as events, and it heals by itself with no new event to prompt it.
func TestCSVPublishingRebasesAndHeals(t *testing.T) {
	dir := t.TempDir()
	bare, work, run := gitSite(t, dir)
	other := filepath.Join(dir, "other")
	run("clone", "-q", bare, other)
	os.WriteFile(filepath.Join(other, "index.html"), []byte("<h1>farm</h1>\n"), 0o644)
	run("-C", other, "add", "index.html")
	run("-C", other, "commit", "-q", "-m", "the page, edited on the remote")
	run("-C", other, "push", "-q")

	cfg := DefaultConfig()
	cfg.CSV = CSVConfig{Dir: work, Git: true, Every: 50 * time.Millisecond}
	l, err := OpenLocal(filepath.Join(dir, "data"), store.Config{Timezone: "UTC"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Store.Close()
	var ahead atomic.Int64 // the test's clock runs ahead for the alert's 15 minutes
	l.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.publishCSV(ctx)
	importFile := func(path string) {
		f, _ := os.Open(path)
		defer f.Close()
		if _, err := l.Import(ctx, api.FormatP2Pool, path, f); err != nil {
			t.Fatal(err)
		}
	}
	csvComponent := func() api.Component {
		for _, c := range l.Components() {
			if c.Name == api.ComponentCSV {
				return c
			}
		}
		return api.Component{Name: "none"}
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15 s; csv component %+v", what, csvComponent())
			}
		}
	}
	remoteLog := func() string {
		cmd := exec.Command("git", "--git-dir", bare, "log", "--format=%s")
		out, _ := cmd.Output()
		return string(out)
	}

	importFile("testdata/sample.log")
	waitFor("a push on top of the remote's commit", func() bool {
		log := remoteLog()
		return strings.Contains(log, "db4e: daily totals") && strings.Contains(log, "the page, edited on the remote")
	})

	os.Rename(bare, bare+".gone")
	// New events, so there is something to push.
	raw, _ := os.ReadFile("testdata/sample.log")
	later := filepath.Join(dir, "later.log")
	os.WriteFile(later, bytes.ReplaceAll(raw, []byte("2025-03-0"), []byte("2025-04-0")), 0o644)
	importFile(later)
	waitFor("the failure shown", func() bool {
		c := csvComponent()
		return !c.Up && strings.Contains(c.Reason, "git")
	})
	// Failing for longer than csv_failing's 15 minutes is an alert, and its hook's business.
	l.EvaluateAlerts(ctx) // the condition starts
	ahead.Store(int64(16 * time.Minute))
	if tr := l.EvaluateAlerts(ctx); len(tr) != 1 || tr[0].Rule != alert.RuleCSVFailing || !strings.Contains(tr[0].Detail, "git") {
		t.Fatalf("csv_failing: %+v", tr)
	}

	os.Rename(bare+".gone", bare)
	waitFor("healed, with no new event", func() bool { return csvComponent().Up })
	if n := strings.Count(remoteLog(), "db4e: daily totals"); n < 2 {
		t.Fatalf("the commit made while the remote was away was not pushed:\n%s", remoteLog())
	}
	var actions []string
	l.Store.Events(ctx, time.Time{}, time.Time{}, func(e *model.Event) error {
		if e.Kind == model.KindAction && e.Target == "csv publish" {
			actions = append(actions, strings.SplitN(e.Result, ":", 2)[0])
		}
		return nil
	})
	if strings.Join(actions, ",") != "failed,ok" {
		t.Fatalf("want an event when the failure starts and one when it ends, got %v", actions)
	}
}
