package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
)

// p2poolCommands are P2Pool's console commands (src/console_commands.cpp, cmds[]), but exit:
// stopping P2Pool is `db4e stop p2pool`, planned and recorded.
var p2poolCommands = []string{"help", "status", "loglevel", "addpeers", "droppeers", "peers", "workers", "bans",
	"hosts", "next_host", "outpeers", "inpeers", "inpeers_localhost", "start_mining", "stop_mining", "version"}

// CheckP2PoolCommand refuses what P2Pool would not understand, and exit.
func CheckP2PoolCommand(line string) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return errors.New("no command; P2Pool's: " + strings.Join(p2poolCommands, ", "))
	}
	if f[0] == "exit" {
		return errors.New("exit stops P2Pool: use db4e stop p2pool, which is planned, confirmed and recorded")
	}
	for _, c := range p2poolCommands {
		if c == f[0] {
			return nil
		}
	}
	return fmt.Errorf("P2Pool has no command %q; it has: %s", f[0], strings.Join(p2poolCommands, ", "))
}

// AskP2Pool writes line to P2Pool's stdin FIFO and returns what P2Pool logged after it: its
// answer, read from logPath until the log is quiet for quiet, or wait passes.
func AskP2Pool(ctx context.Context, fifo, logPath, line string, wait, quiet time.Duration) (string, error) {
	if err := CheckP2PoolCommand(line); err != nil {
		return "", err
	}
	start, err := logSize(logPath)
	if err != nil {
		return "", fmt.Errorf("P2Pool's log: %w", err)
	}
	// Non-blocking: with no reader, open fails (ENXIO) at once instead of hanging.
	f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, syscall.ENXIO):
		return "", fmt.Errorf("P2Pool does not read %s: it is not running (db4e start p2pool)", fifo)
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("no FIFO at %s: P2Pool was not deployed with its console input (db4e deploy apply p2pool), or p2pool.socket is not started", fifo)
	case err != nil:
		return "", fmt.Errorf("P2Pool's FIFO: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeNamedPipe == 0 {
		f.Close()
		return "", fmt.Errorf("%s is not a FIFO", fifo)
	}
	_, err = f.Write([]byte(strings.TrimSpace(line) + "\n"))
	f.Close()
	if err != nil {
		return "", fmt.Errorf("write to P2Pool's FIFO %s: %w", fifo, err)
	}
	deadline := time.Now().Add(wait)
	var got []byte
	lastGrowth := time.Now()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return string(got), ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		b, err := readFrom(logPath, start+int64(len(got)))
		if err != nil {
			return string(got), err
		}
		if len(b) > 0 {
			got = append(got, b...)
			lastGrowth = time.Now()
			continue
		}
		if len(got) > 0 && time.Since(lastGrowth) >= quiet {
			break
		}
	}
	if len(got) == 0 {
		return "", fmt.Errorf("P2Pool logged nothing in %s after %q (is %s the log of the P2Pool that reads %s?)", wait, line, logPath, fifo)
	}
	if i := bytes.LastIndexByte(got, '\n'); i >= 0 {
		got = got[:i+1]
	}
	return string(got), nil
}

func logSize(p string) (int64, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func readFrom(p string, off int64) ([]byte, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < off {
		return nil, nil // rotated while we asked: what was written is in the old file
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}
