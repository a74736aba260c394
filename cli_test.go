package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The command line as a Unix tool: help on stdout with status 0, mistakes on stderr once with
// status 2, failures with status 1, and nothing created by a command that only reads.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, errs, code := db4e(t, nil, "--data", data, "import", "ingest/testdata/sample.log"); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte("targets:\n  - {name: monerod, kind: monerod, restart: 'true'}\n  - {name: rigs, kind: miner, hosts: [op@a, op@b], restart: 'true'}\n"), 0o644)
	typo := filepath.Join(dir, "typo", "x", "data")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   string // in stdout; "" wants it empty
		stderr   string // in stderr; "" wants it empty
		stderrN1 bool   // the error appears once
	}{
		{"--help", []string{"--help"}, 0, "db4e report [--json]", "", false},
		{"-h", []string{"-h"}, 0, "usage:", "", false},
		{"help", []string{"help"}, 0, "db4e export jsonseq", "", false},
		{"help command", []string{"help", "report"}, 0, "-days int", "", false},
		{"help for a command with forms", []string{"help", "deploy"}, 0, "db4e deploy rollback COMPONENT", "", false},
		{"command -h", []string{"report", "-h"}, 0, "daily totals", "", false},
		{"export -h", []string{"export", "-h"}, 0, "db4e export csv", "", false},
		{"--version", []string{"--version"}, 0, "db4e ", "", false},
		{"version", []string{"version"}, 0, "db4e ", "", false},
		{"help for nothing", []string{"help", "nosuch"}, 2, "", `no command "nosuch"`, true},
		{"unknown command", []string{"frobnicate"}, 2, "", "unknown command", true},
		{"unknown flag", []string{"--bogus"}, 2, "", "-bogus", true},
		{"bad flag value, said once", []string{"--data", data, "report", "--days", "abc"}, 2, "", `invalid value "abc"`, true},
		{"impossible range", []string{"--data", data, "report", "--from", "2025-03-05", "--to", "2025-03-01"}, 2, "", "is after --to", true},
		{"impossible export range", []string{"--data", data, "export", "jsonseq", "--from", "2025-03-05", "--to", "2025-03-01"}, 2, "", "is not before --to", true},
		{"extra argument", []string{"--data", data, "status", "extra"}, 2, "", `unexpected argument "extra"`, true},
		{"extra argument to report", []string{"--data", data, "report", "2025"}, 2, "", `unexpected argument "2025"`, true},
		{"--data after the command", []string{"report", "--data", data}, 0, "TOTAL", "", false},
		{"report on no store", []string{"report", "--data", typo}, 1, "", "no store", true},
		{"status on no store", []string{"--data", typo, "status"}, 1, "", "no store", true},
		{"export on no store", []string{"--data", typo, "export", "jsonseq"}, 1, "", "no store", true},
		{"unknown target", []string{"--config", cfg, "--data", data, "restart", "nosuch"}, 2, "", "configured: monerod, rigs, rigs/a, rigs/b", true},
		{"restart with none configured", []string{"--data", data, "restart", "all"}, 2, "", "no targets are configured", true},
		{"restore needs a file", []string{"--data", data, "restore"}, 2, "", "missing argument", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := db4e(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out, errs)
			}
			for _, c := range []struct{ name, got, want string }{{"stdout", out, tc.stdout}, {"stderr", errs, tc.stderr}} {
				if c.want == "" && c.got != "" {
					t.Errorf("%s should be empty: %q", c.name, c.got)
				}
				if !strings.Contains(c.got, c.want) {
					t.Errorf("%s lacks %q: %q", c.name, c.want, c.got)
				}
			}
			if tc.stderrN1 && strings.Count(errs, tc.stderr) != 1 {
				t.Errorf("the error is said %d times: %q", strings.Count(errs, tc.stderr), errs)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "typo")); err == nil {
		t.Error("a command that only reads created the data dir it was given")
	}
}

// Global flags go anywhere on the line, before or after the positionals, as with any Unix tool;
// "--" ends the flags. One case per command.
func TestGlobalFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "db4e.yaml")
	os.WriteFile(cfg, []byte("targets:\n  - {name: noop, kind: monerod, restart: 'true'}\n"), 0o644)
	// A file whose name starts with dashes, imported after "--" (from its own directory).
	logDir := filepath.Join(dir, "logs")
	os.MkdirAll(logDir, 0o755)
	sample, err := os.ReadFile("ingest/testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(logDir, "--x"), sample, 0o644)
	backup := filepath.Join(dir, "backup")
	csvDir, site := filepath.Join(dir, "csv"), filepath.Join(dir, "site")

	for _, tc := range []struct {
		name   string
		dir    string // where it runs; "" the package's directory
		args   []string
		stdout string
	}{
		{"import FILE --config --data", "", []string{"import", "ingest/testdata/sample.log", "--config", cfg, "--data", data}, "new"},
		{"import -- --x", logDir, []string{"--data", data, "import", "--", "--x"}, "0 new"},
		{"report --json --data", "", []string{"report", "--json", "--data", data}, `"days"`},
		{"export csv DIR --config --data", "", []string{"export", "csv", csvDir, "--config", cfg, "--data", data}, "wrote"},
		{"export --data before the form", "", []string{"export", "--data", data, "csv", csvDir}, "wrote"},
		{"export jsonseq --data=", "", []string{"export", "jsonseq", "--data=" + data}, "\x1e"},
		{"export site DIR --data", "", []string{"export", "site", site, "--data", data}, "index.html"},
		{"status --data --config", "", []string{"status", "--data", data, "--config", cfg}, "store"},
		{"check --data", "", []string{"check", "--data", data}, ""},
		{"rebuild --data", "", []string{"rebuild", "--data", data}, ""},
		{"backup DIR --data", "", []string{"backup", backup, "--data", data}, backup},
		{"restart TARGET --config --data", "", []string{"restart", "noop", "--yes", "--config", cfg, "--data", data}, ""},
		{"version --config", "", []string{"version", "--config", cfg}, "db4e "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(db4eBin, tc.args...)
			cmd.Env = testEnv(t)
			cmd.Dir = tc.dir
			out, errs, code := runCmd(t, cmd)
			if code != 0 && !(tc.name == "status --data --config" && code == 1) {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q: %s (stderr %s)", tc.stdout, out, errs)
			}
		})
	}
	// restore FILE --data DIR: the backup just written, into an empty dir.
	backups, _ := filepath.Glob(filepath.Join(backup, "*"))
	if len(backups) == 0 {
		t.Fatal("no backup written")
	}
	if out, errs, code := db4e(t, nil, "restore", backups[0], "--data", filepath.Join(dir, "restored")); code != 0 {
		t.Fatalf("restore FILE --data: exit %d %s %s", code, out, errs)
	}
	// A flag after "--" is a file name, not a flag.
	if _, errs, code := db4e(t, nil, "--data", data, "import", "--", "--config"); code != 1 || !strings.Contains(errs, "--config") {
		t.Errorf("import -- --config: exit %d, want 1 naming the file: %s", code, errs)
	}
}
