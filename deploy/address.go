package deploy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/sha3"
)

// Address is a Monero address as its network byte reads it.
type Address struct {
	Network string // mainnet, testnet, stagenet
	Kind    string // standard, integrated, subaddress
}

// Network bytes (cryptonote_config.h: CRYPTONOTE_PUBLIC_*_BASE58_PREFIX), a single varint byte each.
var addressPrefixes = map[byte]Address{
	18: {"mainnet", "standard"}, 19: {"mainnet", "integrated"}, 42: {"mainnet", "subaddress"},
	53: {"testnet", "standard"}, 54: {"testnet", "integrated"}, 63: {"testnet", "subaddress"},
	24: {"stagenet", "standard"}, 25: {"stagenet", "integrated"}, 36: {"stagenet", "subaddress"},
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// encodedBlockSizes[n] is how many characters encode n bytes: Monero's base58 works on 8-byte
// blocks, each 11 characters, the last one shorter.
var encodedBlockSizes = [...]int{0, 2, 3, 5, 6, 7, 9, 10, 11}

// decodeBase58 is Monero's block-wise base58 (not Bitcoin's whole-number one).
func decodeBase58(s string) ([]byte, error) {
	var out []byte
	for len(s) > 0 {
		n := min(11, len(s))
		chunk := s[:n]
		s = s[n:]
		size := -1
		for i, c := range encodedBlockSizes {
			if c == n {
				size = i
			}
		}
		if size < 0 {
			return nil, errors.New("its length is not one a Monero address can have")
		}
		var v uint64
		for _, c := range []byte(chunk) {
			d := strings.IndexByte(base58Alphabet, c)
			if d < 0 {
				return nil, fmt.Errorf("%q is not a base58 character", c)
			}
			hi, lo := mul64(v, 58)
			if hi != 0 || lo+uint64(d) < lo {
				return nil, errors.New("a block overflows")
			}
			v = lo + uint64(d)
		}
		if size < 8 && v>>(8*size) != 0 {
			return nil, errors.New("a block overflows")
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		out = append(out, b[8-size:]...)
	}
	return out, nil
}

func mul64(a, b uint64) (hi, lo uint64) {
	lo = a * b
	if a != 0 && lo/a != b {
		return 1, lo
	}
	return 0, lo
}

// ParseAddress checks a Monero address: base58, its Keccak-256 checksum and its network byte.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, errors.New("no address")
	}
	b, err := decodeBase58(s)
	if err != nil {
		return Address{}, fmt.Errorf("not a Monero address: %w", err)
	}
	if len(b) != 69 && len(b) != 77 {
		return Address{}, fmt.Errorf("not a Monero address: %d characters (an address has 95, an integrated one 106)", len(s))
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	h := sha3.NewLegacyKeccak256()
	h.Write(body)
	if !bytes.Equal(h.Sum(nil)[:4], sum) {
		return Address{}, errors.New("not a Monero address: its checksum is wrong (a character mistyped or missing?)")
	}
	a, ok := addressPrefixes[b[0]]
	if !ok {
		return Address{}, fmt.Errorf("not a Monero address: unknown network byte %d", b[0])
	}
	if (a.Kind == "integrated") != (len(b) == 77) {
		return Address{}, errors.New("not a Monero address: its length does not fit its kind")
	}
	return a, nil
}

// CheckWallet says whether P2Pool can mine to s on network: P2Pool takes a standard (main)
// address of the node's network only — no subaddress, no integrated address (P2Pool's
// src/wallet.cpp, valid_prefixes).
func CheckWallet(s, network string) (Address, error) {
	a, err := ParseAddress(s)
	if err != nil {
		return a, err
	}
	switch {
	case a.Network != network:
		return a, fmt.Errorf("a %s address, and the node runs %s", a.Network, network)
	case a.Kind == "integrated":
		return a, errors.New("an integrated address: P2Pool pays only a wallet's main address (it starts with 4 on mainnet)")
	case a.Kind == "subaddress":
		return a, errors.New("a subaddress: P2Pool mines to the wallet's main address (it starts with 4 on mainnet)")
	}
	return a, nil
}
