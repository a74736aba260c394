package api

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/db4e/db4e/model"
)

// partialImport stores part of what it is sent, then fails, as an import does on a full disk or
// when it is stopped.
type partialImport struct{ Console }

func (partialImport) Import(_ context.Context, _, _ string, r io.Reader) (ImportResult, error) {
	io.Copy(io.Discard, r)
	return ImportResult{Files: 1, Bytes: 4096, Records: 56000, Added: 56000}, errors.Join(model.ErrDiskFull, errors.New("stopped at 56000"))
}

func (partialImport) Mode() string { return ModeEmbedded }

// An import through the service that fails midway says what it stored before it failed: the
// caller's summary counts it, not "0 new" (issue 31).
func TestImportThroughTheServiceCountsWhatItStored(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, ln, partialImport{}, "")
	r, err := Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Import(ctx, FormatP2Pool, "p2pool.log", strings.NewReader(strings.Repeat("x", 4096)))
	if err == nil || !strings.Contains(err.Error(), "stopped at 56000") {
		t.Fatalf("error %v", err)
	}
	if res.Added != 56000 || res.Files != 1 || res.Bytes != 4096 {
		t.Errorf("the caller was told %+v", res)
	}
}
