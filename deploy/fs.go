package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/pkg/sftp"
)

// FS is a host's files as deploy changes them: the node's through os, a rig's through SFTP.
// Every write is atomic (a temporary name, then a rename), so a kill leaves the old file or
// the new one, never half of one.
type FS interface {
	ReadFile(p string) ([]byte, error) // fs.ErrNotExist when absent
	Readlink(p string) (string, error)
	Exists(p string) (bool, error)
	WriteFile(p string, data []byte, mode fs.FileMode) error
	// Symlink points p at target, replacing what p was in one rename.
	Symlink(target, p string) error
	Rename(from, to string) error
	RemoveAll(p string) error
	MkdirAll(p string) error
	Close() error
}

// LocalFS is the node's files.
type LocalFS struct{}

func (LocalFS) ReadFile(p string) ([]byte, error) { return os.ReadFile(p) }
func (LocalFS) Readlink(p string) (string, error) { return os.Readlink(p) }
func (LocalFS) Exists(p string) (bool, error) {
	_, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
func (LocalFS) WriteFile(p string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return renameio.WriteFile(p, data, mode)
}
func (LocalFS) Symlink(target, p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return renameio.Symlink(target, p)
}
func (LocalFS) Rename(from, to string) error { return os.Rename(from, to) }
func (LocalFS) RemoveAll(p string) error     { return os.RemoveAll(p) }
func (LocalFS) MkdirAll(p string) error      { return os.MkdirAll(p, 0o755) }
func (LocalFS) Close() error                 { return nil }

// SFTPFS is a rig's files over SFTP (OpenSSH's posix-rename makes the renames atomic).
type SFTPFS struct {
	C    *sftp.Client
	Host string
}

func (s SFTPFS) wrap(op, p string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s %s:%s: %w", op, s.Host, p, fs.ErrNotExist)
	}
	return fmt.Errorf("%s %s:%s: %w", op, s.Host, p, err)
}

func (s SFTPFS) ReadFile(p string) ([]byte, error) {
	f, err := s.C.Open(p)
	if err != nil {
		return nil, s.wrap("read", p, err)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return nil, s.wrap("read", p, err)
	}
	return b.Bytes(), nil
}

func (s SFTPFS) Readlink(p string) (string, error) {
	t, err := s.C.ReadLink(p)
	return t, s.wrap("readlink", p, err)
}

func (s SFTPFS) Exists(p string) (bool, error) {
	_, err := s.C.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, s.wrap("stat", p, err)
}

func (s SFTPFS) WriteFile(p string, data []byte, mode fs.FileMode) error {
	if err := s.C.MkdirAll(path.Dir(p)); err != nil {
		return s.wrap("mkdir", path.Dir(p), err)
	}
	tmp := p + ".db4e-new"
	f, err := s.C.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return s.wrap("write", tmp, err)
	}
	_, err = io.Copy(f, bytes.NewReader(data))
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.C.PosixRename(tmp, p)
	}
	if err != nil {
		s.C.Remove(tmp)
		return s.wrap("write", p, err)
	}
	return nil
}

func (s SFTPFS) Symlink(target, p string) error {
	if err := s.C.MkdirAll(path.Dir(p)); err != nil {
		return s.wrap("mkdir", path.Dir(p), err)
	}
	tmp := p + ".db4e-new"
	s.C.Remove(tmp)
	if err := s.C.Symlink(target, tmp); err != nil {
		return s.wrap("symlink", p, err)
	}
	return s.wrap("symlink", p, s.C.PosixRename(tmp, p))
}

func (s SFTPFS) Rename(from, to string) error {
	return s.wrap("rename", from, s.C.PosixRename(from, to))
}
func (s SFTPFS) RemoveAll(p string) error {
	if ok, _ := s.Exists(p); !ok {
		return nil
	}
	return s.wrap("remove", p, s.C.RemoveAll(p))
}
func (s SFTPFS) MkdirAll(p string) error { return s.wrap("mkdir", p, s.C.MkdirAll(p)) }
func (s SFTPFS) Close() error            { return s.C.Close() }
