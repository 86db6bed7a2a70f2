package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"hindsight/internal/incident"
)

var bg = context.Background()

// watchSyncs makes s count the syncs of its write-ahead log, checking that
// each is of the log SQLite writes now, and run hook first when set.
func watchSyncs(t *testing.T, s *Store, hook func()) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	s.wal.sync = func(f *os.File) error {
		if hook != nil {
			hook()
		}
		open, err1 := f.Stat()
		cur, err2 := os.Stat(s.wal.path)
		if err1 != nil || err2 != nil || !os.SameFile(open, cur) {
			t.Errorf("synced %s, not the current write-ahead log %s (%v, %v)", f.Name(), s.wal.path, err1, err2)
		}
		n.Add(1)
		return f.Sync()
	}
	return &n
}

func openSQLite(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A write returns only after the log holding it is synced: SQLite itself
// runs with synchronous=NORMAL, and the store does the rest.
func TestWritesSyncTheLog(t *testing.T) {
	s := openSQLite(t)
	var mode string
	var syncMode int
	if err := s.QueryRow(bg, "PRAGMA journal_mode", &mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := s.QueryRow(bg, "PRAGMA synchronous", &syncMode); err != nil || syncMode != 1 {
		t.Errorf("synchronous = %d, %v; want 1 (NORMAL: the store syncs the log itself)", syncMode, err)
	}
	syncs := watchSyncs(t, s, nil)
	before, _ := s.LogSyncs()
	if err := s.CreateIncident(bg, &incident.Detail{Incident: incident.Incident{Title: "Disk", Severity: incident.SEV2}}); err != nil {
		t.Fatal(err)
	}
	if syncs.Load() == 0 {
		t.Fatal("an incident was created and the log was not synced")
	}
	// What /metrics reports.
	after, ok := s.LogSyncs()
	if !ok || after.Syncs-before.Syncs != syncs.Load() || after.Took <= before.Took {
		t.Errorf("LogSyncs went from %+v to %+v (%v), with %d syncs", before, after, ok, syncs.Load())
	}
}

// The alert writer answers a delivery only once its transaction is
// synced, and meanwhile commits the next one.
func TestAlertWriterAnswersAfterSync(t *testing.T) {
	s := openSQLite(t)
	release := make(chan struct{})
	syncing := make(chan struct{}, 16)
	watchSyncs(t, s, func() {
		syncing <- struct{}{}
		<-release
	})
	w := NewAlertWriter(s, AlertWriterConfig{})
	defer w.Close(context.Background())
	post := func(fp string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := w.IngestAlerts(bg, &incident.AlertBatch{Source: "alertmanager", GroupKey: "g",
				Alerts: []incident.Alert{{Fingerprint: fp, Name: "A", Status: incident.AlertFiring, StartsAt: time.Now()}}})
			done <- err
		}()
		return done
	}
	first := post("first")
	<-syncing // the first transaction is committed; its sync hangs
	second := post("second")
	deadline := time.Now().Add(10 * time.Second)
	for w.Stats().Batches < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := w.Stats().Batches; n != 2 {
		t.Fatalf("%d transactions committed while the disk synced the first; want the second committed too", n)
	}
	select {
	case err := <-first:
		t.Fatalf("answered before the log was synced: %v", err)
	case err := <-second:
		t.Fatalf("answered before the log was synced: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	for _, done := range []chan error{first, second} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// When SQLite has removed the log (its last connection closed) and made a
// new one, the flusher syncs the new one; with no log where it should be,
// it syncs nothing and says so.
func TestWALFlusherFollowsTheLog(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	w := newWALFlusher(db)
	defer w.close()
	var synced []os.FileInfo
	w.sync = func(f *os.File) error {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		synced = append(synced, fi)
		return nil
	}
	if err := w.flush(); err == nil || len(synced) != 0 {
		t.Fatalf("no log: %v, %d syncs; want an error", err, len(synced))
	}
	for i := range 2 {
		if err := os.WriteFile(w.path, []byte("frames"), 0o644); err != nil {
			t.Fatal(err)
		}
		cur, _ := os.Stat(w.path)
		if err := w.flush(); err != nil {
			t.Fatal(err)
		}
		if len(synced) != i+1 || !os.SameFile(synced[i], cur) {
			t.Fatalf("log %d: synced %v, want the current log", i, synced)
		}
		if err := os.Remove(w.path); err != nil {
			t.Fatal(err)
		}
	}
}

// A database opened through a symbolic link has its log beside the real
// file, and that is the log synced.
func TestWALFlusherThroughSymlink(t *testing.T) {
	real, links := t.TempDir(), t.TempDir()
	s, err := Open(bg, filepath.Join(real, "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	link := filepath.Join(links, "h.db")
	if err := os.Symlink(filepath.Join(real, "h.db"), link); err != nil {
		t.Skipf("this file system has no symbolic links: %v", err)
	}
	s, err = Open(bg, link)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	syncs := watchSyncs(t, s, nil)
	if err := s.CreateIncident(bg, &incident.Detail{Incident: incident.Incident{Title: "Linked", Severity: incident.SEV3}}); err != nil {
		t.Fatal(err)
	}
	if syncs.Load() == 0 {
		t.Fatal("a write through a symbolic link synced no log")
	}
}

// After a sync fails, the write it was for is reported as not confirmed
// (a 500: it is committed, and a retry could write it twice), and every
// later write is refused before it is made, even when the disk seems to
// work again: Linux may have dropped the pages it could not write.
func TestSyncFailureIsFinal(t *testing.T) {
	s := openSQLite(t)
	var fail atomic.Bool
	fail.Store(true)
	s.wal.sync = func(f *os.File) error {
		if fail.Swap(false) {
			return errors.New("input/output error")
		}
		return f.Sync()
	}
	create := func(title string) error {
		return s.CreateIncident(bg, &incident.Detail{Incident: incident.Incident{Title: title, Severity: incident.SEV3}})
	}
	if err := create("first"); incident.ErrorCode(err) != incident.EINTERNAL || !errors.Is(err, ErrDiskFailed) {
		t.Fatalf("write whose sync failed: %v (code %s)", err, incident.ErrorCode(err))
	}
	var before int
	if err := s.QueryRow(bg, "SELECT COUNT(*) FROM incidents", &before); err != nil {
		t.Fatal(err)
	}
	if err := create("second"); incident.ErrorCode(err) != incident.EUNAVAILABLE {
		t.Fatalf("write after a failed sync: %v (code %s), want refused", err, incident.ErrorCode(err))
	}
	w := NewAlertWriter(s, AlertWriterConfig{})
	defer w.Close(bg)
	_, err := w.IngestAlerts(bg, &incident.AlertBatch{Source: "alertmanager", GroupKey: "g",
		Alerts: []incident.Alert{{Fingerprint: "f", Name: "A", Status: incident.AlertFiring, StartsAt: time.Now()}}})
	if incident.ErrorCode(err) != incident.EUNAVAILABLE {
		t.Fatalf("alerts after a failed sync: %v, want refused", err)
	}
	if err := s.Ping(bg); !errors.Is(err, ErrDiskFailed) {
		t.Errorf("Ping after a failed sync: %v; /readyz must say the store is not ready", err)
	}
	var after, alerts int
	s.QueryRow(bg, "SELECT COUNT(*) FROM incidents", &after)
	s.QueryRow(bg, "SELECT COUNT(*) FROM alerts", &alerts)
	if after != before || alerts != 0 {
		t.Errorf("refused writes wrote %d incidents and %d alerts", after-before, alerts)
	}
}
