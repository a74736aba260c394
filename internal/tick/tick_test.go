package tick

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestEveryStopsWithItsContext(t *testing.T) {
	for _, now := range []bool{false, true} {
		var n atomic.Int32
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { Every(ctx, time.Millisecond, now, func() { n.Add(1) }); close(done) }()
		for n.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		<-done
		after := n.Load()
		time.Sleep(5 * time.Millisecond)
		if n.Load() != after {
			t.Fatalf("now=%v: fn ran after Every returned", now)
		}
	}
}

func TestEveryRunsAtOnceOnlyWhenAsked(t *testing.T) {
	for _, now := range []bool{false, true} {
		var n atomic.Int32
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		Every(ctx, time.Hour, now, func() { n.Add(1) })
		cancel()
		if want := map[bool]int32{false: 0, true: 1}[now]; n.Load() != want {
			t.Fatalf("now=%v: fn ran %d times in a period of an hour, want %d", now, n.Load(), want)
		}
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Fatal("a sleep that ran its course says its context ended")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) || time.Since(start) > time.Second {
		t.Fatal("a sleep under an ended context waited or said it ran its course")
	}
}

func TestEveryOrRunsWhenKicked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kick := make(chan struct{})
	ran := make(chan struct{}, 1)
	go EveryOr(ctx, time.Hour, false, kick, func() { ran <- struct{}{} })
	kick <- struct{}{}
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("a kick did not run fn")
	}
}
