package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/db4e/db4e/alert"
)

// The example documents every key with its default: loading it must give the defaults.
func TestExampleIsTheDefaults(t *testing.T) {
	t.Setenv("HOME", "/home/op")
	ex, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(empty, nil, 0o644)
	def, err := Load(empty)
	if err != nil {
		t.Fatal(err)
	}
	ex.Path, def.Path = "", ""
	if ex.Targets == nil {
		ex.Targets = nil
	}
	if len(ex.Targets) == 0 && len(def.Targets) == 0 {
		ex.Targets, def.Targets = nil, nil
	}
	if len(ex.SSH.KeyFiles) == 0 && len(def.SSH.KeyFiles) == 0 {
		ex.SSH.KeyFiles, def.SSH.KeyFiles = nil, nil
	}
	if len(ex.Miners.Xmrig) == 0 && len(def.Miners.Xmrig) == 0 {
		ex.Miners.Xmrig, def.Miners.Xmrig = nil, nil
	}
	for _, c := range []*File{&ex, &def} { // empty and absent lists are the same default
		r := &c.Alerts.Rules
		for _, rc := range []*alert.RuleConfig{&r.MinerSilent, &r.HashrateLow, &r.NodeDown, &r.LogSilent, &r.NoShares, &r.DiskLow, &r.BlockFound, &r.Payout} {
			if len(rc.Hook) == 0 {
				rc.Hook = nil
			}
		}
		if len(c.Alerts.Hook) == 0 {
			c.Alerts.Hook = nil
		}
	}
	if !reflect.DeepEqual(ex, def) {
		t.Fatalf("example\n%+v\ndefaults\n%+v", ex, def)
	}
}

func TestTargetErrorsNameTheEntry(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("targets:\n  - name: m\n    kind: monerod\n"), 0o644)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "targets[0] (m).restart") {
		t.Fatalf("%v", err)
	}
}
