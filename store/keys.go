package store

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/db4e/db4e/model"
)

// key orders events by time; the ID makes two records at the same instant distinct.
func eventKey(e *model.Event) []byte {
	k := make([]byte, 0, len(prefixEvent)+8+len(e.ID))
	k = append(k, prefixEvent...)
	k = binary.BigEndian.AppendUint64(k, uint64(e.Time.UnixNano()))
	return append(k, e.ID...)
}

func timeKey(t time.Time) []byte {
	k := append([]byte(prefixEvent), make([]byte, 8)...)
	binary.BigEndian.PutUint64(k[len(prefixEvent):], uint64(t.UnixNano()))
	return k
}

// keyTime is the time an event key holds; the zero time for a key too short to hold one.
func keyTime(k []byte) time.Time {
	if len(k) < len(prefixEvent)+8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[len(prefixEvent):]))).UTC()
}

// afterEvents sorts after every event key: where a reverse scan of the log starts.
func afterEvents() []byte {
	return append([]byte(prefixEvent), bytes.Repeat([]byte{0xff}, 9)...)
}
