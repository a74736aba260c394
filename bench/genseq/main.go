// Command genseq writes an RFC 7464 stream like the archived ones db4e imports: a third with a
// text prefix before the JSON, a third with 0x1E, a third bare; each record with its own time
// and a cmd or type.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

func main() {
	size := flag.Int64("size", 1<<30, "bytes to write")
	out := flag.String("o", "stream.seq", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(7, 7))
	t := time.Date(2018, 7, 4, 0, 0, 0, 0, time.UTC)
	var written, n int64
	var b []byte
	for written < *size {
		t = t.Add(time.Duration(rng.IntN(2000)) * time.Millisecond)
		b = b[:0]
		switch n % 3 {
		case 0:
			b = t.In(time.FixedZone("", -7*3600)).AppendFormat(b, "20060102T150405-0700\tmainstream\t")
		case 1:
			b = append(b, 0x1e)
		}
		if n%4 == 0 {
			b = fmt.Appendf(b, `{"created_at_ms":"%d","id":"%016x%016x","ip":"10.1.%d.%d","cmd":"time","nodename":"overlord"}`+"\n",
				t.UnixMilli(), rng.Uint64(), rng.Uint64(), rng.IntN(255), rng.IntN(255))
		} else {
			b = fmt.Appendf(b, `{"ts":%d.%03d,"type":"hashrate","miner":"dmg-%03d","ths":%.2f,"temp_c":%d}`+"\n",
				t.Unix(), t.Nanosecond()/1e6, rng.IntN(400), 10+rng.Float64()*5, 50+rng.IntN(30))
		}
		w.Write(b)
		written += int64(len(b))
		n++
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Fprintf(os.Stderr, "%s: %d bytes, %d records\n", *out, written, n)
}
