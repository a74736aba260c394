package deploy

import (
	"strings"
	"testing"
)

func TestCheckWallet(t *testing.T) {
	for _, tc := range []struct {
		name, addr, network, want string
	}{
		{"main address", testWallet, "mainnet", ""},
		{"other network", testWallet, "stagenet", "a mainnet address, and the node runs stagenet"},
		{"integrated", testIntegrated, "mainnet", "an integrated address"},
		{"subaddress", testSubaddress, "mainnet", "a subaddress"},
		{"one character changed", testWallet[:50] + "x" + testWallet[51:], "mainnet", "checksum is wrong"},
		{"cut short", testWallet[:94], "mainnet", "not a Monero address"},
		{"not base58", strings.Replace(testWallet, "9", "0", 1), "mainnet", "not a base58 character"},
		{"empty", "", "mainnet", "no address"},
		{"bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "mainnet", "not a Monero address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckWallet(tc.addr, tc.network)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseAddressKinds(t *testing.T) {
	for addr, want := range map[string]Address{testWallet: {"mainnet", "standard"}, testIntegrated: {"mainnet", "integrated"}, testSubaddress: {"mainnet", "subaddress"}} {
		if got, err := ParseAddress(addr); err != nil || got != want {
			t.Errorf("%s: %+v %v", addr[:8], got, err)
		}
	}
}
