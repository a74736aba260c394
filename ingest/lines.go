package ingest

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// MaxLine is the longest line, without its newline, that any reader of P2Pool's output takes as
// a record. P2Pool cuts its own records at 1023 bytes (log::Stream::BUF_SIZE) and journald adds
// a prefix of a few dozen, so a longer line is damage. The follower and the importer share this
// limit and overlongSkip, so a long line read by both is one bad record, not two.
const MaxLine = 64 << 10

// overlongSkip is the bad record of a line longer than MaxLine. Its ID hashes the line's first
// MaxLine bytes and its length, which every reader can compute without holding the line.
func overlongSkip(source string, head []byte, n int64) store.Skip {
	id := model.HashID(append(strconv.AppendInt([]byte("overlong "), n, 10), head...))
	if len(head) > store.MaxSkipExcerpt {
		head = head[:store.MaxSkipExcerpt]
	}
	return store.Skip{
		ID: id, Seen: time.Now().UTC(), Source: source,
		Reason: fmt.Sprintf("line of %d bytes, longer than %d: not a P2Pool record", n, MaxLine),
		Record: string(bytes.ToValidUTF8(head, []byte("?"))),
	}
}

// lineSink takes the lines a reader finds, in order: a record line (without its newline) or,
// for a line over MaxLine, its head and its whole length. end is the offset just after the line.
type lineSink interface {
	line(b []byte, end int64) error
	overlong(head []byte, n int64, end int64) error
}

// fileLines reads the lines of a plain file from off by pread, so the file can grow meanwhile.
// A line without its newline yet is left for the next call unless final is set (the file will
// not grow: a rotated file P2Pool has left, or a torn last write), when it is a line too. It
// returns the offset after the last line taken.
type fileLines struct {
	// verify, when set, is asked after each read whether the bytes read at off are still the
	// file's content (not a file truncated and rewritten meanwhile); errRewritten stops the read
	// before a line of them is taken.
	verify func(data []byte, off int64) error
	buf    []byte
	// An overlong line is scanned once: where its scan stopped waiting for its newline.
	longStart, longScanned int64
	longHead               []byte
}

func (r *fileLines) read(fd io.ReaderAt, off int64, final bool, sink lineSink) (int64, error) {
	if r.buf == nil {
		r.buf = make([]byte, 256<<10)
	}
	for {
		if r.longHead != nil {
			if r.longStart != off {
				r.longHead = nil // a stale scan (the file was replaced): start afresh
				continue
			}
			n, newline, done, err := r.scanLong(fd, final)
			if err != nil || !done {
				return off, err
			}
			end := off + n
			if newline {
				end++
			}
			if err := sink.overlong(r.longHead, n, end); err != nil {
				return off, err
			}
			off, r.longHead = end, nil
			continue
		}
		n, err := fd.ReadAt(r.buf, off)
		if err != nil && err != io.EOF {
			return off, err
		}
		if r.verify != nil {
			if err := r.verify(r.buf[:n], off); err != nil {
				return off, err
			}
		}
		var data []byte
		if data, off, err = wholeLines(r.buf[:n], off, sink); err != nil {
			return off, err
		}
		switch {
		case len(data) > MaxLine:
			// The line at off has no newline within MaxLine bytes: scan on for its end.
			r.longStart, r.longScanned = off, off+int64(len(data))
			r.longHead = append(r.longHead[:0], data[:MaxLine]...)
		case n == len(r.buf):
			// The buffer was full: there is more to read after the last newline.
		default:
			if final && len(data) > 0 {
				off += int64(len(data))
				if err := sink.line(data, off); err != nil {
					return off - int64(len(data)), err
				}
			}
			return off, nil
		}
	}
}

// wholeLines hands sink every line of data that has its newline, data starting at offset off,
// and returns what is left after the last newline and the offset there.
func wholeLines(data []byte, off int64, sink lineSink) ([]byte, int64, error) {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return data, off, nil
		}
		if i > MaxLine {
			// Whole in the buffer but too long: one bad record.
			if err := sink.overlong(data[:MaxLine], int64(i), off+int64(i)+1); err != nil {
				return data, off, err
			}
		} else if err := sink.line(data[:i], off+int64(i)+1); err != nil {
			return data, off, err
		}
		off += int64(i) + 1
		data = data[i+1:]
	}
}

// scanLong looks for the newline that ends the overlong line at longStart. It reports the line's
// length once its end is known: its newline, or the end of the file when final.
func (r *fileLines) scanLong(fd io.ReaderAt, final bool) (n int64, newline, done bool, err error) {
	for {
		got, err := fd.ReadAt(r.buf, r.longScanned)
		if err != nil && err != io.EOF {
			return 0, false, false, err
		}
		if i := bytes.IndexByte(r.buf[:got], '\n'); i >= 0 {
			return r.longScanned + int64(i) - r.longStart, true, true, nil
		}
		r.longScanned += int64(got)
		if got < len(r.buf) {
			return r.longScanned - r.longStart, false, final, nil
		}
	}
}

// streamLines reads every line of r (a compressed file, stdin) to its end, the last line with
// or without its newline, skipping the first skip bytes (a resume inside a compressed file).
func streamLines(r io.Reader, skip int64, sink lineSink) (int64, error) {
	if skip > 0 {
		n, err := io.CopyN(io.Discard, r, skip)
		if err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
	}
	off := skip
	buf := make([]byte, 256<<10)
	carry := 0
	var longHead []byte
	var longN int64
	inLong := false
	for {
		n, rerr := io.ReadFull(r, buf[carry:])
		data := buf[:carry+n]
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return off, rerr
		}
		for {
			i := bytes.IndexByte(data, '\n')
			if inLong {
				if i < 0 {
					longN += int64(len(data))
					data = data[:0]
					break
				}
				longN += int64(i)
				off += longN + 1
				if err := sink.overlong(longHead, longN, off); err != nil {
					return off, err
				}
				inLong, data = false, data[i+1:]
				continue
			}
			var err error
			if data, off, err = wholeLines(data, off, sink); err != nil {
				return off, err
			}
			if len(data) > MaxLine {
				inLong, longHead, longN = true, append(longHead[:0], data[:MaxLine]...), int64(len(data))
				data = data[:0]
			}
			break
		}
		if eof {
			switch {
			case inLong:
				off += longN
				if err := sink.overlong(longHead, longN, off); err != nil {
					return off, err
				}
			case len(data) > 0:
				off += int64(len(data))
				if err := sink.line(data, off); err != nil {
					return off, err
				}
			}
			return off, nil
		}
		carry = copy(buf, data)
	}
}
