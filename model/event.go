// Package model holds the facts db4e keeps and shows, shared by every layer: events, their
// kinds, and money. It depends on nothing of db4e's.
package model

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Event kinds db4e itself produces. Imported JSON records keep their own type or cmd as kind.
const (
	KindShare   = "share"
	KindBlock   = "block"
	KindPayment = "payment"
	KindAction  = "action"
	KindMiner   = "miner"
	KindAlert   = "alert"
	// KindPayout is what db4e found when it checked a payment against the chain or the wallet
	// (payout.go): the payment event stays P2Pool's claim, these say what became of it.
	KindPayout = "payout"
)

// Event is one fact in the append-only log. Only the fields of its kind are set.
// Money is integer piconero, carried as a decimal string so that no float ever touches it.
type Event struct {
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	// ID is a hash of the source record: the same line or record read twice gets the same ID,
	// and with the time it forms the key, so it is stored once.
	ID string `json:"id"`

	// share
	Host       string  `json:"host,omitempty"`
	ClientIP   string  `json:"ip,omitempty"`
	MainHeight uint64  `json:"main_height,omitempty"`
	SideHeight uint64  `json:"side_height,omitempty"`
	Difficulty uint64  `json:"diff,omitempty"`
	Effort     float64 `json:"effort,omitempty"`

	// block ("you", "pool", "other") and payment
	Height   uint64   `json:"height,omitempty"`
	MinedBy  string   `json:"mined_by,omitempty"`
	Piconero Piconero `json:"piconero,omitzero"`

	// action
	Who        string `json:"who,omitempty"`
	Target     string `json:"target,omitempty"`
	Command    string `json:"command,omitempty"`
	Result     string `json:"result,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`

	// payout (with Height, State, Piconero and Result): the id of the main-chain block at
	// Height when it was checked, hex.
	BlockID string `json:"block_id,omitempty"`

	// alert (with Target, State and Result)
	Rule string `json:"rule,omitempty"`

	// miner
	MAC   string `json:"mac,omitempty"`
	State string `json:"state,omitempty"`

	// Fields holds an imported record's own fields, untouched, for kinds db4e does not model.
	Fields json.RawMessage `json:"fields,omitempty"`
}

// HashID returns the event ID for a source record.
func HashID(record []byte) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], xxhash.Sum64(record))
	return hex.EncodeToString(b[:])
}

// Piconero is an amount of XMR in its smallest unit (1 XMR = 10^12). Any size.
type Piconero struct{ v *big.Int }

var picoPerXMR = big.NewInt(1_000_000_000_000)

// ParseXMR reads a decimal XMR amount ("0.000531220018", "12", "3.5") exactly.
func ParseXMR(s string) (Piconero, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 12 || !allDigits(whole) || !allDigits(frac) {
		return Piconero{}, fmt.Errorf("bad XMR amount %q", truncate(s, 40))
	}
	digits := whole + frac + strings.Repeat("0", 12-len(frac))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Piconero{}, fmt.Errorf("bad XMR amount %q", truncate(s, 40))
	}
	return Piconero{v}, nil
}

// PiconeroFromUint is an amount as an RPC gives it (monerod's and the wallet's uint64).
func PiconeroFromUint(n uint64) Piconero { return Piconero{new(big.Int).SetUint64(n)} }

// PiconeroFromInt is for tests and generators.
func PiconeroFromInt(n int64) Piconero { return Piconero{big.NewInt(n)} }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsZero reports a zero or unset amount.
func (p Piconero) IsZero() bool { return p.v == nil || p.v.Sign() == 0 }

// Add returns p+q.
func (p Piconero) Add(q Piconero) Piconero {
	r := new(big.Int)
	if p.v != nil {
		r.Set(p.v)
	}
	if q.v != nil {
		r.Add(r, q.v)
	}
	return Piconero{r}
}

// Sub returns p-q; it may be negative, for a difference only (a view's old share taken out).
func (p Piconero) Sub(q Piconero) Piconero { return Piconero{new(big.Int).Sub(p.int(), q.int())} }

// Cmp compares like big.Int.Cmp.
func (p Piconero) Cmp(q Piconero) int { return p.int().Cmp(q.int()) }

func (p Piconero) int() *big.Int {
	if p.v == nil {
		return new(big.Int)
	}
	return p.v
}

// String is the integer piconero count.
func (p Piconero) String() string { return p.int().String() }

