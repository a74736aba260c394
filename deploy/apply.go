package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/restart"
	"github.com/db4e/db4e/runner"
)

// Deployer plans, applies and rolls back the configuration's deploy section.
type Deployer struct {
	Cfg     Config
	SSH     *runner.SSH
	SSHUser string
	// Targets start and health-check what changed: monerod, p2pool, and each rig by name
	// (Config.Targets, as the configuration builds them).
	Targets []restart.Target
	// Record stores an action event for every step; Who names the operator in it.
	Record func(context.Context, model.Event) error
	Who    string
	// Progress is told each step as a line for the operator.
	Progress func(string)
	// Restarter starts the changed components (its Record and Progress are the caller's).
	Restarter *restart.Restarter
}

func (d *Deployer) say(format string, args ...any) {
	if d.Progress != nil {
		d.Progress(fmt.Sprintf(format, args...))
	}
}

// record stores one deploy step as an action event.
func (d *Deployer) record(ctx context.Context, target, command, result string, took time.Duration) {
	if d.Record == nil {
		return
	}
	e := model.NewAction(time.Now(), d.Who, target, command, result, took)
	if err := d.Record(context.WithoutCancel(ctx), e); err != nil {
		d.say("could not record the event: %v", err)
	}
}

func (d *Deployer) rig(name string) (Rig, bool) {
	for _, r := range d.Cfg.Xmrig.Rigs {
		if r.Name == name {
			return r, true
		}
	}
	return Rig{}, false
}

func (d *Deployer) rigFS(ctx context.Context, r Rig) (FS, error) {
	if d.SSH == nil {
		return nil, fmt.Errorf("rig %s: no SSH is configured", r.Name)
	}
	dest, err := runner.ParseDest(r.Host, d.SSHUser)
	if err != nil {
		return nil, fmt.Errorf("rig %s: %w", r.Name, err)
	}
	client, err := d.SSH.Dial(ctx, dest)
	if err != nil {
		return nil, fmt.Errorf("rig %s: %w", r.Name, err)
	}
	sc, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("rig %s: sftp: %w", r.Name, err)
	}
	return closeBoth{SFTPFS{C: sc, Host: dest.String()}, client.Close}, nil
}

type closeBoth struct {
	SFTPFS
	closeConn func() error
}

func (c closeBoth) Close() error { c.SFTPFS.Close(); return c.closeConn() }

func (d *Deployer) fsFor(ctx context.Context, host string) (FS, error) {
	if host == "" {
		return LocalFS{}, nil
	}
	r, _ := d.rig(host)
	return d.rigFS(ctx, r)
}

// incomplete marks a rollback point whose apply has not finished.
const incomplete = "incomplete"

// recoverInterrupted undoes what an apply cut short (kill -9, a power cut) left half done on
// every selected component and host, so that the plan is made against what was there before.
func (d *Deployer) recoverInterrupted(ctx context.Context, selected []string) error {
	type place struct{ comp, host string }
	var places []place
	for _, c := range []string{Monerod, P2Pool, DB4E} {
		if len(selected) == 0 || slices.Contains(selected, c) {
			places = append(places, place{c, ""})
		}
	}
	for _, r := range d.Cfg.Xmrig.Rigs {
		if len(selected) == 0 || slices.Contains(selected, Xmrig) || slices.Contains(selected, r.Name) {
			places = append(places, place{Xmrig, r.Name})
		}
	}
	for _, p := range places {
		f, err := d.fsFor(ctx, p.host)
		if err != nil {
			return err
		}
		undone, err := recoverOne(f, d.optOf(p.host, p.comp))
		f.Close()
		name := (group{Component: p.comp, Host: p.host}).name()
		if err != nil {
			return fmt.Errorf("%s: undoing an apply that was cut short: %w", name, err)
		}
		if undone {
			d.say("%s: an apply was cut short here: undone first", name)
			d.record(ctx, "deploy "+name, "undo an apply cut short", "ok", 0)
		}
	}
	return nil
}

