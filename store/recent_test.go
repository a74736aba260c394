package store

import (
	"fmt"
	"testing"
	"time"
)

func TestRecentIsNewestFirst(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for batch := range 3 {
		var b Batch
		for i := range 100 {
			ts := base.Add(time.Duration(batch*100+i) * time.Hour).Format(time.RFC3339)
			b.Events = append(b.Events, share(ts, fmt.Sprint("h", i%3)))
		}
		if _, err := s.Apply(&b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Recent(5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || !got[0].Time.Equal(base.Add(299*time.Hour)) || !got[4].Time.Equal(base.Add(295*time.Hour)) {
		for _, e := range got {
			t.Log(e.Time)
		}
		t.Fatal("not the newest first")
	}
}
