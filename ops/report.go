package ops

import (
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// BuildReport reads the day views.
func BuildReport(s *store.Store, q api.ReportQuery, now time.Time) (api.Report, error) {
	if err := q.Validate(); err != nil {
		return api.Report{}, err
	}
	from, to := q.Range(now, s.Location())
	days, err := s.Days(from, to)
	if err != nil {
		return api.Report{}, err
	}
	skipped, err := s.Skipped()
	if err != nil {
		return api.Report{}, err
	}
	r := api.Report{Days: make([]api.ReportDay, 0, len(days)), Skipped: skipped, Incomplete: s.Incomplete()}
	for _, d := range days {
		rd := api.ReportDay{Date: d.Date, Shares: d.Shares, SharesByHost: d.SharesByHost, Blocks: d.Blocks, Payments: d.Payments}
		rd.SetMoney(d.Confirmed, d.Piconero, d.Unlocked, d.Orphaned)
		if rd.SharesByHost == nil {
			rd.SharesByHost = map[string]uint64{}
		}
		for k, n := range d.Kinds {
			switch k {
			case model.KindShare, model.KindBlock, model.KindPayment, model.KindPayout:
			default:
				if rd.Kinds == nil {
					rd.Kinds = map[string]uint64{}
				}
				rd.Kinds[k] = n
			}
		}
		r.Days = append(r.Days, rd)
	}
	return r, nil
}
