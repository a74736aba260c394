package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/db4e/db4e/deploy"
)

func cmdP2Pool(ctx context.Context, e *env, args []string) error {
	fs := e.flags("p2pool")
	wait := fs.Duration("wait", 5*time.Second, "how long to wait for P2Pool's answer")
	if err := e.parse(fs, args, 1, -1); err != nil {
		return err
	}
	line := strings.Join(fs.Args(), " ")
	if err := deploy.CheckP2PoolCommand(line); err != nil {
		return usageError{fmt.Errorf("p2pool: %w", err)}
	}
	out, err := deploy.AskP2Pool(ctx, e.cfg.Deploy.FIFO(), e.cfg.Ops.P2Pool.Log, line, *wait, 500*time.Millisecond)
	fmt.Fprint(e.stdout, out)
	if err != nil {
		return fmt.Errorf("p2pool: %w", err)
	}
	return nil
}
