package deploy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/restart"
)

// A mainnet wallet's main address, and its integrated address and a subaddress (published
// test vectors of the same keys).
const (
	testWallet     = "49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd"
	testIntegrated = "4KEMxkrvHF13ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyVTr66Q8LFefPwwfA1t"
	testSubaddress = "85cqdW5fHGvUQzGXzrRUHf6P6AJjJrYxa25v351wNJCrS3p1g8wL1gk35HjxyQGGJPY3SygtnFxKjHtVcA7rAM1JBHukQod"
)

// archive writes a publisher-style release archive holding files (name in archive -> content,
// all executable) as dir/name: .tar.gz by Go, .tar.bz2 by the bzip2 program (Go has no
// bzip2 writer), and returns its sha256.
func archive(t *testing.T, dir, name string, files map[string][]byte) (string, string) {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for n, b := range files {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Now()})
		tw.Write(b)
	}
	tw.Close()
	p := filepath.Join(dir, name)
	var data []byte
	switch {
	case strings.HasSuffix(name, ".tar.gz"):
		var gb bytes.Buffer
		gz := gzip.NewWriter(&gb)
		gz.Write(tb.Bytes())
		gz.Close()
		data = gb.Bytes()
	case strings.HasSuffix(name, ".tar.bz2"):
		cmd := exec.Command("bzip2", "-1", "-c")
		cmd.Stdin = &tb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bzip2: %v", err)
		}
		data = out
	default:
		data = tb.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return p, hex.EncodeToString(sum[:])
}

// testCommands start a unit's ExecStart line detached with a pid file under root, stop it by
// that pid: what systemctl does, for machines where systemd is not PID 1.
func testCommands(root string) Commands {
	pid := root + "/{unit}.pid"
	return Commands{
		Start:     "setsid -f sh -c 'echo $$ > " + pid + "; exec {exec}' </dev/null >>" + root + "/{unit}.out 2>&1; sleep 0.2",
		Stop:      "if [ -f " + pid + " ]; then p=$(cat " + pid + "); kill $p 2>/dev/null; for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; rm -f " + pid + "; fi",
		Restart:   "", // set from Stop and Start
		Reload:    "true",
		RigReload: "true",
	}
}

func withRestart(c Commands) Commands {
	c.Restart = c.Stop + "; " + c.Start
	return c
}

// events collects what the deployer records.
type events struct {
	mu  sync.Mutex
	all []model.Event
}

func (e *events) record(_ context.Context, ev model.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	return nil
}

func (e *events) lines() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		fmt.Fprintf(&b, "%s | %s | %s\n", ev.Target, ev.Command, ev.Result)
	}
	return b.String()
}

// deployer is a Deployer over cfg with its targets as db4e builds them, monerod's offline
// regtest node counted healthy.
func deployer(t *testing.T, cfg Config, ev *events) *Deployer {
	t.Helper()
	targets, err := restart.BuildTargets(cfg.Targets(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range targets {
		targets[i].Health.Node.OfflineOK = true
		targets[i].Health.Interval = 200 * time.Millisecond
	}
	var progress strings.Builder
	var mu sync.Mutex
	say := func(s string) {
		mu.Lock()
		progress.WriteString(s + "\n")
		mu.Unlock()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("progress:\n%s\nevents:\n%s", progress.String(), ev.lines())
		}
	})
	return &Deployer{Cfg: cfg, Targets: targets, Record: ev.record, Who: "test", Progress: say,
		Restarter: &restart.Restarter{Record: ev.record, Who: "test", Progress: func(s restart.Step) { say(s.Target + " " + s.Phase + " " + s.Message) }}}
}
