package store

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
)

// Badger v4.9.6 asks flatbuffers for a 3 MB buffer for every table index it writes, whatever the
// table's size; db4e's copy of Badger starts it at 64 KB (third_party/badger/README.md). Building
// a small table then allocates well under 3 MB; this fails if the patch is lost (an update of
// the copy, or go.mod's replace dropped).
func TestTableIndexBufferStartsSmall(t *testing.T) {
	build := func() {
		b := table.NewTableBuilder(table.Options{BlockSize: 4 << 10, TableSize: 512 << 10, BloomFalsePositive: 0.01})
		defer b.Close()
		for i := range 200 {
			b.Add(y.KeyWithTs(fmt.Appendf(nil, "key-%05d", i), 1), y.ValueStruct{Value: []byte("value")}, 0)
		}
		if len(b.Finish()) == 0 {
			t.Fatal("an empty table")
		}
	}
	build() // warm up what is allocated once
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	build()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n >= 3<<20 {
		t.Fatalf("building a table of 200 keys allocated %d KB: the index buffer is Badger's 3 MB again, not db4e's 64 KB (third_party/badger/README.md)", n>>10)
	}
}
