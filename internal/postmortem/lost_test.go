package postmortem

import (
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// Nothing is lost: every sentence of an imported document appears, word
// for word, in its export, whichever template writes it.
//
// What the importer turns into data is written back in the template's own
// words, so a sentence is compared without its times and dates (words with
// digits, AM/PM, zones), @handles and parenthesized groups such as
// "(owner: ana; due: 2024-03-20)"; labelled values that are times
// ("Duration:", "Date:") or fields the default layout has no place for
// ("Severity:", "Status:") are data too, and known labels ("Impact:") are
// the template's wording. Field values are checked by TestImport. A
// sentence needs three words left to count.
func TestNothingLost(t *testing.T) {
	r := newTestRenderer(t)
	docs := importDocs(t)
	docs["api-cache-outage"] = readFile(t, fixture("postmortems", "api-cache-outage.md"))
	for _, name := range sortedKeys(docs) {
		want := sentences(docs[name])
		if len(want) < 5 {
			t.Fatalf("%s: only %d sentences: the test reads too little", name, len(want))
		}
		if name == "api-cache-outage" && !contains(want, "Let's stay vigilant and keep those servers humming along smoothly") {
			t.Fatalf("the fixture's last line is not among its sentences: %q", want)
		}
		d, _ := mustImport(t, docs[name])
		for _, tmpl := range []string{"default", "sre"} {
			t.Run(name+"/"+tmpl, func(t *testing.T) {
				out := render(t, r, d, tmpl, nil)
				have := " " + strings.Join(words(plainOf([]byte(out))), " ") + " "
				for _, s := range want {
					if !strings.Contains(have, " "+s+" ") {
						t.Errorf("lost: %q\nexport:\n%s", s, out)
					}
				}
			})
		}
	}
}

// dataLabels start text that the importer reads as data.
var dataLabels = []string{"duration", "date", "started", "start", "ended", "end", "resolved", "detected",
	"severity", "status", "services", "commander", "incident commander", "incident"}

// sentences returns the sentences of a document, normalized by words.
func sentences(md []byte) []string {
	fm, body, _ := splitFrontMatter(md)
	s := parseSource(body, 1)
	var out []string
	add := func(text string) {
		lower := strings.ToLower(text)
		for _, l := range dataLabels {
			if strings.HasPrefix(lower, l+":") {
				return
			}
		}
		// A known label ("Root Cause:") is the template's wording too.
		if l, rest, ok := strings.Cut(text, ":"); ok && classifyLabel(l) != labelNone {
			text = rest
		}
		if z := zoneStatement(text); z != nil && len(strings.Fields(text)) <= 8 {
			return // replaced by the zone on every time
		}
		for _, sentence := range splitSentences(text) {
			if w := words(sentence); len(w) >= 3 {
				out = append(out, strings.Join(w, " "))
			}
		}
	}
	for _, f := range fm {
		switch strings.ToLower(f.key) {
		case "title", "timezone", "incident_commander":
		default:
			add(f.key + ": " + f.value)
		}
	}
	_ = ast.Walk(s.root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Heading:
			// Headings are the template's: "TL;DR" comes back as "Summary".
			return ast.WalkSkipChildren, nil
		case *ast.Paragraph, *ast.TextBlock, *east.TableCell:
			for _, line := range s.inlineLines(n) {
				var b strings.Builder
				for _, c := range line.nodes {
					b.WriteString(s.plainNode(c))
				}
				add(b.String())
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// plainOf returns the text of a whole document without markup.
func plainOf(md []byte) string {
	s := parseSource(md, 1)
	var b strings.Builder
	_ = ast.Walk(s.root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindParagraph || n.Kind() == ast.KindTextBlock || n.Kind() == east.KindTableCell || n.Kind() == ast.KindHeading) {
			b.WriteString(s.plain(n) + " \n")
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func splitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		if (text[i] == '.' || text[i] == '!' || text[i] == '?') && (i+1 == len(text) || text[i+1] == ' ') {
			out = append(out, text[start:i+1])
			start = i + 1
		}
	}
	return append(out, text[start:])
}

// words returns the words of text that are prose: parenthesized groups,
// words with digits, @handles, AM/PM and zone names are left out, and
// punctuation around words is dropped.
func words(text string) []string {
	var b strings.Builder
	depth := 0
	for _, r := range text {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	var out []string
	for _, w := range strings.Fields(b.String()) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if w == "" || strings.HasPrefix(w, "@") || strings.ContainsAny(w, "0123456789@") {
			continue
		}
		switch strings.ToUpper(w) {
		case "AM", "PM", "A.M", "P.M":
			continue
		}
		if _, zone := zoneAbbrevs[w]; zone {
			continue
		}
		out = append(out, w)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
