package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// RecordSeparator starts every RFC 7464 record.
const RecordSeparator = 0x1e

// ImportJSONSeq reads an RFC 7464 JSON text sequence. As archived streams are, it is lenient:
// a record that starts with 0x1E runs until its JSON value closes, over as many lines as it
// takes (`jq --seq .` writes pretty records); a record without 0x1E is one line, with any text
// before the first '{' (`20180704T143646-0700<TAB>mainstream<TAB>{...}`). A record cut short by
// the next 0x1E or by the end of the stream is a bad record, as RFC 7464 has it.
func (im *Importer) ImportJSONSeq(ctx context.Context, r io.Reader, source string) (st Stats, rerr error) {
	b := &batcher{store: im.Store, stats: &st}
	defer func() { // stopped early: what was read is stored and counted (ImportP2Pool)
		if !b.stopped {
			if ferr := b.flush(); rerr == nil {
				rerr = ferr
			}
		}
	}()
	n := 0
	sc := seqScanner{emit: func(rec []byte, tooLong bool) error {
		if tooLong {
			b.Skips = append(b.Skips, NewSkip(source, fmt.Sprintf("record longer than %d bytes", MaxRecord), rec))
		} else if e, reason := ParseJSONRecord(rec); reason != "" {
			b.Skips = append(b.Skips, NewSkip(source, reason, rec))
		} else {
			b.Events = append(b.Events, e)
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		return b.full()
	}}
	buf := make([]byte, 256<<10)
	for {
		k, err := r.Read(buf)
		st.Bytes += int64(k)
		if ferr := sc.feed(buf[:k]); ferr != nil {
			return st, ferr
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("read %s: %w", source, err)
		}
	}
	if err := sc.close(); err != nil {
		return st, err
	}
	return st, b.flush()
}

// MaxRecord bounds one RFC 7464 record; a longer one is counted as bad, not held.
const MaxRecord = 1 << 20

// seqScanner splits a byte stream into RFC 7464 records (see ImportJSONSeq).
type seqScanner struct {
	emit func(rec []byte, tooLong bool) error

	rec      []byte
	open     bool // a record has begun
	rs       bool // ... after 0x1E: it ends when its JSON value closes
	tooLong  bool
	inValue  bool // its JSON value has begun
	depth    int
	inString bool
	escaped  bool
}

func (s *seqScanner) feed(data []byte) error {
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == RecordSeparator {
			// A new record; one still open was cut short (and fails to parse).
			if err := s.finish(); err != nil {
				return err
			}
			s.open, s.rs = true, true
			continue
		}
		if !s.open {
			if isSpace(c) {
				continue
			}
			s.open = true // a bare record: one line
		}
		if c == '\n' && (!s.rs || !s.inValue && len(bytes.TrimSpace(s.rec)) > 0) {
			// The end of a bare record, or of text after 0x1E that holds no JSON.
			if err := s.finish(); err != nil {
				return err
			}
			continue
		}
		if len(s.rec) < MaxRecord {
			s.rec = append(s.rec, c)
		} else {
			s.tooLong = true
		}
		if s.inString {
			switch {
			case s.escaped:
				s.escaped = false
			case c == '\\':
				s.escaped = true
			case c == '"':
				s.inString = false
			}
			continue
		}
		switch c {
		case '{', '[':
			s.inValue = true
			s.depth++
		case '}', ']':
			if s.depth > 0 {
				s.depth--
			}
			if s.rs && s.inValue && s.depth == 0 {
				if err := s.finish(); err != nil {
					return err
				}
			}
		case '"':
			if s.inValue {
				s.inString = true
			}
		}
	}
	return nil
}

// close ends the stream: a record still open is cut short.
func (s *seqScanner) close() error { return s.finish() }

