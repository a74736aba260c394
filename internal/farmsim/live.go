package farmsim

import (
	"context"
	"os"
	"time"

	"github.com/db4e/db4e/internal/tick"
)

// Live appends to the log at path as P2Pool would, on the wall clock, until ctx ends: a share
// every few seconds, the status and workers blocks every half minute, a block and payout now and
// then; and the data-api every 10 s when DataAPI is set. It returns the first write error.
func (s *Sim) Live(ctx context.Context, path string, meanGap time.Duration) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	s.SetNow(time.Now())
	b := s.Status(nil)
	if _, err := f.Write(b); err != nil {
		return err
	}
	lastStatus, lastAPI := time.Now(), time.Time{}
	for {
		gap := meanGap/2 + time.Duration(s.rng.Int64N(int64(meanGap)))
		if !tick.Sleep(ctx, gap) {
			return nil
		}
		s.SetNow(time.Now())
		b = b[:0]
		for range 1 + s.rng.IntN(6) {
			b = s.noise(b)
		}
		switch {
		case s.rng.IntN(40) == 0:
			b = s.Block(b)
		case s.rng.IntN(2) == 0:
			b = s.Share(b)
		}
		if time.Since(lastStatus) > 30*time.Second {
			b = s.Status(b)
			lastStatus = time.Now()
		}
		if s.DataAPI != "" && time.Since(lastAPI) > 10*time.Second {
			if err := s.WriteDataAPI(s.DataAPI, s.now); err != nil {
				return err
			}
			lastAPI = time.Now()
		}
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
}

// History returns a log of the days before now, about perDay shares a day.
func (s *Sim) History(days, perDay int) []byte {
	end := time.Now().UTC()
	s.now = end.AddDate(0, 0, -days)
	s.EventEvery = 4
	linesPerDay := perDay * s.EventEvery * 12 / 11
	s.Step = 24 * time.Hour / time.Duration(linesPerDay)
	var b []byte
	for s.now.Before(end.Add(-time.Minute)) {
		b = s.Next(b)
		if s.Lines%500 == 0 {
			b = s.Status(b)
		}
	}
	return b
}
