package postmortem

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// xssVectors reads testdata/xss/vectors.txt: one attack a line, with \n
// standing for a line break, # lines are comments.
func xssVectors(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "xss", "vectors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.ReplaceAll(line, `\n`, "\n"))
		}
	}
	if err := sc.Err(); err != nil || len(out) < 50 {
		t.Fatalf("%d vectors, %v", len(out), err)
	}
	return out
}

// scriptless are the elements that may be shown: nothing that runs script,
// loads a document or changes where links and forms go.
var scriptless = map[string]bool{
	"a": true, "abbr": true, "b": true, "blockquote": true, "br": true, "code": true, "del": true,
	"div": true, "em": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"hr": true, "i": true, "img": true, "input": true, "li": true, "ol": true, "p": true, "pre": true,
	"s": true, "span": true, "strong": true, "sub": true, "sup": true, "table": true, "tbody": true,
	"td": true, "th": true, "thead": true, "tr": true, "ul": true,
}

// unsafeHTML returns what in the HTML fragment h could run script in a
// browser, or "" when nothing can: an element outside scriptless, an event
// handler or style attribute, or a URL of a scheme other than http, https
// and mailto.
func unsafeHTML(h []byte) string {
	z := html.NewTokenizer(bytes.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !scriptless[tok.Data] {
				return "element <" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc", key == "formaction":
					return "attribute " + a.Key + " on <" + tok.Data + ">"
				case key == "href" || key == "src" || key == "action" || key == "xlink:href" || key == "data" || key == "background":
					if bad := unsafeURL(a.Val); bad != "" {
						return bad + " in " + a.Key + " of <" + tok.Data + ">"
					}
				}
			}
		}
	}
}

// unsafeURL returns the scheme of u when a browser would run or load it as
// a document: anything but http, https, mailto and relative URLs.
func unsafeURL(u string) string {
	// Browsers drop control characters and white space inside schemes.
	var b strings.Builder
	for _, r := range u {
		if r > ' ' && r != 0x7f {
			b.WriteRune(r)
		}
	}
	s := strings.ToLower(b.String())
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || strings.ContainsAny(scheme, "/?#") {
		return "" // relative
	}
	switch scheme {
	case "http", "https", "mailto":
		return ""
	}
	return "scheme " + scheme + ":"
}

func TestUnsafeHTMLFindsAttacks(t *testing.T) {
	for _, h := range []string{`<script>x</script>`, `<img src=x onerror=y>`, `<a href="java&#09;script:x">`,
		`<a href=" JAVASCRIPT:x">`, `<svg>`, `<p style="x">`, `<a href="data:text/html,x">`} {
		if unsafeHTML([]byte(h)) == "" {
			t.Errorf("%s passed the check", h)
		}
	}
	for _, h := range []string{`<p>&lt;script&gt;</p>`, `<a href="https://e.com/x?javascript:1" rel="nofollow">x</a>`, `<a href="/incidents/INC-1">`, `<input type="checkbox" disabled>`} {
		if bad := unsafeHTML([]byte(h)); bad != "" {
			t.Errorf("%s refused: %s", h, bad)
		}
	}
}

// TestPreviewXSS renders every vector of the corpus, alone and inside a
// postmortem, through the preview: nothing that runs survives.
func TestPreviewXSS(t *testing.T) {
	vectors := xssVectors(t)
	for _, v := range vectors {
		for _, doc := range []string{v, "# Postmortem: " + v + "\n\n## Timeline\n\n- **10:00 AM (UTC):** " + v + "\n\n" + v + "\n"} {
			out, err := RenderHTML([]byte(doc))
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			if bad := unsafeHTML(out); bad != "" {
				t.Errorf("%q: the preview holds %s:\n%s", v, bad, out)
			}
		}
	}
	t.Logf("%d XSS vectors through the preview", len(vectors))
}

// FuzzRenderHTML: whatever Markdown a postmortem holds, the preview holds
// nothing that runs.
func FuzzRenderHTML(f *testing.F) {
	for _, v := range xssVectors(f) {
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
		if bad := unsafeHTML(out); bad != "" {
			t.Fatalf("the preview of %q holds %s:\n%s", md, bad, out)
		}
	})
}
