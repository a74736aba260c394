package store

import (
	"testing"
	"time"
)

// TestDayCutterNamesTheDayTimeDoes: the cached day agrees with formatting each time in the
// zone, across DST changes (America/Santiago moves its clocks at midnight).
func TestDayCutterNamesTheDayTimeDoes(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		c := dayCutter{loc: loc}
		for at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2025; at = at.Add(7 * time.Minute) {
			if got, want := c.date(at), at.In(loc).Format(time.DateOnly); got != want {
				t.Fatalf("%s %v: %s, want %s", zone, at, got, want)
			}
		}
	}
}