func (s *seqScanner) finish() error {
	rec, tooLong := s.rec, s.tooLong
	*s = seqScanner{emit: s.emit, rec: s.rec[:0]}
	if len(bytes.TrimSpace(rec)) == 0 {
		return nil
	}
	if bytes.IndexByte(rec, '\n') >= 0 && !tooLong {
		// A pretty record is the same record as its compact form.
		var c bytes.Buffer
		if i := bytes.IndexByte(rec, '{'); i >= 0 && json.Compact(&c, rec[i:]) == nil {
			rec = append(rec[:i], c.Bytes()...)
		}
	}
	return s.emit(rec, tooLong)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// ParseJSONRecord reads one record: an event db4e exported (time, kind, id and its fields), or
// any other JSON object with a time (`time`, `created_at_ms` or `ts`) and a kind (`type` or
// `cmd`), kept whole. A time the store cannot hold as it is (before 1970; for P2Pool's events
// before Monero began) or more than a day after this machine's clock makes a bad record.
func ParseJSONRecord(rec []byte) (model.Event, string) {
	e, reason := parseJSONRecord(rec)
	if reason != "" {
		return e, reason
	}
	earliest := time.Unix(0, 0)
	switch e.Kind {
	case model.KindShare, model.KindBlock, model.KindPayment:
		earliest = model.MoneroStart
	}
	if why := model.TimeProblem(e.Time, earliest, time.Now()); why != "" {
		return model.Event{}, why
	}
	return e, ""
}

func parseJSONRecord(rec []byte) (model.Event, string) {
	rec = bytes.TrimSpace(rec)
	i := bytes.IndexByte(rec, '{')
	if i < 0 {
		return model.Event{}, "no JSON object"
	}
	rec = rec[i:]
	// Only the fields db4e reads are decoded; the record is kept whole as it came.
	var head struct {
		Time        json.RawMessage `json:"time"`
		CreatedAtMS json.RawMessage `json:"created_at_ms"`
		TS          json.RawMessage `json:"ts"`
		Kind        *string         `json:"kind"`
		ID          json.RawMessage `json:"id"`
		Type        json.RawMessage `json:"type"`
		Cmd         json.RawMessage `json:"cmd"`
	}
	if err := json.Unmarshal(rec, &head); err != nil {
		return model.Event{}, "bad JSON: " + firstLine(err.Error())
	}
	if head.Kind != nil && head.ID != nil {
		return parseExported(rec)
	}
	var t time.Time
	var reason string
	switch {
	case head.Time != nil:
		t, reason = parseTimeValue(head.Time, time.Second)
	case head.CreatedAtMS != nil:
		t, reason = parseTimeValue(head.CreatedAtMS, time.Millisecond)
	case head.TS != nil:
		t, reason = parseTimeValue(head.TS, time.Second)
	default:
		reason = "no time (time, created_at_ms or ts)"
	}
	if reason != "" {
		return model.Event{}, reason
	}
	kind := ""
	if head.Kind != nil {
		kind = *head.Kind
	}
	if kind == "" {
		kind = rawString(head.Type)
	}
	if kind == "" {
		kind = rawString(head.Cmd)
	}
	if kind == "" {
		return model.Event{}, "no kind (type or cmd)"
	}
	kind = model.SanitizeName(kind, 40)
	switch kind {
	case model.KindShare, model.KindBlock, model.KindPayment:
		return model.Event{}, "a " + kind + " record must be one db4e exported (with kind and id)"
	}
	return model.Event{Time: t, Kind: kind, ID: model.HashID(rec), Fields: append(json.RawMessage(nil), rec...)}, ""
}

func rawString(raw json.RawMessage) string {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func parseExported(rec []byte) (model.Event, string) {
	var e model.Event
	if err := json.Unmarshal(rec, &e); err != nil {
		return e, "bad event: " + firstLine(err.Error())
	}
	switch {
	case e.Time.IsZero():
		return e, "event without time"
	case len(e.ID) != 16 || strings.Trim(e.ID, "0123456789abcdef") != "":
		return e, "event with a bad id"
	case e.Kind == "":
		return e, "event without kind"
	case e.Kind == model.KindShare && e.Host == "":
		return e, "share without host"
	case e.Kind == model.KindPayment && e.Piconero.IsZero():
		return e, "payment without amount"
	}
	e.Kind = model.SanitizeName(e.Kind, 40)
	e.Host = model.SanitizeName(e.Host, model.MaxHostLen)
	return e, ""
}

// parseTimeValue reads an RFC 3339 string, or a number (possibly quoted) of units since the
// epoch; a number of seconds too large to be seconds is taken as milliseconds.
func parseTimeValue(raw json.RawMessage, unit time.Duration) (time.Time, string) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, "bad time"
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, ""
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f <= 0 {
		return time.Time{}, "bad time"
	}
	if unit == time.Second && f > 1e11 {
		unit = time.Millisecond
	}
	ns := f * float64(unit)
	if ns > math.MaxInt64 {
		return time.Time{}, "time out of range"
	}
	return time.Unix(0, int64(ns)).UTC(), ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// WriteJSONSeq writes one event as an RFC 7464 record: 0x1E, the JSON, a newline.
func WriteJSONSeq(w *bufio.Writer, e *model.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	w.WriteByte(RecordSeparator)
	w.Write(b)
	return w.WriteByte('\n')
}
