package store

import (
	"context"
	"time"

	"github.com/db4e/db4e/internal/tick"
)

// releaseStep is how far the process's resident file pages may grow before the store's mapped
// tables are released.
const releaseStep = 2 << 20

// How often KeepMappedPagesLow looks: at rest, and for a second after it last released, while
// a compaction reads table after table through the page cache at a gigabyte a second.
const (
	lookAtRest = 25 * time.Millisecond
	lookBusy   = 2 * time.Millisecond
	busyFor    = time.Second
)

// KeepMappedPagesLow releases the store's mapped pages (ReleaseMappedPages) whenever the
// process's resident file pages grew by releaseStep since the last release, until ctx ends. A
// look reads /proc/self/statm (microseconds), a release /proc/self/maps (~1 ms): an idle
// service pays for 40 looks a second, and a compaction, an import or an old store's series
// sealed are caught within milliseconds. The service and an import run it; one watcher a
// store is enough, so a second call (an import through the service) returns at once.
func (s *Store) KeepMappedPagesLow(ctx context.Context) {
	if !s.watchingPages.CompareAndSwap(false, true) {
		return
	}
	defer s.watchingPages.Store(false)
	base, ok := residentFileBytes()
	if !ok {
		return // not Linux: the kernel's own reclaim has to do
	}
	var busyUntil time.Time
	for {
		every := lookAtRest
		if time.Now().Before(busyUntil) {
			every = lookBusy
		}
		if !tick.Sleep(ctx, every) {
			return
		}
		n, _ := residentFileBytes()
		switch {
		case n > base+releaseStep:
			s.ReleaseMappedPages()
			base, _ = residentFileBytes()
			busyUntil = time.Now().Add(busyFor)
		case n < base:
			base = n
		}
	}
}
