package model

import (
	"errors"
	"fmt"
)

// Problems gathers every bad key of a configuration section, so that an operator fixes them
// all at once rather than one per start. Each is "key: what is wrong".
type Problems []error

// Check adds the problem format describes when bad holds.
func (p *Problems) Check(bad bool, format string, args ...any) {
	if bad {
		*p = append(*p, fmt.Errorf(format, args...))
	}
}

// Add adds err (nil: nothing).
func (p *Problems) Add(err error) {
	if err != nil {
		*p = append(*p, err)
	}
}

// Err is every problem joined (errors.Join: one a line), or nil.
func (p Problems) Err() error { return errors.Join(p...) }

// Each calls fn with each of the problems in err: those Err joined, or err itself.
func Each(err error, fn func(error)) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			Each(e, fn)
		}
		return
	}
	fn(err)
}
