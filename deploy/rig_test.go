package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/internal/sshdtest"
	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/runner"
)

// stratumStandIn stands in for P2Pool's stratum server (no P2Pool binary can run here): it
// answers xmrig's login with one RandomX job and accepts every share, and remembers who logged in.
type stratumStandIn struct {
	port   int
	mu     sync.Mutex
	logins []string
}

func startStratumStandIn(t *testing.T) *stratumStandIn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &stratumStandIn{port: ln.Addr().(*net.TCPAddr).Port}
	blob := "0e0ec8a8b0b106" + strings.Repeat("00", 69)
	job := map[string]any{"blob": blob, "job_id": "1", "target": "ffff0000", "algo": "rx/0", "height": 1, "seed_hash": strings.Repeat("00", 32)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					var req struct {
						ID     any             `json:"id"`
						Method string          `json:"method"`
						Params json.RawMessage `json:"params"`
					}
					if json.Unmarshal(sc.Bytes(), &req) != nil {
						return
					}
					res := any(map[string]any{"status": "OK"})
					if req.Method == "login" {
						var p struct {
							Login string `json:"login"`
						}
						json.Unmarshal(req.Params, &p)
						s.mu.Lock()
						s.logins = append(s.logins, p.Login)
						s.mu.Unlock()
						res = map[string]any{"id": "w1", "job": job, "status": "OK", "extensions": []string{"keepalive"}}
					}
					b, _ := json.Marshal(map[string]any{"id": req.ID, "jsonrpc": "2.0", "error": nil, "result": res})
					c.Write(append(b, '\n'))
				}
			}()
		}
	}()
	return s
}

func (s *stratumStandIn) loggedIn() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logins...)
}

// xmrigRelease publishes the real xmrig as xmrig does (xmrig-V-linux-static-x64.tar.gz with
// SHA256SUMS).
func xmrigRelease(t *testing.T, dir, version string, program []byte) Release {
	t.Helper()
	name := "xmrig-" + version + "-linux-static-x64.tar.gz"
	p, sum := archive(t, dir, name, map[string][]byte{"xmrig-" + version + "/xmrig": program, "xmrig-" + version + "/config.json": []byte("{}")})
	sums := filepath.Join(dir, "SHA256SUMS")
	old, _ := os.ReadFile(sums)
	os.WriteFile(sums, append(old, []byte(sum+"  "+name+"\n")...), 0o644)
	return Release{Release: p, Hashes: sums}
}

