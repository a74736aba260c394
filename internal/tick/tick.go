// Package tick runs a function on a period until its context ends, and waits a while unless
// the context ends first: the service's loops share them rather than each writing a select.
package tick

import (
	"context"
	"time"
)

// Every calls fn every d until ctx ends, first after one period. With now it calls fn once
// at the start as well. A d of zero or less means every second (a ticker would panic).
func Every(ctx context.Context, d time.Duration, now bool, fn func()) {
	EveryOr(ctx, d, now, nil, fn)
}

// EveryOr is Every that also calls fn whenever kick receives (a nil kick never does): work on a
// period that something may ask for sooner.
func EveryOr(ctx context.Context, d time.Duration, now bool, kick <-chan struct{}, fn func()) {
	if d <= 0 {
		d = time.Second
	}
	if now {
		fn()
	}
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		case <-kick:
			fn()
		}
	}
}

// Sleep waits d, or until ctx ends; false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
