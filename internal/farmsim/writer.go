package farmsim

import (
	"context"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// Writer appends the simulator's records to a log as P2Pool v4.8+ does: through one descriptor
// opened with O_APPEND, reopened by path when the file there is another one or is gone, which
// it looks at every ReopenEvery (P2Pool v4.15+: 500 ms at most). Everything it writes also goes
// to Copy, in order: the reference a trial checks a reader against.
type Writer struct {
	Path        string
	Sim         *Sim
	Copy        io.Writer
	ReopenEvery time.Duration
	// Gap is the wait between two records.
	Gap time.Duration

	mu      sync.Mutex
	written []Written
	step    time.Duration // a clock step to take before the next record (StepClock)
}

// StepClock moves the log's clock by d before the next record, as NTP or a restored VM moves
// a node's: the records after it are stamped d later (earlier, for a negative d).
func (w *Writer) StepClock(d time.Duration) {
	w.mu.Lock()
	w.step += d
	w.mu.Unlock()
}

// Written says when a record was written, on the wall clock, and its time stamp in the log.
type Written struct {
	Wall, Stamp time.Time
}

// Run writes until ctx ends.
func (w *Writer) Run(ctx context.Context) error {
	var f *os.File
	var dev, ino uint64
	open := func() error {
		if f != nil {
			f.Close()
		}
		var err error
		f, err = os.OpenFile(w.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		dev, ino = fileID(f)
		return nil
	}
	if err := open(); err != nil {
		return err
	}
	defer func() { f.Close() }()
	lastCheck := time.Now()
	var b []byte
	for ctx.Err() == nil {
		if time.Since(lastCheck) >= w.ReopenEvery {
			lastCheck = time.Now()
			st, err := os.Stat(w.Path)
			moved := err != nil
			if err == nil {
				sys := st.Sys().(*syscall.Stat_t)
				moved = uint64(sys.Dev) != dev || sys.Ino != ino
			}
			if moved {
				if err := open(); err != nil {
					return err
				}
			}
		}
		w.mu.Lock()
		if w.step != 0 {
			w.Sim.SetNow(w.Sim.Now().Add(w.step))
			w.step = 0
		}
		w.mu.Unlock()
		b = w.Sim.Next(b[:0])
		if _, err := f.Write(b); err != nil {
			return err
		}
		if w.Copy != nil {
			if _, err := w.Copy.Write(b); err != nil {
				return err
			}
		}
		w.mu.Lock()
		// as the log has it: to a tenth of a millisecond
		w.written = append(w.written, Written{Wall: time.Now(), Stamp: w.Sim.Now().Truncate(100 * time.Microsecond)})
		w.mu.Unlock()
		if w.Gap > 0 {
			time.Sleep(w.Gap)
		}
	}
	return nil
}

// WrittenAt returns when the records stamped t were written (none if none was): after a clock
// step back, one stamp may have been written twice.
func (w *Writer) WrittenAt(t time.Time) []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Time
	for _, r := range w.written {
		if r.Stamp.Equal(t) {
			out = append(out, r.Wall)
		}
	}
	return out
}

func fileID(f *os.File) (uint64, uint64) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0
	}
	sys := st.Sys().(*syscall.Stat_t)
	return uint64(sys.Dev), sys.Ino
}
