// Command genseq writes an RFC 7464 stream like the archived ones db4e imports (see
// farmsim.Seq): a third of the records with a text prefix, a third with 0x1E, a third bare.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/db4e/db4e/internal/farmsim"
)

func main() {
	size := flag.Int64("size", 1<<30, "bytes to write")
	records := flag.Int("records", 0, "records to write (instead of -size)")
	out := flag.String("o", "stream.seq", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	seq := farmsim.NewSeq()
	var written int64
	var b []byte
	for (*records > 0 && seq.Records < *records) || (*records <= 0 && written < *size) {
		b = seq.Next(b[:0])
		w.Write(b)
		written += int64(len(b))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Fprintf(os.Stderr, "%s: %d bytes, %d records\n", *out, written, seq.Records)
}
