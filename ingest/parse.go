// Package ingest turns what the farm writes (P2Pool's log, RFC 7464 streams, data-api files,
// xmrig and monerod answers, dnsmasq leases) into store events and samples.
package ingest

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/db4e/db4e/model"
)

// Result is what one log line yields: nothing, an event, a sample, or a skip with its reason.
type Result struct {
	// Event is the event read. From Parser.Line it is the parser's own, valid until its next
	// line: a log's every event would otherwise be a heap object, copied into a batch at once.
	Event  *model.Event
	Sample *model.Sample
	// Reason is set when the line looked like an event but could not be read.
	Reason string
}

// Prefix is the start of a P2Pool log record: `[LEVEL   ]YYYY-MM-DD HH:MM:SS.ffff Category `.
type Prefix struct {
	Time     time.Time
	Category string
}

// Parser reads P2Pool log lines. Its only state is the prefix of the last record, which the
// continuation lines of a multi-line record (status) belong to.
type Parser struct {
	// Loc is the zone P2Pool wrote its timestamps in: UTC unless the build logs local time.
	Loc *time.Location
	// Source names where the lines come from, for skip records.
	Source string
	// Now is this machine's clock (nil: time.Now): a record dated more than a day after it is
	// not believed.
	Now func() time.Time

	last       Prefix
	haveLast   bool
	lastStatus bool
	event      model.Event // Result.Event of the last line
}

// NewParser returns a parser for timestamps written in loc (nil: UTC).
func NewParser(loc *time.Location, source string) *Parser {
	if loc == nil {
		loc = time.UTC
	}
	return &Parser{Loc: loc, Source: source}
}

// Line parses one line (without its newline).
func (p *Parser) Line(raw []byte) Result {
	line := cleanLine(raw)
	pre, msg, ok := ParsePrefix(line, p.Loc)
	if !ok {
		if looksLikeEvent(line) {
			return Result{Reason: "event without a readable timestamp"}
		}
		if p.haveLast && p.lastStatus {
			return p.checkTime(p.last.Time, statusLine(p.last.Time, line))
		}
		return Result{}
	}
	p.last, p.haveLast = pre, true
	p.lastStatus = isStatusHeader(msg)
	return p.checkTime(pre.Time, parseMessage(pre, msg, line, &p.event))
}

// checkTime turns what a record yields into a bad record when its time is outside Monero's
// life: before its chain began or more than a day after this machine's clock. Such a time is
// never stored under another date (the store's keys would wrap before 1970 and after 2262).
func (p *Parser) checkTime(t time.Time, r Result) Result {
	if r.Event == nil && r.Sample == nil {
		return r
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if why := model.TimeProblem(t, model.MoneroStart, now()); why != "" {
		return Result{Reason: why}
	}
	return r
}

// SetContext tells the parser which record precedes the next line, for readers that jump
// into the middle of a log (the fast importer).
func (p *Parser) SetContext(pre Prefix, msg []byte) {
	p.last, p.haveLast, p.lastStatus = pre, true, isStatusHeader(msg)
}

// Clean strips what can differ between two copies of the same record: a trailing CR and the
// ANSI colour codes P2Pool writes to its console (journald, docker logs) but not its file.
func Clean(b []byte) []byte {
	b = bytes.TrimRight(b, "\r\n")
	if bytes.IndexByte(b, 0x1b) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '[' {
			j := i + 2
			for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == ';') {
				j++
			}
			if j < len(b) && b[j] >= 0x40 && b[j] <= 0x7e {
				i = j
				continue
			}
		}
		out = append(out, b[i])
	}
	return out
}

var levelTags = [][]byte{[]byte("NOTICE  "), []byte("WARNING "), []byte("ERROR   ")}

// cleanLine is a line as every reader compares it: colours stripped (Clean) and, for a backfill
// from journald, journalctl's prefix removed.
func cleanLine(raw []byte) []byte { return stripJournal(Clean(raw)) }

