package postmortem

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hindsight/internal/incident"
)

// FuzzImport feeds the importer anything: it must not panic, must refuse
// with a code the web layer maps to 400, 413 or 415 (never 500), and what
// it accepts must be storable and exportable.
func FuzzImport(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "import", "*.md"))
	paths = append(paths, fixture("postmortems", "api-cache-outage.md"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "#", "# T\n---\n", "---\ntitle: x\n---\n", "+++\ntitle = 'x'\n+++\n# Y\n",
		"# T\n\n## Timeline\n\n| Time | Event |\n| --- | --- |\n| 10:00 | x |\n| | y |\n",
		"# T\n\n## Action Items\n\n- [x] a (@b; due 2024-02-30)\n- [ ] (owner: x)\n",
		"# T\n\n## Timeline\n\n### 10:00\n\n### 2024-01-01\n\n- Jan 1\n  - 23:59 PM x\n",
		"# T\n> ## Timeline\n> - 10:00 x\n", "# T\n\n```\n## Timeline\n```\n",
	} {
		f.Add([]byte(s))
	}
	r := newTestRenderer(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		d, warnings, err := Import(src, importNow)
		if err != nil {
			switch incident.ErrorCode(err) {
			case incident.EINVALID, incident.EUNSUPPORTED, incident.ETOOLARGE:
			default:
				t.Fatalf("error %v has code %q", err, incident.ErrorCode(err))
			}
			return
		}
		if strings.TrimSpace(d.Title) == "" {
			t.Fatal("accepted without a title")
		}
		if len(warnings) > maxWarnings+1 {
			t.Fatalf("%d warnings", len(warnings))
		}
		if err := validDetail(d); err != nil && !tooLong(err) {
			t.Fatalf("the store would refuse the import: %v", err)
		}
		for _, tmpl := range []string{"default", "sre"} {
			var buf bytes.Buffer
			if err := r.Render(&buf, d, tmpl, nil); err != nil {
				t.Fatalf("render %s: %v", tmpl, err)
			}
		}
		if _, err := RenderHTML(src); err != nil {
			t.Fatalf("preview: %v", err)
		}
		Check(d)
	})
}

// tooLong reports a field over its length limit, which the store refuses
// with 400: a fair answer to a document with a 70 KB paragraph.
func tooLong(err error) bool {
	return incident.ErrorCode(err) == incident.EINVALID && strings.Contains(err.Error(), "characters long")
}
