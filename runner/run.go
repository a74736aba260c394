// Package runner runs the commands the configuration names, locally or over SSH: a timeout,
// the whole process group killed at it, and the end of stderr kept for the error.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is what running a command gave.
type Result struct {
	Stdout   string        `json:"stdout"`
	Stderr   string        `json:"stderr"`
	ExitCode int           `json:"exit_code"` // -1 when it did not run to an exit
	Duration time.Duration `json:"duration"`
}

// maxOutput keeps the end of a command's output, where the error usually is.
const maxOutput = 16 << 10

// tailBuffer keeps the last maxOutput bytes written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > maxOutput {
		t.b = append(t.b[:0], t.b[len(t.b)-maxOutput:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.ToValidUTF8(t.b, []byte("?")))
}

// ErrTimeout is a command that did not finish in its time.
var ErrTimeout = errors.New("timed out")

// Command is a command from the configuration: a shell line or a program with its arguments.
// Nothing untrusted is ever put into either.
type Command struct {
	// Shell is run by /bin/sh -c (restart commands).
	Shell string
	// Argv is run as is, no shell (hooks, git).
	Argv []string
	// Name is how errors call it; empty: the shell line, or the program.
	Name  string
	Stdin []byte
	// Env is added to this process's environment.
	Env     []string
	Dir     string
	Timeout time.Duration
}

func (c Command) name() string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Shell != "":
		return fmt.Sprintf("%q", c.Shell)
	case len(c.Argv) > 0:
		return c.Argv[0]
	}
	return "(no command)"
}

// Run runs c on this machine. At its timeout the whole process group is killed, not only the
// shell: a command's children must not outlive it holding our pipes.
func Run(ctx context.Context, c Command) (Result, error) {
	if c.Shell == "" && len(c.Argv) == 0 {
		return Result{ExitCode: -1}, errors.New("no command configured")
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var out, errb tailBuffer
	var cmd *exec.Cmd
	if c.Shell != "" {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", c.Shell)
	} else {
		cmd = exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	}
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	if c.Env != nil {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errb.String(), ExitCode: -1, Duration: time.Since(start)}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("%s %w after %s", c.name(), ErrTimeout, c.Timeout)
	case errors.Is(err, exec.ErrWaitDelay) && res.ExitCode == 0:
		// The shell is done, but a program it started in the background (an xmrig) still
		// holds its output. Said in the operator's words, with the fix.
		return res, fmt.Errorf("%s exited, but a program it started still holds its output: start it detached, "+
			"e.g. setsid -f PROGRAM >/dev/null 2>&1 </dev/null", c.name())
	case err != nil:
		return res, commandError(c.name(), res, err)
	}
	return res, nil
}

// commandError says how a command failed, with the end of its stderr.
func commandError(name string, res Result, err error) error {
	msg := strings.TrimSpace(res.Stderr)
	if len(msg) > 400 {
		msg = "…" + msg[len(msg)-400:]
	}
	if res.ExitCode > 0 {
		if msg == "" {
			return fmt.Errorf("%s exited with status %d", name, res.ExitCode)
		}
		return fmt.Errorf("%s exited with status %d: %s", name, res.ExitCode, msg)
	}
	return fmt.Errorf("%s: %w", name, err)
}
