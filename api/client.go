package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/db4e/db4e/model"
)

// Remote is a Console served by the running service over its socket.
type Remote struct {
	socket string
	client *http.Client
	// WriteBackup writes a backup into dir from a snapshot stream, with this process's rights
	// (ops sets it): a backup into a directory of the client's goes through the stream, since
	// the service writes nowhere but under backup.dir.
	WriteBackup func(dir string, snapshot func(io.Writer) error) (BackupResult, error)
}

var _ Console = (*Remote)(nil)

// Dial returns a Remote if a service answers on socket.
func Dial(ctx context.Context, socket string) (*Remote, error) {
	r := &Remote{socket: socket, client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns: 4,
	}}}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url(pathPing, nil), nil)
	if err == nil {
		err = r.do(req, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("%w on %s: %v", ErrNoService, socket, err)
	}
	return r, nil
}

// Mode says the service has the store.
func (r *Remote) Mode() string { return ModeAttached }

func (r *Remote) url(path string, q url.Values) string {
	u := "http://db4e" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// send sends req and hands an OK answer to read; any other answer is the service's error.
func (r *Remote) send(req *http.Request, read func(*http.Response) error) error {
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("db4e service on %s: %w", r.socket, err)
	}
	defer resp.Body.Close()
	if err := answerError(resp); err != nil {
		return err
	}
	return read(resp)
}

// do sends req and decodes the answer into out (nil: the answer is not read).
func (r *Remote) do(req *http.Request, out any) error {
	return r.send(req, func(resp *http.Response) error {
		if out == nil {
			return nil
		}
		if err := decodeJSON(resp.Body, out); err != nil {
			return fmt.Errorf("db4e service answer: %w", err)
		}
		return nil
	})
}

// call is one unary route: the request as JSON, the answer as JSON.
func call[Req, Resp any](ctx context.Context, r *Remote, rt Route, in Req) (Resp, error) {
	var out Resp
	b, err := json.Marshal(in)
	if err != nil {
		return out, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(rt.Path, nil), bytes.NewReader(b))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	err = r.do(req, &out)
	return out, err
}

// Snapshot asks the service.
func (r *Remote) Snapshot(ctx context.Context, q SnapshotQuery) (Snapshot, error) {
	s, err := call[SnapshotQuery, Snapshot](ctx, r, RouteSnapshot, q)
	s.Mode = ModeAttached
	return s, err
}

// Report asks the service.
func (r *Remote) Report(ctx context.Context, q ReportQuery) (Report, error) {
	return call[ReportQuery, Report](ctx, r, RouteReport, q)
}

// Rebuild asks the service.
func (r *Remote) Rebuild(ctx context.Context) (int, error) {
	a, err := call[none, rebuildAnswer](ctx, r, RouteRebuild, none{})
	return a.Events, err
}

// Watch long-polls the service.
func (r *Remote) Watch(ctx context.Context, since uint64) (uint64, error) {
	a, err := call[watchRequest, watchAnswer](ctx, r, RouteWatch, watchRequest{Since: since})
	if err != nil {
		return since, err
	}
	return a.Version, nil
}

// Record asks the service to store an action event.
func (r *Remote) Record(ctx context.Context, e model.Event) error {
	_, err := call[model.Event, none](ctx, r, RouteRecord, e)
	return err
}

// Backup asks the service to write a backup into its backup.dir (dir empty), or writes one
// into dir itself from the service's snapshot stream.
func (r *Remote) Backup(ctx context.Context, dir string) (BackupResult, error) {
	if dir != "" {
		if r.WriteBackup == nil {
			return BackupResult{}, fmt.Errorf("backup into %s: %w: this client cannot write backups itself", dir, model.ErrInvalid)
		}
		return r.WriteBackup(dir, func(w io.Writer) error { return r.BackupStream(ctx, w) })
	}
	return call[backupRequest, BackupResult](ctx, r, RouteBackup, backupRequest{})
}

// Status asks the service for the farm's health, as its pollers last saw it.
func (r *Remote) Status(ctx context.Context) (StatusReport, error) {
	return call[none, StatusReport](ctx, r, RouteStatus, none{})
}

// Check asks the service to verify its store.
func (r *Remote) Check(ctx context.Context) (model.CheckReport, error) {
	return call[none, model.CheckReport](ctx, r, RouteCheck, none{})
}

// Miner asks the service for one miner's view.
func (r *Remote) Miner(ctx context.Context, q MinerQuery) (MinerDetail, error) {
	return call[MinerQuery, MinerDetail](ctx, r, RouteMiner, q)
}

// Yield asks the db4e on the socket to hand over its store.
// Payouts asks the service.
func (r *Remote) Payouts(ctx context.Context) (Payouts, error) {
	return call[none, Payouts](ctx, r, RoutePayouts, none{})
}

// Acknowledge asks the service.
func (r *Remote) Acknowledge(ctx context.Context, rule string) error {
	_, err := call[ackRequest, none](ctx, r, RouteAcknowledge, ackRequest{Rule: rule})
	return err
}

func (r *Remote) Yield(ctx context.Context) error {
	_, err := call[none, none](ctx, r, RouteYield, none{})
	return err
}

// Import streams the data to the service, which stores it.
func (r *Remote) Import(ctx context.Context, format, source string, body io.Reader) (ImportResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(RouteImport.Path, url.Values{"format": {format}, "source": {source}}), body)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	resp, err := r.client.Do(req)
	if err != nil {
		return res, fmt.Errorf("db4e service on %s: %w", r.socket, err)
	}
	defer resp.Body.Close()
	if err := answerError(resp); err != nil {
		// An import that failed midway stored what it read before: the service says how much.
		_ = json.Unmarshal([]byte(resp.Header.Get(importResultHeader)), &res)
		return res, err
	}
	if err := decodeJSON(resp.Body, &res); err != nil {
		return res, fmt.Errorf("db4e service answer: %w", err)
	}
	return res, nil
}

// importResultHeader carries what a failed import stored before it failed.
const importResultHeader = "Db4e-Import-Result"

// ExportJSONSeq streams the service's export to w.
func (r *Remote) ExportJSONSeq(ctx context.Context, from, to time.Time, w io.Writer) error {
	v := url.Values{}
	if !from.IsZero() {
		v.Set("from", from.Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		v.Set("to", to.Format(time.RFC3339Nano))
	}
	return r.stream(ctx, RouteExportJSONSeq, v, w)
}

// BackupStream copies the service's snapshot stream to w.
func (r *Remote) BackupStream(ctx context.Context, w io.Writer) error {
	if err := r.stream(ctx, RouteBackupStream, nil, w); err != nil {
		return fmt.Errorf("backup stream from the service: %w", err)
	}
	return nil
}

// stream copies a streamed answer to w. Its trailers say whether the service finished it: a
// cut stream is never taken for a whole one.
func (r *Remote) stream(ctx context.Context, rt Route, q url.Values, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url(rt.Path, q), nil)
	if err != nil {
		return err
	}
	return r.send(req, func(resp *http.Response) error {
		if _, err := io.Copy(w, resp.Body); err != nil {
			return fmt.Errorf("stream from the db4e service: %w", err)
		}
		if msg := resp.Trailer.Get(trailerError); msg != "" {
			return fromWire(resp.Trailer.Get(trailerErrorCode), msg)
		}
		if resp.Trailer.Get(trailerDone) == "" {
			return errors.New("cut short")
		}
		return nil
	})
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
