package alert

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/db4e/db4e/runner"
)

// Hook runs alert commands: the alert as JSON on stdin and in DB4E_* environment variables, the
// command and its arguments from the configuration only, no shell, a timeout, one at a time.
type Hook struct {
	Timeout time.Duration
	mu      sync.Mutex
}

// Run runs argv for t and returns what went wrong, with the command's stderr.
func (h *Hook) Run(ctx context.Context, argv []string, t Transition) error {
	if len(argv) == 0 {
		return nil
	}
	h.mu.Lock() // hooks run one at a time, in the order of the transitions
	defer h.mu.Unlock()
	payload, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = runner.Run(ctx, runner.Command{
		Argv: argv, Name: "alert hook " + argv[0], Stdin: append(payload, '\n'), Timeout: h.Timeout,
		Env: []string{"DB4E_ALERT=" + t.Rule, "DB4E_STATE=" + t.State, "DB4E_TARGET=" + t.Target, "DB4E_DETAIL=" + t.Detail,
			"DB4E_SINCE=" + t.Since.Format(time.RFC3339), "DB4E_TIME=" + t.Time.Format(time.RFC3339)},
	})
	return err
}