// recoverOne puts one component back as it was before an apply cut short, whatever step the
// cut came at; undone tells whether there was one.
func recoverOne(f FS, opt string) (undone bool, err error) {
	rb, prev, next := opt+"/rollback", opt+"/rollback.prev", opt+"/rollback.new"
	hasRB, _ := f.Exists(rb)
	hasPrev, _ := f.Exists(prev)
	if ok, _ := f.Exists(next); ok {
		if err := f.RemoveAll(next); err != nil { // cut before anything changed
			return false, err
		}
		undone = true
	}
	if hasRB {
		if cut, _ := f.Exists(rb + "/" + incomplete); cut {
			st, err := readState(f, opt)
			if err != nil {
				return false, err
			}
			if err := restore(f, opt, st); err != nil {
				return false, err
			}
			if err := f.RemoveAll(rb); err != nil {
				return false, err
			}
			hasRB, undone = false, true
		}
	}
	switch {
	case hasPrev && !hasRB:
		err = f.Rename(prev, rb) // the rollback point of the apply before it
	case hasPrev:
		err = f.RemoveAll(prev) // cut after it was whole, before this was tidied
	}
	return undone, err
}

// Options are apply's and rollback's flags.
type Options struct {
	NoStart bool
}

// Apply makes the plan so. Archives are fetched and checked, and files validated, before
// anything changes; then each component (on each host) is changed as a whole or not at all,
// in the daily order, and started and health-checked unless NoStart. One that does not come
// back healthy is rolled back by itself; Apply then stops and says so.
func (d *Deployer) Apply(ctx context.Context, opts Options, selected ...string) error {
	if err := d.checkSelection(selected); err != nil {
		return err
	}
	if err := d.recoverInterrupted(ctx, selected); err != nil {
		return err
	}
	gs, err := d.groups(ctx, selected)
	if err != nil {
		return err
	}
	var todo []group
	for _, g := range gs {
		if len(g.Changes) > 0 {
			todo = append(todo, g)
		}
	}
	if len(todo) == 0 {
		d.say("nothing to change")
		return nil
	}
	// Everything that can be refused is refused before the first change.
	bins := map[string]Binary{}
	for _, g := range todo {
		for _, c := range g.Changes {
			if c.Kind != "binary" || c.Action == "switch" || bins[g.Component].Data != nil {
				continue
			}
			d.say("%s: fetching and checking %s", g.Component, d.release(g.Component).Release)
			b, err := Load(ctx, g.Component, program(g.Component), d.release(g.Component))
			if err != nil {
				d.record(ctx, "deploy "+g.Component, "verify "+d.release(g.Component).Release, "failed: "+err.Error(), 0)
				return err
			}
			d.say("%s: %s verified (sha256 %s…)", g.Component, b.Version, b.SHA256[:16])
			bins[g.Component] = b
		}
		for _, it := range g.Items {
			if it.Validate != "" && changed(g, it) {
				if err := validateFile(ctx, it); err != nil {
					return err
				}
			}
		}
	}
	// All of the apply or none of it: each component keeps its marker until every component is
	// written and the hosts have reloaded their units; a failure before then undoes them all.
	reload := map[string]bool{}
	var started []group
	undoAll := func(cause error) error {
		var failed []string
		for i := len(started) - 1; i >= 0; i-- {
			g := started[i]
			if err := d.undo(ctx, g); err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", g.name(), err))
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("%w; undoing the apply failed too: %s", cause, strings.Join(failed, "; "))
		}
		if len(started) > 0 {
			return fmt.Errorf("%w; every change of this apply was undone", cause)
		}
		return cause
	}
	for _, g := range todo {
		start := time.Now()
		if err := d.applyGroup(ctx, g, bins[g.Component]); err != nil {
			d.record(ctx, "deploy "+g.name(), summary(g), "failed, undone: "+err.Error(), time.Since(start))
			hint := ""
			if errors.Is(err, fs.ErrPermission) && g.Host == "" {
				hint = " (the node's files are root's: sudo db4e deploy apply)"
			}
			return undoAll(fmt.Errorf("%s: %w%s", g.name(), err, hint))
		}
		d.record(ctx, "deploy "+g.name(), summary(g), "ok", time.Since(start))
		d.say("%s: %s", g.name(), summary(g))
		for _, c := range g.Changes {
			if needsReload(c.Path) {
				reload[g.Host] = true
			}
		}
		started = append(started, g)
	}
	for host := range reload {
		if err := d.reload(ctx, host); err != nil {
			err = undoAll(err)
			for h := range reload {
				d.reload(ctx, h) // the units as they were
			}
			return err
		}
	}
	for _, g := range started {
		if err := d.finish(ctx, g); err != nil {
			return fmt.Errorf("%s: %w", g.name(), err)
		}
	}
	if opts.NoStart {
		d.say("not started (--no-start): start them with db4e start")
		return nil
	}
	for _, g := range started {
		if g.Component == DB4E {
			continue // db4e's own unit takes effect at its next restart, never in the middle of this
		}
		if err := d.start(ctx, g); err != nil {
			d.say("%s: %v: rolling back", g.name(), err)
			rbErr := d.rollback(ctx, g.Component, g.Host, opts)
			if rbErr != nil {
				return fmt.Errorf("%s: %w; the rollback failed too: %v", g.name(), err, rbErr)
			}
			return fmt.Errorf("%s: %w; rolled back to what ran before", g.name(), err)
		}
	}
	return nil
}