// ParsePrefix reads the level tag (optional), timestamp and category of a record's first line
// and returns the message after them.
func ParsePrefix(line []byte, loc *time.Location) (Prefix, []byte, bool) {
	for _, tag := range levelTags {
		if bytes.HasPrefix(line, tag) {
			line = line[len(tag):]
			break
		}
	}
	// YYYY-MM-DD HH:MM:SS.ffff
	if len(line) < 25 || line[4] != '-' || line[7] != '-' || line[10] != ' ' || line[13] != ':' ||
		line[16] != ':' || line[19] != '.' || line[24] != ' ' {
		return Prefix{}, nil, false
	}
	year, ok1 := digits(line[0:4])
	month, ok2 := digits(line[5:7])
	day, ok3 := digits(line[8:10])
	hour, ok4 := digits(line[11:13])
	minute, ok5 := digits(line[14:16])
	sec, ok6 := digits(line[17:19])
	frac, ok7 := digits(line[20:24])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || sec > 60 {
		return Prefix{}, nil, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, frac*100_000, loc)
	if t.Day() != day && sec != 60 { // 2099-02-30 is no day, not 2099-03-02 (a leap second may roll over)
		return Prefix{}, nil, false
	}
	rest := line[25:]
	cat := rest
	msg := []byte(nil)
	if bytes.HasPrefix(rest, []byte("P2Pool API ")) {
		cat, msg = rest[:10], rest[11:]
	} else if i := bytes.IndexByte(rest, ' '); i >= 0 {
		cat, msg = rest[:i], rest[i+1:]
	}
	return Prefix{Time: t, Category: category(cat)}, msg, true
}

