package payout

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/db4e/db4e/collect"
	"github.com/db4e/db4e/model"
)

// Transfer is a coinbase output the wallet received.
type Transfer struct {
	Height   uint64
	Piconero model.Piconero
	TxID     string
}

// Wallet is the operator's view-only wallet of the mining address.
type Wallet interface {
	// Height is how far it has scanned: blocks below it are seen.
	Height(ctx context.Context) (uint64, error)
	// Refresh has it scan up to the node's tip.
	Refresh(ctx context.Context) error
	// Coinbase lists its coinbase transfers with from < height <= to.
	Coinbase(ctx context.Context, from, to uint64) ([]Transfer, error)
}

// WalletRPC is a Wallet over monero-wallet-rpc.
type WalletRPC struct{ RPC *collect.JSONRPC }

// Height asks get_height.
func (w WalletRPC) Height(ctx context.Context) (uint64, error) {
	var r struct {
		Height uint64 `json:"height"`
	}
	err := w.RPC.Call(ctx, "get_height", nil, &r)
	return r.Height, err
}

// Refresh asks refresh.
func (w WalletRPC) Refresh(ctx context.Context) error {
	var r struct{}
	return w.RPC.Call(ctx, "refresh", nil, &r)
}

// Coinbase asks get_transfers for incoming transfers in the heights, and keeps those of type
// "block": coinbase outputs.
func (w WalletRPC) Coinbase(ctx context.Context, from, to uint64) ([]Transfer, error) {
	var r struct {
		In []struct {
			Type   string      `json:"type"`
			Height uint64      `json:"height"`
			Amount json.Number `json:"amount"`
			TxID   string      `json:"txid"`
		} `json:"in"`
	}
	params := map[string]any{"in": true, "filter_by_height": true, "min_height": from, "max_height": to}
	if err := w.RPC.Call(ctx, "get_transfers", params, &r); err != nil {
		return nil, err
	}
	var out []Transfer
	for _, t := range r.In {
		if t.Type != "block" {
			continue
		}
		n, err := strconv.ParseUint(string(t.Amount), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("wallet_rpc: get_transfers: amount %q", model.SanitizeText(string(t.Amount), 30))
		}
		out = append(out, Transfer{Height: t.Height, Piconero: model.PiconeroFromUint(n), TxID: model.SanitizeName(t.TxID, 64)})
	}
	return out, nil
}
