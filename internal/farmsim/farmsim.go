// Package farmsim writes a realistic P2Pool log of a simulated farm, for the demo, tests and
// benchmarks, and keeps the totals a correct reader must find in it.
package farmsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Totals is what one UTC day of the generated log holds.
type Totals struct {
	Shares   int
	ByHost   map[string]int
	Blocks   int
	Payments int
	Piconero int64
}

// Sim generates lines. Not safe for concurrent use.
type Sim struct {
	Rigs []string
	// EventEvery is the mean number of lines per event (share, block or payout).
	EventEvery int
	// Step is the mean time between two lines.
	Step time.Duration
	// Xmrig, when set, are the rigs' xmrig APIs: the log's hashrates are theirs and a stalled
	// rig finds no share. DataAPI, when set, is a directory Live keeps P2Pool's data-api in.
	Xmrig   *Rigs
	DataAPI string
	// node, when set, is the chain the payouts are on (NewNode).
	node *Node

	rng        *rand.Rand
	now        time.Time
	mainHeight uint64
	sideHeight uint64
	Totals     map[string]*Totals
	Events     int
	Lines      int
}

// New returns a simulator of n rigs starting at start.
func New(seed uint64, n int, start time.Time) *Sim {
	s := &Sim{
		EventEvery: 200,
		Step:       250 * time.Millisecond,
		rng:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:        start.UTC(),
		mainHeight: 3_350_000,
		sideHeight: 10_400_000,
		Totals:     map[string]*Totals{},
	}
	for i := range n {
		s.Rigs = append(s.Rigs, fmt.Sprintf("rig-%02d", i+1))
	}
	return s
}

// Now is the time of the last line written.
func (s *Sim) Now() time.Time { return s.now }

// SetNow moves the clock (the demo runs on the wall clock).
func (s *Sim) SetNow(t time.Time) { s.now = t.UTC() }

func (s *Sim) day() *Totals {
	d := s.now.Format(time.DateOnly)
	t := s.Totals[d]
	if t == nil {
		t = &Totals{ByHost: map[string]int{}}
		s.Totals[d] = t
	}
	return t
}

func (s *Sim) stamp(b []byte, level string) []byte {
	b = append(b, level...)
	return s.now.AppendFormat(b, "2006-01-02 15:04:05.0000")
}

// Advance moves the clock by a random step around the mean.
func (s *Sim) Advance() {
	s.now = s.now.Add(time.Duration(s.rng.Int64N(int64(2*s.Step) + 1)))
}

// Next appends the next record (one line, or a status block) to b.
func (s *Sim) Next(b []byte) []byte {
	s.Advance()
	s.Lines++
	if s.rng.IntN(s.EventEvery) == 0 {
		return s.event(b)
	}
	return s.noise(b)
}

// Share appends a share found by a random rig.
func (s *Sim) Share(b []byte) []byte {
	rig := s.rng.IntN(len(s.Rigs))
	if s.Xmrig != nil && s.Xmrig.Stalled(s.Rigs[rig]) {
		return b
	}
	s.Events++
	d := s.day()
	d.Shares++
	d.ByHost[s.Rigs[rig]]++
	b = s.stamp(b, "")
	return fmt.Appendf(b, " StratumServer SHARE FOUND: mainchain height %d, sidechain height %d, diff %d, client 192.168.1.%d:%d, user %s, effort %.3f%%\n",
		s.mainHeight, s.sideHeight, 120_000_000+s.rng.IntN(20_000_000), 20+rig, 40000+rig, s.Rigs[rig], s.rng.Float64()*300)
}

// Block appends a block found by the sidechain, and usually our payout in it.
func (s *Sim) Block(b []byte) []byte {
	s.Events++
	s.day().Blocks++
	s.mainHeight++
	b = s.stamp(b, "")
	by := "someone else in this p2pool"
	if s.rng.IntN(10) == 0 {
		by = "you"
	}
	b = fmt.Appendf(b, " P2Pool BLOCK FOUND: main chain block at height %d was mined by %s\n", s.mainHeight, by)
	s.node.found(s.mainHeight, 0)
	if s.rng.IntN(10) < 8 {
		pico := int64(200_000_000 + s.rng.IntN(1_500_000_000))
		s.Events++
		d := s.day()
		d.Payments++
		d.Piconero += pico
		s.node.found(s.mainHeight, pico)
		b = s.stamp(b, "NOTICE  ")
		b = fmt.Appendf(b, " P2Pool Your wallet 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge got a payout of %d.%012d XMR in block %d\n",
			pico/1e12, pico%1e12, s.mainHeight)
	}
	return b
}