// category is cat as a string, without a copy for the categories P2Pool writes: the importer
// reads a prefix twice for each line it looks at.
func category(cat []byte) string {
	switch string(cat) { // compiled to comparisons: no copy
	case "StratumServer":
		return "StratumServer"
	case "P2Pool":
		return "P2Pool"
	case "SideChain":
		return "SideChain"
	case "P2PServer":
		return "P2PServer"
	case "ZMQReader":
		return "ZMQReader"
	case "BlockTemplate":
		return "BlockTemplate"
	}
	return string(cat)
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

var (
	markShare    = []byte("SHARE FOUND")
	markBlock    = []byte("BLOCK FOUND")
	markPayout   = []byte("a payout of")
	markHashrate = []byte("H/s")
)

func looksLikeEvent(line []byte) bool {
	return bytes.Contains(line, markShare) || bytes.Contains(line, markBlock) || bytes.Contains(line, markPayout)
}

func isStatusHeader(msg []byte) bool {
	return bytes.Equal(bytes.TrimSpace(msg), []byte("status"))
}

// ParseMessage reads the message of a record whose prefix is known. line is the whole cleaned
// line, from which the event ID is computed.
func ParseMessage(pre Prefix, msg, line []byte) Result {
	return parseMessage(pre, msg, line, new(model.Event))
}

// parseMessage is ParseMessage reading an event into e. An event is recognised only in the form
// P2Pool writes it: from its category (docs/P2POOL-LOG.md), its message from the start, and the
// whole line. Text miners and peers control reaches the log inside other records (logins,
// worker names, peers' messages): an event's words anywhere else make a bad record, counted,
// never an event.
func parseMessage(pre Prefix, msg, line []byte, e *model.Event) Result {
	switch {
	case bytes.HasPrefix(msg, []byte("SHARE FOUND:")) && (pre.Category == "StratumServer" || pre.Category == "Miner"):
		return parseShare(pre, msg, line, e)
	case bytes.HasPrefix(msg, []byte("BLOCK FOUND:")) && (pre.Category == "P2Pool" || pre.Category == "SideChain"):
		return parseBlock(pre, msg, line, e)
	case (bytes.HasPrefix(msg, []byte("Your wallet ")) || bytes.HasPrefix(msg, []byte("You received "))) &&
		bytes.Contains(msg, markPayout) && (pre.Category == "P2Pool" || pre.Category == "SideChain"):
		return parsePayout(pre, msg, line, e)
	case pre.Category == "StratumServer" && bytes.Contains(msg, markHashrate):
		return workerLine(pre, msg)
	case bytes.HasPrefix(msg, []byte("AUX BLOCK FOUND:")) && pre.Category == "Miner":
		// v4.0+: the built-in miner found a block of a merge-mined chain, not of Monero's.
		return Result{}
	case bytes.Contains(msg, markShare) || bytes.Contains(msg, markBlock) || bytes.Contains(msg, markPayout):
		return Result{Reason: "an event's words in a " + pre.Category + " record, not in P2Pool's form of it"}
	}
	return Result{}
}

// Bounds of what Monero allows, beyond which a number in an event line is not believed.
const (
	// maxHeight is a main chain height Monero will not reach for centuries (3.3 million in 2025,
	// 262,800 a year).
	maxHeight = 100_000_000
	// maxPayoutPiconero is 36 XMR: more than any Monero block can pay. The emission's largest
	// reward is its first, (2^64-1) >> 19 piconero = 35.18 XMR at 2-minute blocks (what a
	// fresh regtest chain pays: db4e's tests check payouts on one); mainnet's reward has been
	// under 1 XMR, fees included, since P2Pool began (2021).
	maxPayoutPiconero = 36_000_000_000_000
)

// eventID hashes the record without its level tag, so that P2Pool's file and its console output
// (journald: no tag, colours stripped by Clean) give the same ID for the same record.
func eventID(line []byte) string {
	for _, tag := range levelTags {
		if bytes.HasPrefix(line, tag) {
			line = line[len(tag):]
			break
		}
	}
	return model.HashID(line)
}

// UnknownHost stands for the miner of a share whose line names none (P2Pool v1.0 to v1.2).
const UnknownHost = "(unknown)"

// parseShare reads every form P2Pool has written since v1.0 (docs/P2POOL-LOG.md has them with
// their versions and sources):
//
//	SHARE FOUND: mainchain height H, diff D, effort E%                                   v1.0-v1.2
//	SHARE FOUND: mainchain height H, diff D, client IP:PORT[ user U], effort E%          v1.3-v2.5
//	SHARE FOUND: mainchain height H, sidechain height S, diff D, client IP:PORT[ user U], effort E%  v2.6-v3.1
//	SHARE FOUND: mainchain height H, sidechain height S, diff D, client IP:PORT[, user U], effort E%  v3.2+
//	SHARE FOUND: mainchain height H, diff D, worker thread i/n                           v2.0-v2.5 (built-in miner)
//	SHARE FOUND: mainchain height H, sidechain height S, diff D, worker thread i/n       v2.6+
func parseShare(pre Prefix, msg, line []byte, e *model.Event) Result {
	s := string(msg[len("SHARE FOUND:"):])
	*e = model.Event{Time: pre.Time, Kind: model.KindShare, ID: eventID(line)}
	var err string
	if !strings.HasPrefix(s, " mainchain height ") {
		return Result{Reason: "share: not P2Pool's form (no mainchain height first)"}
	}
	if e.MainHeight, err = uintAfter(s, "mainchain height "); err != "" {
		return Result{Reason: "share: mainchain height " + err}
	}
	if e.MainHeight == 0 || e.MainHeight > maxHeight {
		return Result{Reason: "share: mainchain height out of range"}
	}
	// The built-in miner's lines are Miner's, a stratum client's StratumServer's.
	if thread := strings.Contains(s, ", worker thread "); thread != (pre.Category == "Miner") {
		return Result{Reason: "share: not P2Pool's form in a " + pre.Category + " record"}
	}
	if e.SideHeight, err = uintAfter(s, "sidechain height "); err != "" && err != errMissing {
		return Result{Reason: "share: sidechain height " + err}
	}
	if e.Difficulty, err = uintAfter(s, "diff "); err != "" {
		return Result{Reason: "share: diff " + err}
	}
	// Every form ends with the effort or, from the built-in miner, the worker thread: a line
	// without either was cut short, and a share that does not parse whole is not a share.
	// The last: the effort ends every form that has one, and a worker may be named "effort 2".
	effort := strings.LastIndex(s, "effort ")
	if effort < 0 && !strings.Contains(s, "worker thread ") {
		return Result{Reason: "share: cut short (no effort or worker thread)"}
	}
	if effort >= 0 {
		v := strings.TrimSuffix(strings.TrimSpace(s[effort+len("effort "):]), "%")
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || !(f >= 0 && f <= 1e9) { // NaN too
			return Result{Reason: "share: bad effort"}
		}
		e.Effort = f
		s = s[:effort]
	}
	var user string
	if i := strings.Index(s, "user "); i >= 0 {
		user = strings.TrimRight(strings.TrimSpace(s[i+len("user "):]), ",")
		s = s[:i]
	}
	if i := strings.Index(s, "client "); i >= 0 {
		addr := strings.TrimRight(strings.TrimSpace(s[i+len("client "):]), ",")
		e.ClientIP = model.HostOfAddr(addr)
		if e.ClientIP == "" {
			return Result{Reason: "share: bad client address"}
		}
	}
	switch {
	case user != "" && user != "x":
		e.Host = model.SanitizeName(user, model.MaxHostLen)
	case e.ClientIP != "":
		e.Host = e.ClientIP
	case strings.Contains(s, "worker thread"):
		e.Host = "p2pool-miner" // P2Pool's built-in miner
	default:
		// v1.0 to v1.2 name no client: the share is the farm's, its miner unknown.
		e.Host = UnknownHost
	}
	return Result{Event: e}
}

// errMissing is uintAfter's answer for a key s does not hold.
const errMissing = "missing"

// uintAfter reads the unsigned integer that follows key in s.
func uintAfter(s, key string) (uint64, string) {
	i := strings.Index(s, key)
	if i < 0 {
		return 0, errMissing
	}
	v := s[i+len(key):]
	var n uint64
	end := 0
	for ; end < len(v) && v[end] >= '0' && v[end] <= '9'; end++ {
		d := uint64(v[end] - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, "out of range"
		}
		n = n*10 + d
	}
	if end == 0 {
		return 0, "not a number"
	}
	return n, ""
}

// blockFinders are the ends of a BLOCK FOUND line, by version (v1.0-v3.3: this p2pool).
var blockFinders = []struct{ text, by string }{
	{" was mined by you", "you"}, {" was mined by someone else in this p2pool", "other"}, {" was mined by this p2pool", "pool"},
}

// parseBlock reads the whole line "BLOCK FOUND: main chain block at height H was mined by you"
// (or someone else in this p2pool, or this p2pool). Its banner is on the record's later lines.
func parseBlock(pre Prefix, msg, line []byte, e *model.Event) Result {
	s, ok := strings.CutPrefix(string(msg), "BLOCK FOUND: main chain block at height ")
	if !ok {
		return Result{Reason: "block: not P2Pool's form"}
	}
	digits, rest := leadingDigits(s)
	h, err := uintAfter(" "+digits, " ")
	switch {
	case err != "":
		return Result{Reason: "block: height " + err}
	case h == 0 || h > maxHeight:
		return Result{Reason: "block: height out of range"}
	}
	*e = model.Event{Time: pre.Time, Kind: model.KindBlock, ID: eventID(line), Height: h}
	for _, f := range blockFinders {
		if rest == f.text {
			e.MinedBy = f.by
			return Result{Event: e}
		}
	}
	return Result{Reason: "block: unknown finder or text after it"}
}

// leadingDigits splits s after its leading digits.
func leadingDigits(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// parsePayout reads the whole line "Your wallet ADDR got a payout of X.XXXXXXXXXXXX XMR in
// block H" (v2.7+; ADDR one base58 word) or "You received a payout of X.XXXXXXXXXXXX XMR in
// block H" (v1.7 to v2.6). P2Pool writes the amount with 12 decimals (log::XMRAmount).
func parsePayout(pre Prefix, msg, line []byte, e *model.Event) Result {
	s := string(msg)
	if rest, ok := strings.CutPrefix(s, "Your wallet "); ok {
		addr, after, _ := strings.Cut(rest, " ")
		if addr == "" || !isBase58(addr) {
			return Result{Reason: "payout: not a wallet address"}
		}
		if s, ok = strings.CutPrefix(after, "got a payout of "); !ok {
			return Result{Reason: "payout: not P2Pool's form"}
		}
	} else if s, ok = strings.CutPrefix(s, "You received a payout of "); !ok {
		return Result{Reason: "payout: not P2Pool's form"}
	}
	amount, after, ok := strings.Cut(s, " XMR in block ")
	if !ok {
		return Result{Reason: "payout: no amount or block"}
	}
	if whole, frac, ok := strings.Cut(amount, "."); !ok || len(frac) != 12 || whole == "" || len(whole) > 3 {
		return Result{Reason: "payout: not an amount as P2Pool writes it"}
	}
	pico, err := model.ParseXMR(amount)
	if err != nil {
		return Result{Reason: "payout: " + err.Error()}
	}
	if pico.Cmp(model.PiconeroFromInt(maxPayoutPiconero)) > 0 {
		return Result{Reason: "payout: more than any Monero block pays"}
	}
	digits, rest := leadingDigits(after)
	h, herr := uintAfter(" "+digits, " ")
	switch {
	case herr != "":
		return Result{Reason: "payout: block height " + herr}
	case rest != "":
		return Result{Reason: "payout: text after the block height"}
	case h == 0 || h > maxHeight:
		return Result{Reason: "payout: block height out of range"}
	}
	*e = model.Event{Time: pre.Time, Kind: model.KindPayment, ID: eventID(line), Piconero: pico, Height: h}
	return Result{Event: e}
}

// isBase58 says whether s is made of Monero's base58 alphabet (no 0, O, I, l).
func isBase58(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '1' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' || c >= 'a' && c <= 'z' && c != 'l') {
			return false
		}
	}
	return true
}

