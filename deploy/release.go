package deploy

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// maxArchive bounds a download, maxProgram the program unpacked from it: Monero's archive is
// about 70 MB and its monerod under 100 MB; anything far larger is not a release, and both are
// held in memory while they are checked.
const (
	maxArchive = 512 << 20
	maxProgram = 256 << 20
)

// Binary is a program taken from a verified archive, ready to install.
type Binary struct {
	Component string
	Version   string
	Name      string // the program's file name: monerod, p2pool, xmrig
	Data      []byte
	SHA256    string // of the archive
}

// fetch reads a release file: a local path, or an http(s) URL.
func fetch(ctx context.Context, src string) ([]byte, error) {
	if !strings.Contains(src, "://") {
		if fi, err := os.Stat(src); err == nil && fi.Size() > maxArchive {
			return nil, fmt.Errorf("%s: %d MB, larger than any release (%d MB at most)", src, fi.Size()>>20, maxArchive>>20)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxArchive+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", src, err)
	}
	if len(b) > maxArchive {
		return nil, fmt.Errorf("GET %s: larger than %d MB", src, maxArchive>>20)
	}
	return b, nil
}

// expectedHash is the archive's sha256: configured, or the publisher's hashes file's line for
// the archive's name (verified with gpg first when a signing key is set).
func expectedHash(ctx context.Context, key string, r Release) (string, error) {
	if r.SHA256 != "" {
		return strings.ToLower(r.SHA256), nil
	}
	sums, err := fetch(ctx, r.Hashes)
	if err != nil {
		return "", fmt.Errorf("%s.hashes: %w", key, err)
	}
	if r.SigningKey != "" {
		if err := verifySignature(ctx, key, r, sums); err != nil {
			return "", err
		}
	}
	name := path.Base(r.Release)
	if h, ok := hashFor(sums, name); ok {
		return h, nil
	}
	return "", fmt.Errorf("%s.hashes: %s names no hash for %s", key, r.Hashes, name)
}

// hashFor finds name's sha256 in a publisher's hashes file, whichever of the formats:
// sha256sum's "HASH  NAME" or "HASH *NAME" (P2Pool's sha256sums.txt, xmrig's SHA256SUMS),
// Monero's hashes.txt "NAME, HASH" (inside a PGP clear-signed message), or "Name: NAME" followed
// by "SHA256: HASH" lines.
func hashFor(sums []byte, name string) (string, bool) {
	var pendingName string
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "- ") // dash-escaped in a clear-signed message
		if f := strings.Fields(line); len(f) == 2 && hexSHA256.MatchString(f[0]) && strings.TrimPrefix(f[1], "*") == name {
			return strings.ToLower(f[0]), true
		}
		if n, h, ok := strings.Cut(line, ","); ok && strings.TrimSpace(n) == name && hexSHA256.MatchString(strings.TrimSpace(h)) {
			return strings.ToLower(strings.TrimSpace(h)), true
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			k, v = strings.TrimSpace(strings.ToLower(k)), strings.TrimSpace(v)
			switch {
			case k == "name":
				pendingName = v
			case (k == "sha256" || k == "sha256sum") && pendingName == name && hexSHA256.MatchString(v):
				return strings.ToLower(v), true
			}
		}
	}
	return "", false
}

