package store

import (
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
