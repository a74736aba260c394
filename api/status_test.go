package api

import (
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/alert"
)

// status lists each rig in the console's words: a rig whose xmrig answers but about which an
// alert fires is ALERT, not up; one whose xmrig does not answer is DOWN with the reason.
func TestStatusTextNamesMinerStates(t *testing.T) {
	since := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := StatusReport{
		Health: []HealthRow{
			{Name: "rig-ok", Kind: "xmrig", Up: true, Since: since},
			{Name: "rig-rejects", Kind: "xmrig", Up: true, Since: since},
			{Name: "rig-dead", Kind: "xmrig", Up: false, Since: since, Detail: "403 Forbidden: the access token is wrong"},
		},
		Miners: []MinerRow{{Host: "rig-ok", State: MinerOK}, {Host: "rig-rejects", State: MinerAlert}, {Host: "rig-dead", State: MinerDown},
			{Host: "rig-log-only", State: MinerAlert}},
		Alerts: []alert.Alert{{Rule: "rig_rejected", Target: "rig-rejects", Firing: true, Since: since},
			{Rule: "miner_silent", Target: "rigs/rig-log-only", Firing: true, Since: since}},
	}
	var b strings.Builder
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ host, want string }{
		{"rig-ok", "up"}, {"rig-rejects", "ALERT"}, {"rig-dead", "DOWN"}, {"rig-log-only", "ALERT"},
	} {
		var line string
		for _, l := range strings.Split(b.String(), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == tc.host {
				line = l
			}
		}
		if f := strings.Fields(line); len(f) < 2 || f[1] != tc.want {
			t.Errorf("%s: %q, want state %s\n%s", tc.host, line, tc.want, b.String())
		}
	}
	if !strings.Contains(b.String(), "alert rig_rejected") || !strings.Contains(b.String(), "the access token is wrong") {
		t.Errorf("reasons missing:\n%s", b.String())
	}
}
