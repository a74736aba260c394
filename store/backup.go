package store

import (
	"fmt"
	"io"

	badger "github.com/dgraph-io/badger/v4"
)

// Backup writes a full snapshot of the store as Badger's backup stream. It runs beside writers.
func (s *Store) Backup(w io.Writer) error {
	if _, err := s.db.Backup(w, 0); err != nil {
		return fmt.Errorf("backup store %s: %w", s.dir, err)
	}
	return nil
}

// LoadBackup fills an empty directory from a Badger backup stream.
func LoadBackup(dir string, r io.Reader) error {
	db, err := badger.Open(badgerOptions(dir, nil))
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	if err := db.Load(r, 16); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}
