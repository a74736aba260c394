package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/db4e/db4e/alert"
	"github.com/db4e/db4e/ingest"
	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// checkpointUnread keeps what of P2Pool's log was lost unread, across restarts: /metrics counts
// it, and the log_unread alert stays open until acknowledged or for its rule's after.
const checkpointUnread = "unread"

// unreadBook is that record.
type unreadBook struct {
	Files int64         `json:"files"` // losses, ever
	Bytes int64         `json:"bytes"` // bytes lost whose count was known, ever
	Last  ingest.Unread `json:"last"`  // the newest loss
	Acked time.Time     `json:"acked,omitzero"`
}

func (l *Local) unread() unreadBook {
	var b unreadBook
	if raw, err := l.Store.Checkpoint(checkpointUnread); err == nil && raw != nil {
		_ = json.Unmarshal(raw, &b)
	}
	return b
}

func (l *Local) saveUnread(b unreadBook) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if _, err := l.Store.Apply(&store.Batch{Checkpoints: []store.Checkpoint{{Name: checkpointUnread, Value: raw}}}); err != nil {
		return fmt.Errorf("store the unread part of the log: %w", err)
	}
	l.changes.bump()
	return nil
}

// NoteUnread records a part of the log lost unread (the follower's OnUnread): the follower says it once, however many
// events it held; the log_unread alert says it where the operator looks.
func (l *Local) NoteUnread(u ingest.Unread) {
	u.At = l.Now()
	l.unreadMu.Lock()
	defer l.unreadMu.Unlock()
	b := l.unread()
	b.Files++
	if u.Bytes > 0 {
		b.Bytes += u.Bytes
	}
	b.Last = u
	if err := l.saveUnread(b); err != nil {
		l.Log.Warn("record unread log", "err", err)
	}
}

// Acknowledge resolves the log_unread alert: the operator has seen it.
func (l *Local) Acknowledge(ctx context.Context, rule string) error {
	if rule != alert.RuleLogUnread {
		return model.Invalid("only %s waits to be acknowledged, not %q", alert.RuleLogUnread, rule)
	}
	l.unreadMu.Lock()
	defer l.unreadMu.Unlock()
	b := l.unread()
	b.Acked = l.Now()
	return l.saveUnread(b)
}

// unreadCondition is the log_unread alert's condition: a loss newer than after, not yet
// acknowledged.
func (l *Local) unreadCondition(now time.Time, after time.Duration) (alert.Condition, bool) {
	b := l.unread()
	u := b.Last
	if u.At.IsZero() {
		return alert.Condition{}, false
	}
	amount := "an unknown amount"
	if u.Bytes >= 0 {
		amount = fmt.Sprintf("%d bytes", u.Bytes)
	}
	return alert.Condition{Rule: alert.RuleLogUnread, Target: u.Path,
		Active: now.Sub(u.At) < after && (b.Acked.IsZero() || b.Acked.Before(u.At)),
		Detail: fmt.Sprintf("%s of %s was never read (%s), at %s; %d such loss(es) in all", amount, u.Path, u.Why,
			u.At.In(l.Store.Location()).Format("2006-01-02 15:04"), b.Files)}, true
}
