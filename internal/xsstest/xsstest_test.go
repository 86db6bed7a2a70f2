package xsstest

import "testing"

func TestUnsafe(t *testing.T) {
	page := Policy{ScriptSrcPrefix: "/static/"}
	for _, h := range []string{`<script>x</script>`, `<img src=x onerror=y>`, `<a href="java&#09;script:x">`,
		`<a href=" JAVASCRIPT:x">`, `<p style="x">`, `<a href="data:text/html,x">`, `<iframe src="/x">`,
		`<svg><a xlink:href="javascript:x">`, `<script src="/static/app.js">alert(1)</script>`,
		`<script src="https://evil.example/x.js"></script>`, `<script src="//evil.example/static/x.js"></script>`,
		`<form><button formaction="javascript:x">`, `<meta http-equiv="refresh" content="0;url=/">`} {
		if page.Unsafe([]byte(h)) == "" {
			t.Errorf("%s passed the check", h)
		}
	}
	for _, h := range []string{`<p>&lt;script&gt;</p>`, `<a href="https://e.com/x?javascript:1">x</a>`,
		`<a href="/incidents/INC-1">`, `<input type="checkbox" disabled>`, `<script src="/static/app.3f2a.js" defer></script>`,
		`<svg viewBox="0 0 10 10"><rect width="5" height="5"><title>5 incidents</title></rect></svg>`,
		`<textarea name="text"><script>alert(1)</script></textarea>`, `<meta charset="utf-8">`, `<title>&lt;img src=x onerror=1&gt;</title>`} {
		if bad := page.Unsafe([]byte(h)); bad != "" {
			t.Errorf("%s refused: %s", h, bad)
		}
	}
	if bad := (Policy{Elements: map[string]bool{"p": true}}).Unsafe([]byte(`<p><svg></svg></p>`)); bad == "" {
		t.Error("an element outside Elements passed")
	}
	if n := len(Vectors()); n < 70 {
		t.Errorf("%d vectors", n)
	}
}
