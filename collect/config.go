package collect

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// MinersConfig is the miners section.
type MinersConfig struct {
	// StaleAfter marks a miner that has sent no share and no sample for longer as stale.
	StaleAfter time.Duration `yaml:"stale_after"`
	// Interval and Timeout apply to the xmrig APIs and the leases file.
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
	Xmrig    []XmrigConfig `yaml:"xmrig"`
	// Proxy are xmrig-proxy HTTP APIs (/1/summary, /1/workers): each worker behind one is a
	// miner, as if its own xmrig were asked.
	Proxy []XmrigConfig `yaml:"xmrig_proxy"`
	// Leases is dnsmasq's leases file, for the inventory of miners.
	Leases string `yaml:"leases"`
	// MaxHosts bounds the miners that get a row of their own in the views, the metrics and
	// the hashrate series; the shares of any more are counted under "(other)" (each event
	// keeps its own name).
	MaxHosts int `yaml:"max_hosts"`
}

// XmrigConfig is one miner's xmrig HTTP API.
type XmrigConfig struct {
	Name  string `yaml:"name"`
	URL   string `yaml:"url"`
	Token string `yaml:"token"`
}

// DefaultMinersConfig is the miners section when the file has none.
func DefaultMinersConfig() MinersConfig {
	return MinersConfig{StaleAfter: 30 * time.Minute, Interval: time.Minute, Timeout: 5 * time.Second, MaxHosts: 500}
}

// Validate names the first bad key of the section, relative to it.
func (c MinersConfig) Validate() error {
	var p model.Problems
	p.Check(c.MaxHosts < 1, "max_hosts: want at least 1, got %d", c.MaxHosts)
	p.Check(c.StaleAfter < time.Minute, "stale_after: want at least 1m, got %s", c.StaleAfter)
	p.Check(c.Interval < time.Second, "interval: want at least 1s, got %s", c.Interval)
	p.Check(c.Timeout <= 0, "timeout: want more than 0s, got %s", c.Timeout)
	names := map[string]bool{}
	for _, list := range []struct {
		key  string
		apis []XmrigConfig
	}{{"xmrig", c.Xmrig}, {"xmrig_proxy", c.Proxy}} {
		for i, x := range list.apis {
			p.Check(x.Name == "" || model.SanitizeName(x.Name, 64) != x.Name || names[x.Name],
				"%s[%d].name: want a unique printable name, got %q", list.key, i, x.Name)
			names[x.Name] = true
			if err := HTTPURL(x.URL); err != nil {
				p.Add(fmt.Errorf("%s[%d].url: %w", list.key, i, err))
			}
		}
	}
	return p.Err()
}

// MonerodConfig is the monerod section.
type MonerodConfig struct {
	// RPC is monerod's RPC address, asked get_info; empty: not polled.
	RPC      string        `yaml:"rpc"`
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
	// Login is monerod's --rpc-login, user:password, answered with HTTP Digest as monerod
	// asks. LoginFile names a file holding it instead, to keep it out of this file; it is read
	// at each poll, so a changed password needs no restart.
	Login     string `yaml:"login"`
	LoginFile string `yaml:"login_file"`
	// OfflineOK counts a node started with --offline as healthy (a test node). By default it
	// is down: no new block reaches P2Pool through it.
	OfflineOK bool `yaml:"offline_ok"`
}

// DefaultMonerodConfig is the monerod section when the file has none.
func DefaultMonerodConfig() MonerodConfig {
	return MonerodConfig{Interval: 30 * time.Second, Timeout: 5 * time.Second}
}

// Validate names the first bad key of the section, relative to it.
func (c MonerodConfig) Validate() error {
	var p model.Problems
	p.Check(c.Interval < time.Second, "interval: want at least 1s, got %s", c.Interval)
	p.Check(c.Timeout <= 0, "timeout: want more than 0s, got %s", c.Timeout)
	if c.RPC != "" {
		if err := HTTPURL(c.RPC); err != nil {
			p.Add(fmt.Errorf("rpc: %s", model.Redact(err.Error())))
		}
	}
	p.Add(CheckLogin(c.Login, c.LoginFile, c.RPC))
	return p.Err()
}

// CheckLogin names what is wrong with an RPC's login and login_file keys (monerod's,
// monero-wallet-rpc's), relative to the section.
func CheckLogin(login, loginFile, rpc string) error {
	switch {
	case login != "" && loginFile != "":
		return fmt.Errorf("login_file: give login or login_file, not both")
	case login != "" && !strings.Contains(login, ":"):
		return fmt.Errorf("login: want user:password, as the program's --rpc-login")
	case loginFile != "":
		if _, _, err := ReadLogin(login, loginFile, rpc); err != nil {
			return fmt.Errorf("login_file: %w", err)
		}
	}
	return nil
}

// ReadLogin is the user and password an RPC wants: from login, login_file (read each time, so a
// changed password needs no restart), or the RPC URL's user:password@ (kept out of every
// message).
func ReadLogin(login, loginFile, rpc string) (user, password string, err error) {
	s := login
	if loginFile != "" {
		b, err := os.ReadFile(loginFile)
		if err != nil {
			return "", "", err
		}
		s = strings.TrimSpace(string(b))
		if !strings.Contains(s, ":") {
			return "", "", fmt.Errorf("%s: want user:password on one line, as the program's --rpc-login", loginFile)
		}
	}
	if s == "" {
		if u, err := url.Parse(rpc); err == nil && u.User != nil {
			p, _ := u.User.Password()
			return u.User.Username(), p, nil
		}
		return "", "", nil
	}
	user, password, _ = strings.Cut(s, ":")
	return user, password, nil
}

// HTTPURL names what is wrong with an RPC or API address: it must be http:// or https://.
func HTTPURL(u string) error {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return fmt.Errorf("want http://host:port, got %q", u)
	}
	return nil
}
