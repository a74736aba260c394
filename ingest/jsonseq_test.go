package ingest

import (
	"bytes"
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// records runs the RFC 7464 scanner over data fed in pieces of n bytes.
func records(t testing.TB, data []byte, n int) []string {
	var got []string
	sc := seqScanner{emit: func(rec []byte, tooLong bool) error {
		if tooLong {
			got = append(got, "TOO LONG")
		} else {
			got = append(got, string(rec))
		}
		return nil
	}}
	for len(data) > 0 {
		k := min(n, len(data))
		if err := sc.feed(data[:k]); err != nil {
			t.Fatal(err)
		}
		data = data[k:]
	}
	if err := sc.close(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSeqScanner(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"compact, as jq --seq -c", "\x1e{\"a\":1}\n\x1e{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}},
		{"pretty, as jq --seq", "\x1e{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}\n\x1e{\n  \"c\": \"x}\\\"{\"\n}\n",
			[]string{`{"a":1,"b":[1,2]}`, `{"c":"x}\"{"}`}},
		{"bare lines", "{\"a\":1}\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}},
		{"text before the object", "20180704T143646-0700\tmainstream\t{\"a\":1}\n", []string{"20180704T143646-0700\tmainstream\t{\"a\":1}"}},
		{"mixed: 0x1E, bare and prefixed", "\x1e{\"a\":1}\n{\"b\":2}\n\x1e{\n\"c\":3}\nts\t{\"d\":4}\n", []string{`{"a":1}`, `{"b":2}`, `{"c":3}`, "ts\t{\"d\":4}"}},
		{"cut short by the next 0x1E", "\x1e{\"a\":\n\x1e{\"b\":2}\n", []string{"{\"a\":\n", `{"b":2}`}},
		{"cut short by the end", "\x1e{\"a\":1}\n\x1e{\"b\":", []string{`{"a":1}`, `{"b":`}},
		{"blank lines and lone separators", "\n\n\x1e\n\x1e{\"a\":1}\n\r\n", []string{`{"a":1}`}},
		{"text after 0x1E without JSON", "\x1ehello\n{\"a\":1}\n", []string{"hello", `{"a":1}`}},
		{"CRLF", "{\"a\":1}\r\n\x1e{\"b\":2}\r\n", []string{"{\"a\":1}\r", `{"b":2}`}},
	}
	for _, tt := range tests {
		for _, n := range []int{1, 3, 1 << 20} {
			if got := records(t, []byte(tt.in), n); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s (fed %d bytes at a time): got %q, want %q", tt.name, n, got, tt.want)
			}
		}
	}
}

// jq --seq without -c writes records over several lines; they import whole, and the same as
// their compact form.
func TestImportPrettyJSONSeq(t *testing.T) {
	compact := []byte("\x1e{\"time\":\"2025-03-01T00:00:01Z\",\"type\":\"note\",\"text\":\"a\"}\n" +
		"\x1e{\"time\":\"2025-03-01T00:00:02Z\",\"type\":\"note\",\"nested\":{\"x\":[1,2,{\"y\":\"}\"}]}}\n")
	pretty := []byte("\x1e{\n  \"time\": \"2025-03-01T00:00:01Z\",\n  \"type\": \"note\",\n  \"text\": \"a\"\n}\n" +
		"\x1e{\n  \"time\": \"2025-03-01T00:00:02Z\",\n  \"type\": \"note\",\n  \"nested\": {\n    \"x\": [\n      1,\n      2,\n      {\n        \"y\": \"}\"\n      }\n    ]\n  }\n}\n")
	if jq, err := exec.LookPath("jq"); err == nil {
		// jq's own pretty output, where jq is installed (.ci/run installs it)
		cmd := exec.Command(jq, "--seq", ".")
		cmd.Stdin = bytes.NewReader(compact)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("jq: %v", err)
		}
		if !bytes.Contains(out, []byte("\n  ")) {
			t.Fatalf("jq did not pretty-print: %q", out)
		}
		pretty = out
	}
	s := openStore(t)
	im := &Importer{Store: s}
	a, err := im.ImportJSONSeq(context.Background(), bytes.NewReader(pretty), "pretty")
	if err != nil {
		t.Fatal(err)
	}
	if a.Added != 2 || a.Bad != 0 {
		t.Fatalf("pretty: %+v, want 2 events and no bad record", a)
	}
	b, err := im.ImportJSONSeq(context.Background(), bytes.NewReader(compact), "compact")
	if err != nil {
		t.Fatal(err)
	}
	if b.Added != 0 || b.Duplicates != 2 {
		t.Fatalf("compact after pretty: %+v, want the same 2 events", b)
	}
}

// An RFC 7464 record far longer than any event is one bad record and the next ones are read.
func TestJSONSeqOverlongRecord(t *testing.T) {
	in := "\x1e{\"time\":1,\"type\":\"x\",\"pad\":\"" + strings.Repeat("a", MaxRecord+10) + "\"}\n\x1e{\"time\":\"2025-03-01T00:00:02Z\",\"type\":\"note\"}\n"
	got := records(t, []byte(in), 4096)
	if len(got) != 2 || got[0] != "TOO LONG" || got[1] != `{"time":"2025-03-01T00:00:02Z","type":"note"}` {
		t.Fatalf("%.80q", got)
	}
}

// A record's time that the store cannot hold as it is, or far in the future, is a bad record:
// never wrapped to another date (issue 31).
func TestJSONRecordTimes(t *testing.T) {
	for _, tc := range []struct {
		rec, reason string
	}{
		{`{"time":"2025-03-01T00:00:00Z","type":"rig_up"}`, ""},
		{`{"ts":1740787200,"type":"rig_up"}`, ""},
		{`{"time":"9999-12-31T23:59:59Z","type":"rig_up"}`, "more than a day after"},
		{`{"time":"2262-04-12T00:00:00Z","type":"rig_up"}`, "more than a day after"},
		{`{"time":"1969-12-31T23:59:59Z","type":"rig_up"}`, "is before 1970-01-01"},
		{`{"time":"0001-01-01T00:00:00Z","type":"rig_up"}`, "is before 1970-01-01"},
		{`{"time":"2099-01-01T00:00:00Z","kind":"share","id":"0123456789abcdef","host":"rig-01"}`, "more than a day after"},
		{`{"time":"2013-01-01T00:00:00Z","kind":"share","id":"0123456789abcdef","host":"rig-01"}`, "is before 2014-04-18"},
		{`{"time":"2025-03-01T00:00:00Z","kind":"share","id":"0123456789abcdef","host":"rig-01"}`, ""},
	} {
		e, reason := ParseJSONRecord([]byte(tc.rec))
		if tc.reason == "" && (reason != "" || e.Time.IsZero()) || tc.reason != "" && !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: %q, want %q", tc.rec, reason, tc.reason)
		}
	}
}
