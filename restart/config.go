package restart

import "github.com/db4e/db4e/model"

// Config is the restart section.
type Config struct {
	// Concurrency is how many miners are restarted at once.
	Concurrency int `yaml:"concurrency"`
}

// DefaultConfig is the restart section when the file has none.
func DefaultConfig() Config { return Config{Concurrency: 4} }

// Validate names the first bad key of the section, relative to it.
func (c Config) Validate() error {
	var p model.Problems
	p.Check(c.Concurrency < 1, "concurrency: want at least 1, got %d", c.Concurrency)
	return p.Err()
}
