package deploy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/db4e/db4e/internal/testtool"
)

const h1 = "1111111111111111111111111111111111111111111111111111111111111111"

// The publishers' hashes files, in their own layouts.
func TestHashFor(t *testing.T) {
	for _, tc := range []struct{ name, file, archive string }{
		{"sha256sum", h1 + "  xmrig-6.24.0-linux-static-x64.tar.gz\n", "xmrig-6.24.0-linux-static-x64.tar.gz"},
		{"binary mode", h1 + " *p2pool-v4.18-linux-x64.tar.gz\n", "p2pool-v4.18-linux-x64.tar.gz"},
		{"monero hashes.txt", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# This GPG-signed message exists to confirm the SHA256 sums of Monero binaries.\n## CLI\nmonero-linux-x64-v0.18.4.4.tar.bz2, " + h1 + "\n-----BEGIN PGP SIGNATURE-----\n", "monero-linux-x64-v0.18.4.4.tar.bz2"},
		{"name and sha256 lines", "Name: p2pool-v4.18-linux-x64.tar.gz\nSize: 1\nSHA256: " + h1 + "\n", "p2pool-v4.18-linux-x64.tar.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := hashFor([]byte(tc.file), tc.archive); !ok || got != h1 {
				t.Fatalf("%q %v", got, ok)
			}
			if _, ok := hashFor([]byte(tc.file), "other.tar.gz"); ok {
				t.Fatal("found a hash for another name")
			}
		})
	}
}

func TestVersionOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://downloads.getmonero.org/cli/monero-linux-x64-v0.18.4.4.tar.bz2": "v0.18.4.4",
		"/srv/p2pool-v4.18-linux-x64.tar.gz":                                     "v4.18",
		"xmrig-6.24.0-linux-static-x64.tar.gz":                                   "6.24.0",
	} {
		if got, err := VersionOf(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	if _, err := VersionOf("monerod.tar.gz"); err == nil {
		t.Error("a name with no version")
	}
}

// A hashes file signed with the configured key verifies; signed by another key, or altered
// after signing, it is refused before the archive is read.
func TestSignedHashes(t *testing.T) {
	gpg := testtool.Need(t, "gnupg", "gpg")
	testtool.Need(t, "gpgv", "gpgv")
	dir := t.TempDir()
	gen := func(name string) string {
		home := filepath.Join(dir, name)
		os.MkdirAll(home, 0o700)
		run := func(args ...string) []byte {
			cmd := exec.Command(gpg, append([]string{"--batch", "--homedir", home}, args...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("gpg %v: %v\n%s", args, err, out)
			}
			return out
		}
		run("--passphrase", "", "--quick-gen-key", name+"@example.org", "ed25519", "sign", "never")
		key := filepath.Join(dir, name+".asc")
		os.WriteFile(key, run("--armor", "--export", name+"@example.org"), 0o644)
		return home
	}
	publisher, other := gen("publisher"), gen("other")
	bin := []byte("#!/bin/sh\necho monerod\n")
	archivePath, sum := archive(t, dir, "monero-linux-x64-v0.18.9.1.tar.bz2", map[string][]byte{"m/monerod": bin})
	hashes := filepath.Join(dir, "hashes.txt")
	os.WriteFile(hashes, []byte("## CLI\nmonero-linux-x64-v0.18.9.1.tar.bz2, "+sum+"\n"), 0o644)
	sign := func(home, out string) {
		cmd := exec.Command(gpg, "--batch", "--homedir", home, "--yes", "--clearsign", "--output", out, hashes)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clearsign: %v\n%s", err, b)
		}
	}
	good, bad := filepath.Join(dir, "good.txt"), filepath.Join(dir, "bad.txt")
	sign(publisher, good)
	sign(other, bad)
	altered := filepath.Join(dir, "altered.txt")
	b, _ := os.ReadFile(good)
	os.WriteFile(altered, []byte(strings.Replace(string(b), sum, h1, 1)), 0o644)
	key := filepath.Join(dir, "publisher.asc")
	ctx := context.Background()
	if got, err := Load(ctx, Monerod, "monerod", Release{Release: archivePath, Hashes: good, SigningKey: key}); err != nil || string(got.Data) != string(bin) {
		t.Fatalf("signed by the publisher: %v", err)
	}
	for name, f := range map[string]string{"another key": bad, "altered": altered} {
		if _, err := Load(ctx, Monerod, "monerod", Release{Release: archivePath, Hashes: f, SigningKey: key}); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// An archive whose program would unpack to more than any release's is refused from its header,
// before it is unpacked into memory (a decompression bomb: 300 MB of zeros in 300 KB).
func TestHugeProgramRefused(t *testing.T) {
	var b bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	const size = 300 << 20
	tw.WriteHeader(&tar.Header{Name: "xmrig-6.24.0/xmrig", Mode: 0o755, Size: size, Typeflag: tar.TypeReg})
	io.CopyN(tw, zeros{}, size)
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "xmrig-6.24.0-linux-static-x64.tar.gz")
	os.WriteFile(p, b.Bytes(), 0o644)
	sum := sha256.Sum256(b.Bytes())
	_, err := Load(context.Background(), Xmrig, "xmrig", Release{Release: p, SHA256: hex.EncodeToString(sum[:])})
	if err == nil || !strings.Contains(err.Error(), "unpacks to 300 MB") {
		t.Fatalf("%v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
