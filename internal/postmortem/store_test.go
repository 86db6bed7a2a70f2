package postmortem_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hindsight"
	"hindsight/internal/postmortem"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// What hindsight import then hindsight export do: the example postmortem
// and every test document survive being stored, the text the importer
// kept aside included.
func TestRoundTripThroughStore(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "import", "*.md"))
	fixture := filepath.Join("..", "..", "..", "shared", "fixtures", "postmortems", "api-cache-outage.md")
	paths = append(paths, fixture)
	r, err := postmortem.NewRenderer(hindsight.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, path := range paths {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			d, _, err := postmortem.Import(src, now)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var direct bytes.Buffer
			if err := r.Render(&direct, d, "", nil); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateIncident(ctx, d); err != nil {
				t.Fatalf("%s: store: %v", path, err)
			}
			stored, err := s.IncidentDetail(ctx, d.Ref)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := r.Render(&out, stored, "", nil); err != nil {
				t.Fatal(err)
			}
			if out.String() != direct.String() {
				t.Errorf("%s: the stored incident exports differently:\n%s\n---\n%s", path, direct.String(), out.String())
			}
			if path == fixture && strings.Join(nonBlank(out.String()), "\n") != strings.Join(nonBlank(string(src)), "\n") {
				t.Errorf("the stored example exports other lines:\n%s", out.String())
			}
		}
	})
}

func nonBlank(md string) []string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
