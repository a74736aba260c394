package restart

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/runner"
)

// Target kinds, restarted in this order by `restart all`.
const (
	KindMonerod = "monerod"
	KindP2Pool  = "p2pool"
	KindDB4E    = "db4e"
	KindMiner   = "miner"
)

// TargetConfig is one entry of the targets list.
type TargetConfig struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Host is "local" (the default) or an SSH destination user@host:port.
	Host string `yaml:"host"`
	// Hosts, for a group of miners run the same way: one target each, named name/host.
	Hosts []string `yaml:"hosts"`
	// Restart is the command, run by /bin/sh locally or by the remote login shell over SSH.
	Restart string `yaml:"restart"`
	// Start and Stop, for `db4e start` and `db4e stop` (and the console's menu); empty: the
	// target cannot be started or stopped on its own.
	Start string `yaml:"start"`
	Stop  string `yaml:"stop"`
	// Timeout bounds the restart command.
	Timeout time.Duration `yaml:"timeout"`
	Health  HealthConfig  `yaml:"health"`
}

// HealthConfig says how to tell that a target is back. With none of url, data_api or socket,
// a target counts as healthy when its restart command succeeds.
type HealthConfig struct {
	// URL: monerod's RPC (http://127.0.0.1:18081), xmrig's HTTP API (http://{host}:8080), or
	// P2Pool's data-api served over HTTP (its pool/stats). {host} is the target's host name.
	URL string `yaml:"url"`
	// Token is xmrig's access token (sent as a bearer token).
	Token string `yaml:"token"`
	// DataAPI is P2Pool's --data-api directory: healthy while pool/stats is fresh.
	DataAPI string `yaml:"data_api"`
	// Socket is a db4e service's socket (default: this configuration's).
	Socket string `yaml:"socket"`
	// Wait is how long a restarted target has to become healthy.
	Wait time.Duration `yaml:"wait"`
	// Interval is the time between two checks while waiting.
	Interval time.Duration `yaml:"interval"`
	// MaxAge is how old P2Pool's pool/stats may be.
	MaxAge time.Duration `yaml:"max_age"`
	// Node is the monerod section, for a monerod target: its login and whether an offline node
	// is healthy are the same for the restart's check as for the poller.
	Node collect.MonerodConfig `yaml:"-"`
}

// Target is one restartable thing on one host.
type Target struct {
	Name    string
	Group   string // the configured name, for a target of a hosts list
	Kind    string
	Local   bool
	Dest    runner.Dest
	Restart string
	Start   string
	Stop    string
	Timeout time.Duration
	Health  HealthConfig
}

func (t Target) where() string {
	if t.Local {
		return "local"
	}
	return t.Dest.String()
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// BuildTargets checks the targets list and expands host lists. Errors name the entry and key.
func BuildTargets(list []TargetConfig, sshUser, socket string) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for i, tc := range list {
		where := fmt.Sprintf("targets[%d]", i)
		if tc.Name != "" {
			where = fmt.Sprintf("targets[%d] (%s)", i, tc.Name)
		}
		if !nameRE.MatchString(tc.Name) {
			return nil, fmt.Errorf("%s.name: want letters, digits, '.', '_' or '-', got %q", where, tc.Name)
		}
		switch tc.Kind {
		case KindMonerod, KindP2Pool, KindDB4E, KindMiner:
		default:
			return nil, fmt.Errorf("%s.kind: want monerod, p2pool, db4e or miner, got %q", where, tc.Kind)
		}
		if strings.TrimSpace(tc.Restart) == "" {
			return nil, fmt.Errorf("%s.restart: the command is missing", where)
		}
		if tc.Host != "" && len(tc.Hosts) > 0 {
			return nil, fmt.Errorf("%s: host and hosts both set; use one", where)
		}
		if tc.Timeout == 0 {
			tc.Timeout = time.Minute
		}
		if tc.Timeout < 0 {
			return nil, fmt.Errorf("%s.timeout: must be positive", where)
		}
		h := &tc.Health
		if h.Wait == 0 {
			h.Wait = 3 * time.Minute
		}
		if h.Interval == 0 {
			h.Interval = 2 * time.Second
		}
		if h.MaxAge == 0 {
			h.MaxAge = 2 * time.Minute
		}
		if h.Wait < 0 || h.Interval <= 0 || h.MaxAge < 0 {
			return nil, fmt.Errorf("%s.health: wait, interval and max_age must be positive", where)
		}
		if h.URL != "" {
			u, err := url.Parse(strings.ReplaceAll(h.URL, "{host}", "h"))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("%s.health.url: want http(s)://host:port, got %q", where, h.URL)
			}
		}
		if tc.Kind == KindDB4E && h.Socket == "" && h.URL == "" {
			h.Socket = socket
		}
		hosts := tc.Hosts
		if len(hosts) == 0 {
			hosts = []string{tc.Host}
		}
		for _, host := range hosts {
			t := Target{Name: tc.Name, Kind: tc.Kind, Restart: tc.Restart, Start: tc.Start, Stop: tc.Stop, Timeout: tc.Timeout, Health: tc.Health}
			if host == "" || host == "local" {
				t.Local = true
			} else {
				d, err := runner.ParseDest(host, sshUser)
				if err != nil {
					return nil, fmt.Errorf("%s.host: %w", where, err)
				}
				t.Dest = d
			}
			if len(tc.Hosts) > 0 {
				t.Group = tc.Name
				t.Name = tc.Name + "/" + t.hostName()
			}
			if seen[t.Name] {
				return nil, fmt.Errorf("%s: the name %s is used twice", where, t.Name)
			}
			seen[t.Name] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func (t Target) hostName() string {
	if t.Local {
		return "localhost"
	}
	return t.Dest.Host
}

// Select picks targets by name or group, in the order given; "all" is every target.
func Select(targets []Target, names []string) ([]Target, error) {
	if len(names) == 1 && names[0] == "all" {
		return targets, nil
	}
	var out []Target
	for _, n := range names {
		found := false
		for _, t := range targets {
			if t.Name == n || t.Group == n {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no target %q; configured: %s", n, Names(targets))
		}
	}
	return out, nil
}

// Names lists the targets' names, and a group's name once before its own, for a message.
func Names(targets []Target) string {
	var known []string
	seen := map[string]bool{}
	for _, t := range targets {
		if t.Group != "" && !seen[t.Group] {
			seen[t.Group] = true
			known = append(known, t.Group)
		}
		known = append(known, t.Name)
	}
	return strings.Join(known, ", ")
}

// HasHealthCheck tells a target whose health can be asked from one known only by its restart
// command's exit status.
func (t Target) HasHealthCheck() bool {
	return t.Health.URL != "" || t.Health.DataAPI != "" || (t.Kind == KindDB4E && t.Health.Socket != "")
}

// ForMiner finds the miner target of a miner as P2Pool and xmrig name it: a target named after
// it, or the one of a hosts list on its host.
func ForMiner(targets []Target, miner string) (Target, bool) {
	for _, t := range targets {
		if t.Kind == KindMiner && (t.Name == miner || (t.Group != "" && t.hostName() == miner)) {
			return t, true
		}
	}
	return Target{}, false
}

// CheckRestart says whether a rule's restart names something to restart: "miner" needs a
// miner target, any other value a target or group of that name.
func CheckRestart(targets []Target, restart string) error {
	if restart == KindMiner { // alert.RestartMiner
		for _, t := range targets {
			if t.Kind == KindMiner {
				return nil
			}
		}
		return fmt.Errorf("no target of kind miner is configured (targets)")
	}
	if _, err := Select(targets, []string{restart}); err != nil {
		return err
	}
	return nil
}
