package alert

import (
	"fmt"

	"github.com/db4e/db4e/model"
)

// Event records a transition in the log.
func Event(t Transition) model.Event {
	return model.Event{Time: t.Time, Kind: model.KindAlert, Rule: t.Rule, Target: t.Target, State: t.State, Result: t.Detail,
		ID: model.HashID(fmt.Appendf(nil, "%d|%s|%s|%s", t.Time.UnixNano(), t.Rule, t.Target, t.State))}
}
