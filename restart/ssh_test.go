package restart

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/sshdtest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
	"github.com/skeema/knownhosts"
)

func TestSSH(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "") // only the key file
	s := sshdtest.Start(t)
	ctx := context.Background()
	r := s.Runner()
	d := s.Dest(t)

	t.Run("success", func(t *testing.T) {
		res, err := r.Run(ctx, d, "echo restarted; echo note >&2", 10*time.Second)
		if err != nil || res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "restarted" || strings.TrimSpace(res.Stderr) != "note" {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("failure shows stderr and exit status", func(t *testing.T) {
		res, err := r.Run(ctx, d, "echo 'Job for p2pool.service failed' >&2; exit 3", 10*time.Second)
		if err == nil || res.ExitCode != 3 || !strings.Contains(err.Error(), "status 3") || !strings.Contains(err.Error(), "Job for p2pool.service failed") {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		_, err := r.Run(ctx, d, "sleep 30", time.Second)
		if !errors.Is(err, runner.ErrTimeout) || time.Since(start) > 5*time.Second {
			t.Fatalf("after %v: %v", time.Since(start), err)
		}
	})
	t.Run("unknown host key refused", func(t *testing.T) {
		// known_hosts names another port only
		os.WriteFile(s.KnownHosts, []byte(knownhosts.Line([]string{"127.0.0.1:1"}, s.HostPub)+"\n"), 0o600)
		defer s.WriteKnownHosts(t, s.HostPub)
		_, err := r.Run(ctx, d, "echo must not run", 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "host key unknown") || !strings.Contains(err.Error(), "ssh-keyscan") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("changed host key refused", func(t *testing.T) {
		s.WriteKnownHosts(t, sshdtest.WriteKey(t, filepath.Join(t.TempDir(), "other")))
		defer s.WriteKnownHosts(t, s.HostPub)
		_, err := r.Run(ctx, d, "echo must not run", 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "HOST KEY CHANGED") || !strings.Contains(err.Error(), "ssh-keygen -R") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("restart of a remote target is recorded", func(t *testing.T) {
		targets, err := BuildTargets([]TargetConfig{{Name: "rig", Kind: KindMiner, Host: d.String(), Restart: "true"}}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		rs := &Restarter{SSH: r, Concurrency: 1, Who: "test", Record: func(_ context.Context, e model.Event) error {
			got = append(got, e.Target+" "+e.Result)
			return nil
		}}
		if err := rs.Run(ctx, targets); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != "rig ok" {
			t.Fatalf("recorded %v", got)
		}
	})
}