func changed(g group, it Item) bool {
	for _, c := range g.Changes {
		if c.Path == it.Path {
			return true
		}
	}
	return false
}

func summary(g group) string {
	var parts []string
	files := 0
	for _, c := range g.Changes {
		if c.Kind == "binary" {
			from := c.From
			if from == "" {
				from = "(none)"
			}
			parts = append(parts, fmt.Sprintf("%s %s -> %s", c.Action, from, c.To))
		} else {
			files++
		}
	}
	if files > 0 {
		parts = append(parts, fmt.Sprintf("%d file(s) written", files))
	}
	return strings.Join(parts, ", ")
}

func (d *Deployer) release(component string) Release {
	switch component {
	case Monerod:
		return d.Cfg.Monerod.Release
	case P2Pool:
		return d.Cfg.P2Pool.Release
	}
	return d.Cfg.Xmrig.Release
}

func program(component string) string { return component }

// validateFile runs the item's check (visudo -cf) on its new content before it is written.
func validateFile(ctx context.Context, it Item) error {
	f, err := os.CreateTemp("", "db4e-check-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	f.Write(it.Content)
	f.Close()
	args := append(strings.Fields(it.Validate), f.Name())
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %s refused the rendered file, nothing written: %v: %s", it.Path, args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// rollbackState is what applyGroup replaced, kept in the component's rollback directory.
type rollbackState struct {
	Time          time.Time `json:"time"`
	VersionBefore string    `json:"version_before"`
	VersionAfter  string    `json:"version_after"`
	// Installed: the apply unpacked VersionAfter's directory; undoing it removes it again.
	Installed bool        `json:"installed,omitempty"`
	Files     []savedFile `json:"files"`
}

type savedFile struct {
	Path    string      `json:"path"`
	Existed bool        `json:"existed"`
	Saved   string      `json:"saved,omitempty"`
	Mode    fs.FileMode `json:"mode,omitempty"`
}

func (d *Deployer) optOf(host, component string) string {
	if host == "" {
		return Opt(d.Cfg.Root, component)
	}
	return Opt(d.Cfg.Xmrig.Root, component)
}

// applyGroup changes one component on one host: the rollback point first, then the version
// directory, the files and the current link. A failure undoes what it did.
func (d *Deployer) applyGroup(ctx context.Context, g group, bin Binary) (err error) {
	f, err := d.fsFor(ctx, g.Host)
	if err != nil {
		return err
	}
	defer f.Close()
	opt := d.optOf(g.Host, g.Component)
	st := rollbackState{Time: time.Now().UTC()}
	if cur, err := f.Readlink(opt + "/current"); err == nil {
		st.VersionBefore = path.Base(cur)
	}
	st.VersionAfter = st.VersionBefore
	newRB := opt + "/rollback.new"
	if err := f.RemoveAll(newRB); err != nil {
		return err
	}
	for i, it := range g.Items {
		if it.Kind == "binary" || !changed(g, it) {
			continue
		}
		sf := savedFile{Path: it.Path, Mode: fs.FileMode(it.Mode)}
		old, rerr := f.ReadFile(it.Path)
		switch {
		case errors.Is(rerr, fs.ErrNotExist):
		case rerr != nil:
			return rerr
		default:
			sf.Existed, sf.Saved = true, fmt.Sprintf("files/%d", i)
			if err := f.WriteFile(newRB+"/"+sf.Saved, old, 0o600); err != nil {
				return err
			}
		}
		st.Files = append(st.Files, sf)
	}
	var binItem *Item
	for i := range g.Items {
		if g.Items[i].Kind == "binary" && hasBinaryChange(g) {
			binItem = &g.Items[i]
		}
	}
	if binItem != nil {
		st.VersionAfter = binItem.Version
		ok, _ := f.Exists(path.Join(opt, binItem.Version, binItem.Program))
		st.Installed = !ok
	}
	js, _ := json.MarshalIndent(st, "", "  ")
	if err := f.WriteFile(newRB+"/state.json", js, 0o600); err != nil {
		return err
	}
	// Removed once the apply of this component is whole: found at the next apply, it says this
	// one was cut short (kill -9, power) and is undone first.
	if err := f.WriteFile(newRB+"/"+incomplete, []byte("an apply was cut short here; the next apply undoes it first\n"), 0o600); err != nil {
		return err
	}
	// The last apply's rollback point is kept aside until this one has succeeded: an apply
	// that is undone leaves the one before it to roll back to.
	prevRB := opt + "/rollback.prev"
	if err := f.RemoveAll(prevRB); err != nil {
		return err
	}
	hadRB, _ := f.Exists(opt + "/rollback")
	if hadRB {
		if err := f.Rename(opt+"/rollback", prevRB); err != nil {
			return err
		}
	}
	if err := f.Rename(newRB, opt+"/rollback"); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return // whole; the marker goes once the whole apply is (finish)
		}
		uerr := restore(f, opt, st)
		if uerr == nil {
			uerr = f.RemoveAll(opt + "/rollback")
		}
		if uerr == nil && hadRB {
			uerr = f.Rename(prevRB, opt+"/rollback")
		}
		if uerr != nil {
			err = fmt.Errorf("%w (and undoing it failed: %v)", err, uerr)
		}
	}()
	if binItem != nil {
		dir := path.Join(opt, binItem.Version)
		if ok, _ := f.Exists(path.Join(dir, binItem.Program)); !ok {
			if bin.Data == nil {
				return fmt.Errorf("%s is not installed and no archive was loaded", dir)
			}
			partial := dir + ".partial"
			if err := f.RemoveAll(partial); err != nil {
				return err
			}
			if err := f.WriteFile(path.Join(partial, binItem.Program), bin.Data, 0o755); err != nil {
				return err
			}
			if err := f.WriteFile(path.Join(partial, "SHA256"), []byte(bin.SHA256+"  archive\n"), 0o644); err != nil {
				return err
			}
			if err := f.RemoveAll(dir); err != nil {
				return err
			}
			if err := f.Rename(partial, dir); err != nil {
				return err
			}
		}
	}
	for _, it := range g.Items {
		if it.Kind == "binary" || !changed(g, it) {
			continue
		}
		if err := f.WriteFile(it.Path, it.Content, fs.FileMode(it.Mode)); err != nil {
			return err
		}
	}
	if binItem != nil {
		if err := f.Symlink(binItem.Version, opt+"/current"); err != nil {
			return err
		}
	}
	return nil
}

