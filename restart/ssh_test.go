package restart

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/runner"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// sshd is a real OpenSSH server on 127.0.0.1 with a throwaway host key and user key.
type sshd struct {
	port       int
	dir        string
	userKey    string // private key file
	hostPub    ssh.PublicKey
	knownHosts string
}

func writeKey(t *testing.T, path string) ssh.PublicKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644)
	return sp
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	bin := testtool.Need(t, "openssh-server", "/usr/sbin/sshd")
	if os.Geteuid() == 0 {
		os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	}
	s := &sshd{dir: t.TempDir()}
	s.hostPub = writeKey(t, filepath.Join(s.dir, "host_key"))
	userPub := writeKey(t, filepath.Join(s.dir, "user_key"))
	s.userKey = filepath.Join(s.dir, "user_key")
	os.WriteFile(filepath.Join(s.dir, "authorized_keys"), ssh.MarshalAuthorizedKey(userPub), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
PidFile %s
LogLevel ERROR
`, s.port, filepath.Join(s.dir, "host_key"), filepath.Join(s.dir, "authorized_keys"), filepath.Join(s.dir, "sshd.pid"))
	cfgPath := filepath.Join(s.dir, "sshd_config")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	cmd := exec.Command(bin, "-D", "-e", "-f", cfgPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.knownHosts = filepath.Join(s.dir, "known_hosts")
	s.writeKnownHosts(t, s.hostPub)
	return s
}

func (s *sshd) writeKnownHosts(t *testing.T, key ssh.PublicKey) {
	line := knownhosts.Line([]string{fmt.Sprintf("127.0.0.1:%d", s.port)}, key)
	if err := os.WriteFile(s.knownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (s *sshd) runner() *runner.SSH {
	return runner.NewSSH(runner.SSHConfig{KnownHosts: []string{s.knownHosts}, KeyFiles: []string{s.userKey}, ConnectTimeout: 5 * time.Second})
}

func (s *sshd) dest(t *testing.T) runner.Dest {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return runner.Dest{User: u.Username, Host: "127.0.0.1", Port: s.port}
}

func TestSSH(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "") // only the key file
	s := startSSHD(t)
	ctx := context.Background()
	r := s.runner()
	d := s.dest(t)

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
		os.WriteFile(s.knownHosts, []byte(knownhosts.Line([]string{"127.0.0.1:1"}, s.hostPub)+"\n"), 0o600)
		defer s.writeKnownHosts(t, s.hostPub)
		_, err := r.Run(ctx, d, "echo must not run", 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "host key unknown") || !strings.Contains(err.Error(), "ssh-keyscan") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("changed host key refused", func(t *testing.T) {
		s.writeKnownHosts(t, writeKey(t, filepath.Join(t.TempDir(), "other")))
		defer s.writeKnownHosts(t, s.hostPub)
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
