package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

	mu     sync.Mutex
	client *http.Client
	key    string // the login client was made for
}

// HTTPClient answers the Digest challenge when a login is configured; the client is kept while
// the login stays the same, so the challenge is reused. It says whether there is a login.
func (r *JSONRPC) HTTPClient() (*http.Client, bool, error) {
	user, password, err := ReadLogin(r.Login, r.LoginFile, r.URL)
	if err != nil {
		return nil, false, model.RedactErr(fmt.Errorf("%s login: %w", r.Name, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if key := user + ":" + password; r.client == nil || key != r.key {
		r.client, r.key = client(r.Timeout), key
		if user != "" {
			r.client.Transport = &digest.Transport{Username: user, Password: password}
		}
	}
	return r.client, user != "", nil
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