func hasBinaryChange(g group) bool {
	for _, c := range g.Changes {
		if c.Kind == "binary" {
			return true
		}
	}
	return false
}

// finish makes an applied component's rollback point an ordinary one: the marker goes, and the
// point of the apply before it.
func (d *Deployer) finish(ctx context.Context, g group) error {
	f, err := d.fsFor(ctx, g.Host)
	if err != nil {
		return err
	}
	defer f.Close()
	opt := d.optOf(g.Host, g.Component)
	if err := f.RemoveAll(opt + "/rollback/" + incomplete); err != nil {
		return err
	}
	return f.RemoveAll(opt + "/rollback.prev")
}

// undo puts an applied, not yet finished component back as it was before this apply.
func (d *Deployer) undo(ctx context.Context, g group) error {
	f, err := d.fsFor(ctx, g.Host)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = recoverOne(f, d.optOf(g.Host, g.Component))
	if err == nil {
		d.record(ctx, "deploy "+g.name(), "undo: the apply did not finish", "ok", 0)
	}
	return err
}

// restore puts back the files and the version a rollback state names.
func restore(f FS, opt string, st rollbackState) error {
	var errs []error
	for _, sf := range st.Files {
		if !sf.Existed {
			errs = append(errs, f.RemoveAll(sf.Path))
			continue
		}
		old, err := f.ReadFile(opt + "/rollback/" + sf.Saved)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, f.WriteFile(sf.Path, old, sf.Mode))
	}
	if st.VersionBefore != st.VersionAfter {
		if st.VersionBefore == "" {
			errs = append(errs, f.RemoveAll(opt+"/current"))
		} else {
			errs = append(errs, f.Symlink(st.VersionBefore, opt+"/current"))
		}
		if st.Installed {
			errs = append(errs, f.RemoveAll(path.Join(opt, st.VersionAfter)), f.RemoveAll(path.Join(opt, st.VersionAfter)+".partial"))
		}
	}
	return errors.Join(errs...)
}

