package ops

import "testing"

// The HTTP listener's address: http_listen, else its old name; a bare port is on loopback.
func TestHTTPAddr(t *testing.T) {
	for _, tc := range []struct{ http, metrics, want string }{
		{"", "", ""},
		{"9732", "", "127.0.0.1:9732"},
		{":9732", "", "127.0.0.1:9732"},
		{"0.0.0.0:9732", "", "0.0.0.0:9732"},
		{"[::1]:9732", "", "[::1]:9732"},
		{"", "127.0.0.1:9100", "127.0.0.1:9100"},
	} {
		if got := (Config{HTTPListen: tc.http, MetricsListen: tc.metrics}).HTTPAddr(); got != tc.want {
			t.Errorf("http_listen %q metrics_listen %q: %q, want %q", tc.http, tc.metrics, got, tc.want)
		}
	}
}
