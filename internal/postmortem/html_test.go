package postmortem

import (
	"strings"
	"testing"
	"time"
)

func TestRenderHTML(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		out, err := RenderHTML([]byte("# T\n\n| Time | Event |\n| :-- | --- |\n| 10:00 | Alert |\n\n- [x] Done task\n- [ ] Open task\n\n~~old~~ [docs](https://example.com)\n"))
		if err != nil {
			t.Fatal(err)
		}
		html := string(out)
		for _, want := range []string{"<h1>T</h1>", "<table>", `<td align="left">10:00</td>`, `<input checked="" disabled="" type="checkbox"`,
			`<input disabled="" type="checkbox"`, "<del>old</del>", `<a href="https://example.com" rel="nofollow">docs</a>`} {
			if !strings.Contains(html, want) {
				t.Errorf("preview lacks %s:\n%s", want, html)
			}
		}
	})
	t.Run("NoRawHTMLNorScript", func(t *testing.T) {
		out, err := RenderHTML([]byte("<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> <b>bold</b>\n\n" +
			"[x](javascript:alert(1)) ![i](javascript:alert(2)) <a href=\"https://e.com\" onclick=\"x()\">a</a>\n\n" +
			"<iframe src=\"https://evil\"></iframe>\n"))
		if err != nil {
			t.Fatal(err)
		}
		html := strings.ToLower(string(out))
		for _, bad := range []string{"<script", "onerror", "javascript:", "<iframe", "onclick", "<b>", "<img src=\"x\""} {
			if strings.Contains(html, bad) {
				t.Errorf("preview holds %s:\n%s", bad, out)
			}
		}
	})
	t.Run("Postmortem", func(t *testing.T) {
		md := render(t, newTestRenderer(t), richIncident(), "sre", nil)
		out, err := RenderHTML([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "<th>Item</th>") || !strings.Contains(string(out), "<h2>Timeline</h2>") {
			t.Errorf("preview:\n%s", out)
		}
	})
	t.Run("TooDeepIsShownAsText", func(t *testing.T) {
		start := time.Now()
		out, err := RenderHTML([]byte(strings.Repeat("> ", 200000) + "<script>x</script>"))
		if err != nil || !strings.HasPrefix(string(out), "<pre>") || strings.Contains(string(out), "<script>") {
			t.Fatalf("%.80s, %v", out, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
}
