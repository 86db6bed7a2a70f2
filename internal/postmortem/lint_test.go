package postmortem

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The export passes markdownlint's default rules, line length (MD013)
// aside: the fixture's export, the golden incident in both templates, and
// the exports of every test document.
func TestExportPassesMarkdownlint(t *testing.T) {
	lint := findMarkdownlint(t)
	dir := t.TempDir()
	// markdownlint-cli2 reads its configuration from the directory it lints.
	if err := os.WriteFile(filepath.Join(dir, ".markdownlint-cli2.jsonc"),
		[]byte(`{"config": {"default": true, "MD013": false}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newTestRenderer(t)
	files := map[string]string{}
	d, _ := mustImport(t, readFile(t, fixture("postmortems", "api-cache-outage.md")))
	files["fixture-default.md"] = render(t, r, d, "default", nil)
	files["fixture-sre.md"] = render(t, r, d, "sre", nil)
	files["rich-default.md"] = render(t, r, richIncident(), "default", nil)
	files["rich-sre.md"] = render(t, r, richIncident(), "sre", nil)
	for name, src := range importDocs(t) {
		d, _ := mustImport(t, src)
		files[name+"-default.md"] = render(t, r, d, "default", nil)
		files[name+"-sre.md"] = render(t, r, d, "sre", nil)
	}
	var args []string
	for name, md := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	cmd := exec.Command(lint, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("markdownlint-cli2 found problems (%v):\n%s", err, out)
	}
}

// findMarkdownlint looks for markdownlint-cli2 on PATH, then in the
// node_modules/.bin of this directory or one above it; it skips the test,
// saying how to install it, when there is none.
func findMarkdownlint(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("markdownlint-cli2"); err == nil {
		return p
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "node_modules", ".bin", "markdownlint-cli2")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skip("markdownlint-cli2 is not installed (not on PATH nor in node_modules/.bin): npm install markdownlint-cli2 to run this test")
	return ""
}
