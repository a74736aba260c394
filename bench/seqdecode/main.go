// Command seqdecode is the reference for bench/jsonseq.sh: it reads an RFC 7464 stream one
// record a line, as db4e does, and only decodes the fields db4e reads of each (time, kind, id),
// storing nothing. It prints the records it read.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seqdecode FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var n, bad int
	for sc.Scan() {
		line := sc.Bytes()
		i := bytes.IndexByte(line, '{')
		if i < 0 {
			continue
		}
		var head struct {
			Time        json.RawMessage `json:"time"`
			CreatedAtMS json.RawMessage `json:"created_at_ms"`
			TS          json.RawMessage `json:"ts"`
			Kind        *string         `json:"kind"`
			ID          json.RawMessage `json:"id"`
			Type        json.RawMessage `json:"type"`
			Cmd         json.RawMessage `json:"cmd"`
		}
		if json.Unmarshal(line[i:], &head) != nil {
			bad++
			continue
		}
		n++
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(n, "records,", bad, "bad")
}
