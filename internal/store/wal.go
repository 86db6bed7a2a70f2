package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// walFlusher makes SQLite's commits durable by syncing the write-ahead log
// itself. SQLite runs with synchronous=NORMAL, which never waits for the
// disk at a commit; the store then syncs the log before it tells anyone
// that a write is done. Together that is synchronous=FULL's promise, a
// commit survives a power loss, with one difference that matters under
// an alert storm: the alert writer starts the next transaction while the
// disk works on the last one, instead of waiting between the two. The
// price: between its commit and the sync, a change can be read (a page,
// a live view) that a power loss would still take; its sender has no
// answer yet and sends it again.
//
// The log is one file, appended to and sometimes restarted from its
// start, never synced by SQLite between checkpoints: one sync makes every
// commit before it durable, whichever connection wrote it.
type walFlusher struct {
	path string
	// sync syncs f; tests watch it.
	sync func(f *os.File) error

	mu     sync.Mutex
	f      *os.File
	failed error // the first failed sync: every later flush fails too
	closed bool

	hasFailed atomic.Bool // failed != nil

	// Syncs of the log and the time they took, for /metrics: every write
	// waits for one, so they are a floor under the time to answer a
	// webhook, whatever the server's CPU.
	syncs, syncNanos atomic.Int64
}

// ErrDiskFailed is what every write gets once a sync of the log failed.
var ErrDiskFailed = errors.New("a sync of the database's log failed")

// newWALFlusher returns the flusher of the log of the database file db,
// the path SQLite opened (symbolic links resolved, as SQLite does).
func newWALFlusher(db string) *walFlusher {
	return &walFlusher{path: db + "-wal", sync: syncData}
}

// flush syncs the log as it is now. It keeps the file open between calls,
// for speed. When SQLite has removed the log (it does when its last
// connection closes, after copying the log into the database and syncing
// that) and made a new one, flush opens the new one.
//
// A failed sync is final: Linux may drop the pages it could not write and
// report the next sync of the file as a success, and SQLite's recovery
// stops at the first frame that is missing, taking every later commit
// with it. So after one failure, flush fails for good, and the store
// refuses to acknowledge writes until it is restarted.
func (w *walFlusher) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	if w.closed {
		return errors.New("sync write-ahead log: the store is closed")
	}
	cur, err := os.Stat(w.path)
	if err != nil {
		// The write connection stays open, so SQLite keeps its log: none
		// where it should be means the store syncs the wrong file.
		return fmt.Errorf("sync write-ahead log: %w", err)
	}
	if w.f != nil {
		if open, err := w.f.Stat(); err != nil || !os.SameFile(open, cur) {
			w.f.Close() // a log SQLite has removed
			w.f = nil
		}
	}
	if w.f == nil {
		if w.f, err = os.Open(w.path); err != nil {
			return fmt.Errorf("sync write-ahead log: %w", err)
		}
		// A new log must be found in its directory after a power loss.
		if err := syncFile(filepath.Dir(w.path)); err != nil {
			return w.fail(err)
		}
	}
	start := time.Now()
	if err := w.sync(w.f); err != nil {
		return w.fail(err)
	}
	w.syncs.Add(1)
	w.syncNanos.Add(int64(time.Since(start)))
	return nil
}

// LogSyncStats count the syncs of SQLite's write-ahead log that made
// commits durable.
type LogSyncStats struct {
	Syncs int64
	Took  time.Duration // all together
}

func (w *walFlusher) stats() LogSyncStats {
	return LogSyncStats{Syncs: w.syncs.Load(), Took: time.Duration(w.syncNanos.Load())}
}

// broken reports whether a sync has failed. It does not wait for a sync
// under way: the writer asks before every transaction.
func (w *walFlusher) broken() bool { return w.hasFailed.Load() }

func (w *walFlusher) fail(err error) error {
	w.failed = fmt.Errorf("%w: %v; check the disk and restart Hindsight", ErrDiskFailed, err)
	w.hasFailed.Store(true)
	return w.failed
}

func (w *walFlusher) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
