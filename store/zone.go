package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// The store's meta key says which zone cut its views: the zone's name and a fingerprint of the
// days it cuts. Names alone were compared before: "UTC" and "Etc/UTC" (one zone) cost a
// rebuild, and "Local" (the system's zone, whatever it is) matched itself after the machine was
// moved to another zone, which left every view cut in the old one.

// zoneID is what the meta key holds for loc: "name fingerprint".
func zoneID(loc *time.Location) string {
	return loc.String() + " " + zoneFingerprint(loc)
}

// zoneFingerprint hashes the instants of loc's local midnights over the years P2Pool can have
// logged (2014-2045): zones that cut the same days have the same, others almost surely not.
// About 11k time.Date calls: a millisecond or two at each open.
func zoneFingerprint(loc *time.Location) string {
	h := fnv.New64a()
	var b [8]byte
	for day := 0; ; day++ {
		midnight := time.Date(2014, 1, 1+day, 0, 0, 0, 0, loc)
		if midnight.Year() > 2045 {
			break
		}
		binary.BigEndian.PutUint64(b[:], uint64(midnight.Unix()))
		h.Write(b[:])
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// splitZoneID reads what the meta key holds: a zoneID, or a bare name from a store of an
// earlier db4e (no fingerprint: ok false).
func splitZoneID(stored string) (name, fingerprint string, ok bool) {
	return strings.Cut(stored, " ")
}

// sameDays tells whether views cut in the zone stored (a zoneID, or a bare name from a store of
// an earlier db4e) are the days loc cuts.
func sameDays(stored string, loc *time.Location) bool {
	name, fp, ok := splitZoneID(stored)
	if ok {
		return fp == zoneFingerprint(loc)
	}
	if name == loc.String() {
		return true // an earlier db4e's bare name: what it compared, and all there is to know of "Local"
	}
	if name == "Local" {
		return false
	}
	was, err := time.LoadLocation(name)
	return err == nil && zoneFingerprint(was) == zoneFingerprint(loc)
}
