package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Change is one thing a deploy would do.
type Change struct {
	Component string `json:"component"`
	Host      string `json:"host"` // "node", or the rig's name
	Kind      string `json:"kind"` // binary, file, unit
	Path      string `json:"path"`
	Action    string `json:"action"` // install, upgrade, switch, create, change
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Diff      string `json:"diff,omitempty"`
}

// Plan is every change, in the order apply makes them.
type Plan struct {
	Changes []Change `json:"changes"`
}

// group is one component on one host: what apply changes and undoes as a whole.
type group struct {
	Component, Host string
	Items           []Item
	Changes         []Change
}

func (g group) name() string {
	if g.Host == "" {
		return g.Component
	}
	return g.Component + "@" + g.Host
}

// hostName is how a change names its host.
func hostName(h string) string {
	if h == "" {
		return "node"
	}
	return h
}

// diffItem compares what a host has with what it should have.
func diffItem(f FS, it Item) (*Change, error) {
	c := Change{Component: it.Component, Host: hostName(it.Host), Kind: it.Kind, Path: it.Path}
	if it.Kind == "binary" {
		cur, err := f.Readlink(it.Path + "/current")
		switch {
		case errors.Is(err, fs.ErrNotExist):
			cur = ""
		case err != nil:
			return nil, err
		}
		cur = path.Base(cur)
		if cur == it.Version {
			return nil, nil
		}
		c.Path = it.Path + "/" + it.Version
		c.From, c.To, c.Action = cur, it.Version, "upgrade"
		if cur == "" || cur == "." {
			c.From, c.Action = "", "install"
		} else if ok, _ := f.Exists(path.Join(it.Path, it.Version, it.Program)); ok {
			c.Action = "switch" // the version is there already (a rollback's other side)
		}
		return &c, nil
	}
	old, err := f.ReadFile(it.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Action = "create"
		c.Diff = udiff.Unified("/dev/null", it.Path, "", string(it.Content))
		return &c, nil
	case err != nil:
		return nil, err
	}
	if bytes.Equal(old, it.Content) {
		return nil, nil
	}
	c.Action = "change"
	c.Diff = udiff.Unified(it.Path, it.Path, string(old), string(it.Content))
	return &c, nil
}

// groups is what the configuration deploys, by component and host in the daily order, with
// what each would change; only selected ones (component names, rig names; none: all).
func (d *Deployer) groups(ctx context.Context, selected []string) ([]group, error) {
	want := func(comp, host string) bool {
		return len(selected) == 0 || slices.Contains(selected, comp) || (host != "" && slices.Contains(selected, host))
	}
	if err := d.checkSelection(selected); err != nil {
		return nil, err
	}
	var out []group
	byComp := map[string]*group{}
	var order []string
	for _, it := range d.Cfg.NodeItems() {
		if !want(it.Component, "") {
			continue
		}
		g, ok := byComp[it.Component]
		if !ok {
			g = &group{Component: it.Component}
			byComp[it.Component] = g
			order = append(order, it.Component)
		}
		g.Items = append(g.Items, it)
	}
	for _, name := range order {
		g := byComp[name]
		if err := fillChanges(LocalFS{}, g); err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	for _, r := range d.Cfg.Xmrig.Rigs {
		if !want(Xmrig, r.Name) {
			continue
		}
		g := group{Component: Xmrig, Host: r.Name, Items: d.Cfg.RigItems(r)}
		f, err := d.rigFS(ctx, r)
		if err != nil {
			return nil, err
		}
		err = fillChanges(f, &g)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func fillChanges(f FS, g *group) error {
	for _, it := range g.Items {
		c, err := diffItem(f, it)
		if err != nil {
			return fmt.Errorf("%s: %w", g.name(), err)
		}
		if c != nil {
			g.Changes = append(g.Changes, *c)
		}
	}
	return nil
}

func (d *Deployer) checkSelection(selected []string) error {
	known := []string{Monerod, P2Pool, DB4E, Xmrig}
	for _, r := range d.Cfg.Xmrig.Rigs {
		known = append(known, r.Name)
	}
	for _, s := range selected {
		if !slices.Contains(known, s) {
			return fmt.Errorf("no component or rig %q; known: %s", s, strings.Join(known, ", "))
		}
	}
	return nil
}

// Plan says what apply would change, and changes nothing.
func (d *Deployer) Plan(ctx context.Context, selected ...string) (Plan, error) {
	gs, err := d.groups(ctx, selected)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Changes: []Change{}}
	for _, g := range gs {
		p.Changes = append(p.Changes, g.Changes...)
	}
	return p, nil
}

// Text is the plan as the operator reads it before saying yes.
func (p Plan) Text() string {
	if len(p.Changes) == 0 {
		return "Nothing to change: the farm is as the configuration says.\n"
	}
	var b strings.Builder
	for _, c := range p.Changes {
		switch c.Kind {
		case "binary":
			from := c.From
			if from == "" {
				from = "(none)"
			}
			fmt.Fprintf(&b, "%-8s %-7s %s %s %s -> %s\n", c.Host, c.Component, c.Action, c.Kind, from, c.To)
		default:
			fmt.Fprintf(&b, "%-8s %-7s %s %s %s\n", c.Host, c.Component, c.Action, c.Kind, c.Path)
		}
	}
	fmt.Fprintf(&b, "%d change(s)\n", len(p.Changes))
	return b.String()
}

// Diffs is every file's unified diff, after the summary.
func (p Plan) Diffs() string {
	var b strings.Builder
	for _, c := range p.Changes {
		if c.Diff != "" {
			fmt.Fprintf(&b, "\n# %s %s\n%s", c.Host, c.Path, c.Diff)
		}
	}
	return b.String()
}
