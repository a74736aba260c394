package main

import (
	"context"
	"errors"
	"os"
	"runtime/debug"

	"github.com/db4e/db4e/ops"
)

// serviceMemoryLimit is the Go heap's soft limit in the service; its live heap is ~15 MB.
const serviceMemoryLimit = 24 << 20

// runService is `db4e --headless`: the ingest, the pollers and the socket, until ctx ends.
func runService(ctx context.Context, e *env) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		// The service lives beside monerod on small machines: have the GC work harder
		// rather than let the heap double (GOMEMLIMIT overrides this).
		debug.SetMemoryLimit(serviceMemoryLimit)
	}
	l, err := ops.OpenService(ctx, e.cfg.DataDir, e.cfg.Socket, e.cfg.Store, e.cfg.Ops, e.log)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	if err != nil {
		return err
	}
	e.watchdog(l)
	err = l.RunService(ctx, e.cfg.Socket)
	if cerr := l.Store.Close(); err == nil {
		err = cerr
	}
	return err
}