// A rig deployed for real: the xmrig archive checked on the node, copied over SFTP to a real
// sshd on 127.0.0.1 as a second user, configured and started there; db4e's own xmrig
// collector then reads its HTTP API with the rendered token, and xmrig logs in to the pool it
// was given with its rig's name as the worker (it runs without a CPU backend: no hashing).
func TestRigDeployOverSSH(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	bin, err := os.ReadFile(testtool.Xmrig(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t)
	login, home := sshdtest.RigUser(t)
	stratum := startStratumStandIn(t)
	releases := t.TempDir()

	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	cfg.P2Pool.Wallet = testWallet
	cfg.P2Pool.StratumPort = stratum.port
	cfg.NodeAddress = "127.0.0.1"
	rigRoot := home + "/root"
	cfg.Xmrig.Root = rigRoot
	cfg.Xmrig.HTTPPort = testtool.FreePort(t)
	cfg.Xmrig.Token = "tok-0123456789abcdef"
	cfg.Xmrig.HTTPHost = "127.0.0.1"
	// No CPU backend: xmrig logs in and answers its API without mining, which would take a
	// core from the other tests running beside it on a 2-core CI machine.
	cfg.Xmrig.Args = []string{"--no-cpu"}
	cfg.Xmrig.Release = xmrigRelease(t, releases, testtool.XmrigVersion, bin)
	cfg.Xmrig.Rigs = []Rig{{Name: "rig-a", Host: fmt.Sprintf("%s@127.0.0.1:%d", login, srv.Port)}}
	cfg.Commands = withRestart(testCommands(rigRoot))
	cfg.HealthWait = 60 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	d := deployer(t, cfg, ev)
	d.SSH = runner.NewSSH(runner.SSHConfig{KnownHosts: []string{srv.KnownHosts}, KeyFiles: []string{srv.UserKey}, ConnectTimeout: 5 * time.Second})
	d.Restarter.SSH = d.SSH
	t.Cleanup(func() {
		d.SSH.Run(context.Background(), mustDest(t, cfg.Xmrig.Rigs[0].Host), cfg.expand(cfg.Commands.Stop, "xmrig.service", ""), 20*time.Second)
	})
	ctx := context.Background()

	p, err := d.Plan(ctx, "rig-a")
	if err != nil {
		t.Fatal(err)
	}
	if txt := p.Text(); !strings.Contains(txt, "rig-a    xmrig   install binary (none) -> "+testtool.XmrigVersion) ||
		!strings.Contains(txt, "create file "+rigRoot+"/etc/xmrig/config.json") {
		t.Fatalf("plan:\n%s", txt)
	}
	if err := d.Apply(ctx, Options{}, Xmrig); err != nil {
		t.Fatalf("apply: %v", err)
	}
	st, err := os.Stat(rigRoot + "/opt/db4e/xmrig/current/xmrig")
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("installed xmrig: %v %v", st, err)
	}
	fi, _ := os.Stat(rigRoot + "/etc/xmrig/config.json")
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config.json (holds the token) has mode %v", fi.Mode().Perm())
	}

	// db4e's own collector, with the URL and token the configuration derives.
	apis := cfg.XmrigAPIs()
	hc := &http.Client{Timeout: 5 * time.Second}
	var sum collect.XmrigSummary
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		sum, _, err = collect.PollXmrig(ctx, hc, apis[0][0], apis[0][1], apis[0][2], time.Now())
		if err == nil && len(stratum.loggedIn()) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("xmrig API: %+v %v; logins %v", sum, err, stratum.loggedIn())
		}
	}
	if sum.Version != testtool.XmrigVersion {
		t.Errorf("xmrig %s answers", sum.Version)
	}
	if got := stratum.loggedIn(); got[0] != "rig-a" {
		t.Errorf("xmrig logged in as %q, want its rig's name", got[0])
	}
	if _, _, err := collect.PollXmrig(ctx, hc, "rig-a", apis[0][1], "wrong-token", time.Now()); err == nil {
		t.Error("the API answers without its token")
	}
	if p, err := d.Plan(ctx, Xmrig); err != nil || len(p.Changes) != 0 {
		t.Fatalf("plan after apply: %v\n%s", err, p.Text())
	}
	if !strings.Contains(ev.lines(), "deploy xmrig@rig-a | install (none) -> "+testtool.XmrigVersion+", 2 file(s) written | ok") {
		t.Errorf("events:\n%s", ev.lines())
	}

	// Rolled back by name: nothing ran before, so the rig is left with no xmrig installed.
	if err := d.Rollback(ctx, Options{NoStart: true}, "rig-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(rigRoot + "/opt/db4e/xmrig/current"); err == nil {
		t.Error("current is still there after rolling back the first install")
	}
	if _, err := os.Stat(rigRoot + "/etc/xmrig/config.json"); err == nil {
		t.Error("config.json is still there after rolling back the first install")
	}
}

// A rig that does not answer: plan and apply fail naming it, and the node is not touched.
func TestUnreachableRig(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	srv := sshdtest.Start(t)
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	cfg.P2Pool.Wallet = testWallet
	cfg.NodeAddress = "127.0.0.1"
	cfg.Xmrig.Token = "tok-0123456789abcdef"
	cfg.Xmrig.Release = Release{Release: "/nonexistent/xmrig-6.16.0-linux-static-x64.tar.gz", SHA256: strings.Repeat("ab", 32)}
	cfg.Xmrig.Rigs = []Rig{{Name: "rig-gone", Host: fmt.Sprintf("root@127.0.0.1:%d", testtool.FreePort(t))}}
	d := deployer(t, cfg, &events{})
	d.SSH = runner.NewSSH(runner.SSHConfig{KnownHosts: []string{srv.KnownHosts}, KeyFiles: []string{srv.UserKey}, ConnectTimeout: 2 * time.Second})
	_, err := d.Plan(context.Background())
	if err == nil || !strings.Contains(err.Error(), "rig rig-gone") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("plan: %v", err)
	}
	if err := d.Apply(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "rig rig-gone") {
		t.Fatalf("apply: %v", err)
	}
	if entries, _ := os.ReadDir(cfg.Root); len(entries) != 0 {
		t.Fatalf("the node got %v though a rig was unreachable", entries)
	}
}

func mustDest(t *testing.T, s string) runner.Dest {
	d, err := runner.ParseDest(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
