package memprobe

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
	"os/exec"

	"github.com/db4e/db4e/store"
)

func TestMem(t *testing.T) {
	dir := t.TempDir()
	exec.Command("cp", "-r", "/work/main/bench/out/store-5y/.", dir).Run()
	s, err := store.Open(dir, store.Config{Timezone: "UTC", SeriesRetentionDays: 400}, nil)
	if err != nil { t.Fatal(err) }
	defer s.Close()
	time.Sleep(3 * time.Second)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("heap inuse %d MB, sys %d MB, stack %d", m.HeapInuse>>20, m.Sys>>20, m.StackInuse>>20)
	f, _ := os.Create("/tmp/memprobe/heap.prof")
	pprof.WriteHeapProfile(f)
	f.Close()
	b, _ := os.ReadFile("/proc/self/status")
	t.Log(string(b[:0]))
	for _, l := range []string{"VmRSS", "RssAnon", "RssFile"} { _ = l }
}
