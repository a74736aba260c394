package model

import (
	"strings"
	"testing"
)

func TestSanitizeTextKeepsTextAsItIs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Post "http://127.0.0.1:28081/json_rpc": connection refused`, `Post "http://127.0.0.1:28081/json_rpc": connection refused`},
		{"/tmp/x/restart-monerod.sh", "/tmp/x/restart-monerod.sh"},
		{`C:\miners\[red]rig[-]`, `C:\miners\[red]rig[-]`}, // the console escapes tags itself
		{"line one\nline two\tend", "line one line two end"},
		{"bell\x07 esc\x1b[2J del\x7f c1\u0085", "bell? esc?[2J del? c1?"},
		{"bad \xff utf8", "bad ? utf8"},
		{"größe 5 €", "größe 5 €"},
	} {
		if got := SanitizeText(tc.in, 200); got != tc.want {
			t.Errorf("SanitizeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := SanitizeText(strings.Repeat("€", 100), 10)
	if len(long) > 10+len("…") || !strings.HasSuffix(long, "…") || strings.ContainsRune(long, '\uFFFD') {
		t.Errorf("bounded text %q (%d bytes)", long, len(long))
	}
}
