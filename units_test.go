package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/db4e/db4e/internal/testtool"
)

// unitFiles are the systemd units db4e ships.
var unitFiles = []string{"deploy/db4e.service", "deploy/db4e-restart.service", "deploy/db4e-restart.timer"}

// Every shipped unit passes systemd-analyze verify as it is, with db4e where ExecStart names
// it (the one thing of the machine it checks that a test cannot install: it runs on the files,
// systemd itself is never started).
func TestUnitsVerify(t *testing.T) {
	analyze := testtool.Need(t, "systemd", "systemd-analyze")
	dir := t.TempDir()
	var paths []string
	for _, f := range unitFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(f))
		os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/db4e", db4eBin)), 0o644)
		paths = append(paths, p)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, paths...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The sudoers drop-in parses (visudo -c), as sudo reads it from /etc/sudoers.d.
func TestSudoersParses(t *testing.T) {
	visudo := testtool.Need(t, "sudo", "visudo", "/usr/sbin/visudo")
	if out, err := exec.Command(visudo, "-cf", "deploy/db4e.sudoers").CombinedOutput(); err != nil {
		t.Fatalf("visudo -cf: %v\n%s", err, out)
	}
}

// unitSettings reads the [Service] settings of a unit file: key -> values in order.
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = append(out[k], v)
		}
	}
	return out
}

// The service may restart the farm through sudo under its unit as shipped: nothing in it sets
// no-new-privileges, and the README's backup.dir and csv.dir are writable to it.
func TestServiceUnitAllowsWhatTheREADMESays(t *testing.T) {
	set := unitSettings(t, "deploy/db4e.service")
	for _, k := range []string{"NoNewPrivileges", "DynamicUser", "RestrictSUIDSGID", "SystemCallFilter", "CapabilityBoundingSet"} {
		if v := set[k]; len(v) > 0 && v[len(v)-1] != "no" && v[len(v)-1] != "" {
			t.Errorf("%s=%s: sudo (deploy/db4e.sudoers) cannot run under it", k, v[len(v)-1])
		}
	}
	var writable []string
	for _, v := range set["ReadWritePaths"] {
		for _, p := range strings.Fields(v) {
			writable = append(writable, strings.TrimLeft(p, "-+"))
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The yaml example of the "Under systemd" section.
	section := string(readme)[strings.Index(string(readme), "### Under systemd"):]
	section = section[:strings.Index(section, "\n## ")]
	dirs := regexp.MustCompile(`(?m)^\s*(?:data_dir|dir): (\S+)`).FindAllStringSubmatch(section, -1)
	if len(dirs) != 3 {
		t.Fatalf("the README's systemd section names %d directories, want data_dir, backup.dir and csv.dir", len(dirs))
	}
	for _, d := range dirs {
		ok := false
		for _, w := range writable {
			ok = ok || d[1] == w || strings.HasPrefix(d[1], w+"/")
		}
		if !ok {
			t.Errorf("the README puts %s where the unit does not let the service write (ReadWritePaths %v)", d[1], writable)
		}
	}
	if u := set["User"]; len(u) != 1 || !strings.Contains(section, "`"+u[0]+"`") {
		t.Errorf("the unit's User=%v is not the one the README explains", u)
	}
}

// A restart through sudo works in the service's sandbox as the unit sets it up: the system
// read-only (ProtectSystem=strict, /run included), the service's user, and no-new-privileges
// only if the unit asked for it. The sudoers drop-in is the shipped one, for the test's user;
// systemctl itself then finds no systemd here, which is not sudo refusing. Run as root, in a
// mount namespace of its own: nothing of the machine changes.
func TestRestartThroughSudoUnderTheUnit(t *testing.T) {
	testtool.Need(t, "sudo", "sudo")
	testtool.Need(t, "util-linux", "unshare")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("run as root: the test sets up the unit's sandbox in a mount namespace")
		}
		t.Skip("only root can set up the unit's sandbox (mount namespace)")
	}
	b, err := os.ReadFile("deploy/db4e.sudoers")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sudoers := filepath.Join(dir, "sudoers.d")
	os.Mkdir(sudoers, 0o755)
	rule := strings.Replace(string(b), "\ndb4e, farm ALL=", "\nnobody ALL=", 1)
	if rule == string(b) {
		t.Fatal("the drop-in has no rule for users db4e and farm")
	}
	if err := os.WriteFile(filepath.Join(sudoers, "db4e"), []byte(rule), 0o440); err != nil {
		t.Fatal(err)
	}
	nnp := ""
	if v := unitSettings(t, "deploy/db4e.service")["NoNewPrivileges"]; len(v) > 0 && v[len(v)-1] == "yes" {
		nnp = "--no-new-privs"
	}
	script := `set -e
mount --make-rprivate /
mount --bind "$1" /etc/sudoers.d
mount -o remount,bind,ro /
mount --bind -o ro /run /run
set +e
as() { setpriv --reuid=65534 --regid=65534 --clear-groups $NNP "$@"; }
as sudo -n /usr/bin/systemctl restart p2pool.service; echo "allowed exit $?"
as sudo -n /usr/bin/systemctl restart ssh.service; echo "other exit $?"
`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", sudoers)
	cmd.Env = append(os.Environ(), "NNP="+nnp)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("sandbox: %v\n%s", err, text)
	}
	allowed, other, _ := strings.Cut(text, "allowed exit")
	if strings.Contains(allowed, "sudo:") || !strings.Contains(allowed, "systemd") {
		t.Errorf("sudo refused an allowed restart under the unit's sandbox:\n%s", text)
	}
	if !strings.Contains(other, "sudo: a password is required") {
		t.Errorf("sudo let the service restart a unit the drop-in does not name:\n%s", text)
	}
}

// The config example's restart commands on the node are the ones the sudoers drop-in allows,
// word for word (sudo matches the command line exactly).
func TestExampleRestartsAreAllowedBySudoers(t *testing.T) {
	sudoers, err := os.ReadFile("deploy/db4e.sudoers")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range regexp.MustCompile(`(?m)restart: sudo systemctl (\S+) (\S+)(.*)$`).FindAllStringSubmatch(string(example), -1) {
		if strings.Contains(m[3], "on the rig") || m[2] == "{unit}" {
			continue // a rig's own sudoers; deploy's commands are checked against its own drop-in (deploy/render_test.go)
		}
		n++
		if cmd := "/usr/bin/systemctl " + m[1] + " " + m[2]; !strings.Contains(string(sudoers), cmd+",") && !strings.Contains(string(sudoers), cmd+"\n") {
			t.Errorf("config.example.yaml restarts with %q, which deploy/db4e.sudoers does not allow", cmd)
		}
	}
	if n < 3 {
		t.Errorf("%d restart commands found in config.example.yaml", n)
	}
}
