package ui

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/db4e/db4e/deploy"
	"github.com/db4e/db4e/restart"
)

const wallet = "49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd"

// The setup form at 80x24, with and without colours: a bad wallet is named under the form and
// nothing is saved; fixed, Save hands the answers over and shows the plan; the focused button
// is reverse video; Esc leaves without writing.
func TestSetupForm(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		t.Run(map[bool]string{false: "colour", true: "NO_COLOR"}[noColor], func(t *testing.T) {
			l := fixtureConsole(t)
			var saved []deploy.Answers
			setup := &Setup{
				Defaults: deploy.Answers{Sidechain: "mini", ChainDir: "/var/lib/monero", Prune: true, NodeAddress: "10.0.0.1"},
				Network:  "mainnet",
				Save: func(a deploy.Answers) (string, error) {
					saved = append(saved, a)
					return "node     monerod install binary (none) -> v0.18.4.4\n1 change(s)\n", nil
				},
			}
			h := start(t, l, 80, 24, Options{Setup: setup, NoColor: noColor})
			h.typ("S")
			h.waitFor("Setup: what db4e deploys", "Wallet (main address, 4...)", "Sidechain", "Pruned chain", "Rigs", "Save", "Cancel")
			h.typ("4abc")
			for range 6 {
				h.key(tcell.KeyTab) // wallet → sidechain → chain → pruned → rigs → address → Save
			}
			h.reversed("Save", true)
			h.key(tcell.KeyEnter)
			h.waitFor("Not saved:", "wallet: not a Monero address")
			if len(saved) != 0 {
				t.Fatal("a bad wallet was saved")
			}
			for range 6 {
				h.key(tcell.KeyBacktab)
			}
			for range 4 {
				h.key(tcell.KeyBackspace2)
			}
			h.typ(wallet)
			h.waitFor("a mainnet main address, checksum correct")
			for range 4 {
				h.key(tcell.KeyTab)
			}
			h.typ("root@10.0.0.21 root@10.0.0.22:2222")
			for range 2 {
				h.key(tcell.KeyTab)
			}
			h.key(tcell.KeyEnter)
			h.waitFor("Saved.", "Next: db4e deploy apply", "monerod install binary (none) -> v0.18.4.4", "Close")
			if len(saved) != 1 || saved[0].Wallet != wallet || saved[0].Rigs != "root@10.0.0.21 root@10.0.0.22:2222" || saved[0].Sidechain != "mini" || !saved[0].Prune {
				t.Fatalf("saved %+v", saved)
			}
			h.key(tcell.KeyEnter) // Close
			h.waitFor("configuration written")

			// Esc: nothing written.
			h.typ("S")
			h.waitFor("Setup: what db4e deploys")
			h.key(tcell.KeyEscape)
			h.waitFor("setup left, nothing written")
			if len(saved) != 1 {
				t.Fatal("Esc saved")
			}
		})
	}
}

// With no configuration, the console opens at the form.
func TestSetupOpensWithNoConfig(t *testing.T) {
	l := fixtureConsole(t)
	setup := &Setup{Defaults: deploy.Answers{Sidechain: "mini"}, Network: "mainnet", Save: func(deploy.Answers) (string, error) { return "", errors.New("unused") }}
	h := start(t, l, 80, 24, Options{Setup: setup, OpenSetup: true})
	h.waitFor("Setup: what db4e deploys", "Esc: leave, nothing written")
}

// A target with start and stop commands offers the three; a stop of all goes miners first.
func TestStartStopFromTheMenu(t *testing.T) {
	l := fixtureConsole(t)
	order := t.TempDir() + "/order"
	targets, err := restart.BuildTargets([]restart.TargetConfig{
		{Name: "monerod", Kind: restart.KindMonerod, Restart: "true", Start: "echo start monerod >> " + order, Stop: "echo stop monerod >> " + order},
		{Name: "rig-01", Kind: restart.KindMiner, Restart: "true", Start: "echo start rig-01 >> " + order, Stop: "echo stop rig-01 >> " + order},
	}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, l, 80, 24, Options{Actions: actions(l, restart.DailyOrder(targets))})
	h.typ("R")
	h.waitFor("the daily sequence")
	h.key(tcell.KeyEnter) // all
	h.waitFor("what to do", "restart", "start", "stop")
	h.reversed("restart", true)
	h.key(tcell.KeyDown)
	h.key(tcell.KeyDown)
	h.reversed("stop", true)
	h.key(tcell.KeyEnter)
	h.waitFor("Stop all (the daily", "sequence)?", "miners", "first, monerod last", "Enter: Stop")
	h.key(tcell.KeyEnter)
	h.waitFor("done: 2 target(s) stopped", "Esc closes")
	b, _ := os.ReadFile(order)
	if string(b) != "stop rig-01\nstop monerod\n" {
		t.Fatalf("order:\n%s", b)
	}
	h.key(tcell.KeyEscape)
	h.waitFor("action")
}

func TestP2PoolStatusKey(t *testing.T) {
	l := fixtureConsole(t)
	h := start(t, l, 80, 24, Options{P2PoolStatus: func(context.Context) (string, error) {
		return "2026-12-07 17:00:00.0000 SideChain status\nMain chain height = 3350105\n", nil
	}})
	h.typ("p")
	s := h.waitFor("P2Pool status", "SideChain status", "Main chain height = 3350105", "Esc closes")
	if strings.Contains(s, "asking P2Pool") {
		t.Errorf("still asking:\n%s", s)
	}
}
