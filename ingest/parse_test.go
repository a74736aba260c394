package ingest

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

func TestParseLine(t *testing.T) {
	ts := time.Date(2025, 3, 1, 0, 11, 42, 991300000, time.UTC)
	tests := []struct {
		name   string
		line   string
		want   *model.Event // nil: no event
		reason string       // non-empty: skipped with a reason containing this
	}{
		{"share v4", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, effort 48.219%",
			&model.Event{Kind: "share", Host: "rig-01", ClientIP: "192.168.1.21", MainHeight: 3350105, SideHeight: 10412233, Difficulty: 131880441, Effort: 48.219}, ""},
		{"share v3 no comma before user", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112 user rig-07, effort 1.5%",
			&model.Event{Kind: "share", Host: "rig-07", ClientIP: "192.168.1.21", MainHeight: 3350105, SideHeight: 10412233, Difficulty: 131880441, Effort: 1.5}, ""},
		{"share before v2.6, no sidechain height", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 2500000, diff 100, client 10.0.0.5:3333 user a, effort 10.000%",
			&model.Event{Kind: "share", Host: "a", ClientIP: "10.0.0.5", MainHeight: 2500000, Difficulty: 100, Effort: 10}, ""},
		{"share without user: host is the client IP", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 192.168.1.9:4444, effort 5.000%",
			&model.Event{Kind: "share", Host: "192.168.1.9", ClientIP: "192.168.1.9", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"share with user x: host is the client IP", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 192.168.1.9:4444, user x, effort 5.000%",
			&model.Event{Kind: "share", Host: "192.168.1.9", ClientIP: "192.168.1.9", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"share IPv6 client", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client [2001:db8::7]:4444, effort 5.000%",
			&model.Event{Kind: "share", Host: "2001:db8::7", ClientIP: "2001:db8::7", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"share built-in miner", "2025-03-01 00:11:42.9913 Miner SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, worker thread 1/4",
			&model.Event{Kind: "share", Host: "p2pool-miner", MainHeight: 1, SideHeight: 2, Difficulty: 3}, ""},
		{"share with colours and CRLF", "\x1b[0;32m2025-03-01 00:11:42.9913 StratumServer \x1b[0mSHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 1.2.3.4:5, user r, effort 5.000%\r",
			&model.Event{Kind: "share", Host: "r", ClientIP: "1.2.3.4", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"share with hostile user name", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 1.2.3.4:5, user [red]$(rm -rf /)\x07, effort 5.000%",
			&model.Event{Kind: "share", Host: "_red_$(rm -rf _)?", ClientIP: "1.2.3.4", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"share by a worker named like a field", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 1.2.3.4:5, user rig effort 2, effort 5.000%",
			&model.Event{Kind: "share", Host: "rig effort 2", ClientIP: "1.2.3.4", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"share height not a number", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height abc, diff 3", nil, "mainchain height not a number"},
		{"share height overflows", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 99999999999999999999999, diff 3", nil, "out of range"},
		{"share cut short", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 5", nil, "diff missing"},
		{"share cut before its effort", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 5, sidechain height 7, diff 9, client 1.2.3.4:5", nil, "cut short"},
		{"block by someone else", "2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height 3350252 was mined by someone else in this p2pool",
			&model.Event{Kind: "block", Height: 3350252, MinedBy: "other"}, ""},
		{"block by this p2pool (to v3.3)", "2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height 3350555 was mined by this p2pool",
			&model.Event{Kind: "block", Height: 3350555, MinedBy: "pool"}, ""},
		{"block by you", "2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height 7 was mined by you",
			&model.Event{Kind: "block", Height: 7, MinedBy: "you"}, ""},
		{"block garbled", "2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height ??", nil, "block: height"},
		{"payout v2.7+", "NOTICE  2025-03-01 05:12:39.0007 P2Pool Your wallet 4AdUnd got a payout of 0.000531220018 XMR in block 3350252",
			&model.Event{Kind: "payment", Height: 3350252, Piconero: model.PiconeroFromInt(531220018)}, ""},
		{"payout v1.7-2.6", "NOTICE  2025-03-01 05:12:39.0007 P2Pool You received a payout of 1.500000000000 XMR in block 12",
			&model.Event{Kind: "payment", Height: 12, Piconero: model.PiconeroFromInt(1_500_000_000_000)}, ""},
		{"payout larger than uint64 piconero", "NOTICE  2025-03-01 05:12:39.0007 P2Pool You received a payout of 123456789012.000000000001 XMR in block 12", nil, "not an amount as P2Pool writes it"},
		{"payout 13 decimals", "NOTICE  2025-03-01 05:12:39.0007 P2Pool You received a payout of 0.0000000000001 XMR in block 12", nil, "not an amount as P2Pool writes it"},
		{"payout 11 decimals", "NOTICE  2025-03-01 05:12:39.0007 P2Pool You received a payout of 0.00000000001 XMR in block 12", nil, "not an amount as P2Pool writes it"},
		{"payout negative", "NOTICE  2025-03-01 05:12:39.0007 P2Pool You received a payout of -1.000000000000 XMR in block 12", nil, "bad XMR amount"},
		{"payout of 10 XMR, the most believed", "NOTICE  2025-03-01 05:12:39.0007 P2Pool Your wallet 4Ad got a payout of 10.000000000000 XMR in block 12",
			&model.Event{Kind: "payment", Height: 12, Piconero: model.PiconeroFromInt(10_000_000_000_000)}, ""},
		// Forged or damaged: text miners and peers control reaches other records; only P2Pool's
		// own form, whole, from its category, is an event (issue 31).
		{"payout forged in a StratumServer line", "2025-03-01 05:12:39.0007 StratumServer client 1.2.3.4:5 login Your wallet 4X got a payout of 55.000000000000 XMR in block 7", nil, "an event's words in a StratumServer record"},
		{"payout forged as a StratumServer message", "2025-03-01 05:12:39.0007 StratumServer Your wallet 4X got a payout of 0.100000000000 XMR in block 7", nil, "an event's words in a StratumServer record"},
		{"payout forged in a P2PServer line", "2025-03-01 05:12:39.0007 P2PServer peer 1.2.3.4:5 says You received a payout of 0.100000000000 XMR in block 7", nil, "an event's words in a P2PServer record"},
		{"payout with trailing text", "2025-03-01 05:12:39.0007 P2Pool Your wallet 4X got a payout of 0.100000000000 XMR in block 8 (forged trailing)", nil, "text after the block height"},
		{"payout of 55 XMR", "2025-03-01 05:12:39.0007 P2Pool Your wallet 4X got a payout of 55.000000000000 XMR in block 7", nil, "more than any Monero block pays"},
		{"payout of 99,999,999,999 XMR", "2025-03-01 05:12:39.0007 P2Pool Your wallet 4X got a payout of 99999999999.000000000000 XMR in block 7", nil, "not an amount as P2Pool writes it"},
		{"payout to a wallet that is not an address", "2025-03-01 05:12:39.0007 P2Pool Your wallet 4X0l got a payout of 0.100000000000 XMR in block 7", nil, "not a wallet address"},
		{"payout in block 0", "2025-03-01 05:12:39.0007 P2Pool Your wallet 4X got a payout of 0.100000000000 XMR in block 0", nil, "out of range"},
		{"payout in a block beyond Monero", "2025-03-01 05:12:39.0007 P2Pool Your wallet 4X got a payout of 0.100000000000 XMR in block 100000001", nil, "out of range"},
		{"block with trailing text", "2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height 3350252 was mined by you and also junk", nil, "unknown finder or text after it"},
		{"block forged in a StratumServer line", "2025-03-01 05:12:39.0001 StratumServer BLOCK FOUND: main chain block at height 3350252 was mined by you", nil, "an event's words in a StratumServer record"},
		{"block forged mid-message", "2025-03-01 05:12:39.0001 P2Pool peer says BLOCK FOUND: main chain block at height 3350252 was mined by you", nil, "an event's words in a P2Pool record"},
		{"block at height 0", "2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height 0 was mined by you", nil, "out of range"},
		{"share in a P2PServer line", "2025-03-01 00:11:42.9913 P2PServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, effort 48.219%", nil, "an event's words in a P2PServer record"},
		{"a stratum share said to be the built-in miner's", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, worker thread 1/4", nil, "not P2Pool's form in a StratumServer record"},
		{"share with trailing text", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, effort 48.219% and more", nil, "bad effort"},
		{"share at mainchain height 0", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 0, diff 3, client 1.2.3.4:5, effort 1.0%", nil, "out of range"},
		{"not a payout", "NOTICE  2025-03-01 05:12:39.0007 P2Pool Your wallet 4Ad didn't get a payout in block 3350252 because you had no shares in PPLNS window", nil, ""},
		{"event without timestamp", "SHARE FOUND: mainchain height 1", nil, "without a readable timestamp"},
		{"bad timestamp", "2025-13-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1", nil, "without a readable timestamp"},
		{"other line", "2025-03-01 00:03:17.4410 ZMQReader new main chain block: height = 3350101", nil, ""},
		{"invalid UTF-8", "2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, sidechain height 2, diff 3, client 1.2.3.4:5, user \xff\xfe, effort 5.000%",
			&model.Event{Kind: "share", Host: "?", ClientIP: "1.2.3.4", MainHeight: 1, SideHeight: 2, Difficulty: 3, Effort: 5}, ""},
		{"empty", "", nil, ""},
		{"long garbage", strings.Repeat("SHARE FOUND ", 100000), nil, "without a readable timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := NewParser(time.UTC, "test").Line([]byte(tt.line))
			if tt.reason != "" {
				if res.Event != nil || !strings.Contains(res.Reason, tt.reason) {
					t.Fatalf("want skip %q, got event %+v reason %q", tt.reason, res.Event, res.Reason)
				}
				return
			}
			if res.Reason != "" {
				t.Fatalf("unexpected skip: %s", res.Reason)
			}
			if tt.want == nil {
				if res.Event != nil {
					t.Fatalf("want nothing, got %+v", res.Event)
				}
				return
			}
			if res.Event == nil {
				t.Fatal("want an event, got none")
			}
			got := *res.Event
			if got.ID == "" || got.Time.IsZero() {
				t.Fatalf("event without id or time: %+v", got)
			}
			got.ID, got.Time = "", time.Time{}
			want := *tt.want
			if got.Piconero.Cmp(want.Piconero) != 0 {
				t.Fatalf("piconero = %s, want %s", got.Piconero, want.Piconero)
			}
			got.Piconero, want.Piconero = model.Piconero{}, model.Piconero{}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	res := NewParser(time.UTC, "t").Line([]byte("2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 1, diff 3, client 1.2.3.4:5, effort 1.0%"))
	if !res.Event.Time.Equal(ts) {
		t.Errorf("time = %v, want %v", res.Event.Time, ts)
	}
}

func mustXMR(s string) model.Piconero {
	p, err := model.ParseXMR(s)
	if err != nil {
		panic(err)
	}
	return p
}

// The same record from the file (level tag) and from journald (colours, no tag) is one event.
func TestEventIDIgnoresLevelTagAndColour(t *testing.T) {
	a := NewParser(nil, "").Line([]byte("NOTICE  2025-03-01 05:12:39.0007 P2Pool You received a payout of 1.500000000000 XMR in block 12"))
	b := NewParser(nil, "").Line([]byte("\x1b[1;32m2025-03-01 05:12:39.0007 P2Pool You received a payout of 1.500000000000 XMR in block 12\x1b[0m\r"))
	if a.Event == nil || b.Event == nil || a.Event.ID != b.Event.ID {
		t.Fatalf("ids differ: %+v %+v", a.Event, b.Event)
	}
}

func TestLocalTimeLogs(t *testing.T) {
	loc := time.FixedZone("X", -7*3600)
	res := NewParser(loc, "").Line([]byte("2025-03-01 23:30:00.0000 P2Pool BLOCK FOUND: main chain block at height 7 was mined by you"))
	if got := res.Event.Time.UTC().Format(time.DateTime); got != "2025-03-02 06:30:00" {
		t.Fatalf("time = %s", got)
	}
}

func TestStatusAndWorkers(t *testing.T) {
	p := NewParser(time.UTC, "t")
	f, err := os.Open("testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if r := p.Line(sc.Bytes()); r.Sample != nil {
			got[r.Sample.Series] = r.Sample.Value
		}
	}
	want := map[string]float64{
		"worker/rig-01":                  6201,
		"worker/rig-02":                  5874,
		"worker/rig-03":                  788,
		"status/main_chain_hashrate":     5.079e9,
		"status/side_chain_hashrate":     12.291e6,
		"status/your_hashrate_pool_side": 13137,
	}
	if len(got) != len(want) {
		t.Fatalf("samples %v, want %v", got, want)
	}
	for k, v := range want {
		if d := got[k] - v; d > 1e-6*v || d < -1e-6*v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte("2025-03-01 00:11:42.9913 StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, effort 48.219%"))
	f.Add([]byte("NOTICE  2025-03-01 05:12:39.0007 P2Pool Your wallet 4Ad got a payout of 0.000531220018 XMR in block 3350252"))
	f.Add([]byte("2025-03-01 05:12:39.0001 P2Pool BLOCK FOUND: main chain block at height 3350252 was mined by you"))
	f.Add([]byte("Side chain hashrate       = 12.291 MH/s"))
	f.Add([]byte("\x1b[0m2025-03-01 09:30:00.0001 StratumServer 192.168.1.21:50112 no 9h 6.201 KH/s rig-01"))
	f.Fuzz(func(t *testing.T, line []byte) {
		p := NewParser(time.UTC, "fuzz")
		p.Line([]byte("2025-03-01 09:30:10.1000 P2Pool status"))
		r := p.Line(line)
		if r.Event != nil {
			if r.Event.ID == "" || r.Event.Kind == "" {
				t.Fatalf("event without id or kind: %+v", r.Event)
			}
			if len(r.Event.Host) > model.MaxHostLen+4 {
				t.Fatalf("host too long: %d", len(r.Event.Host))
			}
		}
		if r.Event != nil && r.Reason != "" {
			t.Fatal("both event and reason")
		}
	})
}

// A record's time outside Monero's life is a bad record, never stored under another date: the
// store's keys are nanoseconds since 1970 in 64 bits, and 9999 would wrap to 1816 (issue 31).
func TestDatesOutsideMoneroLife(t *testing.T) {
	now := time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)
	share := " StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, effort 48.219%"
	for _, tc := range []struct {
		stamp, reason string
	}{
		{"0001-01-01 00:00:00.0000", "is before 2014-04-18"},
		{"1969-12-31 23:59:59.9999", "is before 2014-04-18"},
		{"2014-04-17 23:59:59.9999", "is before 2014-04-18"},
		{"2014-04-18 00:00:00.0000", ""},
		{"2025-03-03 11:59:59.0000", ""}, // within a day of the clock
		{"2025-03-03 12:00:01.0000", "more than a day after this machine's clock"},
		{"2099-01-01 00:00:00.0000", "more than a day after this machine's clock"},
		{"2262-04-12 00:00:00.0000", "more than a day after this machine's clock"},
		{"9999-12-31 23:59:59.9999", "more than a day after this machine's clock"},
		{"2099-02-30 00:00:00.0000", "without a readable timestamp"},
		{"2025-02-29 00:00:00.0000", "without a readable timestamp"}, // 2025 is no leap year
		{"2024-02-29 00:00:00.0000", ""},
		{"2025-04-31 00:00:00.0000", "without a readable timestamp"},
	} {
		t.Run(tc.stamp, func(t *testing.T) {
			p := NewParser(time.UTC, "t")
			p.Now = func() time.Time { return now }
			res := p.Line([]byte(tc.stamp + share))
			if tc.reason == "" {
				if res.Event == nil || res.Event.Time.Format("2006-01-02 15:04:05.0000") != tc.stamp {
					t.Fatalf("want the share at %s, got %+v %q", tc.stamp, res.Event, res.Reason)
				}
				return
			}
			if res.Event != nil || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("want a bad record %q, got %+v %q", tc.reason, res.Event, res.Reason)
			}
		})
	}
	// A status block's samples are dated by its header: out of range, none is kept.
	p := NewParser(time.UTC, "t")
	p.Now = func() time.Time { return now }
	p.Line([]byte("9999-01-01 00:00:00.0000 SideChain status"))
	if r := p.Line([]byte("Side chain hashrate       = 12.291 MH/s")); r.Sample != nil {
		t.Errorf("a sample dated 9999: %+v", r.Sample)
	}
}
