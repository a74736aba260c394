// Package payout proves P2Pool's payouts on the chain: each payout its log claims is checked
// against the operator's own monerod (is the block P2Pool found still the main chain's block at
// that height?) and, when one is configured, against a view-only wallet of the mining address
// (did the coinbase output arrive?). What it finds becomes payout events; the store turns them
// into each payout's state.
package payout

import (
	"fmt"
	"time"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/model"
)

// Config is the payouts section.
type Config struct {
	// Confirmations is how many blocks (its own included) must be on a payout's block before it
	// is judged: confirmed when the block P2Pool found is still the one at its height, orphaned
	// when another is. Reorgs replace the newest blocks; 10 is what exchanges wait for.
	Confirmations int `yaml:"confirmations"`
	// Interval is how often the payouts not yet final are checked.
	Interval time.Duration `yaml:"interval"`
}

// DefaultConfig is the payouts section when the file has none.
func DefaultConfig() Config { return Config{Confirmations: 10, Interval: time.Minute} }

// Validate names every bad key of the section, relative to it.
func (c Config) Validate() error {
	var p model.Problems
	p.Check(c.Confirmations < 1 || c.Confirmations >= model.CoinbaseUnlock,
		"confirmations: want 1 to %d (a payout is unlocked at %d), got %d", model.CoinbaseUnlock-1, model.CoinbaseUnlock, c.Confirmations)
	p.Check(c.Interval < time.Second, "interval: want at least 1s, got %s", c.Interval)
	return p.Err()
}

// WalletConfig is the wallet_rpc section: a monero-wallet-rpc serving a view-only wallet of the
// address P2Pool mines to. Empty rpc: payouts are checked against the node only.
type WalletConfig struct {
	RPC string `yaml:"rpc"`
	// Login is the wallet RPC's --rpc-login, user:password; LoginFile a file holding it, read
	// at each check. Neither is ever shown.
	Login     string `yaml:"login"`
	LoginFile string `yaml:"login_file"`
	// Timeout bounds each call; a refresh of a wallet far behind takes longer and is left to
	// finish on its own (the wallet's own auto-refresh goes on too).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultWalletConfig is the wallet_rpc section when the file has none.
func DefaultWalletConfig() WalletConfig { return WalletConfig{Timeout: 30 * time.Second} }

// Validate names every bad key of the section, relative to it.
func (c WalletConfig) Validate() error {
	var p model.Problems
	p.Check(c.Timeout <= 0, "timeout: want more than 0s, got %s", c.Timeout)
	if c.RPC != "" {
		if err := collect.HTTPURL(c.RPC); err != nil {
			p.Add(fmt.Errorf("rpc: %s", model.Redact(err.Error())))
		}
	} else if c.Login != "" || c.LoginFile != "" {
		p.Add(fmt.Errorf("rpc: a login is set but no rpc to use it with"))
	}
	p.Add(collect.CheckLogin(c.Login, c.LoginFile, c.RPC))
	return p.Err()
}

// Endpoint is the section as a JSON-RPC client.
func (c WalletConfig) Endpoint() *collect.JSONRPC {
	return &collect.JSONRPC{Name: "wallet_rpc", URL: c.RPC, Login: c.Login, LoginFile: c.LoginFile, Timeout: c.Timeout}
}
