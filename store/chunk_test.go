package store

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Every time and every float64 comes back bit for bit, whatever the values and the pace.
func TestChunksGiveEverySampleBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixNano()
	values := map[string]func(i int) float64{
		"xmrig hashrate, two decimals": func(int) float64 { return math.Floor((5000+300*rng.NormFloat64())*100) / 100 },
		"counter":                      func(i int) float64 { return float64(i * 3) },
		"difficulty":                   func(int) float64 { return math.Round(3.5e11 * (1 + 0.01*rng.NormFloat64())) },
		"any float":                    func(int) float64 { return rng.NormFloat64() * 1e3 },
		"bits at random":               func(int) float64 { return math.Float64frombits(rng.Uint64()) },
		"decimals that change scale": func(i int) float64 {
			return []float64{0.1, 0.25, 1e-7, 7, 123.456789, -0.5, 1e300, 5e-324, math.MaxFloat64}[i%9]
		},
		"zeros of both signs": func(i int) float64 { return []float64{0, math.Copysign(0, -1)}[i%2] },
		"beyond exact integers": func(i int) float64 {
			return []float64{maxExact, maxExact + 2, -maxExact * 4, 1e17, 9.5e15}[i%5]
		},
		"scale then huge": func(i int) float64 { return []float64{0.000001, 9e15, 0.5, 9e9}[i%4] },
	}
	paces := map[string]func() int64{
		"a minute, ms jitter":  func() int64 { return int64(time.Minute) + rng.Int64N(5)*int64(time.Millisecond) },
		"five s, ns jitter":    func() int64 { return int64(5*time.Second) + rng.Int64N(int64(time.Millisecond)) },
		"whole seconds":        func() int64 { return (1 + rng.Int64N(90)) * int64(time.Second) },
		"irregular, up to 3h":  func() int64 { return 1 + rng.Int64N(int64(3*time.Hour)) },
		"a nanosecond at most": func() int64 { return 1 },
	}
	for vname, value := range values {
		for pname, pace := range paces {
			t.Run(vname+"/"+pname, func(t *testing.T) {
				var pts []point
				at := day + rng.Int64N(int64(time.Second))
				for i := range 700 {
					pts = append(pts, point{t: at, v: value(i)})
					at += pace()
				}
				var got []point
				for rest := pts; len(rest) > 0; {
					b, n := encodeChunk(nil, rest)
					if len(b) > maxChunk || n < 1 {
						t.Fatalf("a chunk of %d bytes holding %d samples", len(b), n)
					}
					var err error
					if got, err = decodeChunk(got, rest[0].t, b); err != nil {
						t.Fatal(err)
					}
					rest = rest[n:]
				}
				if len(got) != len(pts) {
					t.Fatalf("%d samples back of %d", len(got), len(pts))
				}
				for i := range pts {
					if got[i].t != pts[i].t || math.Float64bits(got[i].v) != math.Float64bits(pts[i].v) {
						t.Fatalf("sample %d: got %d %v (%x), wrote %d %v (%x)", i, got[i].t, got[i].v,
							math.Float64bits(got[i].v), pts[i].t, pts[i].v, math.Float64bits(pts[i].v))
					}
				}
			})
		}
	}
}

// What a poll a minute of xmrig's figures costs: the reason chunks exist.
func TestChunksOfAMinutePollAreSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixMilli()
	var pts []point
	for range 1440 {
		pts = append(pts, point{t: at * int64(time.Millisecond), v: math.Floor((8000+240*rng.NormFloat64())*100) / 100})
		at += 60_000 + rng.Int64N(5)
	}
	size, chunks := 0, 0
	for rest := pts; len(rest) > 0; chunks++ {
		b, n := encodeChunk(nil, rest)
		size += len(b)
		rest = rest[n:]
	}
	per := float64(size) / float64(len(pts))
	t.Logf("%.2f bytes a sample, %d chunks a day", per, chunks)
	if per > 5 {
		t.Errorf("%.1f bytes a sample in %d chunks; want under 5", per, chunks)
	}
}

func TestDamagedChunksAreErrors(t *testing.T) {
	good, _ := encodeChunk(nil, []point{{t: 1e9, v: 1.5}, {t: 2e9, v: 2.25}, {t: 3e9, v: 1e300}})
	for name, b := range map[string][]byte{
		"empty":           {},
		"unknown version": append([]byte{9}, good[1:]...),
		"unknown unit":    append([]byte{chunkV1, 9}, good[2:]...),
		"value cut short": good[:len(good)-3],
		"time goes back":  {chunkV1, 0, 0 << 3, 0, byte(zigzag(-1) << 3), 0},
		"first not first": {chunkV1, 0, byte(zigzag(1) << 3), 0},
	} {
		if _, err := decodeChunk(nil, 1e9, b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
