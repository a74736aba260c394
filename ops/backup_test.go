package ops

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/store"
)

func fixtureLocal(t *testing.T, dir string) *Local {
	t.Helper()
	l, err := OpenLocal(dir, store.Config{Timezone: "UTC"}, Config{P2Pool: ingest.DefaultConfig(), Backup: BackupConfig{Keep: 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := l.Import(context.Background(), api.FormatP2Pool, "sample.log", f); err != nil {
		t.Fatal(err)
	}
	return l
}

func reportAndCount(t *testing.T, l *Local) (api.Report, int) {
	r, err := l.Report(context.Background(), api.ReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := l.Store.CountEvents()
	if err != nil {
		t.Fatal(err)
	}
	return r, n
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	l := fixtureLocal(t, t.TempDir())
	wantReport, wantEvents := reportAndCount(t, l)
	res, err := l.Backup(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l.Store.Close()
	if !strings.HasSuffix(res.Path, ".backup.gz") || res.Bytes == 0 {
		t.Fatalf("%+v", res)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if err := Restore(res.Path, target); err != nil {
		t.Fatal(err)
	}
	r, err := OpenLocal(target, store.Config{Timezone: "UTC"}, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Store.Close()
	gotReport, gotEvents := reportAndCount(t, r)
	// the backup itself is an action event in the original, recorded after the snapshot
	if gotEvents != wantEvents || !reflect.DeepEqual(gotReport, wantReport) {
		t.Fatalf("restored %d events %+v\nwant %d %+v", gotEvents, gotReport, wantEvents, wantReport)
	}
	if err := Restore(res.Path, target); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a non-empty dir: %v", err)
	}
}

func TestDamagedBackupsLeaveEverythingAsItWas(t *testing.T) {
	l := fixtureLocal(t, t.TempDir())
	res, err := l.Backup(context.Background(), t.TempDir())
	l.Store.Close()
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(res.Path)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x20
	for name, data := range map[string][]byte{
		"flipped byte": flipped,
		"cut off":      good[:len(good)*2/3],
		"not a backup": []byte("hello"),
		"empty":        nil,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bad := filepath.Join(dir, "bad.backup.gz")
			os.WriteFile(bad, data, 0o644)
			for _, existing := range []bool{false, true} {
				target := filepath.Join(dir, "data")
				if existing {
					os.Mkdir(target, 0o750)
				}
				err := Restore(bad, target)
				if err == nil {
					t.Fatal("a damaged backup was restored")
				}
				entries, _ := os.ReadDir(dir)
				names := []string{}
				for _, e := range entries {
					names = append(names, e.Name())
				}
				want := []string{"bad.backup.gz"}
				if existing {
					want = []string{"bad.backup.gz", "data"}
					if inside, _ := os.ReadDir(target); len(inside) != 0 {
						t.Fatalf("data dir changed: %v", inside)
					}
				}
				if !reflect.DeepEqual(names, want) {
					t.Fatalf("%v: left %v behind", err, names)
				}
			}
		})
	}
}

func TestBackupRetentionKeepsExactlyN(t *testing.T) {
	l := fixtureLocal(t, t.TempDir())
	defer l.Store.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not ours"), 0o644)
	clock := time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { return clock }
	var made []string
	for range 6 {
		res, err := l.Backup(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, filepath.Base(res.Path))
		clock = clock.Add(24 * time.Hour)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := append(append([]string{}, made[3:]...), "notes.txt")
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("kept %v, want %v", names, want)
	}
}

// The service takes a backup every backup.interval, keeping backup.keep of them.
func TestServiceScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	l := fixtureLocal(t, filepath.Join(dir, "data"))
	defer l.Store.Close()
	l.Cfg.Backup = BackupConfig{Dir: filepath.Join(dir, "backups"), Keep: 2, Interval: 1100 * time.Millisecond}
	l.Cfg.P2Pool.Log = filepath.Join(dir, "p2pool.log")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if err := l.RunService(ctx, filepath.Join(dir, "db4e.sock")); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "backups", "db4e-*.backup.gz"))
	if len(files) != 2 {
		t.Fatalf("backups %v, want the 2 newest of 3", files)
	}
}
