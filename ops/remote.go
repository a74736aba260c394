package ops

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
	"strconv"
	"time"

	"github.com/db4e/db4e/model"
	"github.com/db4e/db4e/store"
)

// Remote is a Console served by the running service over its socket.
type Remote struct {
	socket string
	client *http.Client
	// BackupKeep is the retention of backups this process writes itself (backup.keep).
	BackupKeep int
}

var _ Console = (*Remote)(nil)

// ErrNoService means nothing answers on the socket.
var ErrNoService = errors.New("no db4e service answers")

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
	var ping map[string]string
	if err := r.get(ctx, pathPing, nil, &ping); err != nil {
		return nil, fmt.Errorf("%w on %s: %v", ErrNoService, socket, err)
	}
	return r, nil
}

// Mode says the service has the store.
func (r *Remote) Mode() string { return "attached" }

func (r *Remote) url(path string, q url.Values) string {
	u := "http://db4e" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (r *Remote) do(req *http.Request, out any) error {
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("db4e service on %s: %w", r.socket, err)
	}
	defer resp.Body.Close()
	if err := answerError(resp); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("db4e service answer: %w", err)
	}
	return nil
}

func (r *Remote) get(ctx context.Context, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url(path, q), nil)
	if err != nil {
		return err
	}
	return r.do(req, out)
}

// Snapshot asks the service.
func (r *Remote) Snapshot(ctx context.Context, q SnapshotQuery) (Snapshot, error) {
	var s Snapshot
	err := r.get(ctx, pathSnapshot, url.Values{"days": {strconv.Itoa(q.Days)}, "events": {strconv.Itoa(q.Events)}}, &s)
	return s, err
}

// Report asks the service.
func (r *Remote) Report(ctx context.Context, q ReportQuery) (Report, error) {
	var rep Report
	v := url.Values{}
	if q.Days > 0 {
		v.Set("days", strconv.Itoa(q.Days))
	}
	if q.From != "" {
		v.Set("from", q.From)
	}
	if q.To != "" {
		v.Set("to", q.To)
	}
	err := r.get(ctx, pathReport, v, &rep)
	return rep, err
}

// Rebuild asks the service.
func (r *Remote) Rebuild(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(pathRebuild, nil), nil)
	if err != nil {
		return 0, err
	}
	var out map[string]int
	err = r.do(req, &out)
	return out["events"], err
}

// Import streams the data to the service, which stores it.
func (r *Remote) Import(ctx context.Context, format, source string, body io.Reader) (ImportResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(pathImport, url.Values{"format": {format}, "source": {source}}), body)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = r.do(req, &res)
	return res, err
}

// ExportJSONSeq streams the service's export to w.
func (r *Remote) ExportJSONSeq(ctx context.Context, from, to time.Time, w io.Writer) error {
	v := url.Values{}
	if !from.IsZero() {
		v.Set("from", from.Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		v.Set("to", to.Format(time.RFC3339Nano))
	}
	_, err := r.stream(ctx, pathExport, v, w)
	return err
}

// stream copies the answer to a GET to w and returns its trailers.
func (r *Remote) stream(ctx context.Context, path string, q url.Values, w io.Writer) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url(path, q), nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("db4e service on %s: %w", r.socket, err)
	}
	defer resp.Body.Close()
	if err := answerError(resp); err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return nil, fmt.Errorf("stream from the db4e service: %w", err)
	}
	return resp.Trailer, nil
}

// Watch long-polls the service.
func (r *Remote) Watch(ctx context.Context, since uint64) (uint64, error) {
	var out map[string]uint64
	if err := r.get(ctx, pathWatch, url.Values{"since": {strconv.FormatUint(since, 10)}}, &out); err != nil {
		return since, err
	}
	return out["version"], nil
}

// Record asks the service to store an action event.
func (r *Remote) Record(ctx context.Context, e model.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(pathRecord, nil), bytes.NewReader(b))
	if err != nil {
		return err
	}
	return r.do(req, nil)
}

// Backup asks the service to write a backup into its backup.dir (dir empty), or writes one
// into dir itself, with this process's rights, from the service's snapshot stream: the service
// writes nowhere but under backup.dir.
func (r *Remote) Backup(ctx context.Context, dir string) (BackupResult, error) {
	if dir != "" {
		return writeBackup(dir, time.Now(), r.BackupKeep, func(w io.Writer) error { return r.BackupStream(ctx, w) })
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(pathBackup, nil), nil)
	if err != nil {
		return BackupResult{}, err
	}
	var res BackupResult
	err = r.do(req, &res)
	return res, err
}

// Status asks the service for the farm's health, as its pollers last saw it.
func (r *Remote) Status(ctx context.Context) (StatusReport, error) {
	var s StatusReport
	err := r.get(ctx, pathStatus, nil, &s)
	return s, err
}

func (r *Remote) Check(ctx context.Context) (store.CheckReport, error) {
	var c store.CheckReport
	err := r.get(ctx, pathCheck, nil, &c)
	return c, err
}

// BackupStream copies the service's snapshot stream to w; a failure on the service's side
// after the stream began comes in a trailer, so a cut stream is never taken for a whole one.
func (r *Remote) BackupStream(ctx context.Context, w io.Writer) error {
	trailer, err := r.stream(ctx, pathBackupStream, nil, w)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if msg := trailer.Get(trailerBackupError); msg != "" {
		return fmt.Errorf("backup stream from the service: %s", msg)
	}
	if trailer.Get(trailerBackupDone) == "" {
		return errors.New("backup stream from the service: cut short")
	}
	return nil
}

// answerError is the service's error for an answer that is not 200 OK.
func answerError(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e apiError
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e) == nil && e.Error != "" {
		return errors.New(e.Error)
	}
	return fmt.Errorf("db4e service: %s", resp.Status)
}