func (s *Sim) event(b []byte) []byte {
	if s.rng.IntN(12) == 0 {
		return s.Block(b)
	}
	return s.Share(b)
}

// Status appends the answer to P2Pool's `status` and `workers` commands.
func (s *Sim) Status(b []byte) []byte {
	b = s.stamp(b, "")
	b = append(b, " StratumServer IP:port                 TLS    uptime       difficulty     hashrate       name\n"...)
	total := 0.0
	for i, r := range s.Rigs {
		hr := 3000 + s.rng.Float64()*7000
		if s.Xmrig != nil {
			hr, _ = s.Xmrig.Rate(r)
		}
		total += hr
		b = s.stamp(b, "")
		b = fmt.Appendf(b, " StratumServer 192.168.1.%d:%d         no     9h 29m 58s   131880         %.3f KH/s     %s\n", 20+i, 40000+i, hr/1000, r)
	}
	b = s.stamp(b, "")
	b = fmt.Appendf(b, " StratumServer status\nHashrate (15m est)   = %.3f KH/s\nHashrate (1h  est)   = %.3f KH/s\nHashrate (24h est)   = %.3f KH/s\nAverage effort       = %.3f%%\nCurrent effort       = %.3f%%\nConnections          = %d (0 incoming)\n",
		total/1000, total/1000, total/1000, 80+s.rng.Float64()*40, s.rng.Float64()*150, len(s.Rigs))
	b = s.stamp(b, "")
	b = append(b, " P2Pool status\n"...)
	b = fmt.Appendf(b, "Main chain height         = %d\nMain chain hashrate       = %.3f GH/s\nSide chain ID             = mini\nSide chain height         = %d\nSide chain hashrate       = %.3f MH/s\nYour hashrate (pool-side) = %.3f KH/s\n",
		s.mainHeight, 4.5+s.rng.Float64(), s.sideHeight, 11+s.rng.Float64()*3, total/1000)
	return b
}

var peers = []string{"203.0.113.7", "198.51.100.23", "192.0.2.44", "203.0.113.91", "198.51.100.5"}

func (s *Sim) noise(b []byte) []byte {
	switch s.rng.IntN(6) {
	case 0, 1:
		s.sideHeight++
		b = s.stamp(b, "")
		return fmt.Appendf(b, " SideChain new chain tip: next height = %d, main chain height = %d, difficulty = %d\n", s.sideHeight, s.mainHeight, 120_000_000+s.rng.IntN(20_000_000))
	case 2:
		b = s.stamp(b, "")
		return fmt.Appendf(b, " P2PServer peer %s:37888 is ahead on mainchain (height %d, your height %d). Is your monerod stuck or lagging?\n", peers[s.rng.IntN(len(peers))], s.mainHeight+1, s.mainHeight)
	case 3:
		if s.rng.IntN(50) == 0 {
			s.mainHeight++
		}
		b = s.stamp(b, "")
		return fmt.Appendf(b, " ZMQReader new main chain block: height = %d, id = %08x, timestamp = %d\n", s.mainHeight, s.rng.Uint32(), s.now.Unix())
	case 4:
		b = s.stamp(b, "")
		return fmt.Appendf(b, " P2PServer sending BLOCK_BROADCAST (height %d, id %016x) to %d peers\n", s.sideHeight, s.rng.Uint64(), 8+s.rng.IntN(20))
	default:
		b = s.stamp(b, "")
		return fmt.Appendf(b, " BlockTemplate update: %d transactions, fee %d piconero, reward %d\n", s.rng.IntN(80), s.rng.IntN(90_000_000), 600_000_000_000+s.rng.IntN(10_000_000_000))
	}
}
