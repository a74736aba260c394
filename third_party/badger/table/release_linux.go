package table

import "golang.org/x/sys/unix"

// ReleasePages drops the table's pages from this process's page tables (db4e's patch): its
// resident set counts every page of a table it maps, though they are clean page cache that the
// next read maps again. MADV_DONTNEED on a shared mapping of a file loses nothing: the pages
// stay in the page cache. The caller holds a reference to the table, so the mapping is still
// the table's.
func (t *Table) ReleasePages() {
	if t.IsInmemory || t.MmapFile == nil || len(t.Data) == 0 {
		return
	}
	_ = unix.Madvise(t.Data, unix.MADV_DONTNEED)
}
