package farmsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Seq generates an RFC 7464 stream like the archived ones db4e imports: a third of the records
// with a text prefix before the JSON, a third with 0x1E, a third bare; each with its own time
// and a cmd or type. Not safe for concurrent use.
type Seq struct {
	rng     *rand.Rand
	now     time.Time
	Records int
}

// NewSeq starts a stream on the day of the archives it imitates.
func NewSeq() *Seq {
	return &Seq{rng: rand.New(rand.NewPCG(7, 7)), now: time.Date(2018, 7, 4, 0, 0, 0, 0, time.UTC)}
}

// Next appends one record, with its newline, to b.
func (s *Seq) Next(b []byte) []byte {
	s.now = s.now.Add(time.Duration(s.rng.IntN(2000)) * time.Millisecond)
	t := s.now
	switch s.Records % 3 {
	case 0:
		b = t.In(time.FixedZone("", -7*3600)).AppendFormat(b, "20060102T150405-0700\tmainstream\t")
	case 1:
		b = append(b, 0x1e)
	}
	if s.Records%4 == 0 {
		b = fmt.Appendf(b, `{"created_at_ms":"%d","id":"%016x%016x","ip":"10.1.%d.%d","cmd":"time","nodename":"overlord"}`+"\n",
			t.UnixMilli(), s.rng.Uint64(), s.rng.Uint64(), s.rng.IntN(255), s.rng.IntN(255))
	} else {
		b = fmt.Appendf(b, `{"ts":%d.%03d,"type":"hashrate","miner":"dmg-%03d","ths":%.2f,"temp_c":%d}`+"\n",
			t.Unix(), t.Nanosecond()/1e6, s.rng.IntN(400), 10+s.rng.Float64()*5, 50+s.rng.IntN(30))
	}
	s.Records++
	return b
}
