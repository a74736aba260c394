package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
)

// contractClock is both sides' clock: the day after sample.log's last record.
var contractClock = time.Date(2025, 3, 2, 18, 0, 0, 0, time.UTC)

// contractLocal is fixtureLocal (sample.log imported) with a fixed clock and a backup.dir.
func contractLocal(t *testing.T) *Local {
	t.Helper()
	dir := t.TempDir()
	l := fixtureLocal(t, filepath.Join(dir, "data"))
	t.Cleanup(func() { l.Store.Close() })
	l.Cfg.Backup.Dir = filepath.Join(dir, "backups")
	l.Now = func() time.Time { return contractClock }
	hs := payoutHeights(t, l) // one payout unlocked, one confirmed: every amount crosses
	judge(t, l, model.PayoutUnlocked, hs[0])
	judge(t, l, model.PayoutConfirmed, hs[1])
	return l
}

// contractRemote serves a Local like contractLocal's on a real socket and dials it.
func contractRemote(t *testing.T) api.Console {
	t.Helper()
	l := contractLocal(t)
	sock := filepath.Join(t.TempDir(), "db4e.sock")
	ln, err := api.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.Serve(ctx, ln, l, l.Cfg.Backup.Dir) }()
	t.Cleanup(func() { cancel(); <-done })
	r, err := api.Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	r.WriteBackup = func(dir string, snapshot func(w io.Writer) error) (api.BackupResult, error) {
		return writeBackup(dir, contractClock, 3, snapshot)
	}
	return r
}

// contractCase calls one Console method and returns what both sides must agree on.
type contractCase struct {
	method string
	call   func(t *testing.T, c api.Console) any
}

