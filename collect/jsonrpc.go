package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/icholy/digest"
)

// JSONRPC is a Monero JSON-RPC endpoint, monerod's or monero-wallet-rpc's, with its login
// (the program's --rpc-login, answered with HTTP Digest as both ask). No message of it holds
// the login: the URL is shown without one, and a login never enters an error.
type JSONRPC struct {
	// Name is the configuration section, for messages: "monerod", "wallet_rpc".
	Name      string
	URL       string
	Login     string
	LoginFile string
	Timeout   time.Duration
}

// HTTPClient answers the Digest challenge when a login is configured. It says whether there is
// a login.
func (r *JSONRPC) HTTPClient() (*http.Client, bool, error) {
	user, password, err := ReadLogin(r.Login, r.LoginFile, r.URL)
	if err != nil {
		return nil, false, model.RedactErr(fmt.Errorf("%s login: %w", r.Name, err))
	}
	c := client(r.Timeout)
	if user != "" {
		c.Transport = sharedDigest(r.URL, user, password)
	}
	return c, user != "", nil
}

// monerod and monero-wallet-rpc keep one Digest session per server: one nonce and one count
// of requests (epee's http_server_auth). A request with another nonce, or out of count, is
// answered 401 and the server makes a new nonce, which every other client then lacks. Two
// clients of one process (the node's collector and the payout checker) took turns breaking
// each other's session: "login refused" with the right login, now and then. So each process
// has one Digest transport per server and login, its requests one at a time.
var (
	digestMu   sync.Mutex
	digestByTo = map[string]*serialDigest{}
)

func sharedDigest(rpc, user, password string) http.RoundTripper {
	host := rpc
	if u, err := url.Parse(rpc); err == nil {
		host = u.Host
	}
	key := host + "\x00" + user + "\x00" + password
	digestMu.Lock()
	defer digestMu.Unlock()
	t := digestByTo[key]
	if t == nil {
		t = &serialDigest{t: &digest.Transport{Username: user, Password: password}}
		digestByTo[key] = t
	}
	return t
}

// serialDigest sends one request at a time, and tries once more when the server says the nonce
// was stale (another process, a db4e status say, took a new one meanwhile).
type serialDigest struct {
	mu sync.Mutex
	t  *digest.Transport
}

func (s *serialDigest) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.t.RoundTrip(req)
	if err != nil || res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("WWW-Authenticate"), "stale=true") {
		return res, err
	}
	if req.Body != nil && req.GetBody == nil {
		return res, nil // the body is spent
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return s.t.RoundTrip(again)
}

// Call asks method with params (nil: none) and decodes the answer's result into result.
func (r *JSONRPC) Call(ctx context.Context, method string, params, result any) error {
	c, hasLogin, err := r.HTTPClient()
	if err != nil {
		return err
	}
	body, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      string `json:"id"`
		Method  string `json:"method"`
		Params  any    `json:"params,omitempty"`
	}{"2.0", "0", method, params})
	if err != nil {
		return err
	}
	shown := r.Name + " " + model.Redact(r.URL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(r.URL, "/")+"/json_rpc", bytes.NewReader(body))
	if err != nil {
		return model.RedactErr(fmt.Errorf("%s: %w", shown, err))
	}
	req.Header.Set("Content-Type", "application/json")
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	err = doJSON(c, req, &resp)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusUnauthorized && hasLogin:
		return fmt.Errorf("%s: %s: the login was refused (%s.login or login_file)", shown, se.Status, r.Name)
	case errors.As(err, &se) && se.Code == http.StatusUnauthorized:
		return fmt.Errorf("%s: %s: it was started with --rpc-login: set %s.login or login_file", shown, se.Status, r.Name)
	case err != nil:
		return model.RedactErr(fmt.Errorf("%s: %s: %w", shown, method, err))
	case resp.Error != nil:
		return fmt.Errorf("%s: %s: %s", shown, method, model.SanitizeText(resp.Error.Message, 200))
	case len(resp.Result) == 0:
		return fmt.Errorf("%s: %s: an answer without a result", shown, method)
	}
	if err := json.Unmarshal(resp.Result, result); err != nil {
		return fmt.Errorf("%s: %s: bad answer: %s", shown, method, model.SanitizeText(err.Error(), 200))
	}
	return nil
}
