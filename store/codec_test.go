package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// codecEvents has every field of model.Event set in at least one event.
func codecEvents() []model.Event {
	at := func(s int) time.Time { return time.Date(2025, 3, 1, 10, 0, s, 123456789, time.UTC) }
	return []model.Event{
		{Time: at(1), Kind: model.KindShare, ID: "00000000000000a1", Host: "rig-01", ClientIP: "192.168.1.37",
			MainHeight: 3350000, SideHeight: 10400000, Difficulty: 136767381, Effort: 276.027},
		{Time: at(2), Kind: model.KindBlock, ID: "00000000000000a2", Height: 3350001, MinedBy: "you"},
		{Time: at(3), Kind: model.KindPayment, ID: "00000000000000a3", Height: 3350002, Piconero: model.PiconeroFromInt(1_204_000_000_001)},
		{Time: at(4), Kind: model.KindAction, ID: "00000000000000a4", Who: "operator", Target: "p2pool",
			Command: "systemctl restart p2pool", Result: "exit 1: failed", DurationMS: 1234},
		{Time: at(5), Kind: model.KindAlert, ID: "00000000000000a5", Rule: "rig_slow", Target: "rig-03", State: "firing", Result: "12 kH/s of 24"},
		{Time: at(6), Kind: model.KindMiner, ID: "00000000000000a6", Host: "rig-04", MAC: "aa:bb:cc:dd:ee:ff", State: "up"},
		{Time: at(7), Kind: "hashrate", ID: "00000000000000a7", Fields: json.RawMessage(`{"ts":1530662402.523,"type":"hashrate","miner":"dmg-323","ths":10.93}`)},
		{Time: at(8), Kind: model.KindAction, ID: "00000000000000a8", DurationMS: -5},
		{Time: at(9), Kind: model.KindPayout, ID: "00000000000000a9", Height: 3350002, State: model.PayoutConfirmed,
			BlockID: "66f8d6b4fb847756f4b1e5097b63fe24b6e75e79ec2d9d4017b16172ee2cadac", Result: "10 confirmations"},
	}
}

func TestEventCodecRoundTrips(t *testing.T) {
	for _, e := range codecEvents() {
		t.Run(e.Kind+e.ID, func(t *testing.T) {
			v := appendEvent(nil, &e)
			if v[0] == '{' {
				t.Fatal("a binary value must not start like JSON")
			}
			var got model.Event
			if err := decodeEvent(eventKey(&e), v, &got); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(e)
			have, _ := json.Marshal(got)
			if string(want) != string(have) {
				t.Fatalf("round trip\n got %s\nwant %s", have, want)
			}
			// Every shorter value is an error or an event with fewer fields, never a panic.
			for n := range len(v) {
				_ = decodeEvent(eventKey(&e), v[:n], &got)
			}
		})
	}
	share := codecEvents()[0]
	if n := len(appendEvent(nil, &share)); n > 64 {
		t.Errorf("a share takes %d bytes, want at most 64", n)
	}
}

func TestEventCodecRejectsWhatItDoesNotKnow(t *testing.T) {
	e := codecEvents()[0]
	k := eventKey(&e)
	for name, v := range map[string][]byte{
		"newer encoding":  {0x02, tagKind, 1, 's'},
		"unknown field":   {codecV1, 200, 1, 'x'},
		"string past end": {codecV1, tagHost, 9, 'r'},
		"empty":           {},
	} {
		var got model.Event
		if err := decodeEvent(k, v, &got); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, got)
		}
	}
}

// TestEventsOfEitherEncoding: a store written before the binary encoding keeps its JSON events;
// they read as before, and the same event read again is a duplicate, not a second one.
func TestEventsOfEitherEncoding(t *testing.T) {
	s := openTest(t, t.TempDir(), "UTC")
	defer s.Close()
	events := codecEvents()
	old := events[:4]
	err := s.db.Update(func(txn *badger.Txn) error {
		for i := range old {
			v, err := json.Marshal(&old[i])
			if err != nil {
				return err
			}
			if err := txn.Set(eventKey(&old[i]), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.loadNewestEvent(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := s.Apply(&Batch{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if a.Added != len(events)-len(old) || a.Duplicates != len(old) {
		t.Fatalf("applied %+v, want %d added and %d duplicates", a, len(events)-len(old), len(old))
	}
	var got []model.Event
	if err := s.Events(context.Background(), time.Time{}, time.Time{}, func(e *model.Event) error {
		got = append(got, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(events)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Fatalf("events\n got %s\nwant %s", have, want)
	}
	if r, err := s.Check(context.Background()); err != nil || len(r.Problems) > 0 {
		t.Fatalf("check: %+v %v", r, err)
	}
}

// Every field of model.Event is set in one of codecEvents, so that TestEventCodecRoundTrips
// covers it: a field added to the event and not to the codec fails one test or the other.
func TestCodecEventsSetEveryField(t *testing.T) {
	typ := reflect.TypeFor[model.Event]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		set := false
		for _, e := range codecEvents() {
			if !reflect.ValueOf(e).Field(i).IsZero() {
				set = true
			}
		}
		if !set {
			t.Errorf("model.Event.%s is set in no event of codecEvents: add it there, and to the codec (a new tag)", f.Name)
		}
	}
}
