// Package xsstest holds a corpus of cross-site scripting attacks and a check
// that HTML holds nothing a browser would run, for the tests of every page
// and of the Markdown preview.
package xsstest

import (
	"bytes"
	_ "embed"
	"strings"

	"golang.org/x/net/html"
)

//go:embed vectors.txt
var vectorsFile string

// Vectors returns the corpus: script tags, event handlers, javascript:,
// vbscript: and data: links in HTML and Markdown, entity- and otherwise
// encoded variants, SVG and MathML, and attempts to break out of attributes
// and raw-text elements.
func Vectors() []string {
	var out []string
	for line := range strings.SplitSeq(vectorsFile, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.ReplaceAll(line, `\n`, "\n"))
		}
	}
	return out
}

// Policy says what HTML may hold besides text.
type Policy struct {
	// Elements, when set, are the only elements allowed.
	Elements map[string]bool
	// ScriptSrcPrefix, when set, allows script elements that load a file
	// whose URL starts with it and hold no code of their own: the page's
	// own scripts.
	ScriptSrcPrefix string
}

// never are elements that run script, load documents or change where links
// and forms go, wherever they appear.
var never = map[string]bool{
	"iframe": true, "frame": true, "frameset": true, "object": true, "embed": true, "applet": true,
	"base": true, "style": true, "template": true, "portal": true,
}

// urlAttrs are attributes whose value a browser follows or loads.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "xlink:href": true, "data": true,
	"background": true, "poster": true, "cite": true, "srcset": true, "ping": true,
}

// Unsafe returns what in the HTML h could run script in a browser, or ""
// when nothing can: a script element (but the page's own), an element of
// never or outside Elements, an event handler, style or srcdoc attribute,
// or a URL of a scheme other than http, https and mailto.
func (p Policy) Unsafe(h []byte) string {
	z := html.NewTokenizer(bytes.NewReader(h))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			name := tok.Data
			if name == "script" {
				if bad := p.script(z, tok, tt); bad != "" {
					return bad
				}
				continue
			}
			if never[name] || p.Elements != nil && !p.Elements[name] {
				return "element <" + name + ">"
			}
			if name == "meta" && tok.Attr != nil {
				for _, a := range tok.Attr {
					if strings.EqualFold(a.Key, "http-equiv") {
						return "element <meta http-equiv>"
					}
				}
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = a.Namespace + ":" + key
				}
				switch {
				case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc":
					return "attribute " + a.Key + " on <" + name + ">"
				case urlAttrs[key]:
					if bad := UnsafeURL(a.Val); bad != "" {
						return bad + " in " + a.Key + " of <" + name + ">"
					}
				}
			}
		}
	}
}

// script checks a script element: only the page's own, loaded from
// ScriptSrcPrefix, with no code inside, passes.
func (p Policy) script(z *html.Tokenizer, tok html.Token, tt html.TokenType) string {
	if p.ScriptSrcPrefix == "" {
		return "element <script>"
	}
	own := false
	for _, a := range tok.Attr {
		switch strings.ToLower(a.Key) {
		case "src":
			own = strings.HasPrefix(a.Val, p.ScriptSrcPrefix) && !strings.HasPrefix(a.Val, "//")
		case "type", "defer", "async", "nonce", "integrity", "crossorigin":
		default:
			return "attribute " + a.Key + " on <script>"
		}
	}
	if !own {
		return "element <script> of another origin or inline"
	}
	if tt == html.SelfClosingTagToken {
		return ""
	}
	if next := z.Next(); next == html.TextToken {
		if strings.TrimSpace(string(z.Text())) != "" {
			return "code inside <script src>"
		}
	}
	return ""
}

// UnsafeURL returns the scheme of u when a browser would run it or load it
// as a document: anything but http, https, mailto and relative URLs.
func UnsafeURL(u string) string {
	// Browsers drop control characters and white space within a scheme.
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

// Text returns the text a browser shows of the HTML h, with entities
// decoded, and the values of its attributes: where an attack that was
// escaped properly ends up, whole.
func Text(h []byte) string {
	var b strings.Builder
	z := html.NewTokenizer(bytes.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			for _, a := range z.Token().Attr {
				b.WriteString(" " + a.Val + " ")
			}
		}
	}
}
