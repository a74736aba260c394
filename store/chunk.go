package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A chunk is a run of one series' samples of one day in one value: ~3 bytes a sample where a
// key of its own costs ~35 on disk. Polls come at a steady pace and values move a little
// between them, so a sample is written as the change of its interval (time) and the change of
// its value from the one before, each a varint:
//
//	chunk  = version unit sample...
//	sample = uvarint(zigzag(Δinterval)<<3 | scale) value
//	value  = zigzag varint of m - base   (scale 0..6: the value is m / 10^scale, exactly)
//	       | 8 bytes, float64 bits, BE    (scale 7: a value no decimal scale gives back exactly)
//
// The first sample's time is in the chunk's key; times advance in the chunk's unit (a second,
// millisecond, microsecond or nanosecond: the coarsest every time in it is a multiple of). xmrig
// writes hashrates with two decimals and counters are integers, so most values are small
// decimal changes. base is the previous value at the same scale (scaled up if the previous
// scale was finer), 0 when there is none. Decoding gives back every time and every float64
// bit for bit (a test holds it to that).
const (
	chunkV1   = 0x01
	chunkMark = 'c' // after the first sample's time in the key: a chunk, not a single sample
	// maxChunk keeps a chunk under Badger's value threshold (1 KiB): values above it go to the
	// value log, which only a value-log GC ever shrinks.
	maxChunk = 1000
	rawScale = 7
	maxExact = 1 << 53 // integers up to here are exact in a float64
)

var (
	pow10 = [rawScale]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6}
	// units, coarsest first; their index is the unit's code in a chunk.
	units = [...]int64{1e9, 1e6, 1e3, 1}
)

// point is one sample of a series: unix nanoseconds and value; single marks one read from a
// key of its own (written after any chunk, so it wins over a chunk's sample at the same time).
type point struct {
	t      int64
	v      float64
	single bool
}

// chunkUnit is the code of the coarsest unit every time in pts is a multiple of.
func chunkUnit(pts []point) byte {
	for code := range units {
		ok := true
		for _, p := range pts {
			if p.t%units[code] != 0 {
				ok = false
				break
			}
		}
		if ok {
			return byte(code)
		}
	}
	return byte(len(units) - 1)
}

// encodeChunk encodes pts (in time order, no two at one time) from the first on, as many as
// fit in maxChunk bytes (at least one), and says how many it took.
func encodeChunk(dst []byte, pts []point) ([]byte, int) {
	code := chunkUnit(pts)
	unit := units[code]
	dst = append(dst, chunkV1, code)
	start := len(dst)
	var prevT, prevInterval, prevM int64
	prevT, prevScale := pts[0].t, -1
	var buf [2*binary.MaxVarintLen64 + 8]byte
	n := 0
	for _, p := range pts {
		interval := (p.t - prevT) / unit
		scale, m := decimal(p.v, prevM, prevScale)
		b := binary.AppendUvarint(buf[:0], zigzag(interval-prevInterval)<<3|uint64(scale))
		if scale == rawScale {
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(p.v))
			prevScale = -1
		} else {
			b = binary.AppendVarint(b, m-base(prevM, prevScale, scale))
			prevM, prevScale = m, scale
		}
		if n > 0 && len(dst)-start+len(b) > maxChunk-2 {
			break
		}
		dst = append(dst, b...)
		prevT, prevInterval = p.t, interval
		n++
	}
	return dst, n
}

// decodeChunk appends the samples of the chunk whose first sample is at first (unix ns).
func decodeChunk(pts []point, first int64, b []byte) ([]point, error) {
	if len(b) < 2 || b[0] != chunkV1 {
		return pts, errors.New("not a chunk of samples (version)")
	}
	if int(b[1]) >= len(units) {
		return pts, fmt.Errorf("chunk: unit %d unknown", b[1])
	}
	unit := units[b[1]]
	b = b[2:]
	t, interval, prevM, prevScale := first, int64(0), int64(0), -1
	for i := 0; len(b) > 0; i++ {
		h, n := binary.Uvarint(b)
		if n <= 0 {
			return pts, fmt.Errorf("chunk: sample %d: header truncated", i)
		}
		b = b[n:]
		interval += unzigzag(h >> 3)
		if (i == 0) != (interval == 0) || interval < 0 {
			return pts, fmt.Errorf("chunk: sample %d: time does not advance", i)
		}
		t += interval * unit
		var v float64
		if scale := int(h & 7); scale == rawScale {
			if len(b) < 8 {
				return pts, fmt.Errorf("chunk: sample %d: value truncated", i)
			}
			v = math.Float64frombits(binary.BigEndian.Uint64(b))
			b, prevScale = b[8:], -1
		} else {
			d, n := binary.Varint(b)
			if n <= 0 {
				return pts, fmt.Errorf("chunk: sample %d: value truncated", i)
			}
			b = b[n:]
			m := base(prevM, prevScale, scale) + d
			v = float64(m) / pow10[scale]
			prevM, prevScale = m, scale
		}
		pts = append(pts, point{t: t, v: v})
	}
	return pts, nil
}

// decimal is how v is written after a value m at prevScale (-1: none): as m / 10^scale at the
// previous scale if that gives v back, else at the smallest scale that does, else raw.
func decimal(v float64, prevM int64, prevScale int) (scale int, m int64) {
	if prevScale >= 0 {
		if m, ok := scaled(v, prevScale); ok {
			return prevScale, m
		}
	}
	for scale := range rawScale {
		if m, ok := scaled(v, scale); ok {
			return scale, m
		}
	}
	return rawScale, 0
}

// scaled is v as an integer m with m / 10^scale == v bit for bit, if there is one.
func scaled(v float64, scale int) (int64, bool) {
	f := math.Round(v * pow10[scale])
	if !(math.Abs(f) <= maxExact) { // NaN fails too
		return 0, false
	}
	m := int64(f)
	return m, math.Float64bits(float64(m)/pow10[scale]) == math.Float64bits(v)
}

// base is what a value at scale is written relative to: the previous one brought to the same
// scale, or 0 when there is none, when its scale was finer (it has no integer at this one), or
// when scaling it would leave the range of exact integers. Encoder and decoder both call it.
func base(prevM int64, prevScale, scale int) int64 {
	if prevScale < 0 || scale < prevScale {
		return 0
	}
	m := prevM
	for range scale - prevScale {
		if m > maxExact/10 || m < -maxExact/10 {
			return 0
		}
		m *= 10
	}
	return m
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
