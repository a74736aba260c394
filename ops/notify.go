package ops

import (
	"context"
	"sync"
)

// notifier hands out versions; Watch waits for the next.
type notifier struct {
	mu      sync.Mutex
	version uint64
	changed chan struct{}
}

func newNotifier() *notifier { return &notifier{version: 1, changed: make(chan struct{})} }

func (n *notifier) bump() {
	n.mu.Lock()
	n.version++
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
}

func (n *notifier) current() (uint64, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.version, n.changed
}

func (n *notifier) wait(ctx context.Context, since uint64) (uint64, error) {
	for {
		v, ch := n.current()
		if v != since {
			return v, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}