// XMR prints the amount in XMR with all 12 decimals: "1.204000000001".
func (p Piconero) XMR() string {
	s := p.int().String()
	if len(s) <= 12 {
		s = strings.Repeat("0", 13-len(s)) + s
	}
	return s[:len(s)-12] + "." + s[len(s)-12:]
}

// RoundXMR prints the amount in XMR rounded to decimals (0 to 12) half to even, as Python's
// round(Decimal, n) does: RoundXMR(4) of 0.00012500 is "0.0001", of 0.00013500 "0.0002".
func (p Piconero) RoundXMR(decimals int) string {
	decimals = min(max(decimals, 0), 12)
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(12-decimals)), nil)
	q, r := new(big.Int).QuoRem(p.int(), unit, new(big.Int))
	switch c := new(big.Int).Lsh(r, 1).Cmp(unit); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	if decimals == 0 {
		return s
	}
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals+1-len(s)) + s
	}
	return s[:len(s)-decimals] + "." + s[len(s)-decimals:]
}

// Float is for charts only, never for sums.
func (p Piconero) Float() float64 {
	f, _ := new(big.Rat).SetFrac(p.int(), picoPerXMR).Float64()
	return f
}

func (p Piconero) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

func (p *Piconero) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() < 0 {
		return fmt.Errorf("bad piconero amount %q", truncate(s, 40))
	}
	p.v = v
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// SanitizeName makes an untrusted name (worker, DHCP host) safe to show and to use in a key:
// printable, no separators that could confuse a key or a terminal, bounded length.
func SanitizeName(s string, max int) string {
	if len(s) <= max && isCleanName(s) {
		// Most names, in one copy (an import sanitizes every share's worker); a copy all the
		// same, for s is often a piece of a whole line that the name would keep alive.
		return strings.Clone(s)
	}
	s = strings.ToValidUTF8(s, "?")
	var b strings.Builder
	b.Grow(min(len(s), max+utf8.UTFMax))
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteByte('?')
		case r == '/' || r == '\\' || r == '[' || r == ']':
			b.WriteByte('_') // '[' ']' would be read as tview colour tags
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isCleanName reports a name SanitizeName leaves as it is: printable ASCII but / \ [ ].
func isCleanName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '[' || c == ']' {
			return false
		}
	}
	return true
}

// SanitizeText makes untrusted free text (an error, a command, a detail) safe to show and
// store, and keeps it as it is otherwise: only invalid UTF-8 and control characters are
// replaced, logins in URLs removed (Redact), and it is bounded to max bytes. Paths and URLs keep their '/'; the console escapes
// '[' itself.
func SanitizeText(s string, max int) string {
	s = Redact(strings.ToValidUTF8(s, "?"))
	var b strings.Builder
	for _, r := range s {
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\t' || r == '\n':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Sample is one point of a time series (hashrate in H/s, a height, a 0/1 state).
type Sample struct {
	Series string    `json:"series"`
	Time   time.Time `json:"time"`
	Value  float64   `json:"value"`
}

// MaxHostLen bounds a worker or host name; P2Pool itself cuts user names at 31 characters.
const MaxHostLen = 64

// HostOfAddr returns the IP of "1.2.3.4:5", "[2001:db8::1]:5" or a bare IP.
func HostOfAddr(addr string) string {
	if strings.HasPrefix(addr, "[") {
		end := strings.IndexByte(addr, ']')
		if end < 0 {
			return ""
		}
		return SanitizeName(addr[1:end], MaxHostLen)
	}
	if strings.Count(addr, ":") == 1 {
		addr = addr[:strings.IndexByte(addr, ':')]
	}
	if addr == "" {
		return ""
	}
	return SanitizeName(addr, MaxHostLen)
}

// AlertOf reads an alert event's rule and target; db4e's first release recorded them in
// Who and Host.
func (e *Event) AlertOf() (rule, target string) {
	if e.Rule != "" {
		return e.Rule, e.Target
	}
	return e.Who, e.Host
}

// NewAction is the audit record of something done to the farm: by whom (restart.Operator),
// to what, which command, with which result, how long it took.
func NewAction(at time.Time, who, target, command, result string, took time.Duration) Event {
	return Event{Time: at, Kind: KindAction, Who: who, Target: target, Command: command, Result: result,
		DurationMS: took.Milliseconds(), ID: HashID(fmt.Appendf(nil, "%d|%s|%s|%s", at.UnixNano(), target, who, command))}
}
