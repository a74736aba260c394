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

	"github.com/db4e/db4e/store"
)

// RecordSeparator starts every RFC 7464 record.
const RecordSeparator = 0x1e

// ImportJSONSeq reads an RFC 7464 JSON text sequence. As archived streams are, it is lenient:
// records with or without the leading 0x1E, one per line, with any text before the first '{'
// (`20180704T143646-0700<TAB>mainstream<TAB>{...}`).
func (im *Importer) ImportJSONSeq(ctx context.Context, r io.Reader, source string) (Stats, error) {
	var st Stats
	b := &batcher{store: im.Store, stats: &st}
	br := bufio.NewReaderSize(r, 1<<20)
	n := 0
	for {
		rec, err := readRecord(br)
		st.Bytes += int64(len(rec))
		if len(bytes.TrimSpace(rec)) > 0 {
			e, reason := ParseJSONRecord(rec)
			if reason != "" {
				b.Skips = append(b.Skips, NewSkip(source, reason, rec))
			} else {
				b.Events = append(b.Events, e)
			}
			if err := b.full(); err != nil {
				return st, err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("read %s: %w", source, err)
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
	return st, b.flush()
}

// readRecord returns the next record: up to a newline or an 0x1E, whichever comes first,
// without either. Records longer than maxLine are cut (and then fail to parse, and are counted).
func readRecord(br *bufio.Reader) ([]byte, error) {
	var rec []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return rec, err
		}
		if b == '\n' {
			return rec, nil
		}
		if b == RecordSeparator {
			if len(bytes.TrimSpace(rec)) > 0 {
				return rec, nil
			}
			rec = rec[:0]
			continue
		}
		if len(rec) < maxLine {
			rec = append(rec, b)
		}
	}
}

// ParseJSONRecord reads one record: an event db4e exported (time, kind, id and its fields), or
// any other JSON object with a time (`time`, `created_at_ms` or `ts`) and a kind (`type` or
// `cmd`), kept whole.
func ParseJSONRecord(rec []byte) (store.Event, string) {
	rec = bytes.TrimSpace(rec)
	i := bytes.IndexByte(rec, '{')
	if i < 0 {
		return store.Event{}, "no JSON object"
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
		return store.Event{}, "bad JSON: " + firstLine(err.Error())
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
		return store.Event{}, reason
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
		return store.Event{}, "no kind (type or cmd)"
	}
	kind = store.SanitizeName(kind, 40)
	switch kind {
	case store.KindShare, store.KindBlock, store.KindPayment:
		return store.Event{}, "a " + kind + " record must be one db4e exported (with kind and id)"
	}
	return store.Event{Time: t, Kind: kind, ID: store.HashID(rec), Fields: append(json.RawMessage(nil), rec...)}, ""
}

func rawString(raw json.RawMessage) string {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func parseExported(rec []byte) (store.Event, string) {
	var e store.Event
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
	case e.Kind == store.KindShare && e.Host == "":
		return e, "share without host"
	case e.Kind == store.KindPayment && e.Piconero.IsZero():
		return e, "payment without amount"
	}
	e.Kind = store.SanitizeName(e.Kind, 40)
	e.Host = store.SanitizeName(e.Host, MaxHostLen)
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
func WriteJSONSeq(w *bufio.Writer, e *store.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	w.WriteByte(RecordSeparator)
	w.Write(b)
	return w.WriteByte('\n')
}
