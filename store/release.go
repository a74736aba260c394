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
// /proc/self/statm, a release /proc/self/maps, a thousand times dearer: an idle store pays for
// cheap looks only, and a compaction, an import or a seal is caught within milliseconds
// (figures: bench/RESULTS.md, "pageWatcher").
//
// Badger's copy in third_party/badger gives back the pages of the tables it opens, writes and
// compacts from by itself; the watcher is for what db4e's own reads map (an iterator maps every
// block it passes) and for the memtables' logs, which Badger writes through mmap. The store runs
// one from before Badger opens, which replays those logs, until after it closes, which flushes
// them.
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
// tables faster than a resting look sees, and a seal, which reads and rewrites samples at once.
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
	// Busy from the start: an open replays the memtables' logs, and the service's first reads
	// (the seal's scan of every sample) follow it at once.
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

// readPacer has one long read, a scan of every key under a prefix, give back the table pages
// it mapped every releaseStep bytes, in the scanning goroutine: a scan maps tables faster than
// the watcher releases them on a busy 2-core machine, and ran megabytes ahead of it (figures:
// bench/RESULTS.md, "readPacer").
type readPacer struct {
	dir  string
	read int64
}

// add counts n bytes read, and releases once they make a step.
func (p *readPacer) add(n int64) {
	if p.read += n; p.read >= releaseStep {
		releaseMappedPages(p.dir)
		p.read = 0
	}
}
