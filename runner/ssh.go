package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHConfig is the ssh section: how db4e reaches remote targets.
type SSHConfig struct {
	// KnownHosts are the files host keys are checked against; an unknown or changed key is refused.
	KnownHosts []string `yaml:"known_hosts"`
	// KeyFiles are private keys to offer, beside ssh-agent's ($SSH_AUTH_SOCK), which a systemd
	// service does not have.
	KeyFiles []string `yaml:"key_files"`
	// User is the login where a target's host names none.
	User string `yaml:"user"`
	// ConnectTimeout bounds the TCP connection and the handshake.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
}

// DefaultSSHConfig is what absent keys mean.
func DefaultSSHConfig() SSHConfig {
	home, _ := os.UserHomeDir()
	return SSHConfig{
		KnownHosts:     []string{filepath.Join(home, ".ssh", "known_hosts")},
		ConnectTimeout: 15 * time.Second,
	}
}

// Validate names the first bad key of the ssh section, relative to it.
func (c SSHConfig) Validate() error {
	var p model.Problems
	p.Check(c.ConnectTimeout <= 0, "connect_timeout: want more than 0s, got %s", c.ConnectTimeout)
	return p.Err()
}

// Dest is user@host:port.
type Dest struct {
	User, Host string
	Port       int
}

// ParseDest reads "user@host:port", "host:port", "user@host" or "host" ([v6addr]:port too).
func ParseDest(s, defaultUser string) (Dest, error) {
	d := Dest{User: defaultUser, Port: 22}
	if u, rest, ok := strings.Cut(s, "@"); ok {
		d.User, s = u, rest
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), ""
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return d, fmt.Errorf("bad port in %q", s)
		}
		d.Port = p
	}
	if host == "" || strings.ContainsAny(host, " /\\") {
		return d, fmt.Errorf("bad host in %q", s)
	}
	d.Host = host
	if d.User == "" {
		return d, fmt.Errorf("no user for %q: write user@host or set ssh.user", s)
	}
	return d, nil
}

func (d Dest) addr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.Port)) }

func (d Dest) String() string { return d.User + "@" + d.addr() }

// SSH runs configured commands on remote hosts, checking their keys against known_hosts.
type SSH struct {
	cfg SSHConfig
}

// NewSSH returns a runner; known_hosts and key files are read at each connection, so a
// key added while the service runs is taken.
func NewSSH(cfg SSHConfig) *SSH { return &SSH{cfg: cfg} }

func (r *SSH) clientConfig(d Dest) (*ssh.ClientConfig, func(), error) {
	var files []string
	for _, f := range r.cfg.KnownHosts {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("ssh %s: no known_hosts file (%s): add the host's key first, e.g. ssh-keyscan -p %d %s >> %s, and check its fingerprint",
			d, strings.Join(r.cfg.KnownHosts, ", "), d.Port, d.Host, first(r.cfg.KnownHosts))
	}
	db, err := knownhosts.NewDB(files...)
	if err != nil {
		return nil, nil, fmt.Errorf("read known_hosts: %w", err)
	}
	var auths []ssh.AuthMethod
	cleanup := func() {}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			auths = append(auths, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			cleanup = func() { conn.Close() }
		}
	}
	var signers []ssh.Signer
	for _, kf := range r.cfg.KeyFiles {
		b, err := os.ReadFile(kf)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("ssh key file: %w", err)
		}
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("ssh key file %s: %w (keys with a passphrase belong in ssh-agent)", kf, err)
		}
		signers = append(signers, s)
	}
	if len(signers) > 0 {
		auths = append(auths, ssh.PublicKeys(signers...))
	}
	if len(auths) == 0 {
		cleanup()
		return nil, nil, fmt.Errorf("ssh %s: no key: set ssh.key_files or run an ssh-agent", d)
	}
	return &ssh.ClientConfig{
		User:              d.User,
		Auth:              auths,
		HostKeyCallback:   db.HostKeyCallback(),
		HostKeyAlgorithms: db.HostKeyAlgorithms(d.addr()), // else Go may pick a type known_hosts lacks (golang/go#29286)
		Timeout:           r.cfg.ConnectTimeout,
	}, cleanup, nil
}

func first(ss []string) string {
	if len(ss) == 0 {
		return "~/.ssh/known_hosts"
	}
	return ss[0]
}

// Dial connects to d and authenticates, checking its host key; the connection is closed when
// ctx ends (a hung host ends at the caller's deadline). For SFTP and for Run.
func (r *SSH) Dial(ctx context.Context, d Dest) (*ssh.Client, error) {
	cc, cleanup, err := r.clientConfig(d)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var dialer net.Dialer
	dctx, dcancel := context.WithTimeout(ctx, r.cfg.ConnectTimeout)
	conn, err := dialer.DialContext(dctx, "tcp", d.addr())
	dcancel()
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", d, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sconn, chans, reqs, err := ssh.NewClientConn(conn, d.addr(), cc)
	if err != nil {
		stop()
		conn.Close()
		return nil, hostKeyError(d, err, r.cfg.KnownHosts)
	}
	client := ssh.NewClient(sconn, chans, reqs)
	go func() { client.Wait(); stop() }()
	return client, nil
}

// Run runs command on d, with timeout for the whole of it.
func (r *SSH) Run(ctx context.Context, d Dest, command string, timeout time.Duration) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := r.Dial(ctx, d)
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	defer client.Close()
	return RunOn(ctx, client, d, command, timeout)
}

// RunOn runs command over an open client; timeout is only for the message (ctx bounds it).
func RunOn(ctx context.Context, client *ssh.Client, d Dest, command string, timeout time.Duration) (Result, error) {
	res := Result{ExitCode: -1}
	start := time.Now()
	sess, err := client.NewSession()
	if err != nil {
		return res, fmt.Errorf("ssh %s: session: %w", d, err)
	}
	defer sess.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	var out, errb tailBuffer
	sess.Stdout, sess.Stderr = &out, &errb
	err = sess.Run(command)
	res = Result{Stdout: out.String(), Stderr: errb.String(), ExitCode: -1, Duration: time.Since(start)}
	var exit *ssh.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("ssh %s: %q %w after %s", d, command, ErrTimeout, timeout)
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitStatus()
		return res, fmt.Errorf("ssh %s: %w", d, commandError(fmt.Sprintf("%q", command), res, err))
	case err != nil:
		return res, fmt.Errorf("ssh %s: %q: %w", d, command, err)
	}
	res.ExitCode = 0
	return res, nil
}

// hostKeyError says what to do about a refused host key.
func hostKeyError(d Dest, err error, files []string) error {
	switch {
	case knownhosts.IsHostUnknown(err):
		return fmt.Errorf("ssh %s: host key unknown, refused: check the host's fingerprint, then add it: ssh-keyscan -p %d %s >> %s",
			d, d.Port, d.Host, first(files))
	case knownhosts.IsHostKeyChanged(err):
		return fmt.Errorf("ssh %s: HOST KEY CHANGED, refused: this may be an attack. If the host was reinstalled, remove the old key with ssh-keygen -R '%s' -f %s and add the new one after checking it",
			d, knownhosts.Normalize(d.addr()), first(files))
	}
	return fmt.Errorf("ssh %s: %w", d, err)
}
