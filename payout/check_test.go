package payout

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/db4e/db4e/model"
)

// chain is a Node whose blocks the test sets.
type chain struct {
	tip    Tip
	err    error
	blocks map[uint64]Block
	asked  int
}

func (c *chain) Tip(context.Context) (Tip, error) { return c.tip, c.err }
func (c *chain) Block(_ context.Context, h uint64) (Block, error) {
	c.asked++
	b, ok := c.blocks[h]
	if !ok {
		return Block{}, errors.New("no such block")
	}
	return b, nil
}

func block(h uint64, id string, pico ...int64) Block {
	b := Block{Height: h, ID: id + "0000000000000000000000000000000000000000000000000000000000000000"[len(id):]}
	for _, p := range pico {
		b.Outputs = append(b.Outputs, model.PiconeroFromInt(p))
	}
	return b
}

func claimed(h uint64, pico int64) model.Payout {
	return model.Payout{Height: h, Piconero: model.PiconeroFromInt(pico), Claims: 1, State: model.PayoutClaimed}
}

// Each case is one round on one payout: the events it makes, by state.
func TestRoundJudgesOnlyWhatTheNodeShows(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	seen := claimed(100, 5)
	seen.BlockID = block(100, "aa").ID
	for _, tc := range []struct {
		name    string
		tip     Tip
		err     error
		payout  model.Payout
		blocks  map[uint64]Block
		want    []string
		problem bool
	}{
		{"node down", Tip{}, errors.New("connection refused"), claimed(100, 5), nil, nil, true},
		{"node syncing", Tip{Height: 200, Target: 300}, nil, claimed(100, 5), map[uint64]Block{100: block(100, "bb", 9)}, nil, true},
		{"not yet on the node", Tip{Height: 99, Synchronized: true}, nil, claimed(100, 5), nil, nil, false},
		{"young, pays: seen", Tip{Height: 102, Synchronized: true}, nil, claimed(100, 5), map[uint64]Block{100: block(100, "aa", 3, 5)}, []string{"seen"}, false},
		{"young, pays not: wait", Tip{Height: 102, Synchronized: true}, nil, claimed(100, 5), map[uint64]Block{100: block(100, "bb", 9)}, nil, false},
		{"10 deep, pays not: orphaned", Tip{Height: 109, Synchronized: true}, nil, claimed(100, 5), map[uint64]Block{100: block(100, "bb", 9)}, []string{"orphaned"}, false},
		{"first seen 10 deep: seen, confirmed", Tip{Height: 109, Synchronized: true}, nil, claimed(100, 5), map[uint64]Block{100: block(100, "aa", 5)}, []string{"seen", "confirmed"}, false},
		{"9 deep: nothing yet", Tip{Height: 108, Synchronized: true}, nil, seen, map[uint64]Block{100: block(100, "aa", 5)}, nil, false},
		{"replaced, 10 deep: orphaned", Tip{Height: 109, Synchronized: true}, nil, seen, map[uint64]Block{100: block(100, "cc", 5)}, []string{"orphaned"}, false},
		{"60 deep: unlocked", Tip{Height: 159, Synchronized: true}, nil, seen, map[uint64]Block{100: block(100, "aa", 5)}, []string{"unlocked"}, false},
		{"block unreadable", Tip{Height: 159, Synchronized: true}, nil, seen, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Checker{Confirmations: 10, Node: &chain{tip: tc.tip, err: tc.err, blocks: tc.blocks}}
			events, st := c.Round(context.Background(), now, []model.Payout{tc.payout}, Status{})
			var got []string
			for _, e := range events {
				got = append(got, e.State)
				if e.Kind != model.KindPayout || e.Height != 100 || len(e.ID) != 16 {
					t.Errorf("event %+v", e)
				}
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[len(got)-1] != tc.want[len(tc.want)-1]) || (st.Problem != "") != tc.problem {
				t.Errorf("events %v (want %v), status %+v", got, tc.want, st)
			}
			if tc.problem && !st.Checked.IsZero() {
				t.Error("a round that checked nothing moved Checked")
			}
		})
	}
}

// A clock stepped back keeps a payout's checks in order after its last one; a round asks for
// no more blocks than its bound, and the rest wait for the next.
func TestRoundClockStepAndBound(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	p := claimed(100, 5)
	p.Checked = now.Add(time.Hour)
	n := &chain{tip: Tip{Height: 200, Synchronized: true}, blocks: map[uint64]Block{}}
	var many []model.Payout
	for h := uint64(100); h < 110; h++ {
		n.blocks[h] = block(h, "aa", 5)
		q := claimed(h, 5)
		if h == 100 {
			q = p
		}
		many = append(many, q)
	}
	c := &Checker{Confirmations: 10, Node: n, MaxBlocks: 4}
	events, st := c.Round(context.Background(), now, many, Status{})
	if n.asked != 4 || st.Pending != 6 {
		t.Errorf("asked %d blocks, %d pending", n.asked, st.Pending)
	}
	for _, e := range events {
		if e.Height == 100 && !e.Time.After(p.Checked) {
			t.Errorf("a check of 100 at %s, before its last at %s", e.Time, p.Checked)
		}
	}
}
