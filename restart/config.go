package restart

import "fmt"

// Config is the restart section.
type Config struct {
	// Concurrency is how many miners are restarted at once.
	Concurrency int `yaml:"concurrency"`
}

// DefaultConfig is the restart section when the file has none.
func DefaultConfig() Config { return Config{Concurrency: 4} }

// Validate names the first bad key of the section, relative to it.
func (c Config) Validate() error {
	if c.Concurrency < 1 {
		return fmt.Errorf("concurrency: want at least 1, got %d", c.Concurrency)
	}
	return nil
}
