// Package testtool is what tests in several packages share. Need finds the real programs they
// run against (logrotate, sshd, tmux, monerod, chromium, prometheus): .ci/run installs them, so
// on CI a missing one fails the test, and elsewhere the test is skipped, saying what to install.
// Get reads a loopback HTTP server's answer.
package testtool

import (
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
