package postmortem

import (
	"strings"
	"text/template"
	"time"
)

// funcs are the functions postmortem templates may call; docs/templates.md
// lists them.
var funcs = template.FuncMap{
	"item":   listItem,
	"cell":   tableCell,
	"row":    markdownRow,
	"indent": indent,
	"inc":    func(i int) int { return i + 1 },
	"join":   strings.Join,
	"lower":  strings.ToLower,
	"date":   func(t any) string { return formatTime(t, longDate) },
	"clock":  func(t any) string { return formatTime(t, clock) },
	"iso": func(t any) string {
		return formatTime(t, func(t time.Time) string { return t.Format("2006-01-02 15:04") })
	},
	"zone": func(t any) string { return formatTime(t, zoneLabel) },
}

// formatTime formats a time.Time or a non-nil *time.Time; nil gives "".
func formatTime(v any, f func(time.Time) string) string {
	switch t := v.(type) {
	case time.Time:
		return f(t)
	case *time.Time:
		if t != nil {
			return f(*t)
		}
	}
	return ""
}

// listItem writes a list item: the marker ("- **Impact:**", "1."), then
// the Markdown md, its later lines indented to the item's content so that
// paragraphs and nested lists stay inside the item. Text that starts with
// a block of its own (a list, a code fence) goes below the marker: right
// below a bare marker ("-", "2."), for an item may begin with at most one
// blank line, and a blank line more would end it empty; a blank line below
// a marker with text of its own ("- **Impact:**").
func listItem(marker, md string) string {
	md = strings.TrimSpace(md)
	width := markerWidth(marker)
	if md == "" {
		return marker
	}
	if bareMarker(marker) && !strings.Contains(md, "\n") {
		// A one-line text that reads as a block ("1. Add an alert", a task's
		// title) stays on the marker's line, escaped: below a bare marker it
		// would begin the item with a blank line, which cannot interrupt
		// the paragraph above ("- **Improvements/Fixes:**") and so joins it.
		if esc, ok := escapeBlockStart(md); ok {
			md = esc
		}
	}
	var out string
	if startsBlock(md) {
		sep := "\n\n"
		if bareMarker(marker) {
			sep = "\n"
		}
		out = marker + sep + indent(width, md)
	} else {
		first, rest, _ := strings.Cut(md, "\n")
		out = marker + " " + first
		if rest != "" {
			out += "\n" + indent(width, rest)
		}
	}
	if strings.Contains(md, "\n\n") {
		// An item of several blocks reads better apart from the next.
		out += "\n"
	}
	return out
}

// bareMarker reports whether marker is a list marker alone: "-", "10.".
func bareMarker(marker string) bool {
	m := strings.TrimLeft(marker, " ")
	switch {
	case m == "-" || m == "*" || m == "+":
		return true
	case len(m) < 2 || (m[len(m)-1] != '.' && m[len(m)-1] != ')'):
		return false
	}
	for _, c := range []byte(m[:len(m)-1]) {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// markerWidth returns the content indentation of a list item marker:
// 2 for "- ", 3 for "1. ", 4 for "10. ".
func markerWidth(marker string) int {
	marker = strings.TrimLeft(marker, " ")
	if marker == "" {
		return 2
	}
	if marker[0] == '-' || marker[0] == '*' || marker[0] == '+' {
		return 2
	}
	n := 0
	for n < len(marker) && isDigit(marker[n]) {
		n++
	}
	return n + 2
}

// startsBlock reports whether Markdown starts with something that cannot
// follow a list marker on its line: a list, a heading, a fence, a quote, a
// table.
func startsBlock(md string) bool {
	line, _, _ := strings.Cut(md, "\n")
	switch {
	case line == "-", line == "*", line == "+", strings.HasPrefix(line, "- "), strings.HasPrefix(line, "* "),
		strings.HasPrefix(line, "+ "), strings.HasPrefix(line, ">"), strings.HasPrefix(line, "|"), fenceOf(line) != "":
		return true
	}
	// "## Heading", but not "#123 deployed".
	h := strings.TrimLeft(line, "#")
	if n := len(line) - len(h); n >= 1 && n <= 6 && (h == "" || h[0] == ' ') {
		return true
	}
	// "1. item", but not "2024. A year".
	n := 0
	for n < len(line) && isDigit(line[n]) {
		n++
	}
	return n > 0 && n <= 9 && n < len(line) && (line[n] == '.' || line[n] == ')') && (n+1 == len(line) || line[n+1] == ' ')
}

// escapeBlockStart escapes what makes a line of Markdown start a block,
// so that it reads as text: "1\. Add", "\- x", "\# 3". A fence has no
// such escape: ok is false for it, and for a line that starts no block.
func escapeBlockStart(line string) (string, bool) {
	if !startsBlock(line) || fenceOf(line) != "" {
		return line, false
	}
	n := 0
	for n < len(line) && isDigit(line[n]) {
		n++
	}
	if n > 0 {
		return line[:n] + `\` + line[n:], true // before the "." or ")"
	}
	return `\` + line, true
}

// unescapeBlockStart undoes escapeBlockStart: the title of a task, which
// the export escaped to keep it on its marker's line, comes back as it was.
func unescapeBlockStart(line string) string {
	n := 0
	for n < len(line) && isDigit(line[n]) {
		n++
	}
	if n < len(line) && line[n] == '\\' {
		if bare := line[:n] + line[n+1:]; startsBlock(bare) && fenceOf(bare) == "" {
			return bare
		}
	}
	return line
}

// indent indents every line of md but the blank ones by n spaces.
func indent(n int, md string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = pad + l
		} else {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// tableCell makes Markdown fit one table cell: one line, pipes escaped.
func tableCell(md string) string {
	// Paragraphs are kept apart by a dash; lines are joined.
	blocks := strings.Split(strings.TrimSpace(md), "\n\n")
	for i, b := range blocks {
		blocks[i] = strings.Join(strings.Fields(b), " ")
	}
	md = strings.Join(blocks, " — ")
	var b strings.Builder
	for i := 0; i < len(md); i++ {
		if md[i] == '|' && (i == 0 || md[i-1] != '\\') {
			b.WriteByte('\\')
		}
		b.WriteByte(md[i])
	}
	return b.String()
}

// markdownRow writes a table row of cells, each made to fit by tableCell.
// An empty cell is written "| |", which markdownlint's compact table style
// accepts, unlike "|  |".
func markdownRow(cells ...string) string {
	var b strings.Builder
	b.WriteByte('|')
	for _, c := range cells {
		if c = tableCell(c); c != "" {
			b.WriteString(" " + c)
		}
		b.WriteString(" |")
	}
	return b.String()
}
