// Command farm runs a simulated farm for the service benchmarks: each rig's xmrig HTTP API on
// 127.0.0.1, and P2Pool's log and data-api written live (farmsim.Live). It prints the xmrig APIs' base URL (a rig's is <base>/<rig>) and runs until killed.
//
//	go run ./bench/farm -rigs 50 -dir /tmp/farm
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/db4e/db4e/internal/farmsim"
)

func main() {
	dir := flag.String("dir", "", "where the log and the data-api go")
	rigs := flag.Int("rigs", 50, "rigs")
	gap := flag.Duration("gap", 2*time.Second, "mean time between log lines")
	flag.Parse()
	if err := run(*dir, *rigs, *gap); err != nil {
		fmt.Fprintln(os.Stderr, "farm:", err)
		os.Exit(1)
	}
}

func run(dir string, rigs int, gap time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim := farmsim.New(uint64(time.Now().UnixNano()), rigs, time.Now())
	sim.Xmrig = sim.NewRigs(dir, time.Now())
	sim.DataAPI = filepath.Join(dir, "data-api")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Xmrig, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	if err := sim.WriteDataAPI(sim.DataAPI, time.Now()); err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	if err := sim.Live(ctx, filepath.Join(dir, "p2pool.log"), gap); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
