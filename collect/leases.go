package collect

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// MaxLeaseName bounds a DHCP host name (RFC 1035 labels are at most 63 characters).
const MaxLeaseName = 63

// Lease is one line of dnsmasq's leases file.
type Lease struct {
	Expires time.Time // zero: never
	MAC     string
	IP      string
	Name    string // sanitized; empty when the client sent none ("*")
}

// ReadLeases reads dnsmasq's leases file: "expiry MAC IP hostname client-id" per line, and a
// "duid" line for DHCPv6. Host names come from the miners and are untrusted: they are bounded,
// made printable, and never used in a path or a command. Bad lines are counted, not fatal.
func ReadLeases(r io.Reader) ([]Lease, int, error) {
	var out []Lease
	bad := 0
	sc := bufio.NewScanner(io.LimitReader(r, 16<<20))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "duid" {
			continue
		}
		if len(f) < 4 {
			bad++
			continue
		}
		exp, err := strconv.ParseInt(f[0], 10, 64)
		mac, merr := net.ParseMAC(f[1])
		ip := net.ParseIP(f[2])
		if err != nil || exp < 0 || merr != nil || ip == nil {
			bad++
			continue
		}
		l := Lease{MAC: mac.String(), IP: ip.String()}
		if exp > 0 {
			l.Expires = time.Unix(exp, 0).UTC()
		}
		if f[3] != "*" {
			l.Name = model.SanitizeName(f[3], MaxLeaseName)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return out, bad, fmt.Errorf("read leases: %w", err)
	}
	return out, bad, nil
}

// Leases reads dnsmasq's leases file: the miners present on the farm's network.
type Leases struct {
	Path  string
	Every time.Duration
}

// Name is leases.
func (l *Leases) Name() string { return "leases" }

// Interval is the miners section's.
func (l *Leases) Interval() time.Duration { return l.Every }

// Collect reads the file once. Unreadable lines are counted in the error, with the leases
// that could be read: they still count as present.
func (l *Leases) Collect(ctx context.Context, now time.Time) (Result, error) {
	f, err := os.Open(l.Path)
	if err != nil {
		return Result{}, fmt.Errorf("read leases: %w", err)
	}
	defer f.Close()
	leases, bad, err := ReadLeases(f)
	if err != nil {
		return Result{}, err
	}
	current := []Lease{} // read and empty is not unread: every miner is gone
	for _, le := range leases {
		if le.Expires.IsZero() || !le.Expires.Before(now) {
			current = append(current, le)
		}
	}
	r := Result{Leases: current}
	if bad > 0 {
		return r, fmt.Errorf("leases file %s: %d unreadable line(s) skipped", l.Path, bad)
	}
	return r, nil
}