// statusLine reads a continuation line of `status`: "Side chain hashrate       = 12.291 MH/s".
func statusLine(t time.Time, line []byte) Result {
	label, value, ok := bytes.Cut(line, []byte("="))
	if !ok {
		return Result{}
	}
	if bytes.Contains(bytes.ToLower(label), []byte("effort")) {
		// "Average effort       = 102.345%" (StratumServer, v1.0+)
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(string(value)), "%"), 64)
		if name := seriesName(string(label)); err == nil && v >= 0 && v < 1e12 && name != "" {
			return Result{Sample: &model.Sample{Series: "status/" + name, Time: t, Value: v}}
		}
		return Result{}
	}
	if !bytes.Contains(value, markHashrate) {
		return Result{}
	}
	v, ok := parseHashrate(string(value))
	if !ok {
		return Result{}
	}
	name := seriesName(string(label))
	if name == "" {
		return Result{}
	}
	return Result{Sample: &model.Sample{Series: "status/" + name, Time: t, Value: v}}
}

// workerLine reads a row of `workers`, whose columns changed over P2Pool's versions:
//
//	IP:port  uptime  difficulty  hashrate  name                     v2.1-v4.0
//	IP:port  TLS  uptime  difficulty  hashrate  name                v4.1-v4.13
//	IP:port  TLS  uptime  difficulty  hashrate  shares  name        v4.14+ (shares "3/120")
//
// e.g. "192.168.1.21:50112  no  9h 29m 58s  131880  6.201 kH/s  3/120  rig-01". A row starts
// with the miner's address; any other StratumServer line with a hashrate in it ("Your hashrate
// is 5.1 kH/s. Please switch ...") is not a row.
func workerLine(pre Prefix, msg []byte) Result {
	s := string(msg)
	i := strings.Index(s, "H/s")
	if i < 0 {
		return Result{}
	}
	fields := strings.Fields(s[:i+3])
	if len(fields) < 4 || !isAddr(fields[0]) {
		return Result{}
	}
	v, ok := parseHashrate(strings.Join(fields[len(fields)-2:], " "))
	if !ok {
		return Result{}
	}
	name := strings.TrimSpace(s[i+3:])
	if first, rest, ok := strings.Cut(name, " "); ok && isShareCount(first) {
		name = strings.TrimSpace(rest)
	} else if isShareCount(name) {
		name = ""
	}
	if name == "" || name == "x" || name == "not logged in" {
		name = model.HostOfAddr(fields[0])
	}
	if name == "" {
		return Result{}
	}
	return Result{Sample: &model.Sample{Series: "worker/" + model.SanitizeName(name, model.MaxHostLen), Time: pre.Time, Value: v}}
}

