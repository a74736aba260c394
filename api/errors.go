package api

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/db4e/db4e/model"
)

// ErrNoService means nothing answers on the socket.
var ErrNoService = errors.New("no db4e service answers")

// codes carry an error's kind across the socket, so errors.Is works on the client as it does
// in the service.
var codes = []struct {
	code   string
	err    error
	status int
}{
	{"disk_full", model.ErrDiskFull, http.StatusInsufficientStorage},
	{"damaged", model.ErrDamaged, http.StatusInternalServerError},
	{"no_store", model.ErrNoStore, http.StatusNotFound},
	{"locked", model.ErrLocked, http.StatusConflict},
	{"denied", model.ErrDenied, http.StatusForbidden},
	{"invalid", model.ErrInvalid, http.StatusBadRequest},
	{"canceled", context.Canceled, 499},
	{"deadline", context.DeadlineExceeded, http.StatusGatewayTimeout},
}

// codeOf is err's code and HTTP status; an error of no known kind is "internal".
func codeOf(err error) (string, int) {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code, c.status
		}
	}
	return "internal", http.StatusInternalServerError
}

// Error is a failure the service answered: its message as the service wrote it, and its kind.
type Error struct {
	Message string
	kind    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap gives the kind, for errors.Is.
func (e *Error) Unwrap() error { return e.kind }

// fromWire makes the client's error of a code and message.
func fromWire(code, msg string) error {
	for _, c := range codes {
		if c.code == code {
			return &Error{Message: msg, kind: c.err}
		}
	}
	return &Error{Message: msg}
}

// wireError is an error on the wire.
type wireError struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// answerError is the service's error for an answer that is not 200 OK.
func answerError(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e wireError
	if decodeJSON(io.LimitReader(resp.Body, 1<<20), &e) == nil && e.Error != "" {
		return fromWire(e.Code, e.Error)
	}
	return &Error{Message: "db4e service: " + resp.Status}
}
