package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     Command
		stdout  string
		exit    int
		errHas  string
		timeout bool
	}{
		{"shell ok", Command{Shell: "echo hi"}, "hi\n", 0, "", false},
		{"shell fails with its stderr", Command{Shell: "echo broken >&2; exit 4"}, "", 4, `"echo broken >&2; exit 4" exited with status 4: broken`, false},
		{"argv with stdin and env", Command{Argv: []string{"sh", "-c", `read x; echo "$x $DB4E_X"`}, Stdin: []byte("in\n"), Env: []string{"DB4E_X=env"}}, "in env\n", 0, "", false},
		{"named", Command{Argv: []string{"false"}, Name: "alert hook false"}, "", 1, "alert hook false exited with status 1", false},
		// the shell's child holds the pipe: only killing the group ends it at the timeout
		{"timeout kills the group", Command{Shell: "sleep 30 & sleep 30", Timeout: 300 * time.Millisecond}, "", -1, "timed out after 300ms", true},
		{"none", Command{}, "", -1, "no command", false},
		// a restart command that starts xmrig in the background and exits: said with the fix
		{"background child holds the output", Command{Shell: "sleep 4 &"}, "", 0, "a program it started still holds its output: start it detached", false},
		{"detached child", Command{Shell: "setsid -f sleep 4 >/dev/null 2>&1 </dev/null"}, "", 0, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cmd.Timeout == 0 {
				tc.cmd.Timeout = 10 * time.Second
			}
			start := time.Now()
			res, err := Run(context.Background(), tc.cmd)
			if time.Since(start) > 5*time.Second {
				t.Fatalf("took %s", time.Since(start))
			}
			if res.Stdout != tc.stdout || res.ExitCode != tc.exit {
				t.Fatalf("stdout %q exit %d, want %q %d", res.Stdout, res.ExitCode, tc.stdout, tc.exit)
			}
			if (tc.errHas == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.errHas)) {
				t.Fatalf("err %v, want one with %q", err, tc.errHas)
			}
			if errors.Is(err, ErrTimeout) != tc.timeout {
				t.Fatalf("timeout %v: %v", tc.timeout, err)
			}
		})
	}
}
