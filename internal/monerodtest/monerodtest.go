// Package monerodtest runs Debian's monerod in regtest for tests that need a real node: its
// RPC, its --rpc-login Digest challenge, its --offline state.
package monerodtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/internal/testtool"
	"github.com/icholy/digest"
)

// Start runs monerod --regtest --offline on loopback with login (user:password, or "" for
// none) and returns its RPC address, http://127.0.0.1:PORT. Without monerod the test is skipped,
// saying what to install, and fails on CI (testtool.Need).
func Start(t *testing.T, login string) string {
	t.Helper()
	bin := testtool.Need(t, "monero", "monerod")
	dir := t.TempDir()
	rpc, p2p := testtool.FreePort(t), testtool.FreePort(t)
	args := []string{"--regtest", "--offline", "--non-interactive", "--no-igd", "--no-zmq", "--fixed-difficulty", "1",
		"--data-dir", filepath.Join(dir, "data"), "--log-file", filepath.Join(dir, "monerod.log"), "--log-level", "0",
		"--rpc-bind-ip", "127.0.0.1", "--rpc-bind-port", strconv.Itoa(rpc),
		"--p2p-bind-ip", "127.0.0.1", "--p2p-bind-port", strconv.Itoa(p2p)}
	if login != "" {
		args = append(args, "--rpc-login", login)
	}
	return run(t, "monerod", bin, args, "http://127.0.0.1:"+strconv.Itoa(rpc))
}

// run starts a Monero program, stops it when the test ends, and waits until its RPC at base
// answers anything (a 401 included): base, or the test fails with what the program said.
func run(t *testing.T, name, bin string, args []string, base string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Post(base+"/json_rpc", "application/json", bytes.NewReader([]byte(`{}`))); err == nil {
			resp.Body.Close()
			return base
		}
		select {
		case <-exited:
			t.Fatalf("%s exited:\n%s", name, out.String())
		default:
		}
	}
	t.Fatalf("%s did not answer on %s within 60 s:\n%s", name, base, out.String())
	return ""
}

// StartWallet runs monero-wallet-rpc on loopback against the node at nodeRPC (Start's address,
// nodeLogin its login or ""), with login (user:password, or "" for none), wallets kept in a
// temporary directory. It returns its RPC address.
func StartWallet(t *testing.T, nodeRPC, nodeLogin, login string) string {
	t.Helper()
	bin := testtool.Need(t, "monero", "monero-wallet-rpc")
	dir := t.TempDir()
	port := testtool.FreePort(t)
	args := []string{"--daemon-address", strings.TrimPrefix(nodeRPC, "http://"), "--trusted-daemon", "--non-interactive",
		"--rpc-bind-ip", "127.0.0.1", "--rpc-bind-port", strconv.Itoa(port), "--wallet-dir", filepath.Join(dir, "wallets"),
		"--log-file", filepath.Join(dir, "wallet-rpc.log"), "--log-level", "0"}
	if login != "" {
		args = append(args, "--rpc-login", login)
	} else {
		args = append(args, "--disable-rpc-login")
	}
	if nodeLogin != "" {
		args = append(args, "--daemon-login", nodeLogin)
	}
	if err := os.MkdirAll(filepath.Join(dir, "wallets"), 0o700); err != nil {
		t.Fatal(err)
	}
	return run(t, "monero-wallet-rpc", bin, args, "http://127.0.0.1:"+strconv.Itoa(port))
}

// Call asks a JSON-RPC method of monerod or monero-wallet-rpc at base, with login ("" for none),
// and decodes the result into result (nil: ignored). It fails the test on any error.
func Call(t *testing.T, base, login, method string, params, result any) {
	t.Helper()
	if err := TryCall(base, login, method, params, result); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// TryCall is Call that returns its error.
func TryCall(base, login, method string, params, result any) error {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": "0", "method": method, "params": params})
	resp, err := client(login).Post(base+"/json_rpc", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: %v", resp.Status, err)
	}
	if r.Error != nil {
		return errors.New(r.Error.Message)
	}
	if result != nil {
		return json.Unmarshal(r.Result, result)
	}
	return nil
}

// client answers the program's Digest challenge when login (user:password) is set.
func client(login string) *http.Client {
	c := &http.Client{Timeout: 120 * time.Second}
	if user, pass, ok := strings.Cut(login, ":"); ok {
		c.Transport = &digest.Transport{Username: user, Password: pass}
	}
	return c
}

// Mine has the node mine n blocks to address (generateblocks) and returns the new top height.
func Mine(t *testing.T, node, login string, n int, address string) uint64 {
	t.Helper()
	var r struct {
		Height uint64 `json:"height"`
	}
	Call(t, node, login, "generateblocks", map[string]any{"amount_of_blocks": n, "wallet_address": address}, &r)
	return r.Height
}

// PopBlocks removes the node's top n blocks: the chain as a reorg leaves it before the other
// branch's blocks arrive.
func PopBlocks(t *testing.T, node, login string, n int) {
	t.Helper()
	body, _ := json.Marshal(map[string]int{"nblocks": n})
	resp, err := client(login).Post(node+"/pop_blocks", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("pop_blocks: %v", err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "OK" {
		t.Fatalf("pop_blocks: %s %+v %v", resp.Status, r, err)
	}
}

// CoinbaseAmount is the amount of the one output of the coinbase at height, as generateblocks
// mines it.
func CoinbaseAmount(t *testing.T, node, login string, height uint64) uint64 {
	t.Helper()
	var r struct {
		JSON string `json:"json"`
	}
	Call(t, node, login, "get_block", map[string]uint64{"height": height}, &r)
	var b struct {
		MinerTx struct {
			Vout []struct {
				Amount uint64 `json:"amount"`
			} `json:"vout"`
		} `json:"miner_tx"`
	}
	if err := json.Unmarshal([]byte(r.JSON), &b); err != nil || len(b.MinerTx.Vout) != 1 {
		t.Fatalf("coinbase at %d: %v %+v", height, err, b)
	}
	return b.MinerTx.Vout[0].Amount
}

// Keys are a wallet's address and secret view key.
type Keys struct{ Address, ViewKey string }

// NewWallet makes a full wallet named name in the wallet RPC and returns its keys; it stays
// the open wallet.
func NewWallet(t *testing.T, wallet, login, name string) Keys {
	t.Helper()
	Call(t, wallet, login, "create_wallet", map[string]any{"filename": name, "password": "", "language": "English"}, nil)
	var a struct {
		Address string `json:"address"`
	}
	Call(t, wallet, login, "get_address", map[string]any{}, &a)
	var k struct {
		Key string `json:"key"`
	}
	Call(t, wallet, login, "query_key", map[string]any{"key_type": "view_key"}, &k)
	return Keys{Address: a.Address, ViewKey: k.Key}
}

// ViewOnly makes (and opens) a view-only wallet of k, scanning from height 0: what an operator
// gives db4e.
func ViewOnly(t *testing.T, wallet, login, name string, k Keys) {
	t.Helper()
	Call(t, wallet, login, "generate_from_keys", map[string]any{"restore_height": 0, "filename": name,
		"address": k.Address, "viewkey": k.ViewKey, "password": "", "autosave_current": true}, nil)
}
