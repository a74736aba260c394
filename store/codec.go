package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/db4e/db4e/model"
)

// An event is stored as a compact binary value, not JSON: its time and id are its key already,
// and the rest is a few tagged fields. A share takes ~55 bytes instead of ~210 of JSON, and the
// store writes, flushes and compacts a quarter of the bytes. An imported record's own fields
// are kept as they were read. Values that start with '{' are events of db4e before this
// encoding, still read as JSON; nothing rewrites them.
//
// The tags are part of the store's format: never renumber one, only add.
const codecV1 = 0x01

const (
	tagKind = iota + 1
	tagHost
	tagClientIP
	tagMainHeight
	tagSideHeight
	tagDifficulty
	tagEffort
	tagHeight
	tagMinedBy
	tagPiconero
	tagWho
	tagTarget
	tagCommand
	tagResult
	tagDurationMS
	tagRule
	tagMAC
	tagState
	tagFields
	tagBlockID
)

// appendEvent appends e's value (everything but its time and id, which are its key) to b.
func appendEvent(b []byte, e *model.Event) []byte {
	b = append(b, codecV1)
	b = appendString(b, tagKind, e.Kind)
	b = appendString(b, tagHost, e.Host)
	b = appendString(b, tagClientIP, e.ClientIP)
	b = appendUint(b, tagMainHeight, e.MainHeight)
	b = appendUint(b, tagSideHeight, e.SideHeight)
	b = appendUint(b, tagDifficulty, e.Difficulty)
	if e.Effort != 0 {
		b = append(b, tagEffort)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.Effort))
	}
	b = appendUint(b, tagHeight, e.Height)
	b = appendString(b, tagMinedBy, e.MinedBy)
	if !e.Piconero.IsZero() {
		b = appendString(b, tagPiconero, e.Piconero.String())
	}
	b = appendString(b, tagWho, e.Who)
	b = appendString(b, tagTarget, e.Target)
	b = appendString(b, tagCommand, e.Command)
	b = appendString(b, tagResult, e.Result)
	if e.DurationMS != 0 {
		b = append(b, tagDurationMS)
		b = binary.AppendVarint(b, e.DurationMS)
	}
	b = appendString(b, tagRule, e.Rule)
	b = appendString(b, tagMAC, e.MAC)
	b = appendString(b, tagState, e.State)
	b = appendString(b, tagBlockID, e.BlockID)
	if len(e.Fields) > 0 {
		b = append(b, tagFields)
		b = binary.AppendUvarint(b, uint64(len(e.Fields)))
		b = append(b, e.Fields...)
	}
	return b
}

func appendString(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendUint(b []byte, tag byte, n uint64) []byte {
	if n == 0 {
		return b
	}
	return binary.AppendUvarint(append(b, tag), n)
}

var errShortValue = errors.New("value ends inside a field")

// decodeEvent reads the event stored under key k with value v, in either encoding. v is only
// valid during the read; nothing of it is kept.
func decodeEvent(k, v []byte, e *model.Event) error {
	*e = model.Event{}
	if len(v) > 0 && v[0] == '{' {
		return json.Unmarshal(v, e)
	}
	if len(k) < len(prefixEvent)+8 {
		return fmt.Errorf("event key of %d bytes", len(k))
	}
	e.Time = keyTime(k)
	e.ID = string(k[len(prefixEvent)+8:])
	if len(v) == 0 || v[0] != codecV1 {
		return fmt.Errorf("unknown event encoding %#x (a newer db4e's?)", firstByte(v))
	}
	for v = v[1:]; len(v) > 0; {
		tag := v[0]
		v = v[1:]
		var err error
		switch tag {
		case tagKind:
			e.Kind, v, err = readString(v)
		case tagHost:
			e.Host, v, err = readString(v)
		case tagClientIP:
			e.ClientIP, v, err = readString(v)
		case tagMainHeight:
			e.MainHeight, v, err = readUint(v)
		case tagSideHeight:
			e.SideHeight, v, err = readUint(v)
		case tagDifficulty:
			e.Difficulty, v, err = readUint(v)
		case tagEffort:
			if len(v) < 8 {
				return errShortValue
			}
			e.Effort, v = math.Float64frombits(binary.LittleEndian.Uint64(v)), v[8:]
		case tagHeight:
			e.Height, v, err = readUint(v)
		case tagMinedBy:
			e.MinedBy, v, err = readString(v)
		case tagPiconero:
			var s string
			if s, v, err = readString(v); err == nil {
				err = e.Piconero.UnmarshalJSON([]byte(s))
			}
		case tagWho:
			e.Who, v, err = readString(v)
		case tagTarget:
			e.Target, v, err = readString(v)
		case tagCommand:
			e.Command, v, err = readString(v)
		case tagResult:
			e.Result, v, err = readString(v)
		case tagDurationMS:
			n, w := binary.Varint(v)
			if w <= 0 {
				return errShortValue
			}
			e.DurationMS, v = n, v[w:]
		case tagRule:
			e.Rule, v, err = readString(v)
		case tagMAC:
			e.MAC, v, err = readString(v)
		case tagState:
			e.State, v, err = readString(v)
		case tagBlockID:
			e.BlockID, v, err = readString(v)
		case tagFields:
			var s string
			if s, v, err = readString(v); err == nil {
				e.Fields = json.RawMessage(s)
			}
		default:
			return fmt.Errorf("unknown event field %d (a newer db4e's?)", tag)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readUint(v []byte) (uint64, []byte, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return 0, v, errShortValue
	}
	return n, v[w:], nil
}

func readString(v []byte) (string, []byte, error) {
	n, rest, err := readUint(v)
	if err != nil || n > uint64(len(rest)) {
		return "", v, errShortValue
	}
	return string(rest[:n]), rest[n:], nil
}

func firstByte(v []byte) byte {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}
