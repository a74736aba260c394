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

// RoundXMR rounds as Python's round(Decimal, n): half to even, the original db4e's totals.
func TestRoundXMR(t *testing.T) {
	for _, tc := range []struct {
		xmr  string
		n    int
		want string
	}{
		{"0.000125000000", 4, "0.0001"},
		{"0.000135000000", 4, "0.0001"},
		{"0.000150000000", 4, "0.0002"},
		{"0.000250000000", 4, "0.0002"},
		{"0.000250000001", 4, "0.0003"},
		{"1.999950000000", 4, "2.0000"},
		{"0", 4, "0.0000"},
		{"12.345678901234", 12, "12.345678901234"},
		{"2.5", 0, "2"},
		{"3.5", 0, "4"},
	} {
		p, err := ParseXMR(tc.xmr)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.RoundXMR(tc.n); got != tc.want {
			t.Errorf("RoundXMR(%s, %d) = %s, want %s", tc.xmr, tc.n, got, tc.want)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"rig-01", 8, "rig-01"},     // clean: as it is
		{"rig-0001", 8, "rig-0001"}, // clean, exactly max
		{"rig-00001", 8, "rig-0000"},
		{"farm/rig[1]", 32, "farm_rig_1_"},
		{`C:\rig`, 32, "C:_rig"},
		{"tab\there\x7f", 32, "tab?here?"},
		{"größe", 32, "größe"},
		{"bad \xff", 32, "bad ?"},
		{"", 8, ""},
	} {
		if got := SanitizeName(tc.in, tc.max); got != tc.want {
			t.Errorf("SanitizeName(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
