package ingest

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// Lines as P2Pool writes them: two contents of one file a second apart start with the same date
// and hour.
const (
	contentA = "2025-05-02 22:10:16.5005 StratumServer SHARE FOUND: mainchain height 3350001, sidechain height 10400001, diff 130000000, client 192.168.1.20:40000, user rig-01, effort 12.000%\n"
	contentB = "2025-05-02 22:10:17.1234 StratumServer SHARE FOUND: mainchain height 3350002, sidechain height 10400002, diff 130000000, client 192.168.1.21:40001, user rig-02, effort 13.000%\n" +
		"2025-05-02 22:10:18.1234 StratumServer SHARE FOUND: mainchain height 3350003, sidechain height 10400003, diff 130000000, client 192.168.1.22:40002, user rig-03, effort 14.000%\n"
)

func newTestFollower(t *testing.T, path string) *Follower {
	f := &Follower{Path: path, Name: "p2pool", Store: openStore(t), Cfg: DefaultConfig(), Log: slog.New(slog.DiscardHandler)}
	f.set = logSet{path: f.Path, loc: f.Cfg.Location()}
	return f
}

// The race copytruncate opens between looking at the file and reading it: the file emptied and
// rewritten (longer) after the follower saw its start. The read must take none of the new
// content at the old content's offset; what it held is read from the copy instead.
func TestReadRefusesARewrittenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p2pool.log")
	os.WriteFile(path, []byte(contentA), 0o644)
	f := newTestFollower(t, path)
	if !f.pickNext() {
		t.Fatal("no file to follow")
	}
	if err := f.readCur(false); err != nil || f.offset() != int64(len(contentA)) || len(f.batch.Events) != 1 {
		t.Fatalf("first read: offset %d, %d events, %v", f.offset(), len(f.batch.Events), err)
	}
	os.WriteFile(path, []byte(contentB), 0o644) // truncated and rewritten in place, same inode
	if err := f.readCur(false); err != nil || f.offset() != int64(len(contentA)) || len(f.batch.Events) != 1 {
		t.Fatalf("a read of the rewritten file took its lines: offset %d, %d events, %v", f.offset(), len(f.batch.Events), err)
	}
	if f.curState() != stateTruncated {
		t.Error("the rewrite is not seen as a truncation")
	}
}

// A live file listed with one content and holding another when opened (truncated and rewritten
// between the two) is not opened: the listing's content is in the copy by then.
func TestOpenRefusesAFileRewrittenSinceListed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p2pool.log")
	os.WriteFile(path, []byte(contentA), 0o644)
	f := newTestFollower(t, path)
	files, err := f.set.files()
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	os.WriteFile(path, []byte(contentB), 0o644)
	if f.open(files[0], 0) {
		t.Error("opened a file whose content changed since it was listed")
	}
}

// Two starts that share only a partial first line are not taken as one content.
func TestSameStartNeedsAWholeLine(t *testing.T) {
	a := &logFile{head: []byte(contentA[:16])} // "2025-05-02 22:10": what a live file just rewritten may hold
	b := &logFile{head: []byte(contentB)}
	if sameStart(a, b) {
		t.Error("a partial first line made two contents one")
	}
	if !sameStart(&logFile{head: []byte(contentB[:200])}, b) {
		t.Error("a copy with its first whole line is not the same content")
	}
}
