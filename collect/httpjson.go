package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAnswer bounds what is read of an answer: a garbage or hostile server cannot fill memory.
const maxAnswer = 4 << 20

// FetchJSON GETs url (with a bearer token if one is given) and decodes a bounded answer.
func FetchJSON(ctx context.Context, c *http.Client, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return doJSON(c, req, v)
}

func doJSON(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return errors.New("401 Unauthorized: an access token is needed")
		case http.StatusForbidden:
			return errors.New("403 Forbidden: the access token is wrong")
		}
		return fmt.Errorf("answered %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(v); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("bad answer: %s", first)
	}
	return nil
}
