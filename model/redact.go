package model

import "regexp"

// userinfo is the user:password@ of a URL, the form monerod's RPC login takes in a URL.
var userinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s"'<>]*@`)

// Redact strips the user and password of every URL in s: no message, event, export or log
// line shows a login, whatever wrote it (net/http masks only the password).
func Redact(s string) string { return userinfo.ReplaceAllString(s, "$1") }

// RedactErr is err with its message redacted; errors.Is and errors.As still see err.
func RedactErr(err error) error {
	if err == nil {
		return nil
	}
	return redacted{err}
}

type redacted struct{ err error }

func (r redacted) Error() string { return Redact(r.err.Error()) }
func (r redacted) Unwrap() error { return r.err }
