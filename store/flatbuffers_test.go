package store

import (
	"testing"

	fbs "github.com/google/flatbuffers/go"
)

// Badger asks flatbuffers for a 3 MB buffer for every table's index; db4e builds with a copy
// of flatbuffers that starts at 64 KB (third_party/flatbuffers/README.md). This fails if
// go.mod's replace is dropped or the copy updated without the patch.
func TestFlatbuffersStartSmall(t *testing.T) {
	b := fbs.NewBuilder(3 << 20)
	if n := cap(b.Bytes); n > 64<<10 {
		t.Fatalf("flatbuffers.NewBuilder(3 MB) allocated %d bytes: the build uses the published flatbuffers, not third_party/flatbuffers (see its README.md): each Badger table written then costs 3 MB", n)
	}
	// The buffer still grows to what is written.
	big := make([]byte, 1<<20)
	b.Finish(b.CreateByteVector(big))
	if got := len(b.FinishedBytes()); got < 1<<20 {
		t.Fatalf("a 1 MB vector came out as %d bytes", got)
	}
}
