package postmortem

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"hindsight"
	"hindsight/internal/incident"
)

// importNow is the day tests import on: documents that give no date are
// dated by it.
var importNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture returns the path of a file of ../shared/fixtures beside the
// repository, where CI puts it too.
func fixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "..", "shared", "fixtures"}, parts...)...)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

func mustImport(t testing.TB, src []byte) (*incident.Detail, []Warning) {
	t.Helper()
	d, warnings, err := Import(src, importNow)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return d, warnings
}

func newTestRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer(hindsight.Files, "")
	if err != nil {
		t.Fatalf("renderer: %v", err)
	}
	return r
}

func render(t testing.TB, r *Renderer, d *incident.Detail, name string, loc *time.Location) string {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, d, name, loc); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return buf.String()
}

// importDocs returns the documents of testdata/import by name.
func importDocs(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "import", "*.md"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no documents in testdata/import: %v", err)
	}
	docs := map[string][]byte{}
	for _, p := range paths {
		docs[strings.TrimSuffix(filepath.Base(p), ".md")] = readFile(t, p)
	}
	return docs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nonBlankLines returns the lines of md that are not blank.
func nonBlankLines(md string) []string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