// needsReload tells a file the host must be told of once written: a unit, a sysusers.d or a
// tmpfiles.d file (for apply and rollback alike).
func needsReload(p string) bool {
	return strings.Contains(p, "/systemd/system/") || strings.Contains(p, "/sysusers.d/") || strings.Contains(p, "/tmpfiles.d/")
}

// reload runs the reload command on a host after its units changed.
func (d *Deployer) reload(ctx context.Context, host string) error {
	cmd := d.Cfg.Commands.Reload
	if host != "" {
		cmd = d.Cfg.Commands.RigReload
	}
	cmd = d.Cfg.expand(cmd, "", "")
	if strings.TrimSpace(cmd) == "" {
		return nil
	}
	start := time.Now()
	var err error
	if host == "" {
		_, err = runner.Run(ctx, runner.Command{Shell: cmd, Timeout: time.Minute})
	} else {
		r, _ := d.rig(host)
		var dest runner.Dest
		if dest, err = runner.ParseDest(r.Host, d.SSHUser); err == nil {
			_, err = d.SSH.Run(ctx, dest, cmd, time.Minute)
		}
	}
	result := "ok"
	if err != nil {
		result = "failed: " + err.Error()
	}
	d.record(ctx, "deploy "+hostName(host), cmd, result, time.Since(start))
	if err != nil {
		return fmt.Errorf("%s: reload after the units changed: %w", hostName(host), err)
	}
	d.say("%s: %s", hostName(host), cmd)
	return nil
}

// targetOf is the start target of a component on a host.
func (d *Deployer) targetOf(component, host string) (restart.Target, bool) {
	name := component
	if host != "" {
		name = host
	}
	for _, t := range d.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return restart.Target{}, false
}

// start (re)starts a changed component and waits for its health check.
func (d *Deployer) start(ctx context.Context, g group) error {
	t, ok := d.targetOf(g.Component, g.Host)
	if !ok {
		return fmt.Errorf("no target to start %s", g.name())
	}
	if t.Health.Wait == 0 || t.Health.Wait > d.Cfg.HealthWait {
		t.Health.Wait = d.Cfg.HealthWait
	}
	return d.Restarter.One(ctx, t)
}

// stop stops a component (after rolling back its first install).
func (d *Deployer) stop(ctx context.Context, g group) error {
	t, ok := d.targetOf(g.Component, g.Host)
	if !ok || t.Stop == "" {
		return nil
	}
	r := *d.Restarter
	r.Action = restart.Stop
	return r.One(ctx, t)
}

// Rollback puts a component (on every rig, for xmrig; or one rig by name) back to the version
// and files it had before the last apply, and starts it unless NoStart.
func (d *Deployer) Rollback(ctx context.Context, opts Options, name string) error {
	comp, hosts, err := d.rollbackPlaces(name)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if err := d.rollback(ctx, comp, h, opts); err != nil {
			return err
		}
	}
	return nil
}