// isAddr reads "1.2.3.4:5678" or "[2001:db8::1]:5678".
func isAddr(s string) bool {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || !isDigits([]byte(s[i+1:])) {
		return false
	}
	host := s[:i]
	if strings.HasPrefix(host, "[") {
		return strings.HasSuffix(host, "]") && len(host) > 2
	}
	return strings.Count(host, ".") == 3 || strings.Contains(host, ":")
}

// isShareCount reads the shares column of v4.14+: "sidechain/stratum", e.g. "3/120".
func isShareCount(s string) bool {
	a, b, ok := strings.Cut(s, "/")
	return ok && isDigits([]byte(a)) && isDigits([]byte(b))
}

// parseHashrate reads "6.201 KH/s", "788 H/s", "5.079 GH/s" into H/s.
func parseHashrate(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	num, unit, ok := strings.Cut(s, " ")
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f >= 0 && f < 1e12) { // not NaN, not Inf
		return 0, false
	}
	mult := 1.0
	switch strings.TrimSpace(unit) {
	case "H/s":
	case "KH/s", "kH/s":
		mult = 1e3
	case "MH/s":
		mult = 1e6
	case "GH/s":
		mult = 1e9
	case "TH/s":
		mult = 1e12
	case "PH/s":
		mult = 1e15
	case "EH/s":
		mult = 1e18
	default:
		return 0, false
	}
	return f * mult, true
}

// seriesName turns a status label into a series name: "Your hashrate (pool-side)" ->
// "your_hashrate_pool_side".
func seriesName(label string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(label)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
		if b.Len() > 48 {
			break
		}
	}
	return strings.TrimRight(b.String(), "_")
}
