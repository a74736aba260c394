package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/monerodtest"
)

// A real monerod started with --rpc-login: db4e answers its Digest challenge with the login
// from the monerod section, from a file, or from the URL, says plainly what is wrong when it
// cannot, and never shows the password.
func TestMonerodLogin(t *testing.T) {
	const password = "s3cret-Pa55"
	base := monerodtest.Start(t, "op:"+password)
	hostPort := strings.TrimPrefix(base, "http://")
	loginFile := filepath.Join(t.TempDir(), "monerod.login")
	os.WriteFile(loginFile, []byte("op:"+password+"\n"), 0o600)

	for _, tc := range []struct {
		name   string
		cfg    MonerodConfig
		up     bool
		detail string
	}{
		{"no login", MonerodConfig{RPC: base}, false, "started with --rpc-login: set monerod.login"},
		{"wrong login", MonerodConfig{RPC: base, Login: "op:nope"}, false, "the login was refused"},
		{"wrong login in the URL", MonerodConfig{RPC: "http://op:" + password + "x@" + hostPort}, false, "the login was refused"},
		{"login, offline node refused", MonerodConfig{RPC: base, Login: "op:" + password}, false, "offline (started with --offline)"},
		{"login, offline_ok", MonerodConfig{RPC: base, Login: "op:" + password, OfflineOK: true}, true, ""},
		{"login file", MonerodConfig{RPC: base, LoginFile: loginFile, OfflineOK: true}, true, ""},
		{"login in the URL", MonerodConfig{RPC: "http://op:" + password + "@" + hostPort, OfflineOK: true}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Timeout = 5 * time.Second
			m := &Monerod{Config: tc.cfg}
			r, err := m.Collect(context.Background(), time.Now())
			if len(r.Health) != 1 {
				t.Fatalf("health %+v, err %v", r.Health, err)
			}
			h := r.Health[0]
			if h.Up != tc.up || !strings.Contains(h.Detail, tc.detail) {
				t.Errorf("up %v detail %q, want up %v and %q (err %v)", h.Up, h.Detail, tc.up, tc.detail, err)
			}
			if tc.up && (r.Node == nil || r.Node.Height == 0) {
				t.Errorf("node %+v", r.Node)
			}
			for _, text := range []string{h.Detail, errText(err)} {
				if strings.Contains(text, password) || strings.Contains(text, "op@") || strings.Contains(text, "op:") {
					t.Errorf("the login shows: %q", text)
				}
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNodeFit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         NodeInfo
		offlineOK bool
		fit       bool
		why       string
	}{
		{"synchronized", NodeInfo{Synchronized: true, Height: 10, TargetHeight: 10}, false, true, ""},
		{"syncing", NodeInfo{Height: 5, TargetHeight: 10}, false, false, "not synchronized: height 5 of 10"},
		{"offline", NodeInfo{Synchronized: true, Offline: true}, false, false, "offline"},
		{"offline, accepted", NodeInfo{Synchronized: true, Offline: true}, true, true, ""},
		{"offline and syncing", NodeInfo{Offline: true, Height: 1, TargetHeight: 9}, true, false, "not synchronized"},
	} {
		fit, why := tc.n.Fit(tc.offlineOK)
		if fit != tc.fit || !strings.Contains(why, tc.why) {
			t.Errorf("%s: fit %v %q, want %v %q", tc.name, fit, why, tc.fit, tc.why)
		}
	}
}
