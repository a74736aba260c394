package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/internal/monerodtest"
	"github.com/db4e/db4e/internal/testtool"
	"github.com/db4e/db4e/model"
)

// The service, as an operator runs it, follows P2Pool's log and proves its payouts against a
// real monerod (regtest, with --rpc-login) and a real monero-wallet-rpc serving a view-only
// wallet (its login in a login_file): claimed, then confirmed at 10 confirmations, unlocked at
// 60; orphaned after a reorg, out of the totals, with its alert; missing when the block paid
// another address. The logins never appear in anything db4e writes or prints.
func TestPayoutsProvenByTheService(t *testing.T) {
	const nodeLogin, walletLogin = "node:n0de-secret-51", "db4e:wa11et-secret-83"
	node := monerodtest.Start(t, nodeLogin)
	wallet := monerodtest.StartWallet(t, node, nodeLogin, walletLogin)
	other := monerodtest.NewWallet(t, wallet, walletLogin, "other")
	mine := monerodtest.NewWallet(t, wallet, walletLogin, "miner")
	monerodtest.ViewOnly(t, wallet, walletLogin, "db4e-view", mine)

	dir := t.TempDir()
	cfg, logPath := writeConfig(t, dir)
	loginFile := filepath.Join(dir, "wallet.login")
	os.WriteFile(loginFile, []byte(walletLogin+"\n"), 0o600)
	port := testtool.FreePort(t)
	extra := fmt.Sprintf("monerod:\n  rpc: %s\n  login: %s\n  offline_ok: true\n  interval: 1s\nwallet_rpc:\n  rpc: %s\n  login_file: %s\n"+
		"payouts:\n  interval: 1s\nalerts:\n  interval: 1s\nhttp_listen: 127.0.0.1:%d\n", node, nodeLogin, wallet, loginFile, port)
	f, _ := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(extra)
	f.Close()
	os.WriteFile(logPath, nil, 0o644)
	serviceLog := filepath.Join(dir, "service.log")
	out, err := os.Create(serviceLog)
	if err != nil {
		t.Fatal(err)
	}
	var svc *exec.Cmd
	start := func() {
		svc = exec.Command(db4eBin, "--config", cfg, "--headless")
		svc.Env = testEnv(t)
		svc.Stdout, svc.Stderr = out, out
		if err := svc.Start(); err != nil {
			t.Fatal(err)
		}
	}
	start()
	t.Cleanup(func() {
		svc.Process.Kill()
		svc.Wait()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(serviceLog)
			t.Logf("service log:\n%s", b)
		}
	})

	claim := func(h uint64) uint64 {
		amount := monerodtest.CoinbaseAmount(t, node, nodeLogin, h)
		appendLine(t, logPath, payoutLine(mine.Address, amount, h))
		return amount
	}
	A, B := mine.Address, other.Address
	monerodtest.Mine(t, node, nodeLogin, 3, A) // 1, 2, 3: ours; 1 has no payout line
	monerodtest.Mine(t, node, nodeLogin, 1, B) // 4: paid to another address
	a2, a3, a4 := claim(2), claim(3), claim(4)
	waitStates(t, cfg, "young", map[uint64]string{2: "claimed/", 3: "claimed/", 4: "claimed/"})

	monerodtest.Mine(t, node, nodeLogin, 9, B) // tip 13: 10 confirmations on 4
	p := waitStates(t, cfg, "10 confirmations", map[uint64]string{2: "confirmed/received", 3: "confirmed/received", 4: "confirmed/missing"})
	if len(p.Unexplained) != 1 || p.Unexplained[0].Height != 1 {
		t.Errorf("the coinbase at 1 no line claims: %+v", p.Unexplained)
	}

	// kill -9 between checks: the next service goes on from the stored states.
	svc.Process.Kill()
	svc.Wait()
	start()

	top := monerodtest.Mine(t, node, nodeLogin, 1, A) // P2Pool's block at 14, replaced below
	a14 := claim(top)
	// The checker sees P2Pool's block and remembers its id, a round after the line. (In regtest
	// every block at a height pays the same, so it is the id that tells the blocks apart.)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		p := waitStates(t, cfg, "found", map[uint64]string{top: "claimed/"})
		if i := slices.IndexFunc(p.Payouts, func(r api.PayoutRow) bool { return r.Height == top }); p.Payouts[i].BlockID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("block %d never seen", top)
		}
	}
	monerodtest.PopBlocks(t, node, nodeLogin, 1)
	tip := monerodtest.Mine(t, node, nodeLogin, 12, B)
	waitStates(t, cfg, "reorg", map[uint64]string{top: "orphaned/"})

	r := report(t, "--config", cfg)
	var confirmed, claimed, orphaned model.Piconero
	for _, d := range r.Days {
		confirmed, claimed, orphaned = confirmed.Add(d.Piconero), claimed.Add(d.Claimed), orphaned.Add(d.Orphaned)
	}
	if confirmed.Cmp(model.PiconeroFromUint(a2+a3+a4)) != 0 || claimed.Cmp(model.PiconeroFromUint(a2+a3+a4+a14)) != 0 ||
		orphaned.Cmp(model.PiconeroFromUint(a14)) != 0 {
		t.Errorf("report: confirmed %s claimed %s orphaned %s XMR", confirmed.XMR(), claimed.XMR(), orphaned.XMR())
	}

	monerodtest.Mine(t, node, nodeLogin, int(model.CoinbaseUnlock+1-tip), B) // 60 confirmations on 2
	waitStates(t, cfg, "60 confirmations", map[uint64]string{2: "unlocked/received", 3: "confirmed/received"})

	// The alerts, status (exit 1: a payout is missing from the wallet), the metrics.
	var status string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		status, _, _ = db4e(t, nil, "--config", cfg, "status")
		if strings.Contains(status, "payout_orphaned") && strings.Contains(status, "payout_missing") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{"alert payout_orphaned", fmt.Sprintf("in block %d left the chain", top), "alert payout_missing",
		"payouts: checked"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	text, errs, code := db4e(t, nil, "--config", cfg, "payouts")
	if code != 1 || !strings.Contains(errs, "1 payout(s) missing from the wallet") || !strings.Contains(text, "orphaned") {
		t.Errorf("payouts: exit %d\n%s%s", code, text, errs)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"db4e_payouts_check_success 1", fmt.Sprintf(`db4e_payouts_xmr{state="orphaned"} %g`, model.PiconeroFromUint(a14).Float())} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// Each check is stored once, across the kill: no state of a payout twice.
	seq, _, _ := db4e(t, nil, "--config", cfg, "export", "jsonseq")
	checks := map[string]int{}
	for _, rec := range strings.Split(seq, "\x1e") {
		var e model.Event
		if json.Unmarshal([]byte(rec), &e) == nil && e.Kind == model.KindPayout {
			k := fmt.Sprintf("%d %s", e.Height, e.State)
			if checks[k]++; checks[k] == 2 {
				t.Errorf("payout check %q stored twice", k)
			}
		}
	}
	if len(checks) < 10 {
		t.Errorf("only %d payout checks in the export: %v", len(checks), checks)
	}

	// Nothing db4e keeps or says holds a login.
	js, _, _ := db4e(t, nil, "--config", cfg, "payouts", "--json")
	st, _, _ := db4e(t, nil, "--config", cfg, "status", "--json")
	svcLog, _ := os.ReadFile(serviceLog)
	for name, s := range map[string]string{"export": seq, "payouts": text + js, "status": status + st, "service log": string(svcLog), "metrics": string(metrics)} {
		if strings.Contains(s, "secret") {
			t.Errorf("a login in the %s", name)
		}
	}
}

// payoutLine is what P2Pool logs when a block it found pays the wallet.
func payoutLine(address string, amount uint64, height uint64) string {
	return fmt.Sprintf("NOTICE  %s P2Pool Your wallet %s got a payout of %s XMR in block %d",
		time.Now().UTC().Format("2006-01-02 15:04:05.0000"), address, model.PiconeroFromUint(amount).XMR(), height)
}

// waitStates polls db4e payouts --json until every height in want has its state/wallet, and
// fails after a while.
func waitStates(t *testing.T, cfg, step string, want map[uint64]string) api.Payouts {
	t.Helper()
	got := map[uint64]string{}
	var p api.Payouts
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		out, errs, _ := db4e(t, nil, "--config", cfg, "payouts", "--json")
		p = api.Payouts{}
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("payouts --json: %v\n%s%s", err, out, errs)
		}
		clear(got)
		for _, r := range p.Payouts {
			got[r.Height] = r.State + "/" + r.Wallet
		}
		ok := true
		for h, w := range want {
			ok = ok && got[h] == w
		}
		if ok {
			return p
		}
	}
	t.Fatalf("%s: payouts %v, want %v (check %+v)", step, got, want, p.Check)
	return p
}
