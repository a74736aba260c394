package store

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

func TestZonesCompareByTheDaysTheyCut(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	for _, c := range []struct {
		stored, now string
		same        bool
	}{
		{"UTC", "Etc/UTC", true},
		{"Europe/Berlin", "Europe/Paris", true}, // one rule since 1980
		{"Europe/Berlin", "Europe/London", false},
		{"America/Santiago", "America/Asuncion", false}, // UTC-4 in July, UTC-3 in January, both; other switch days
		{"Asia/Tokyo", "Asia/Seoul", true},
		{"UTC", "Asia/Tokyo", false},
	} {
		stored := zoneID(load(c.stored))
		if got := sameDays(stored, load(c.now)); got != c.same {
			t.Errorf("%s then %s: same days %v, want %v", c.stored, c.now, got, c.same)
		}
		// A store of an earlier db4e holds the bare name.
		if got := sameDays(c.stored, load(c.now)); got != c.same {
			t.Errorf("bare %s then %s: same days %v, want %v", c.stored, c.now, got, c.same)
		}
	}
	if sameDays("Local", time.UTC) {
		t.Error("an earlier db4e's Local taken for UTC: nothing tells what it was")
	}
}

// openLogged opens dir in zone tz and returns what the store logged at open.
func openLogged(t *testing.T, dir, tz string) (*Store, string) {
	t.Helper()
	var logged bytes.Buffer
	s, err := Open(dir, Config{Timezone: tz, SeriesRetentionDays: 30}, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s, logged.String()
}

func TestAnotherNameForTheZoneIsNoRebuild(t *testing.T) {
	dir := t.TempDir()
	s, _ := openLogged(t, dir, "UTC")
	var b Batch
	b.Events = append(b.Events, share("2025-03-01T23:30:00Z", "rig-01"))
	if _, err := s.Apply(&b); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, logged := openLogged(t, dir, "Etc/UTC")
	s.Close()
	if strings.Contains(logged, "rebuilding") {
		t.Errorf("UTC then Etc/UTC rebuilt the views: %s", logged)
	}
	// A store of an earlier db4e holds the bare name: read, then written in the new form.
	s, _ = openLogged(t, dir, "UTC")
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keyMeta), []byte("Etc/UTC")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, logged = openLogged(t, dir, "UTC")
	if strings.Contains(logged, "rebuilding") {
		t.Errorf("an earlier db4e's Etc/UTC then UTC rebuilt the views: %s", logged)
	}
	if got := s.meta(t); got != zoneID(time.UTC) {
		t.Errorf("meta %q, want %q", got, zoneID(time.UTC))
	}
	s.Close()
	s, logged = openLogged(t, dir, "Asia/Tokyo")
	defer s.Close()
	if !strings.Contains(logged, "rebuilding") {
		t.Errorf("UTC then Asia/Tokyo did not rebuild: %s", logged)
	}
	if days, _ := s.Days("", ""); len(days) != 1 || days[0].Date != "2025-03-02" {
		t.Errorf("days in Tokyo %+v", days)
	}
}

func (s *Store) meta(t *testing.T) string {
	t.Helper()
	var v []byte
	if err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(keyMeta))
		if err != nil {
			return err
		}
		v, err = it.ValueCopy(nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return string(v)
}

// localChild opens the store in its argument with the system's zone and prints what the store
// logged and the days it holds.
const localChild = "DB4E_TEST_LOCAL_CHILD"

// The system's zone (/etc/localtime, no TZ: a service under systemd) is "Local" whatever it is:
// a machine moved from UTC to Tokyo recuts the views, where the name alone said nothing
// changed. The child runs in a mount namespace of its own with a zone bound over
// /etc/localtime (root only).
func TestTheSystemsZoneMovedIsARebuild(t *testing.T) {
	if dir := os.Getenv(localChild); dir != "" {
		s, logged := openLogged(t, dir, "")
		defer s.Close()
		if time.Local.String() != "Local" {
			t.Fatalf("the child's zone is %q, not the system's", time.Local)
		}
		var b Batch
		b.Events = append(b.Events, share("2025-03-01T23:30:00Z", "rig-01"))
		if _, err := s.Apply(&b); err != nil { // the same share again: nothing new
			t.Fatal(err)
		}
		days, _ := s.Days("", "")
		os.Stdout.WriteString(logged)
		for _, d := range days {
			os.Stdout.WriteString("day " + d.Date + "\n")
		}
		return
	}
	unshare, err := exec.LookPath("unshare")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and unshare(1) to give a child another /etc/localtime")
	}
	inZone := func(zone string, args ...string) *exec.Cmd {
		return exec.Command(unshare, append([]string{"--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /etc/localtime && exec "$@"`, "/usr/share/zoneinfo/" + zone}, args...)...)
	}
	for _, zone := range []string{"UTC", "Asia/Tokyo"} {
		if out, err := inZone(zone, "true").CombinedOutput(); err != nil {
			t.Skipf("cannot bind a zone over /etc/localtime in a mount namespace (a container without CAP_SYS_ADMIN?): %v %s", err, out)
		}
	}
	dir := t.TempDir()
	run := func(zone string) string {
		t.Helper()
		cmd := inZone(zone, os.Args[0], "-test.run=^TestTheSystemsZoneMovedIsARebuild$")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "TZ=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, localChild+"="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child in %s: %v\n%s", zone, err, out)
		}
		return string(out)
	}
	if out := run("UTC"); !strings.Contains(out, "day 2025-03-01") {
		t.Fatalf("first start in UTC: %s", out)
	}
	if out := run("UTC"); strings.Contains(out, "rebuilding") {
		t.Fatalf("UTC again rebuilt: %s", out)
	}
	out := run("Asia/Tokyo")
	if !strings.Contains(out, "rebuilding") || !strings.Contains(out, "day 2025-03-02") || strings.Contains(out, "day 2025-03-01") {
		t.Fatalf("moved to Tokyo: %s", out)
	}
}
