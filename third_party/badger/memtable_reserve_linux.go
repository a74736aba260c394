// db4e: this file is not Badger's (see third_party/badger/README.md).

package badger

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// reserveLog gives a new memtable's log the disk blocks it will be written to, at its
// creation. Badger truncates the file to its size and writes it through a shared mapping: a
// page of that sparse file gets its block when it is first written, and on a disk full by then
// the write is a SIGBUS that kills the process. Reserved, a full disk is an error here, when
// the memtable is made, and the writes that follow cannot fail for room. A file system without
// fallocate keeps Badger's sparse file.
func reserveLog(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return nil
	}
	return err
}
