package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

// maxAnswer bounds what is read of an answer: a garbage or hostile server cannot fill memory.
const maxAnswer = 4 << 20

// StatusError is an HTTP answer other than 200 OK.
type StatusError struct {
	Code   int
	Status string
}

func (e *StatusError) Error() string { return "answered " + e.Status }

// FetchJSON GETs url (with a bearer token if one is given, as xmrig's API takes it) and decodes
// a bounded answer.
func FetchJSON(ctx context.Context, c *http.Client, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	err = doJSON(c, req, v)
	var se *StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusUnauthorized && token == "":
			return fmt.Errorf("%s: an access token is needed", se.Status)
		case se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden:
			return fmt.Errorf("%s: the access token is wrong", se.Status)
		}
	}
	return err
}

func doJSON(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return unreachable(req, c.Timeout, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(v); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("bad answer: %s", first)
	}
	return nil
}

// unreachable says why a request got no answer in the operator's words, the cause first: a
// timeout, a refused connection (nothing listens there: is the API on, on that port and
// address?), a name that does not resolve. Go's own text follows for the rest.
func unreachable(req *http.Request, timeout time.Duration, err error) error {
	where := req.URL.Host
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		if timeout > 0 {
			return fmt.Errorf("%s: no answer within %s (timeout)", where, timeout)
		}
		return fmt.Errorf("%s: no answer in time (timeout)", where)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s: connection refused (nothing listens there: is its HTTP API on, at that address and port?)", where)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return fmt.Errorf("%s: host unreachable", where)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%s: no such host", where)
	}
	return err
}
