package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/testtool"
	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2/z"
)

// db4e builds with a copy of Badger whose tables give their pages back once written or opened,
// and whose levels read no table's index to keep their books (third_party/badger/README.md).
// Without it the service's first start on a store of many tables peaked at 35-88 MB. This
// fails if go.mod's replace is dropped or the copy updated without the patch.
func TestBadgerTablesGiveTheirPagesBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "000001.sst")
	opts := table.Options{TableSize: 2 << 20, BlockSize: 4 << 10, BloomFalsePositive: 0.01, Compression: options.None}
	b := table.NewTableBuilder(opts)
	for i := range 20000 {
		b.AddStaleKey(y.KeyWithTs(fmt.Appendf(nil, "s/20260101/rig-%05d", i), 1), y.ValueStruct{Value: make([]byte, 40)}, 0)
	}
	tbl, err := table.CreateTable(path, b)
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	size := tbl.Size()
	if size < 1<<20 {
		t.Fatalf("a table of %d KB: too small to tell", size>>10)
	}
	check := func(what string) {
		t.Helper()
		// None at all, give or take a page: the kernel maps 64 KB around every read, so the
		// index alone read through the mapping would leave 64 KB or more.
		if rss := mappedResident(t, path); rss > 8<<10 {
			t.Fatalf("%s: %d KB of the %d KB table resident: the build uses the published Badger, not third_party/badger (see its README.md)", what, rss>>10, size>>10)
		}
	}
	check("written (CreateTable)")
	if tbl.StaleDataSize() == 0 {
		t.Fatal("the table's stale data size is 0; it was written all stale")
	}
	check("its stale data size read (a level adds it up for every table it holds)")
	if err := tbl.Close(-1); err != nil {
		t.Fatal(err)
	}

	mf, err := z.OpenMmapFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err = table.OpenTable(mf, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Close(-1)
	check("opened (its index read)")
	// The pages come back as read: the table reads the same after.
	it := tbl.NewIterator(0)
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		n++
	}
	if n != 20000 {
		t.Fatalf("read %d keys back, want 20000", n)
	}
}

// mappedResident is how much of path's mappings in this process is resident (/proc/self/smaps).
func mappedResident(t *testing.T, path string) int64 {
	t.Helper()
	return mappedResidentOf(t, map[string]bool{path: true})
}

// mappedResidentOf is how much of the mappings of paths in this process is resident.
func mappedResidentOf(t *testing.T, paths map[string]bool) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatalf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0:
		case !strings.HasSuffix(fields[0], ":"): // a mapping's first line
			in = len(fields) >= 6 && paths[fields[5]]
		case in && fields[0] == "Rss:":
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatalf("smaps: %q: %v", sc.Text(), err)
			}
			rss += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rss
}

