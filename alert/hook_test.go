package alert

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/runner"
)

// The hook gets the alert as JSON on stdin and in its environment; a hostile miner name arrives
// intact and runs nothing; a hook that hangs is killed at its timeout.
func TestAlertHook(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hook.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ncat > \"$OUT/stdin.json\"\nenv | grep ^DB4E_ | sort > \"$OUT/env\"\n"), 0o755)
	t.Setenv("OUT", dir)
	h := &Hook{Timeout: 5 * time.Second}
	hostile := "rig\"; touch " + dir + "/pwned; `touch " + dir + "/pwned2` $(touch " + dir + "/pwned3)"
	tr := Transition{Time: t0, Rule: RuleMinerSilent, Target: hostile, State: StateFired, Detail: "no share for 31m", Since: t0}
	if err := h.Run(context.Background(), []string{script}, tr); err != nil {
		t.Fatal(err)
	}
	var got Transition
	b, _ := os.ReadFile(filepath.Join(dir, "stdin.json"))
	if err := json.Unmarshal(b, &got); err != nil || got.Target != hostile || got.State != StateFired {
		t.Fatalf("stdin %s: %v", b, err)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	for _, want := range []string{"DB4E_ALERT=miner_silent", "DB4E_STATE=fired", "DB4E_TARGET=" + hostile} {
		if !strings.Contains(string(env), want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	for _, f := range []string{"pwned", "pwned2", "pwned3"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Fatalf("the miner name ran a command (%s)", f)
		}
	}
	hang := filepath.Join(dir, "hang.sh")
	os.WriteFile(hang, []byte("#!/bin/sh\nsleep 60\n"), 0o755)
	h.Timeout = 300 * time.Millisecond
	start := time.Now()
	err := h.Run(context.Background(), []string{hang}, tr)
	if !errors.Is(err, runner.ErrTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("hanging hook: %v after %v", err, time.Since(start))
	}
	fail := filepath.Join(dir, "fail.sh")
	os.WriteFile(fail, []byte("#!/bin/sh\necho 'smtp refused' >&2\nexit 2\n"), 0o755)
	if err := h.Run(context.Background(), []string{fail}, tr); err == nil || !strings.Contains(err.Error(), "smtp refused") {
		t.Fatalf("failing hook: %v", err)
	}
}
