package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// walFlusher makes SQLite's commits durable by syncing the write-ahead log
// itself. SQLite runs with synchronous=NORMAL, which never waits for the
// disk at a commit; the store then syncs the log before it tells anyone
// that a write is done. Together that is synchronous=FULL's promise, a
// commit survives a power loss, with one difference that matters under
// an alert storm: the alert writer starts the next transaction while the
// disk works on the last one, instead of waiting between the two.
//
// The log is one file, appended to and sometimes restarted from its
// start, never synced by SQLite between checkpoints: one sync makes every
// commit before it durable, whichever connection wrote it.
type walFlusher struct {
	path string
	// sync syncs f; tests watch it.
	sync func(f *os.File) error

	mu sync.Mutex
	f  *os.File
}

func newWALFlusher(dbPath string) *walFlusher {
	return &walFlusher{path: dbPath + "-wal", sync: syncData}
}

// flush syncs the log as it is now. It keeps the file open between calls:
// closing a descriptor of a file drops every POSIX lock the process holds
// on it, and SQLite's are not this code's to drop. When SQLite has removed
// the log (it does when its last connection closes, after copying the log
// into the database and syncing that), flush opens the new one.
func (w *walFlusher) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur, err := os.Stat(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no log: every commit is in the database file, synced
	}
	if err != nil {
		return fmt.Errorf("sync write-ahead log: %w", err)
	}
	if w.f != nil {
		if open, err := w.f.Stat(); err != nil || !os.SameFile(open, cur) {
			w.f.Close() // a log SQLite has removed: no lock of SQLite's is on it
			w.f = nil
		}
	}
	if w.f == nil {
		if w.f, err = os.Open(w.path); err != nil {
			return fmt.Errorf("sync write-ahead log: %w", err)
		}
		// A new log must be found in its directory after a power loss.
		if err := syncFile(filepath.Dir(w.path)); err != nil {
			return fmt.Errorf("sync write-ahead log: %w", err)
		}
	}
	if err := w.sync(w.f); err != nil {
		return fmt.Errorf("sync write-ahead log: %w", err)
	}
	return nil
}

func (w *walFlusher) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
