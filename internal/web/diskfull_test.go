package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
)

// smallDisk mounts a tmpfs of the given size for the test and returns its
// path; it skips the test, saying why, where mounting is not allowed.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("the full-disk test mounts a small tmpfs and needs root for it: mount: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v %s", err, out)
		}
	})
	return dir
}

// fill takes the disk's free space with one file and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC: the disk is full
		}
	}
	for _, n := range []int{4096, 512, 1} { // and the last partial blocks
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	return p
}

func TestDiskFull(t *testing.T) {
	dir := smallDisk(t, "4m")
	st, err := store.Open(context.Background(), filepath.Join(dir, "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs strings.Builder
	e := newEnv(t, st)
	e.server = newServerLoggingTo(st, &logs)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Before the disk filled"}`, nil)

	filler := fill(t, dir)
	refused := 0
	// A page of text per entry, so that the WAL must grow past what it has.
	text := strings.Repeat("The disk is full and this entry must not be acknowledged. ", 60)
	for i := range 50 {
		w := e.do(incident.RoleEditor, "POST", "/api/v1/incidents/INC-1/events", fmt.Sprintf(`{"text":"%d %s"}`, i, text))
		switch w.Code {
		case 201:
		case 503:
			refused++
			var body apiError
			json.Unmarshal(w.Body.Bytes(), &body)
			if body.Error.Code != "unavailable" || w.Header().Get("Retry-After") == "" {
				t.Fatalf("refusal: %s %v", w.Body, w.Header())
			}
		default:
			t.Fatalf("write on a full disk: %d %s", w.Code, w.Body)
		}
	}
	if refused == 0 {
		t.Fatal("no write was refused on a full disk")
	}
	if !strings.Contains(logs.String(), "database or disk is full") {
		t.Errorf("no clear log line for the full disk:\n%s", logs.String())
	}
	var d incident.Detail
	e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
	acknowledged := 50 - refused
	if len(d.Events) != acknowledged {
		t.Fatalf("%d entries acknowledged, %d stored", acknowledged, len(d.Events))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Space is back"}`, nil)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"After the disk emptied"}`, nil)
	var ok string
	if err := st.QueryRow(context.Background(), "PRAGMA integrity_check", &ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
}
