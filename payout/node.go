package payout

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/model"
)

// Tip is where the node's chain ends.
type Tip struct {
	// Height is the newest block's height (get_info's height, the chain's length, minus one).
	Height       uint64
	Synchronized bool
	Target       uint64 // the height the node syncs to, while it does
}

// Block is what a check needs of a main-chain block.
type Block struct {
	Height uint64
	ID     string // hex
	// Outputs are its coinbase's output amounts: in the clear for every coinbase, and P2Pool's
	// pays each miner one output of exactly the amount it logs (PoolBlock::get_payout).
	Outputs []model.Piconero
}

// Pays says whether the block's coinbase has an output of exactly amount.
func (b Block) Pays(amount model.Piconero) bool {
	for _, o := range b.Outputs {
		if o.Cmp(amount) == 0 {
			return true
		}
	}
	return false
}

// Node is the chain as the operator's monerod sees it.
type Node interface {
	Tip(ctx context.Context) (Tip, error)
	Block(ctx context.Context, height uint64) (Block, error)
}

// Monerod is a Node over monerod's JSON-RPC.
type Monerod struct{ RPC *collect.JSONRPC }

// Tip asks get_info.
func (m Monerod) Tip(ctx context.Context) (Tip, error) {
	var r struct {
		Height       uint64 `json:"height"`
		TargetHeight uint64 `json:"target_height"`
		Synchronized bool   `json:"synchronized"`
		Status       string `json:"status"`
	}
	if err := m.RPC.Call(ctx, "get_info", nil, &r); err != nil {
		return Tip{}, err
	}
	if r.Status != "OK" || r.Height == 0 {
		return Tip{}, fmt.Errorf("monerod: get_info: status %q, height %d", model.SanitizeText(r.Status, 40), r.Height)
	}
	return Tip{Height: r.Height - 1, Synchronized: r.Synchronized, Target: max(r.TargetHeight, r.Height) - 1}, nil
}

// Block asks get_block for the main chain's block at height.
func (m Monerod) Block(ctx context.Context, height uint64) (Block, error) {
	var r struct {
		Header struct {
			Hash   string `json:"hash"`
			Height uint64 `json:"height"`
		} `json:"block_header"`
		JSON   string `json:"json"`
		Status string `json:"status"`
	}
	if err := m.RPC.Call(ctx, "get_block", map[string]uint64{"height": height}, &r); err != nil {
		return Block{}, err
	}
	if id, err := hex.DecodeString(r.Header.Hash); err != nil || len(id) != 32 || r.Header.Height != height {
		return Block{}, fmt.Errorf("monerod: get_block %d: answered block %d with id %q", height, r.Header.Height, model.SanitizeText(r.Header.Hash, 70))
	}
	b := Block{Height: height, ID: r.Header.Hash}
	var body struct {
		MinerTx struct {
			Vout []struct {
				Amount json.Number `json:"amount"`
			} `json:"vout"`
		} `json:"miner_tx"`
	}
	if err := json.Unmarshal([]byte(r.JSON), &body); err != nil {
		return Block{}, fmt.Errorf("monerod: get_block %d: its coinbase does not decode: %s", height, model.SanitizeText(err.Error(), 120))
	}
	for _, o := range body.MinerTx.Vout {
		n, err := strconv.ParseUint(string(o.Amount), 10, 64)
		if err != nil {
			return Block{}, fmt.Errorf("monerod: get_block %d: coinbase output amount %q", height, model.SanitizeText(string(o.Amount), 30))
		}
		b.Outputs = append(b.Outputs, model.PiconeroFromUint(n))
	}
	return b, nil
}
