package api

import "time"

// Route is one Console method on the socket. Paths are versioned so a console and a service of
// different releases fail clearly rather than misread each other.
type Route struct {
	// Method is the Console method the route carries (TestRoutesCoverConsole holds them equal).
	Method string
	Path   string
	// Owner: the route changes the store, so only the service's own user or root may ask.
	Owner bool
}

// The routes, one per Console method but Mode (which each side answers itself). Unary routes
// are POSTs of the request as JSON, answered with JSON. Import's request and the answers of
// ExportJSONSeq and BackupStream are byte streams; a stream's failure after it began comes in
// a trailer.
var (
	RouteSnapshot      = Route{Method: "Snapshot", Path: "/v1/snapshot"}
	RouteReport        = Route{Method: "Report", Path: "/v1/report"}
	RouteRebuild       = Route{Method: "Rebuild", Path: "/v1/rebuild", Owner: true}
	RouteImport        = Route{Method: "Import", Path: "/v1/import", Owner: true}
	RouteExportJSONSeq = Route{Method: "ExportJSONSeq", Path: "/v1/export/jsonseq"}
	RouteWatch         = Route{Method: "Watch", Path: "/v1/watch"}
	RouteRecord        = Route{Method: "Record", Path: "/v1/record", Owner: true}
	RouteBackup        = Route{Method: "Backup", Path: "/v1/backup", Owner: true}
	// BackupStream is a read: the snapshot goes to the client, which writes it itself.
	RouteBackupStream = Route{Method: "BackupStream", Path: "/v1/backup/stream"}
	RouteStatus       = Route{Method: "Status", Path: "/v1/status"}
	RouteCheck        = Route{Method: "Check", Path: "/v1/check"}
	RouteYield        = Route{Method: "Yield", Path: "/v1/yield", Owner: true}
	RouteMiner        = Route{Method: "Miner", Path: "/v1/miner"}
	// Acknowledge is the operators': the service's group may acknowledge an alert.
	RouteAcknowledge = Route{Method: "Acknowledge", Path: "/v1/acknowledge"}
	RoutePayouts     = Route{Method: "Payouts", Path: "/v1/payouts"}
)

// Routes is every route; the server registers exactly these.
var Routes = []Route{RouteSnapshot, RouteReport, RouteRebuild, RouteImport, RouteExportJSONSeq, RouteWatch,
	RouteRecord, RouteBackup, RouteBackupStream, RouteStatus, RouteCheck, RouteYield, RouteMiner, RouteAcknowledge, RoutePayouts}

// pathPing answers whether a service is there; it is not a Console method.
const pathPing = "/v1/ping"

// The trailers of a streamed answer: done, or why not (code and message).
const (
	trailerDone      = "X-Db4e-Done"
	trailerError     = "X-Db4e-Error"
	trailerErrorCode = "X-Db4e-Error-Code"
)

// maxWatch bounds a long poll, under any proxy's or client's idle timeout.
const maxWatch = 25 * time.Second

// The requests and answers of the unary methods whose Console signature is not one struct.
type (
	rebuildAnswer struct {
		Events int `json:"events"`
	}
	watchRequest struct {
		Since uint64 `json:"since"`
	}
	watchAnswer struct {
		Version uint64 `json:"version"`
	}
	backupRequest struct {
		Dir string `json:"dir,omitempty"`
	}
	ackRequest struct {
		Rule string `json:"rule"`
	}
	none struct{}
)