func contractCases() []contractCase {
	ctx := context.Background()
	return []contractCase{
		{"Snapshot", func(t *testing.T, c api.Console) any {
			s, err := c.Snapshot(ctx, api.SnapshotQuery{Days: 7, Events: 50})
			must(t, err)
			s.Mode, s.Version = "", 0 // each side says its own
			return s
		}},
		{"Report", func(t *testing.T, c api.Console) any {
			r, err := c.Report(ctx, api.ReportQuery{})
			must(t, err)
			var total, claimed, unlocked model.Piconero
			for _, d := range r.Days {
				total, claimed, unlocked = total.Add(d.Piconero), claimed.Add(d.Claimed), unlocked.Add(d.Unlocked)
			}
			// money in piconero crosses the socket
			if total.XMR() != "0.001611286503" || claimed.XMR() != "0.001611286503" || unlocked.XMR() != "0.000531220018" {
				t.Errorf("total %s XMR, claimed %s, unlocked %s; want 0.001611286503 both, 0.000531220018 unlocked", total.XMR(), claimed.XMR(), unlocked.XMR())
			}
			_, bad := c.Report(ctx, api.ReportQuery{From: "yesterday"})
			return []any{r, errors.Is(bad, model.ErrInvalid), errText(bad)}
		}},
		{"Import", func(t *testing.T, c api.Console) any {
			b, err := os.ReadFile("testdata/sample.log")
			must(t, err)
			res, err := c.Import(ctx, api.FormatP2Pool, "again.log", bytes.NewReader(b)) // all already stored
			must(t, err)
			_, bad := c.Import(ctx, "csv", "x", bytes.NewReader(nil))
			return []any{res, bad != nil}
		}},
		{"ExportJSONSeq", func(t *testing.T, c api.Console) any {
			var b bytes.Buffer
			must(t, c.ExportJSONSeq(ctx, time.Time{}, time.Time{}, &b))
			return b.String()
		}},
		{"Watch", func(t *testing.T, c api.Console) any {
			v, err := c.Watch(ctx, 0) // a version other than 0: an answer at once
			must(t, err)
			return v > 0
		}},
		{"Record", func(t *testing.T, c api.Console) any {
			e := model.NewAction(contractClock, "alice@node (cli)", "p2pool", "systemctl restart p2pool", "ok", time.Second)
			must(t, c.Record(ctx, e))
			bad := c.Record(ctx, model.Event{Time: contractClock, Kind: model.KindPayment, ID: "0000000000000001"})
			var b bytes.Buffer
			must(t, c.ExportJSONSeq(ctx, contractClock, contractClock.Add(time.Second), &b))
			return []any{b.String(), errText(bad)}
		}},
		{"Backup", func(t *testing.T, c api.Console) any {
			res, err := c.Backup(ctx, "")
			must(t, err)
			return []any{filepath.Base(res.Path), res.Bytes > 0}
		}},
		{"BackupStream", func(t *testing.T, c api.Console) any {
			var b bytes.Buffer
			must(t, c.BackupStream(ctx, &b))
			return b.Len() > 0
		}},
		{"Status", func(t *testing.T, c api.Console) any {
			s, err := c.Status(ctx)
			must(t, err)
			s.DataDir = filepath.Base(s.DataDir)
			return s
		}},
		{"Check", func(t *testing.T, c api.Console) any {
			r, err := c.Check(ctx)
			must(t, err)
			return []any{r.Events, r.Days, r.Hosts, r.Problems}
		}},
		{"Miner", func(t *testing.T, c api.Console) any {
			d, err := c.Miner(ctx, api.MinerQuery{Host: "rig-02", Days: 7})
			must(t, err)
			if len(d.Shares) != 3 || d.Row.Host != "rig-02" { // rig-02's three shares in sample.log
				t.Errorf("rig-02: %d shares, row %+v", len(d.Shares), d.Row)
			}
			_, bad := c.Miner(ctx, api.MinerQuery{Host: "nosuch"})
			return []any{d, errors.Is(bad, model.ErrInvalid), errText(bad)}
		}},
		{"Yield", func(t *testing.T, c api.Console) any {
			err := c.Yield(ctx) // neither side is an embedded console: both refuse, alike
			return []any{errors.Is(err, model.ErrInvalid), errText(err)}
		}},
		{"Acknowledge", func(t *testing.T, c api.Console) any {
			must(t, c.Acknowledge(ctx, "log_unread"))
			bad := c.Acknowledge(ctx, "node_down") // only log_unread waits for a word
			return []any{errors.Is(bad, model.ErrInvalid), errText(bad)}
		}},
		{"Payouts", func(t *testing.T, c api.Console) any {
			p, err := c.Payouts(ctx)
			must(t, err)
			if len(p.Payouts) != 2 || p.Payouts[0].State != model.PayoutUnlocked || p.Payouts[1].State != model.PayoutConfirmed {
				t.Errorf("payouts %+v", p.Payouts)
			}
			return p
		}},
		{"Rebuild", func(t *testing.T, c api.Console) any {
			n, err := c.Rebuild(ctx)
			must(t, err)
			return n
		}},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Every Console method gives the same answer embedded and attached: the same calls, in the same
// order, against a Local and against a Remote talking to a real service on a socket.
func TestConsoleContract(t *testing.T) {
	sides := map[string]api.Console{"local": contractLocal(t), "remote": contractRemote(t)}
	got := map[string]map[string]string{"local": {}, "remote": {}}
	for _, tc := range contractCases() {
		for _, side := range []string{"local", "remote"} {
			t.Run(tc.method+"/"+side, func(t *testing.T) {
				b, err := json.Marshal(tc.call(t, sides[side]))
				must(t, err)
				got[side][tc.method] = string(b)
			})
		}
		if l, r := got["local"][tc.method], got["remote"][tc.method]; l != r {
			t.Errorf("%s differs:\nlocal  %s\nremote %s", tc.method, l, r)
		}
	}
}

// Every Console method has its route on the socket and its case above: a method added to the
// interface without its remote side, or without being tried on both, fails here.
func TestRoutesCoverConsole(t *testing.T) {
	ifc := reflect.TypeFor[api.Console]()
	var cases, routes []string
	for _, c := range contractCases() {
		cases = append(cases, c.method)
	}
	for _, r := range api.Routes {
		routes = append(routes, r.Method)
	}
	for i := range ifc.NumMethod() {
		m := ifc.Method(i).Name
		if m == "Mode" { // each side answers it itself
			continue
		}
		if !slices.Contains(routes, m) {
			t.Errorf("Console.%s has no route in api.Routes", m)
		}
		if !slices.Contains(cases, m) {
			t.Errorf("Console.%s has no case in TestConsoleContract", m)
		}
	}
	if len(routes) != ifc.NumMethod()-1 {
		t.Errorf("%d routes for %d methods", len(routes), ifc.NumMethod()-1)
	}
}
