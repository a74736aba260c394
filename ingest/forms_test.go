package ingest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

// TestP2PoolForms reads one line of every form P2Pool has written, as docs/P2POOL-LOG.md lists
// them, each with the source file and the versions that wrote it.
func TestP2PoolForms(t *testing.T) {
	const ts = "NOTICE  2025-03-01 00:11:42.9913 "
	tests := []struct {
		source, versions, line string
		want                   *model.Event // nil: not an event
		sample                 string       // a sample of this series
		bad                    bool         // a bad record
	}{
		{"src/stratum_server.cpp", "v1.0-v1.2", "StratumServer SHARE FOUND: mainchain height 2402123, diff 1000123, effort 52.345%",
			&model.Event{Kind: "share", Host: UnknownHost, MainHeight: 2402123, Difficulty: 1000123, Effort: 52.345}, "", false},
		{"src/stratum_server.cpp", "v1.3-v2.5", "StratumServer SHARE FOUND: mainchain height 2402123, diff 1000123, client 192.168.1.21:50112 user rig-01, effort 52.345%",
			&model.Event{Kind: "share", Host: "rig-01", ClientIP: "192.168.1.21", MainHeight: 2402123, Difficulty: 1000123, Effort: 52.345}, "", false},
		{"src/stratum_server.cpp", "v1.3-v2.5, no user", "StratumServer SHARE FOUND: mainchain height 2402123, diff 1000123, client 192.168.1.21:50112, effort 52.345%",
			&model.Event{Kind: "share", Host: "192.168.1.21", ClientIP: "192.168.1.21", MainHeight: 2402123, Difficulty: 1000123, Effort: 52.345}, "", false},
		{"src/stratum_server.cpp", "v2.6-v3.1", "StratumServer SHARE FOUND: mainchain height 2602123, sidechain height 1500000, diff 1000123, client [2001:db8::7]:50112 user rig-02, effort 1.000%",
			&model.Event{Kind: "share", Host: "rig-02", ClientIP: "2001:db8::7", MainHeight: 2602123, SideHeight: 1500000, Difficulty: 1000123, Effort: 1}, "", false},
		{"src/stratum_server.cpp", "v3.2-v4.18", "StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, effort 48.219%",
			&model.Event{Kind: "share", Host: "rig-01", ClientIP: "192.168.1.21", MainHeight: 3350105, SideHeight: 10412233, Difficulty: 131880441, Effort: 48.219}, "", false},
		{"src/miner.cpp", "v2.0-v2.5", "Miner SHARE FOUND: mainchain height 2502123, diff 1000123, worker thread 1/4",
			&model.Event{Kind: "share", Host: "p2pool-miner", MainHeight: 2502123, Difficulty: 1000123}, "", false},
		{"src/miner.cpp", "v2.6-v4.18", "Miner SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, worker thread 3/4",
			&model.Event{Kind: "share", Host: "p2pool-miner", MainHeight: 3350105, SideHeight: 10412233, Difficulty: 131880441}, "", false},
		{"src/p2pool.cpp, src/side_chain.cpp", "v1.0-v3.3", "P2Pool BLOCK FOUND: main chain block at height 2402200 was mined by this p2pool",
			&model.Event{Kind: "block", Height: 2402200, MinedBy: "pool"}, "", false},
		{"src/p2pool.cpp, src/side_chain.cpp", "v3.4-v4.18", "P2Pool BLOCK FOUND: main chain block at height 3350252 was mined by you",
			&model.Event{Kind: "block", Height: 3350252, MinedBy: "you"}, "", false},
		{"src/p2pool.cpp, src/side_chain.cpp", "v3.4-v4.18", "SideChain BLOCK FOUND: main chain block at height 3350252 was mined by someone else in this p2pool",
			&model.Event{Kind: "block", Height: 3350252, MinedBy: "other"}, "", false},
		{"src/p2pool.cpp, src/side_chain.cpp", "v1.7-v2.6", "P2Pool You received a payout of 0.000812345678 XMR in block 2602200",
			&model.Event{Kind: "payment", Height: 2602200, Piconero: model.PiconeroFromInt(812345678)}, "", false},
		{"src/p2pool.cpp, src/side_chain.cpp", "v2.7-v4.18", "P2Pool Your wallet 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge got a payout of 1.000000000001 XMR in block 3350252",
			&model.Event{Kind: "payment", Height: 3350252, Piconero: model.PiconeroFromInt(1000000000001)}, "", false},
		// Not events, and not bad records either.
		{"src/miner.cpp", "v4.0-v4.18 (merge mining)", "Miner AUX BLOCK FOUND: chain_id 0f28c4960d96647e77e7ab6d13b85bd16c7ca56f45df802cdc763a5e5c0c7863, diff 1234567, worker thread 1/4", nil, "", false},
		{"src/p2pool.cpp, src/side_chain.cpp", "v2.7-v4.18", "P2Pool Your wallet 4Ad didn't get a payout in block 3350252 because you had no shares in PPLNS window", nil, "", false},
		{"src/side_chain.cpp", "v2.6-v4.18", "SideChain SHARE ADDED: height = 10412233, id = 8b4e2c7f, mainchain height = 3350105", nil, "", false},
		{"src/stratum_server.cpp", "v3.2-v4.18", "StratumServer INVALID SHARE: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112, user rig-01, reason: stale share", nil, "", false},
		{"src/stratum_server.cpp", "v4.x", "StratumServer Your hashrate is 5.123 kH/s. Please switch from P2Pool-nano to P2Pool-mini or P2Pool-main.", nil, "", false},
		// workers rows.
		{"src/stratum_server.cpp", "v2.1-v4.0", "StratumServer 192.168.1.21:50112         9h 29m 58s          131880              6.201 KH/s      rig-01", nil, "worker/rig-01", false},
		{"src/stratum_server.cpp", "v4.1-v4.13", "StratumServer 192.168.1.22:50113        no     1d 2h 3m 4s         131880              12.500 kH/s     rig-02", nil, "worker/rig-02", false},
		{"src/stratum_server.cpp", "v4.14-v4.18", "StratumServer 192.168.1.23:50114        no     9h 29m 58s          131880              6.201 kH/s      3/120       rig-03", nil, "worker/rig-03", false},
		{"src/stratum_server.cpp", "v4.14-v4.18, not logged in", "StratumServer [2001:db8::5]:50115        yes    3s                  131880              788 H/s         0/0         not logged in", nil, "worker/2001:db8::5", false},
		{"src/stratum_server.cpp", "v2.1-v4.18 header", "StratumServer IP:port                 TLS    uptime              difficulty          hashrate       shares      name", nil, "", false},
		// Cut short or damaged: bad records.
		{"-", "a share cut before its effort", "StratumServer SHARE FOUND: mainchain height 3350105, sidechain height 10412233, diff 131880441, client 192.168.1.21:50112", nil, "", true},
		{"-", "a block without its finder", "P2Pool BLOCK FOUND: main chain block at height 3350252", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.versions+" "+tt.source, func(t *testing.T) {
			res := NewParser(time.UTC, "t").Line([]byte(ts + tt.line))
			switch {
			case tt.bad:
				if res.Reason == "" || res.Event != nil {
					t.Fatalf("want a bad record, got %+v", res)
				}
			case tt.sample != "":
				if res.Sample == nil || res.Sample.Series != tt.sample || res.Sample.Value <= 0 {
					t.Fatalf("want a sample of %s, got %+v", tt.sample, res)
				}
			case tt.want == nil:
				if res.Event != nil || res.Reason != "" || res.Sample != nil {
					t.Fatalf("want nothing, got %+v", res)
				}
			default:
				if res.Event == nil {
					t.Fatalf("want an event, got %+v", res)
				}
				got := *res.Event
				got.ID, got.Time = "", time.Time{}
				want := *tt.want
				if got.Piconero.Cmp(want.Piconero) != 0 {
					t.Fatalf("piconero %s, want %s", got.Piconero, want.Piconero)
				}
				got.Piconero, want.Piconero = model.Piconero{}, model.Piconero{}
				if got.Host != want.Host || got.ClientIP != want.ClientIP || got.Kind != want.Kind || got.MainHeight != want.MainHeight ||
					got.SideHeight != want.SideHeight || got.Difficulty != want.Difficulty || got.Effort != want.Effort || got.Height != want.Height || got.MinedBy != want.MinedBy {
					t.Fatalf("got  %+v\nwant %+v", got, want)
				}
			}
		})
	}
}

