package store

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ReleaseMappedPages drops this process's mappings of the store's table files from its resident
// set. Badger reads its tables through mmap, so a compaction or a rebuild leaves every table it
// touched counted in the service's RSS, though those pages are clean page cache the kernel could
// take back at any time. MADV_PAGEOUT reclaims them (Linux 5.4 on; the next read faults them
// back in from the file). It is harmless whatever the range holds: between reading the maps
// and the madvise, a compaction may unmap a table and the Go runtime map its own memory
// there, which MADV_PAGEOUT at worst swaps out, where MADV_DONTNEED would zero it. Older
// kernels get MADV_DONTNEED, which unmaps the pages from this process only (they stay in the
// page cache), with that small risk. Tables are immutable once written, so nothing of the
// store can be lost either way. Returns the bytes released.
func (s *Store) ReleaseMappedPages() int64 {
	dir, err := filepath.Abs(s.dir)
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
		if len(fields) < 6 || !strings.HasSuffix(fields[5], ".sst") || filepath.Dir(fields[5]) != dir {
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
