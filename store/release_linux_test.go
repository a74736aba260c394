package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	"golang.org/x/sys/unix"
)

// Reading the whole store maps every table; the store's watcher gives those pages back within
// moments, where without it they stay counted in the process's memory.
func TestMappedPagesAreGivenBack(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "UTC")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for batch := range 40 {
		var b Batch
		for i := range 5000 {
			at := start.Add(time.Duration(batch*5000+i) * time.Second)
			b.Events = append(b.Events, model.Event{Time: at, Kind: model.KindShare, ID: model.HashID(fmt.Appendf(nil, "%d", at.UnixNano())),
				Host: fmt.Sprintf("rig-%02d", i%50), ClientIP: "192.168.1.20", MainHeight: 3_000_000, SideHeight: 9_000_000, Difficulty: 130_000_000, Effort: 12.5})
		}
		if _, err := s.Apply(&b); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	tables, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, name := range tables {
		if fi, err := os.Stat(name); err == nil {
			size += fi.Size()
		}
	}
	if size < 8*releaseStep {
		t.Fatalf("the store's tables hold %d KB; too few to tell a watcher from none", size>>10)
	}
	s = openTest(t, dir, "UTC")
	defer s.Close()
	releaseMappedPages(dir)
	base, _ := residentFileBytes()
	// Every event read: every table's blocks mapped, ~size more resident without the watcher.
	if err := s.Events(context.Background(), time.Time{}, time.Time{}, func(*model.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, _ := residentFileBytes()
		if n <= base+2*releaseStep {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("resident file pages %d KB over what they were before reading %d KB of tables, 3 s after", (n-base)>>10, size>>10)
		}
	}
}

// A long read gives back what it mapped at every step, in its own goroutine: not before a
// step's worth is read, and at once when it is.
func TestReadPacerReleasesEveryStep(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "000001.sst")
	if err := os.WriteFile(path, make([]byte, 2*releaseStep), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := unix.Mmap(int(f.Fd()), 0, 2*releaseStep, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(data)
	var sum byte
	for i := 0; i < len(data); i += os.Getpagesize() {
		sum += data[i] // the table read: every page mapped
	}
	pace := readPacer{dir: dir}
	pace.add(releaseStep - 1)
	if rss := mappedResident(t, path); rss < int64(len(data))/2 {
		t.Fatalf("%d KB of %d KB resident before a step was read: nothing should have been released", rss>>10, len(data)>>10)
	}
	pace.add(1)
	if rss := mappedResident(t, path); rss > 8<<10 {
		t.Fatalf("%d KB of %d KB still resident after a step was read", rss>>10, len(data)>>10)
	}
	if sum != 0 {
		t.Fatalf("a file of zeros read back as %d", sum)
	}
}
