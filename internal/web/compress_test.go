package web_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
)

// A browser that takes gzip gets a long incident's page gzipped, a tenth
// of its size, and the same page once unzipped; small answers and webhook
// answers are not compressed, nor anything for a client that refuses gzip.
func TestPagesAreGzipped(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleViewer)
	start := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	d := &incident.Detail{Incident: incident.Incident{Title: "Long incident", StartedAt: &start}}
	for i := range 500 {
		d.Events = append(d.Events, incident.Event{At: start.Add(time.Duration(i) * time.Minute), Kind: incident.KindNote,
			Source: incident.SourceManual, Text: fmt.Sprintf("Timeline entry %d: checked the cache hit ratio", i)})
	}
	if err := e.store.CreateIncident(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	get := func(path, encoding string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(c)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		w := httptest.NewRecorder()
		e.server.ServeHTTP(w, req)
		return w
	}
	plain := get("/incidents/INC-1", "")
	zipped := get("/incidents/INC-1", "gzip, deflate, br")
	if plain.Header().Get("Content-Encoding") != "" || zipped.Header().Get("Content-Encoding") != "gzip" ||
		!strings.Contains(zipped.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q without gzip asked, %q (Vary %q) with", plain.Header().Get("Content-Encoding"),
			zipped.Header().Get("Content-Encoding"), zipped.Header().Get("Vary"))
	}
	size := zipped.Body.Len()
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Timeline entry 499: checked") || len(page) < plain.Body.Len()*9/10 {
		t.Fatalf("the page unzipped is %d bytes, without gzip %d", len(page), plain.Body.Len())
	}
	if size == 0 || len(page)/size < 5 {
		t.Errorf("gzipped %d bytes of %d", size, len(page))
	}
	t.Logf("page of 500 entries: %d bytes, %d gzipped", len(page), size)

	if w := get("/healthz", "gzip"); w.Header().Get("Content-Encoding") != "" {
		t.Error("a small answer was gzipped")
	}
	for _, refused := range []string{"gzip;q=0", "gzip; q=0.", "gzip;q=0.000", "br"} {
		if w := get("/incidents/INC-1", refused); w.Header().Get("Content-Encoding") != "" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, Vary %q", refused, w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
		}
	}
	req := httptest.NewRequest("POST", "/hooks/generic", strings.NewReader(`{"title":"Disk full","severity":"critical","fingerprint":"disk"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleWebhook])
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "" {
		t.Errorf("webhook: %d, Content-Encoding %q", w.Code, w.Header().Get("Content-Encoding"))
	}
}
