// Package sshdtest runs a real OpenSSH server on 127.0.0.1 for tests of what db4e does over
// SSH: restarts on rigs, deploys to them over SFTP.
package sshdtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
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
	"github.com/db4e/db4e/runner"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// sshd is a real OpenSSH server on 127.0.0.1 with a throwaway host key and user key.
type Server struct {
	Port       int
	Dir        string
	UserKey    string // private key file
	HostPub    ssh.PublicKey
	KnownHosts string
}

// WriteKey writes a new ed25519 key pair to path and path.pub.
func WriteKey(t *testing.T, path string) ssh.PublicKey {
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

// Start runs sshd -D on a free loopback port, logging in the user the test runs as.
func Start(t *testing.T) *Server {
	t.Helper()
	bin := testtool.Need(t, "openssh-server", "/usr/sbin/sshd")
	if os.Geteuid() == 0 {
		os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	}
	// Not t.TempDir(): its parent is 0700, and sshd reads the keys as the user who logs in.
	dir, err := os.MkdirTemp("", "db4e-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{Dir: dir}
	s.HostPub = WriteKey(t, filepath.Join(s.Dir, "host_key"))
	userPub := WriteKey(t, filepath.Join(s.Dir, "user_key"))
	s.UserKey = filepath.Join(s.Dir, "user_key")
	// sshd reads it as the user who logs in, which may be another than the test's.
	os.Chmod(s.Dir, 0o755)
	os.WriteFile(filepath.Join(s.Dir, "authorized_keys"), ssh.MarshalAuthorizedKey(userPub), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
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
Subsystem sftp internal-sftp
`, s.Port, filepath.Join(s.Dir, "host_key"), filepath.Join(s.Dir, "authorized_keys"), filepath.Join(s.Dir, "sshd.pid"))
	cfgPath := filepath.Join(s.Dir, "sshd_config")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	cmd := exec.Command(bin, "-D", "-e", "-f", cfgPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
	s.WriteKnownHosts(t, s.HostPub)
	return s
}

// WriteKnownHosts makes key the only one known for the server.
func (s *Server) WriteKnownHosts(t *testing.T, key ssh.PublicKey) {
	line := knownhosts.Line([]string{fmt.Sprintf("127.0.0.1:%d", s.Port)}, key)
	if err := os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Runner is db4e's SSH runner with the server's known_hosts and the user key.
func (s *Server) Runner() *runner.SSH {
	return runner.NewSSH(runner.SSHConfig{KnownHosts: []string{s.KnownHosts}, KeyFiles: []string{s.UserKey}, ConnectTimeout: 5 * time.Second})
}

// Dest is the test's own user on the server.
func (s *Server) Dest(t *testing.T) runner.Dest {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return runner.Dest{User: u.Username, Host: "127.0.0.1", Port: s.Port}
}

// RigUser is a second user for the rig side of a test: as root a system user made for the test
// (removed after it), with a login shell and no password; otherwise the test's own user, the
// only one a sshd run without root can log in. home is a directory the user owns.
func RigUser(t *testing.T) (name, home string) {
	t.Helper()
	home, err := os.MkdirTemp("", "db4e-rig-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o755)
	t.Cleanup(func() { os.RemoveAll(home) })
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		return u.Username, home
	}
	name = "db4e-rig-test"
	if _, err := user.Lookup(name); err != nil {
		// "*": no password, and not locked ("!"), which sshd without PAM would refuse.
		if out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "-p", "*", name).CombinedOutput(); err != nil {
			t.Fatalf("useradd %s: %v: %s", name, err, out)
		}
		t.Cleanup(func() { exec.Command("userdel", name).Run() })
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	var uid, gid int
	fmt.Sscan(u.Uid, &uid)
	fmt.Sscan(u.Gid, &gid)
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	return name, home
}
