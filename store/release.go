package store

import (
	"context"
	"time"
)

// releaseStep is how far the process's resident file pages may grow before the store's mapped
// tables are released.
const releaseStep = 2 << 20

// How often the page watcher looks: at rest, and for a second after it last released, while
// a compaction reads table after table through the page cache at a gigabyte a second.
const (
	lookAtRest = 25 * time.Millisecond
	lookBusy   = 2 * time.Millisecond
	busyFor    = time.Second
)

// pageWatcher releases a store's mapped table pages (releaseMappedPages) whenever the process's
// resident file pages grew by releaseStep since the last release. A look reads
// /proc/self/statm (microseconds), a release /proc/self/maps (~1 ms): an idle store pays for 40
// looks a second, and a compaction, an import or a seal is caught within milliseconds.
//
// The store runs one from before Badger opens until after it closes: Badger's open reads every
// table's index and may compact a store written fast (10-15 MB of table pages before any
// caller could start a watcher of its own), and its close compacts level 0.
type pageWatcher struct {
	cancel context.CancelFunc
	done   chan struct{}
	busy   chan struct{} // a word that work is coming: look at the busy pace
}

// watchMappedPages starts the watcher of dir's tables.
func watchMappedPages(dir string) *pageWatcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &pageWatcher{cancel: cancel, done: make(chan struct{}), busy: make(chan struct{}, 1)}
	go func() {
		defer close(w.done)
		keepMappedPagesLow(ctx, dir, w.busy)
	}()
	return w
}

// expectWork has the watcher look at its busy pace from now on, for work it would otherwise
// catch only at its next resting look: a close, whose flush and compaction of level 0 map
// tables faster than 2 MB in 25 ms, and a seal, which reads and rewrites samples at once.
func (w *pageWatcher) expectWork() {
	select {
	case w.busy <- struct{}{}:
	default: // a word is already waiting
	}
}

// stop ends the watcher and waits for it.
func (w *pageWatcher) stop() {
	w.cancel()
	<-w.done
}

func keepMappedPagesLow(ctx context.Context, dir string, busy <-chan struct{}) {
	base, ok := residentFileBytes()
	if !ok {
		return // not Linux: the kernel's own reclaim has to do
	}
	// Busy from the start: Badger's open maps every table to read its index, and the kernel
	// maps up to 64 KB around each read. Measured on a store of 170 tables of 512 KB: 14 MB
	// of table pages 90 ms after the start, with the watcher looking at its resting pace.
	busyUntil := time.Now().Add(busyFor)
	for {
		every := lookAtRest
		if time.Now().Before(busyUntil) {
			every = lookBusy
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-busy:
			t.Stop()
			busyUntil = time.Now().Add(busyFor)
		case <-t.C:
		}
		n, _ := residentFileBytes()
		switch {
		case n > base+releaseStep:
			releaseMappedPages(dir)
			base, _ = residentFileBytes()
			busyUntil = time.Now().Add(busyFor)
		case n < base:
			base = n
		}
	}
}
