package ingest

import (
	"fmt"
	"time"
)

// Config is the p2pool section of the configuration file.
type Config struct {
	// Log is P2Pool's log file, followed by the service.
	Log string `yaml:"log"`
	// LogTime is the zone P2Pool writes timestamps in: "utc" (every release formats them with
	// gmtime) or "local" for a build that logs local time.
	LogTime string `yaml:"log_time"`
	// RotationGrace is how long the follower keeps reading a rotated-away file, which P2Pool
	// may still write to until it notices the move.
	RotationGrace time.Duration `yaml:"rotation_grace"`
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
		LogTime:       "utc",
		RotationGrace: 30 * time.Second,
		APIInterval:   time.Minute,
		APIMaxAge:     2 * time.Minute,
	}
}

// Validate checks the values; the error starts with the key.
func (c Config) Validate() error {
	switch c.LogTime {
	case "utc", "local":
	default:
		return fmt.Errorf("log_time: want utc or local, got %q", c.LogTime)
	}
	if c.APIInterval < time.Second {
		return fmt.Errorf("api_interval: want at least 1s, got %s", c.APIInterval)
	}
	if c.APIMaxAge < 0 {
		return fmt.Errorf("api_max_age: must not be negative, got %s", c.APIMaxAge)
	}
	if c.RotationGrace < 0 {
		return fmt.Errorf("rotation_grace: must not be negative, got %s", c.RotationGrace)
	}
	return nil
}

// Location is the zone of P2Pool's timestamps.
func (c Config) Location() *time.Location {
	if c.LogTime == "local" {
		return time.Local
	}
	return time.UTC
}
