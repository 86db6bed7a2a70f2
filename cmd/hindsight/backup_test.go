package main_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"hindsight/internal/store"
)

// TestBackupUnderLoad runs `hindsight backup` three times while webhooks
// and API clients write: each copy passes integrity_check, holds
// everything acknowledged before it started, and `serve` opens it. Then it
// restores one as the README says and serves it.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hindsight.db")
	hookToken, editorToken := newToken(t, db, "webhook"), newToken(t, db, "editor")
	base, cmd, log := startServe(t, "--db", db)
	logs := log.drain()
	if status, _ := call(t, "POST", base+"/api/v1/incidents", editorToken, `{"title":"Backups while it burns"}`); status != 201 {
		t.Fatalf("create INC-1: %d", status)
	}
	l := &ledger{}
	stopLoad := runLoad(base, hookToken, editorToken, "bk", 6, 2, l)
	type copyOf struct {
		path          string
		alerts, notes []string // acknowledged before the backup started
	}
	var copies []copyOf
	for i := range 3 {
		time.Sleep(400 * time.Millisecond)
		l.mu.Lock()
		c := copyOf{path: filepath.Join(dir, fmt.Sprintf("backup-%d.db", i)),
			alerts: append([]string(nil), l.alertsAcked...), notes: append([]string(nil), l.eventsAcked...)}
		l.mu.Unlock()
		if _, stderr, code := hindsight(t, "", "backup", "--db", db, c.path); code != 0 {
			t.Fatalf("backup %d under load: exit %d: %s", i, code, stderr)
		}
		copies = append(copies, c)
	}
	stopLoad()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	logs()
	if len(l.refused) > 0 {
		t.Fatalf("requests refused during the backups: %v", l.refused)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*.partial")); len(leftovers) > 0 {
		t.Errorf("backups left temporary files: %v", leftovers)
	}

	ctx := context.Background()
	var lastAlerts int
	for i, c := range copies {
		st, err := store.Open(ctx, c.path)
		if err != nil {
			t.Fatalf("open backup %d: %v", i, err)
		}
		var ok string
		if err := st.QueryRow(ctx, "PRAGMA integrity_check", &ok); err != nil || ok != "ok" {
			t.Errorf("backup %d: integrity_check %q %v", i, ok, err)
		}
		st.Close()
		b := &ledger{alertsAcked: c.alerts, eventsAcked: c.notes}
		checkStored(t, c.path, b, false)
		lastAlerts = len(c.alerts)
	}
	if lastAlerts == 0 {
		t.Fatal("no alert was acknowledged before the last backup: the load did not run")
	}

	// serve opens a backup as it is.
	base, _, _ = startServe(t, "--db", copies[0].path)
	if status, got := call(t, "GET", base+"/api/v1/incidents/INC-1", editorToken, ""); status != 200 || got["title"] != "Backups while it burns" {
		t.Fatalf("serve on backup 0: %d %v", status, got)
	}

	// Restore as the README says: with serve stopped, put the backup in
	// place of the database and remove the -wal and -shm files beside it.
	last := copies[len(copies)-1]
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if err := os.Rename(last.path, db); err != nil {
		t.Fatal(err)
	}
	base, _, _ = startServe(t, "--db", db)
	status, got := call(t, "GET", base+"/api/v1/incidents/INC-1", editorToken, "")
	if status != 200 || len(got["events"].([]any)) < len(last.notes) {
		t.Fatalf("restored database: %d, %d events, want at least %d", status, len(got["events"].([]any)), len(last.notes))
	}
	if status, _ := call(t, "POST", base+"/api/v1/incidents/INC-1/events", editorToken, `{"text":"Restored from backup"}`); status != 201 {
		t.Fatalf("write to the restored database: %d", status)
	}
	checkStored(t, db, &ledger{alertsAcked: last.alerts, eventsAcked: append(last.notes, "Restored from backup")}, false)
	t.Logf("3 backups under load; the last held %d acknowledged alerts and %d entries", len(last.alerts), len(last.notes))
}
