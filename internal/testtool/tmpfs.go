package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Tmpfs mounts a real tmpfs of size MiB at a new directory until the test ends: a disk that
// fills up. Only root may mount one: elsewhere the test is skipped, saying so, and on CI (CI
// set), where the full-disk guards must run, it fails with the reason.
func Tmpfs(t testing.TB, size int) string {
	t.Helper()
	cannot := t.Skipf
	if os.Getenv("CI") != "" {
		cannot = t.Fatalf
	}
	if os.Geteuid() != 0 {
		cannot("a full disk is tested on a real tmpfs, which only root may mount: run the tests as root")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", size), "tmpfs", dir).CombinedOutput(); err != nil {
		cannot("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// ResizeTmpfs gives a tmpfs of Tmpfs a new size in MiB: room made, or taken away.
func ResizeTmpfs(t testing.TB, dir string, size int) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%dm", size), dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
}
