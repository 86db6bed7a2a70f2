package postmortem

import (
	"os"
	"testing"

	"hindsight/internal/xsstest"
)

// previewHTML is what the preview may hold: the elements of Markdown, the
// checkboxes of task lists, and nothing that runs.
var previewHTML = xsstest.Policy{Elements: map[string]bool{
	"a": true, "blockquote": true, "br": true, "code": true, "del": true, "em": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "hr": true, "img": true,
	"input": true, "li": true, "ol": true, "p": true, "pre": true, "strong": true, "table": true,
	"tbody": true, "td": true, "th": true, "thead": true, "tr": true, "ul": true,
}}

// TestPreviewXSS renders every attack of the corpus through the preview,
// alone and inside a postmortem: nothing that runs survives.
func TestPreviewXSS(t *testing.T) {
	vectors := xsstest.Vectors()
	for _, v := range vectors {
		for _, doc := range []string{v, "# Postmortem: " + v + "\n\n## Timeline\n\n- **10:00 AM (UTC):** " + v + "\n\n" + v + "\n"} {
			out, err := RenderHTML([]byte(doc))
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			if bad := previewHTML.Unsafe(out); bad != "" {
				t.Errorf("%q: the preview holds %s:\n%s", v, bad, out)
			}
		}
	}
	t.Logf("%d XSS vectors through the preview", len(vectors))
}

// FuzzRenderHTML: whatever Markdown a postmortem holds, the preview holds
// nothing that runs.
func FuzzRenderHTML(f *testing.F) {
	for _, v := range xsstest.Vectors() {
		f.Add([]byte(v))
	}
	if b, err := os.ReadFile(fixture("postmortems", "api-cache-outage.md")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, md []byte) {
		out, err := RenderHTML(md)
		if err != nil {
			t.Fatal(err)
		}
		if bad := previewHTML.Unsafe(out); bad != "" {
			t.Fatalf("the preview of %q holds %s:\n%s", md, bad, out)
		}
	})
}