// rollbackPlaces is what a rollback of name acts on: a node component, every rig for xmrig,
// or one rig by its name.
func (d *Deployer) rollbackPlaces(name string) (comp string, hosts []string, err error) {
	if err := d.checkSelection([]string{name}); err != nil {
		return "", nil, err
	}
	switch name {
	case Xmrig:
		for _, r := range d.Cfg.Xmrig.Rigs {
			hosts = append(hosts, r.Name)
		}
		return Xmrig, hosts, nil
	case Monerod, P2Pool, DB4E:
		return name, []string{""}, nil
	}
	return Xmrig, []string{name}, nil
}

// RollbackPlan says what Rollback of name would do, and changes nothing.
func (d *Deployer) RollbackPlan(ctx context.Context, name string) (string, error) {
	comp, hosts, err := d.rollbackPlaces(name)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, host := range hosts {
		if err := d.rollbackPlanOf(ctx, &b, comp, host); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

func (d *Deployer) rollbackPlanOf(ctx context.Context, b *strings.Builder, comp, host string) error {
	f, err := d.fsFor(ctx, host)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := readState(f, d.optOf(host, comp))
	if err != nil {
		return fmt.Errorf("%s: %w", (group{Component: comp, Host: host}).name(), err)
	}
	if st.VersionBefore != st.VersionAfter {
		fmt.Fprintf(b, "%s %s: %s -> %s\n", hostName(host), comp, st.VersionAfter, orNone(st.VersionBefore))
	}
	for _, sf := range st.Files {
		if sf.Existed {
			fmt.Fprintf(b, "%s %s: restore %s as it was before %s\n", hostName(host), comp, sf.Path, st.Time.Local().Format("2006-01-02 15:04"))
		} else {
			fmt.Fprintf(b, "%s %s: remove %s (created by that apply)\n", hostName(host), comp, sf.Path)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func readState(f FS, opt string) (rollbackState, error) {
	var st rollbackState
	b, err := f.ReadFile(opt + "/rollback/state.json")
	if errors.Is(err, fs.ErrNotExist) {
		return st, errors.New("nothing to roll back: no apply changed it, or it was rolled back already")
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("rollback state %s: %w", opt+"/rollback/state.json", err)
	}
	return st, nil
}

func (d *Deployer) rollback(ctx context.Context, comp, host string, opts Options) error {
	g := group{Component: comp, Host: host}
	f, err := d.fsFor(ctx, host)
	if err != nil {
		return err
	}
	opt := d.optOf(host, comp)
	if undone, err := recoverOne(f, opt); err != nil || undone {
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: undoing an apply that was cut short: %w", g.name(), err)
		}
		// The last apply never finished: undoing it is the rollback.
		d.record(ctx, "deploy "+g.name(), "undo an apply cut short", "ok", 0)
		d.say("%s: the last apply was cut short; undone, back to what was there before it", g.name())
		return nil
	}
	st, err := readState(f, opt)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", g.name(), err)
	}
	start := time.Now()
	err = restore(f, opt, st)
	if err == nil {
		// Used: a second rollback would put back the same thing again.
		err = f.RemoveAll(opt + "/rollback")
	}
	f.Close()
	what := fmt.Sprintf("rollback %s -> %s, %d file(s)", orNone(st.VersionAfter), orNone(st.VersionBefore), len(st.Files))
	if err != nil {
		d.record(ctx, "deploy "+g.name(), what, "failed: "+err.Error(), time.Since(start))
		return fmt.Errorf("%s: rollback: %w", g.name(), err)
	}
	d.record(ctx, "deploy "+g.name(), what, "ok", time.Since(start))
	d.say("%s: %s", g.name(), what)
	if slices.ContainsFunc(st.Files, func(sf savedFile) bool { return needsReload(sf.Path) }) {
		if err := d.reload(ctx, host); err != nil {
			return err
		}
	}
	if opts.NoStart || comp == DB4E {
		return nil
	}
	if st.VersionBefore == "" {
		// Nothing ran before: what the apply started must not run on from a removed binary.
		d.say("%s: nothing ran before; stopping what the apply started", g.name())
		return d.stop(ctx, g)
	}
	return d.start(ctx, g)
}

// absRoot is the root as a directory for commands ({root}).
func absRoot(r string) string { return strings.TrimSuffix(filepath.Clean(r), "/") }
