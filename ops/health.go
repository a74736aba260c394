package ops

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/ingest"
)

// healthBook remembers when each component entered its state, in a process that lives (the
// service, an embedded console); a one-off command cannot know and leaves Since zero.
type healthBook struct {
	mu    sync.Mutex
	state map[string]api.Component
}

func (b *healthBook) observe(cs []api.Component, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == nil {
		b.state = map[string]api.Component{}
	}
	for i, c := range cs {
		if !c.Since.IsZero() {
			b.state[c.Name] = c
			continue
		}
		if prev, ok := b.state[c.Name]; ok && prev.Up == c.Up {
			cs[i].Since = prev.Since
			continue
		}
		cs[i].Since = now
		b.state[c.Name] = cs[i]
	}
}

// Components is the health model: every part db4e watches, in one state each, in a fixed
// order. status, snapshots and /metrics all read it.
func (l *Local) Components() []api.Component {
	l.mu.Lock()
	ing := l.ingest
	l.mu.Unlock()
	var cs []api.Component
	if log := l.Cfg.P2Pool.Log; l.Cfg.P2Pool.Follow {
		svc := api.Component{Name: api.ComponentService, Up: ing.Following}
		switch {
		case ing.Following:
		case ing.Error != "":
			svc.Reason = "stopped following the log: " + ing.Error
		default:
			svc.Reason = fmt.Sprintf("no db4e service follows %s: start it (systemctl start db4e)", log)
		}
		logc := api.Component{Name: api.ComponentLog, Up: true}
		if err := ingest.LogReadable(log); err != nil {
			logc.Up, logc.Reason = false, err.Error()
		}
		if logc.Up && ing.Following && ing.Error != "" {
			logc.Up, logc.Reason = false, ing.Error
		}
		cs = append(cs, svc, logc)
	}
	storec := api.Component{Name: api.ComponentStore, Up: ing.Paused == "", Reason: ing.Paused}
	if err := l.Store.Gone(); err != nil {
		storec.Up, storec.Reason = false, err.Error()
	}
	cs = append(cs, storec)
	rows, _, _ := l.healthRows()
	if l.Cfg.Monerod.RPC != "" {
		cs = append(cs, fromRows(api.ComponentMonerod, rows, "monerod"))
	}
	if l.Cfg.P2Pool.DataAPI != "" {
		cs = append(cs, fromRows(api.ComponentP2Pool, rows, "p2pool"))
	}
	if len(l.Cfg.Miners.Xmrig) > 0 || len(l.Cfg.Miners.Proxy) > 0 {
		cs = append(cs, fromRows(api.ComponentMiners, rows, "xmrig", collect.KindProxy))
	}
	if l.Cfg.CSV.Dir != "" && l.csvState.tried() { // only the process that publishes knows
		cs = append(cs, l.csvState.component())
	}
	if l.hasHooks() {
		cs = append(cs, l.alerts.hookState.component())
	}
	if ing.Following {
		l.book.observe(cs, l.Now())
	}
	return cs
}

// fromRows folds the polled targets of one kind into a component: up while every one is.
func fromRows(name string, rows []api.HealthRow, kinds ...string) api.Component {
	c := api.Component{Name: name, Up: true}
	var down []string
	seen := false
	for _, r := range rows {
		if !slices.Contains(kinds, r.Kind) {
			continue
		}
		seen = true
		if r.Since.After(c.Since) {
			c.Since = r.Since
		}
		if !r.Up {
			c.Up = false
			if r.Kind != "monerod" && r.Kind != "p2pool" { // many of them: say which
				down = append(down, r.Name+" ("+r.Detail+")")
			} else {
				down = append(down, r.Detail)
			}
		}
	}
	if !seen {
		return api.Component{Name: name, Up: false, Reason: "not asked yet"}
	}
	sort.Strings(down)
	c.Reason = strings.Join(down, "; ")
	return c
}

// outcome is the last result of something the service does on its own (publish the CSV
// files, run an alert hook): a failure is kept until the next success.
type outcome struct {
	mu    sync.Mutex
	name  string
	err   string
	since time.Time
	tries int // failures in a row
}

func (o *outcome) set(err error, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	was := o.err
	o.err = ""
	if err != nil {
		o.err = err.Error()
		o.tries++
	} else {
		o.tries = 0
	}
	if (was == "") != (o.err == "") || o.since.IsZero() {
		o.since = now
	}
}

func (o *outcome) component() api.Component {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := api.Component{Name: o.name, Up: o.err == "", Since: o.since, Reason: o.err}
	if o.tries > 1 {
		c.Reason = fmt.Sprintf("%s (%d tries in a row)", o.err, o.tries)
	}
	return c
}

// tried says whether it has run at all in this process.
func (o *outcome) tried() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.since.IsZero()
}

// failures is how many times in a row it failed.
func (o *outcome) failures() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tries
}
