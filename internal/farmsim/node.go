package farmsim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// Node is a stand-in monerod for the demo, named so: JSON-RPC get_info and get_block for the
// main chain the simulated pool finds blocks on, so that the demo's payouts are checked as a
// real farm's are. The tip stays a few blocks past the pool's last block: the newest payouts are
// young, the older ones confirmed or unlocked; one payout's block pays someone else (orphaned).
type Node struct {
	mu     sync.Mutex
	tip    uint64
	paid   map[uint64]int64
	orphan uint64
}

// tipAhead is how many blocks the chain is past the pool's last block.
const tipAhead = 5

// NewNode gives the simulator a chain; payouts written from now on are on it.
func (s *Sim) NewNode() *Node {
	n := &Node{paid: map[uint64]int64{}, tip: s.mainHeight + tipAhead}
	s.node = n
	return n
}

func (n *Node) found(height uint64, pico int64) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if pico > 0 {
		n.paid[height] = pico
	}
	n.tip = max(n.tip, height+tipAhead)
}

// Orphan makes the block of the payout that is back-th from the newest pay someone else, and
// returns its height (0 if there are not so many).
func (n *Node) Orphan(back int) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var hs []uint64
	for h := range n.paid {
		hs = append(hs, h)
	}
	if len(hs) < back {
		return 0
	}
	// the back-th greatest
	for i := 0; i < back; i++ {
		best := i
		for j := i + 1; j < len(hs); j++ {
			if hs[j] > hs[best] {
				best = j
			}
		}
		hs[i], hs[best] = hs[best], hs[i]
	}
	n.orphan = hs[back-1]
	return n.orphan
}

// ServeHTTP answers /json_rpc's get_info and get_block.
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Method string `json:"method"`
		Params struct {
			Height uint64 `json:"height"`
		} `json:"params"`
	}
	if r.URL.Path != "/json_rpc" || json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req) != nil {
		http.Error(w, "not a JSON-RPC request", http.StatusBadRequest)
		return
	}
	n.mu.Lock()
	tip, pico, orphan := n.tip, n.paid[req.Params.Height], n.orphan == req.Params.Height
	n.mu.Unlock()
	var result any
	switch req.Method {
	case "get_info":
		result = map[string]any{"status": "OK", "height": tip + 1, "target_height": 0, "synchronized": true,
			"incoming_connections_count": 8, "outgoing_connections_count": 12}
	case "get_block":
		h := req.Params.Height
		if h > tip {
			result = nil
			break
		}
		id := sha256.Sum256(fmt.Appendf(nil, "block %d %v", h, orphan))
		outputs := []int64{600_000_000_000 - 3_000_000_000}
		if pico > 0 && !orphan {
			outputs = append(outputs, pico)
		}
		var vout []map[string]int64
		for _, o := range outputs {
			vout = append(vout, map[string]int64{"amount": o})
		}
		body, _ := json.Marshal(map[string]any{"miner_tx": map[string]any{"vout": vout}})
		result = map[string]any{"status": "OK", "block_header": map[string]any{"hash": hex.EncodeToString(id[:]), "height": h}, "json": string(body)}
	}
	w.Header().Set("Content-Type", "application/json")
	if result == nil {
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": "0", "error": map[string]any{"code": -2, "message": "no such block"}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": "0", "result": result})
}
