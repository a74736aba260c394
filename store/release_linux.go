package store

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseMappedPages drops this process's mappings of dir's Badger files from its resident
// set. Badger reads its tables through mmap, so a rebuild or a scan leaves every table it
// touched counted in the service's RSS, though those pages are clean page cache the kernel could
// take back at any time; and it writes its memtables' logs through mmap too. (Its compactions
// and opens give their tables' pages back themselves: third_party/badger.) MADV_PAGEOUT
// reclaims them (Linux 5.4 on; the next read faults them back in from the file). It is
// harmless whatever the range holds: between reading the maps and the madvise, a compaction
// may unmap a table and the Go runtime map its own memory there, which MADV_PAGEOUT at worst
// swaps out, where MADV_DONTNEED would zero it. Older
// kernels get MADV_DONTNEED, which unmaps the pages from this process only (they stay in the
// page cache), with that small risk. Tables are immutable once written, and written pages of
// a log stay in the page cache until the kernel writes them to the file, so nothing of the
// store can be lost either way. Returns the bytes released.
func releaseMappedPages(dir string) int64 {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return 0
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var released int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 7f2c1a000000-7f2c1a400000 r--s 00000000 fe:01 1234 /var/lib/db4e/000012.sst
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !badgerMapped(fields[1], fields[5]) || filepath.Dir(fields[5]) != dir {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
		if errno == unix.EINVAL {
			_, _, errno = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
		}
		if errno == 0 {
			released += int64(end - start)
		}
	}
	return released
}

// badgerMapped tells a mapping of one of Badger's files: its tables, and the memtables' and
// value log's write-ahead files, which it writes through the mapping (a memtable's file grows
// to 4 MB resident before it is flushed). Only shared mappings: dropping those loses nothing,
// their pages (dirty ones too) stay in the page cache and reach the file as before.
func badgerMapped(perms, path string) bool {
	if !strings.HasSuffix(perms, "s") {
		return false
	}
	switch filepath.Ext(path) {
	case ".sst", ".mem", ".vlog":
		return true
	}
	return false
}

// residentFileBytes is the process's resident shared pages (file pages, mostly: the binary's and
// the store's tables), from /proc/self/statm.
func residentFileBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	// size resident shared text lib data dt, in pages
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[2], 10, 64)
	return n * int64(os.Getpagesize()), err == nil
}
