package main

import (
	"context"
	"errors"
	"os"
	"runtime/debug"

	"github.com/db4e/db4e/ops"
)

// serviceMemoryLimit is the Go runtime's soft limit in the service. Its live heap is ~7 MB
// following a log, so the limit does not bind then; during an import through it the live heap
// reaches ~17 MB and the limit holds the heap's garbage to the rest: with the binary's own pages
// (~13 MB) and the tables and logs mapped, the service stayed at 36-38 MB (24 MiB: 37-41).
const serviceMemoryLimit = 20 << 20

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
