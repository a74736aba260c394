package api

// Import formats.
const (
	FormatP2Pool  = "p2pool"
	FormatJSONSeq = "jsonseq"
)

// ImportResult sums up an import.
type ImportResult struct {
	Files      int   `json:"files"`
	Bytes      int64 `json:"bytes"`
	Records    int   `json:"records"` // events and bad records read
	Bad        int   `json:"bad"`     // bad records read, already stored ones included
	Added      int   `json:"added"`
	Duplicates int   `json:"duplicates"`
	Skipped    int   `json:"skipped"`
	Samples    int   `json:"samples"`
}

// Add sums two results.
func (r *ImportResult) Add(o ImportResult) {
	r.Files += o.Files
	r.Bytes += o.Bytes
	r.Records += o.Records
	r.Bad += o.Bad
	r.Added += o.Added
	r.Duplicates += o.Duplicates
	r.Skipped += o.Skipped
	r.Samples += o.Samples
}

// BackupResult says what a backup made.
type BackupResult struct {
	Path    string   `json:"path"`
	Bytes   int64    `json:"bytes"`
	Removed []string `json:"removed,omitempty"` // older backups let go by retention
}