// A compaction of Badger's copy gives its input tables' pages back after each table it builds
// from them: the published Badger keeps every page it read until the compaction ends and its
// inputs are deleted, a burst of 15-20 MB in the service (third_party/badger/README.md,
// levels.go). Measured in the middle of a compaction of 16 MB of level-0 tables into tables of
// 512 KB, with smaps read over and over while it runs.
func TestBadgerCompactionGivesItsInputsBack(t *testing.T) {
	dir := t.TempDir()
	// No compaction until Flatten; memtables of 1 MB make level-0 tables of about that.
	opt := badgerOptions(dir, nil).WithNumCompactors(0).WithMemTableSize(1 << 20).
		WithNumLevelZeroTables(2).WithNumLevelZeroTablesStall(200).WithCompactL0OnClose(false)
	db, err := badger.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 200) // under the value threshold: in the tables, not the value log
	for i := 0; i < 80000; i += 200 {
		err := db.Update(func(txn *badger.Txn) error {
			for j := i; j < i+200; j++ {
				// Spread over the whole range: every level-0 table overlaps every other, so the
				// compaction merges them all (tables that do not overlap are moved, not read).
				if err := txn.Set(fmt.Appendf(nil, "e/%08d", j*7919%80000), value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Level-0 tables appear as the memtables are flushed, in the background.
	inputs := map[string]bool{}
	var size int64
	for range 100 {
		ssts, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
		size = 0
		for _, p := range ssts {
			inputs[p] = true
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			size += fi.Size()
		}
		if size >= 12<<20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if size < 12<<20 {
		t.Fatalf("%d KB of level-0 tables: too little to tell", size>>10)
	}
	done := make(chan error, 1)
	go func() { done <- db.Flatten(1) }()
	var peak int64
	samples := 0
	for flattening := true; flattening; samples++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			flattening = false
		default:
		}
		peak = max(peak, mappedResidentOf(t, inputs))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.sst")); len(left) == 0 {
		t.Fatal("no tables after the compaction")
	}
	t.Logf("%d KB of level-0 tables compacted; at most %d KB of them resident (%d samples)", size>>10, peak>>10, samples)
	// Measured: 35-40% with the copy (a compaction's parallel parts each read ahead of the
	// last release), 95-100% with the published Badger.
	if peak > size*7/10 {
		t.Fatalf("%d KB of the %d KB of input tables resident during their compaction: the build uses the published Badger, not third_party/badger (see its README.md)", peak>>10, size>>10)
	}
}

// Badger's copy keeps no pool of table builders' allocators: the pool kept up to 8 of them with
// the buffers they grew to, 49 MB of the service's heap during an import through it
// (third_party/badger/README.md). The field is Badger's own, unexported: read by reflection.
func TestBadgerKeepsNoBuilderPool(t *testing.T) {
	db, err := badger.Open(badgerOptions(t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pool := reflect.ValueOf(db).Elem().FieldByName("allocPool")
	if !pool.IsValid() {
		t.Fatal("badger.DB has no allocPool field: Badger changed; see third_party/badger/README.md")
	}
	if !pool.IsNil() {
		t.Fatal("badger.DB has a pool of table builders' allocators: the build uses the published Badger, not third_party/badger (see its README.md)")
	}
}

// Badger's copy writes a new table with write(2), not through a mapping of a file truncated to
// the table's size: on a full disk that mapping got no block for a page, and the process died
// of SIGBUS ("fatal error: fault", which no recover catches). Now the table is an error, and
// the file is gone, so that a retry with its id can create it.
func TestBadgerTableOnAFullDiskIsAnError(t *testing.T) {
	dir := testtool.Tmpfs(t, 1)
	path := filepath.Join(dir, "000001.sst")
	opts := table.Options{TableSize: 4 << 20, BlockSize: 4 << 10, Compression: options.None}
	b := table.NewTableBuilder(opts)
	defer b.Close()
	for i := range 40000 {
		b.Add(y.KeyWithTs(fmt.Appendf(nil, "e/%08d", i), 1), y.ValueStruct{Value: make([]byte, 40)}, 0)
	}
	tbl, err := table.CreateTable(path, b)
	if err == nil {
		tbl.Close(-1)
		t.Fatalf("a table of %d KB created on a 1 MB disk", tbl.Size()>>10)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error %v, want ENOSPC in it", err)
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("the half-written table is left: %v", serr)
	}
	t.Logf("on a full disk: %v", err)
}

// Badger's copy reserves a new memtable's log on disk when it makes it (fallocate), where
// Badger left a sparse file written through a mapping: a disk filled by another process after
// the log was made killed the process with SIGBUS at the next write to a page not yet written.
func TestBadgerMemtableLogIsReserved(t *testing.T) {
	dir := testtool.Tmpfs(t, 32)
	db, err := badger.Open(badgerOptions(dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			break
		}
	}
	f.Close()
	// 1 MB of writes: all in the first memtable (2 MB), its log the one made at the open.
	value := make([]byte, 200)
	for i := range 4000 {
		err := db.Update(func(txn *badger.Txn) error {
			return txn.Set(fmt.Appendf(nil, "e/%08d", i), value)
		})
		if err != nil {
			t.Fatalf("write %d on a full disk, into a log made before: %v", i, err)
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
