package postmortem

import (
	"strings"

	"github.com/yuin/goldmark/ast"
)

// An extraSection is one part of Incident.Extra: the text under one of its
// "## " headings, or before the first.
type extraSection struct {
	heading string // Markdown of the heading, "" for the text before any
	meaning meaning
	body    string
}

// splitExtra cuts Incident.Extra at its headings of level one and two.
// It parses the Markdown rather than looking for "## " at line starts, so
// that a heading inside a fenced code block stays code.
func splitExtra(md string) []extraSection {
	if strings.TrimSpace(md) == "" {
		return nil
	}
	s := parseSource([]byte(md), 1)
	var out []extraSection
	cur := extraSection{meaning: meaningPreamble}
	var first ast.Node
	flush := func(stop ast.Node) {
		if first != nil {
			cur.body = s.blocks(first, stop)
		}
		if strings.TrimSpace(cur.body) != "" {
			out = append(out, cur)
		}
	}
	for n := s.root.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level <= 2 {
			flush(n)
			cur = extraSection{heading: s.raw(h), meaning: classifyHeading(s.plain(h))}
			first = nil
			continue
		}
		if first == nil {
			first = n
		}
	}
	flush(nil)
	return out
}
