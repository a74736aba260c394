package ingest

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// Config is the p2pool section of the configuration file.
type Config struct {
	// Log is P2Pool's log file, followed by the service.
	Log string `yaml:"log"`
	// Follow is whether the service follows Log: false runs db4e without P2Pool's log (the
	// pollers, imports and the console over what is stored). An empty Log is an error unless
	// it is false.
	Follow bool `yaml:"follow"`
	// LogTime is the zone P2Pool writes timestamps in: "utc" (every release formats them with
	// gmtime) or "local" for a build that logs local time.
	LogTime string `yaml:"log_time"`
	// RotatedGlob names rotated copies of the log that are not beside it as p2pool.log.N[.gz]
	// or p2pool.log-DATE[.gz] are (logrotate's olddir, other schemes), e.g.
	// "/var/log/p2pool-old/p2pool.log*". Plain, gzip, bzip2 and zstd files are read.
	RotatedGlob string `yaml:"rotated_glob"`
	// RotationGrace is accepted for configuration files written for db4e before 0.2 and no
	// longer used: a rotated-away file is read until P2Pool writes to a newer one.
	RotationGrace time.Duration `yaml:"rotation_grace"`
	// Poll looks at the log every 20 ms instead of waiting for inotify: for a filesystem that
	// takes inotify watches and never reports a change (NFS, some FUSE mounts). Where inotify
	// cannot be had at all the follower polls anyway, and says so.
	Poll bool `yaml:"poll"`
	// DataAPI is P2Pool's --data-api directory, polled for hashrates and workers; empty: not read.
	DataAPI string `yaml:"data_api"`
	// APIInterval is how often the data-api is read (P2Pool rewrites it every 20 s or so).
	APIInterval time.Duration `yaml:"api_interval"`
	// APIMaxAge: a data-api older than this means P2Pool is down.
	APIMaxAge time.Duration `yaml:"api_max_age"`
}

// DefaultConfig is what absent keys mean.
func DefaultConfig() Config {
	return Config{
		Log:           "/var/lib/p2pool/p2pool.log",
		Follow:        true,
		LogTime:       "utc",
		RotationGrace: 30 * time.Second,
		APIInterval:   time.Minute,
		APIMaxAge:     2 * time.Minute,
	}
}

// Validate checks the values; the error starts with the key.
func (c Config) Validate() error {
	var p model.Problems
	p.Check(c.Follow && strings.TrimSpace(c.Log) == "", "log: empty: name P2Pool's log file, or set p2pool.follow: false to run db4e without one")
	p.Check(c.LogTime != "utc" && c.LogTime != "local", "log_time: want utc or local, got %q", c.LogTime)
	p.Check(c.APIInterval < time.Second, "api_interval: want at least 1s, got %s", c.APIInterval)
	p.Check(c.APIMaxAge < 0, "api_max_age: must not be negative, got %s", c.APIMaxAge)
	_, err := filepath.Match(c.RotatedGlob, "")
	p.Check(err != nil, "rotated_glob: not a glob pattern: %q", c.RotatedGlob)
	p.Check(c.RotationGrace < 0, "rotation_grace: must not be negative, got %s", c.RotationGrace)
	return p.Err()
}

// Location is the zone of P2Pool's timestamps.
func (c Config) Location() *time.Location {
	if c.LogTime == "local" {
		return time.Local
	}
	return time.UTC
}