// The status block's efforts (src/stratum_server.cpp) are kept beside its hashrates.
func TestStatusEfforts(t *testing.T) {
	p := NewParser(time.UTC, "t")
	p.Line([]byte("NOTICE  2025-03-01 00:11:42.9913 StratumServer status"))
	for line, series := range map[string]string{
		"Average effort       = 102.345%":    "status/average_effort",
		"Current effort       = 12.5%":       "status/current_effort",
		"Hashrate (15m est)   = 12.345 kH/s": "status/hashrate_15m_est",
	} {
		r := p.Line([]byte(line))
		if r.Sample == nil || r.Sample.Series != series {
			t.Errorf("%q: got %+v, want %s", line, r, series)
		}
	}
}

// journalctl's forms of the same record give the file's event, with the same ID.
func TestJournaldPrefixes(t *testing.T) {
	file := "NOTICE  2025-03-01 05:12:39.0007 P2Pool Your wallet 4Ad got a payout of 0.001000000000 XMR in block 3350252"
	record := "\x1b[0;36m2025-03-01 05:12:39.0007\x1b[0m P2Pool \x1b[1;36mYour wallet \x1b[1;32m4Ad\x1b[1;36m got a payout of \x1b[1;32m0.001000000000 XMR\x1b[1;36m in block \x1b[1;32m3350252\x1b[0m"
	want := NewParser(time.UTC, "").Line([]byte(file)).Event
	for _, prefix := range []string{
		"Mar 01 05:12:39 node p2pool[812]: ",
		"Mar  1 05:12:39 node p2pool[812]: ",
		"Mar 01 05:12:39.123456 node p2pool[812]: ",
		"2025-03-01T05:12:39+0000 node p2pool[812]: ",
		"2025-03-01T05:12:39+00:00 node p2pool[812]: ",
		"2025-03-01T05:12:39.123456+00:00 node-1.farm p2pool[812]: ",
		"Sat 2025-03-01 05:12:39 UTC node p2pool[812]: ",
		"",
	} {
		got := NewParser(time.UTC, "").Line([]byte(prefix + record)).Event
		if got == nil || got.ID != want.ID || !got.Time.Equal(want.Time) {
			t.Errorf("%q: got %+v, want %+v", prefix, got, want)
		}
	}
	// A continuation line of status from journald is read as one.
	p := NewParser(time.UTC, "")
	p.Line([]byte("2025-03-01T05:12:39+0000 node p2pool[812]: 2025-03-01 05:12:39.0007 SideChain status"))
	if r := p.Line([]byte("2025-03-01T05:12:39+0000 node p2pool[812]: Side chain hashrate       = 12.291 MH/s")); r.Sample == nil || r.Sample.Series != "status/side_chain_hashrate" {
		t.Fatalf("status line from journald: %+v", r)
	}
	// Lines that only look like it are left alone.
	for _, line := range []string{"Main chain height         = 3350101", "Mar 01 05:12:39 no-colon-here", "2025-03-01T05:12:39 x"} {
		if got := string(stripJournal([]byte(line))); got != line {
			t.Errorf("%q stripped to %q", line, got)
		}
	}
}

// A backfill from `journalctl -u p2pool -o short-iso` (colours, no level tags, a prefix on every
// line) stores the same events, with the same keys, as the log file: importing both adds nothing.
func TestImportJournaldBackfill(t *testing.T) {
	file, err := os.ReadFile("testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	var journal bytes.Buffer
	for _, line := range strings.SplitAfter(string(file), "\n") {
		if line == "" {
			continue
		}
		for _, tag := range []string{"NOTICE  ", "WARNING ", "ERROR   "} {
			line = strings.TrimPrefix(line, tag)
		}
		journal.WriteString("2025-03-01T05:12:39+0000 node p2pool[812]: \x1b[0;36m" + line)
	}
	s := openStore(t)
	im := &Importer{Store: s}
	a, err := im.ImportP2Pool(context.Background(), &journal, "journal")
	if err != nil {
		t.Fatal(err)
	}
	checkFixture(t, s)
	b, err := im.ImportP2Pool(context.Background(), bytes.NewReader(file), "file")
	if err != nil {
		t.Fatal(err)
	}
	if a.Added == 0 || b.Added != 0 || b.Duplicates != a.Added {
		t.Fatalf("journal %+v, file %+v: the file's events are not the journal's", a, b)
	}
}
