package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/db4e/db4e/model"
	badger "github.com/dgraph-io/badger/v4"
)

// The payouts view: one model.Payout per height, from the payment events (P2Pool's claims) and
// the payout events (what the checks found). What a payout adds to the confirmed, unlocked and
// orphaned sums is counted on its claim's day, whenever the check that moved it was made.

func payoutKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefixPayout), height)
}

// movePayout applies a payment or payout event to p, and moves what p adds to the day sums from
// the day and amounts it added before to those it adds now. day gives a day's view to change.
func movePayout(p *model.Payout, e *model.Event, cutter *dayCutter, day func(date string) (*DayTotals, error)) error {
	oldDate := p.Date
	oc, ou, oo := p.Counted()
	if e.Kind == model.KindPayment {
		p.Claim(e)
		p.Date = cutter.date(p.Time)
	} else {
		p.Apply(e)
	}
	nc, nu, no := p.Counted()
	if oldDate != "" && !(oc.IsZero() && ou.IsZero() && oo.IsZero()) {
		d, err := day(oldDate)
		if err != nil {
			return err
		}
		d.Confirmed, d.Unlocked, d.Orphaned = d.Confirmed.Sub(oc), d.Unlocked.Sub(ou), d.Orphaned.Sub(oo)
	}
	if p.Date != "" && !(nc.IsZero() && nu.IsZero() && no.IsZero()) {
		d, err := day(p.Date)
		if err != nil {
			return err
		}
		d.Confirmed, d.Unlocked, d.Orphaned = d.Confirmed.Add(nc), d.Unlocked.Add(nu), d.Orphaned.Add(no)
	}
	return nil
}

// isPayoutEvent says whether e moves a payout.
func isPayoutEvent(e *model.Event) bool {
	return (e.Kind == model.KindPayment || e.Kind == model.KindPayout) && e.Height > 0
}

// addPayout applies e to its height's payout within the writer's transaction.
func (w *txnWriter) addPayout(e *model.Event) error {
	p, ok := w.payouts[e.Height]
	if !ok {
		p = &model.Payout{}
		if _, err := getJSON(w.txn, payoutKey(e.Height), p); err != nil {
			return err
		}
		w.payouts[e.Height] = p
	}
	return movePayout(p, e, &w.cutter, func(date string) (*DayTotals, error) { return loadDay(w.txn, w.days, date) })
}

// Payouts returns every payout, by height.
func (s *Store) Payouts() ([]model.Payout, error) {
	var out []model.Payout
	err := s.scanJSON(prefixPayout, func(b []byte) error {
		var p model.Payout
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read payouts: %w", err)
	}
	return out, nil
}

// Payout returns the payout at height, and whether there is one.
func (s *Store) Payout(height uint64) (model.Payout, bool, error) {
	var p model.Payout
	var found bool
	err := s.db.View(func(txn *badger.Txn) (err error) {
		found, err = getJSON(txn, payoutKey(height), &p)
		return err
	})
	return p, found, err
}