// verifySignature checks the hashes file with gpgv against the configured key only: a
// detached signature (signature key) or a clear-signed file (Monero's hashes.txt).
func verifySignature(ctx context.Context, key string, r Release, sums []byte) error {
	dir, err := os.MkdirTemp("", "db4e-gpg-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	keyData, err := fetch(ctx, r.SigningKey)
	if err != nil {
		return fmt.Errorf("%s.signing_key: %w", key, err)
	}
	ring := filepath.Join(dir, "keyring.gpg")
	keyFile := filepath.Join(dir, "key.asc")
	if err := os.WriteFile(keyFile, keyData, 0o600); err != nil {
		return err
	}
	imp := exec.CommandContext(ctx, "gpg", "--batch", "--quiet", "--homedir", dir, "--no-default-keyring", "--keyring", ring, "--import", keyFile)
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("%s.signing_key %s: gpg could not read it: %w: %s", key, r.SigningKey, err, strings.TrimSpace(string(out)))
	}
	sumsFile := filepath.Join(dir, "hashes")
	if err := os.WriteFile(sumsFile, sums, 0o600); err != nil {
		return err
	}
	args := []string{"--homedir", dir, "--keyring", ring}
	if r.Signature != "" {
		sig, err := fetch(ctx, r.Signature)
		if err != nil {
			return fmt.Errorf("%s.signature: %w", key, err)
		}
		sigFile := filepath.Join(dir, "hashes.sig")
		if err := os.WriteFile(sigFile, sig, 0o600); err != nil {
			return err
		}
		args = append(args, sigFile, sumsFile)
	} else {
		args = append(args, sumsFile)
	}
	if out, err := exec.CommandContext(ctx, "gpgv", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s.hashes %s: the signature does not verify with %s: %s", key, r.Hashes, r.SigningKey, strings.TrimSpace(string(out)))
	}
	return nil
}

// Load fetches a component's archive, checks its hash before anything reads it, and takes out
// the program named program.
func Load(ctx context.Context, component, program string, r Release) (Binary, error) {
	version, err := VersionOf(r.Release)
	if err != nil {
		return Binary{}, fmt.Errorf("%s.release: %w", component, err)
	}
	want, err := expectedHash(ctx, component, r)
	if err != nil {
		return Binary{}, err
	}
	data, err := fetch(ctx, r.Release)
	if err != nil {
		return Binary{}, fmt.Errorf("%s.release: %w", component, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return Binary{}, fmt.Errorf("%s.release %s: sha256 %s, want %s: refused (a corrupt download, or not the publisher's file)", component, r.Release, got, want)
	}
	bin, err := extract(data, path.Base(r.Release), program)
	if err != nil {
		return Binary{}, fmt.Errorf("%s.release %s: %w", component, r.Release, err)
	}
	return Binary{Component: component, Version: version, Name: program, Data: bin, SHA256: want}, nil
}

// extract reads program out of a .tar.gz, .tar.bz2, .tar or .zip archive, wherever in it
// (monero-x86_64-linux-gnu-v0.18.3.4/monerod, xmrig-6.21.0/xmrig).
func extract(data []byte, name, program string) ([]byte, error) {
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("not a zip archive: %w", err)
		}
		for _, f := range zr.File {
			if path.Base(f.Name) == program && f.Mode().IsRegular() {
				if f.UncompressedSize64 > maxProgram {
					return nil, fmt.Errorf("%s unpacks to more than %d MB: not a release's program", program, maxProgram>>20)
				}
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				defer rc.Close()
				return readAllMax(rc, program)
			}
		}
		return nil, fmt.Errorf("the archive has no %s", program)
	}
	var r io.Reader = bytes.NewReader(data)
	switch {
	case strings.HasSuffix(name, ".tar.gz"), strings.HasSuffix(name, ".tgz"):
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("not a gzip archive: %w", err)
		}
		r = gz
	case strings.HasSuffix(name, ".tar.bz2"), strings.HasSuffix(name, ".tbz2"):
		r = bzip2.NewReader(r)
	case strings.HasSuffix(name, ".tar"):
	default:
		return nil, fmt.Errorf("unknown archive type %q (want .tar.gz, .tar.bz2, .tar or .zip)", name)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the archive has no %s", program)
		}
		if err != nil {
			return nil, fmt.Errorf("the archive is damaged or truncated: %w", err)
		}
		if path.Base(h.Name) == program && h.Typeflag == tar.TypeReg {
			if h.Size > maxProgram { // said before a byte of it is unpacked
				return nil, fmt.Errorf("%s unpacks to %d MB, more than %d MB: not a release's program", program, h.Size>>20, maxProgram>>20)
			}
			b, err := readAllMax(tr, program)
			if err != nil {
				return nil, fmt.Errorf("the archive is damaged or truncated: %w", err)
			}
			return b, nil
		}
	}
}

func readAllMax(r io.Reader, program string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxProgram+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxProgram {
		return nil, fmt.Errorf("%s unpacks to more than %d MB: not a release's program", program, maxProgram>>20)
	}
	return b, nil
}
