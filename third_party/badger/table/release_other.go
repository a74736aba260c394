//go:build !linux

package table

// ReleasePages is Linux-only (db4e's patch); elsewhere the kernel's own reclaim has to do.
func (t *Table) ReleasePages() {}
