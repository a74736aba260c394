// Package monerodtest runs Debian's monerod in regtest for tests that need a real node: its
// RPC, its --rpc-login Digest challenge, its --offline state.
package monerodtest

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/testtool"
)

// Start runs monerod --regtest --offline on loopback with login (user:password, or "" for
// none) and returns its RPC address, http://127.0.0.1:PORT. Without monerod the test is skipped,
// saying what to install, and fails on CI (testtool.Need).
func Start(t *testing.T, login string) string {
	t.Helper()
	bin := testtool.Need(t, "monero", "monerod")
	dir := t.TempDir()
	rpc, p2p := testtool.FreePort(t), testtool.FreePort(t)
	args := []string{"--regtest", "--offline", "--non-interactive", "--no-igd", "--no-zmq", "--fixed-difficulty", "1",
		"--data-dir", filepath.Join(dir, "data"), "--log-file", filepath.Join(dir, "monerod.log"), "--log-level", "0",
		"--rpc-bind-ip", "127.0.0.1", "--rpc-bind-port", strconv.Itoa(rpc),
		"--p2p-bind-ip", "127.0.0.1", "--p2p-bind-port", strconv.Itoa(p2p)}
	if login != "" {
		args = append(args, "--rpc-login", login)
	}
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start monerod: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(rpc)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		// Any HTTP answer, a 401 included, means the RPC server is up.
		if resp, err := http.Post(base+"/json_rpc", "application/json", bytes.NewReader([]byte(`{}`))); err == nil {
			resp.Body.Close()
			return base
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("monerod did not answer on %s within 60 s:\n%s", base, out.String())
	return ""
}
