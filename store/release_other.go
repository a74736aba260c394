//go:build !linux

package store

// releaseMappedPages is Linux-only; elsewhere the kernel's own reclaim has to do.
func releaseMappedPages(string) int64 { return 0 }

func residentFileBytes() (int64, bool) { return 0, false }
