package postmortem

import (
	"fmt"
	"strings"
	"testing"
)

// Importing the example postmortem of DESIGN.md section 6 and exporting
// it with the default template gives the same lines; only blank lines may
// differ.
func TestRoundTripFixture(t *testing.T) {
	src := readFile(t, fixture("postmortems", "api-cache-outage.md"))
	d, _ := mustImport(t, src)
	out := render(t, newTestRenderer(t), d, "", nil)
	want, got := nonBlankLines(string(src)), nonBlankLines(out)
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("line %d of the export differs:\n got: %q\nwant: %q\n\nexport:\n%s", i+1, g, w, out)
		}
	}
}

// Exporting what an export imports to gives the same document: whatever
// the importer keeps, the export puts back where the importer finds it.
func TestExportImportStable(t *testing.T) {
	r := newTestRenderer(t)
	docs := importDocs(t)
	docs["api-cache-outage"] = readFile(t, fixture("postmortems", "api-cache-outage.md"))
	for _, name := range sortedKeys(docs) {
		for _, tmpl := range []string{"default", "sre"} {
			t.Run(name+"/"+tmpl, func(t *testing.T) {
				d, _ := mustImport(t, docs[name])
				first := render(t, r, d, tmpl, nil)
				again, _ := mustImport(t, []byte(first))
				second := render(t, r, again, tmpl, nil)
				if first != second {
					t.Fatalf("the export changes when imported again:\n%s", lineDiff(first, second))
				}
			})
		}
	}
}

// lineDiff shows the first lines where two texts part.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s\n\nfirst:\n%s\nsecond:\n%s", i+1, x, y, a, b)
		}
	}
	return ""
}
