package ingest

import "bytes"

// stripJournal removes the prefix journalctl puts before each line of P2Pool's console output,
// so that a backfill from the journal yields the same records, and the same event IDs, as
// P2Pool's log file. The forms read (journalctl -o ...):
//
//	short:              "Mar 01 12:34:56 node p2pool[812]: "
//	short-precise:      "Mar 01 12:34:56.123456 node p2pool[812]: "
//	short-iso:          "2025-03-01T12:34:56+0000 node p2pool[812]: "   (or +00:00, Z)
//	short-iso-precise:  "2025-03-01T12:34:56.123456+00:00 node p2pool[812]: "
//	short-full:         "Sat 2025-03-01 12:34:56 UTC node p2pool[812]: "
//
// Every line of a multi-line record (status) carries it, since journald splits the output at
// newlines. A line in none of these forms is returned as it is.
func stripJournal(line []byte) []byte {
	if len(line) < 20 {
		return line
	}
	rest, ok := journalTime(line)
	if !ok {
		return line
	}
	// HOST IDENT[PID]: the host and the identifier hold no spaces.
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 || sp > 255 {
		return line
	}
	rest = rest[sp+1:]
	colon := bytes.Index(rest, []byte(": "))
	if colon <= 0 || colon > 255 || bytes.IndexByte(rest[:colon], ' ') >= 0 {
		return line
	}
	return rest[colon+2:]
}

// journalTime reads a journalctl time stamp and the space after it.
func journalTime(line []byte) ([]byte, bool) {
	switch {
	case isDigits(line[0:4]) && line[4] == '-' && line[10] == 'T':
		// short-iso: the date, 'T', the time, optional fraction, then a zone up to the space.
		if !isClock(line[11:19]) {
			return line, false
		}
		sp := bytes.IndexByte(line[19:], ' ')
		if sp < 0 || sp > 16 {
			return line, false
		}
		return line[19+sp+1:], true
	case isMonth(line[0:3]) && line[3] == ' ':
		// short: "Mar 01 12:34:56[.123456] "
		if !(line[4] == ' ' || isDigits(line[4:5])) || !isDigits(line[5:6]) || line[6] != ' ' || !isClock(line[7:15]) {
			return line, false
		}
		i := 15
		if line[i] == '.' {
			i++
			for i < len(line) && line[i] >= '0' && line[i] <= '9' {
				i++
			}
		}
		if i >= len(line) || line[i] != ' ' {
			return line, false
		}
		return line[i+1:], true
	case isWeekday(line[0:3]) && line[3] == ' ' && len(line) > 24 && isDigits(line[4:8]) && line[8] == '-':
		// short-full: "Sat 2025-03-01 12:34:56 UTC "
		if line[14] != ' ' || !isClock(line[15:23]) || line[23] != ' ' {
			return line, false
		}
		sp := bytes.IndexByte(line[24:], ' ')
		if sp <= 0 || sp > 32 {
			return line, false
		}
		return line[24+sp+1:], true
	}
	return line, false
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// isClock reads "HH:MM:SS".
func isClock(b []byte) bool {
	return len(b) == 8 && isDigits(b[0:2]) && b[2] == ':' && isDigits(b[3:5]) && b[5] == ':' && isDigits(b[6:8])
}

var (
	months   = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
)

func isMonth(b []byte) bool   { return inList(b, months) }
func isWeekday(b []byte) bool { return inList(b, weekdays) }

func inList(b []byte, list []string) bool {
	if len(b) == 0 || b[0] < 'A' || b[0] > 'Z' {
		return false // every name in them is capitalised; most lines start with a digit
	}
	for _, m := range list {
		if string(b) == m {
			return true
		}
	}
	return false
}
