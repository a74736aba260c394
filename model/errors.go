package model

import (
	"errors"
	"fmt"
)

// The kinds of failure every layer tells apart, on either side of the service's socket (api
// carries them across as codes).
var (
	// ErrDiskFull is returned, instead of writing, while the data directory's disk has less
	// free space than store.min_free_mb: Badger writes through memory-mapped files, and a
	// write into one on a full disk is a crash (SIGBUS), not an error.
	ErrDiskFull = errors.New("disk full")
	// ErrDamaged is returned when the store's files are damaged: db4e refuses to open them
	// rather than read wrong numbers or let Badger start afresh over them.
	ErrDamaged = errors.New("store damaged")
	// ErrNoStore is returned when a command that only reads finds no store to read.
	ErrNoStore = errors.New("no store")
	// ErrLocked is returned when another process (usually the db4e service) holds the store.
	ErrLocked = errors.New("store is in use by another process")
	// ErrDenied is a request the asker may not make (a write through the socket by another user).
	ErrDenied = errors.New("denied")
	// ErrInvalid is a request with a bad argument.
	ErrInvalid = errors.New("invalid request")
)

// Invalid is an error of kind ErrInvalid whose message is only the sentence given.
func Invalid(format string, a ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, a...)}
}

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }
