package postmortem

import (
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// markdown is the parser the importer and the section splitter share: GFM,
// so that tables, task lists and strikethrough are nodes, not text.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// source is a parsed Markdown document and what is needed to copy parts
// of it verbatim: the importer keeps the exact text of what it cannot
// place, so nodes are mapped back to the lines they came from.
type source struct {
	src   []byte
	root  ast.Node
	lines []int // offset of the start of every line
	// firstLine is the line number of src[0] in the document the user
	// gave, which differs when front matter was cut off before parsing.
	firstLine int
}

func parseSource(src []byte, firstLine int) *source {
	s := &source{src: src, firstLine: firstLine, lines: []int{0}}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			s.lines = append(s.lines, i+1)
		}
	}
	s.root = markdown.Parser().Parse(text.NewReader(src))
	return s
}

// lineStart returns the offset of the start of the line holding off.
func (s *source) lineStart(off int) int {
	i := sort.SearchInts(s.lines, off+1) - 1
	if i < 0 {
		return 0
	}
	return s.lines[i]
}

// lineNumber returns the 1-based line of off in the user's document.
func (s *source) lineNumber(off int) int {
	return sort.SearchInts(s.lines, off+1) - 1 + s.firstLine
}

// start returns the offset where node n begins in the source, or -1 when
// neither it nor any descendant knows its position.
func (s *source) start(n ast.Node) int {
	if t, ok := n.(*east.Table); ok {
		// A table cut from the end of a paragraph keeps the paragraph's
		// position; its first cell knows where the table really starts.
		for c := t.FirstChild(); c != nil; c = c.FirstChild() {
			if _, ok := c.(*east.TableCell); ok && c.Pos() >= 0 {
				return c.Pos()
			}
		}
	}
	if p := n.Pos(); p >= 0 && p <= len(s.src) {
		return p
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if p := s.start(c); p >= 0 {
			return p
		}
	}
	return -1
}

// end returns the offset where the block n ends: the start of the line of
// the next block at its level or above, or the end of the source.
func (s *source) end(n ast.Node) int {
	for ; n != nil && n.Kind() != ast.KindDocument; n = n.Parent() {
		for next := n.NextSibling(); next != nil; next = next.NextSibling() {
			if p := s.start(next); p >= 0 {
				return s.lineStart(p)
			}
		}
	}
	return len(s.src)
}

// blocks returns the verbatim Markdown of the blocks from first up to and
// excluding stop, or to the end of their parent when stop is nil: whole
// lines, without trailing blank lines, and with the indentation of first
// removed from every line, so that the content of a list item reads as
// top-level Markdown.
func (s *source) blocks(first, stop ast.Node) string {
	if stop != nil {
		if p := s.start(stop); p >= 0 {
			return s.between(first, s.lineStart(p))
		}
	}
	last := first
	for last.NextSibling() != nil {
		last = last.NextSibling()
	}
	return s.span(first, last)
}

// span returns the verbatim Markdown of the sibling blocks first to last,
// as blocks does.
func (s *source) span(first, last ast.Node) string {
	return s.between(first, s.end(last))
}

func (s *source) between(first ast.Node, to int) string {
	from := s.start(first)
	if from < 0 {
		return ""
	}
	indent := from - s.lineStart(from)
	from = s.lineStart(from)
	if to < from {
		return ""
	}
	return dedent(string(s.src[from:to]), indent)
}

// block returns the verbatim Markdown of the single block n.
func (s *source) block(n ast.Node) string { return s.span(n, n) }

// dedent removes up to indent columns of leading blanks from every line
// and the blank lines at the end.
func dedent(md string, indent int) string {
	md = strings.TrimRight(md, " \t\r\n")
	if indent == 0 || md == "" {
		return md
	}
	lines := strings.Split(md, "\n")
	for i, line := range lines {
		col, cut := 0, 0
		for cut < len(line) && col < indent {
			switch line[cut] {
			case ' ':
				col++
			case '\t':
				col += 4 - col%4
			default:
				col = indent
				continue
			}
			cut++
		}
		lines[i] = line[cut:]
	}
	return strings.Join(lines, "\n")
}

// raw returns the source of a leaf block (paragraph, heading, table cell)
// with its lines joined by a space: the Markdown of its inline content.
func (s *source) raw(n ast.Node) string {
	lines := n.Lines()
	var b strings.Builder
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.TrimRight(string(seg.Value(s.src)), "\r\n"))
	}
	return strings.TrimSpace(b.String())
}

// rawText returns the source of a leaf block with its lines as written:
// the text of an entry, whose line breaks, hard ones ("\\" or two spaces
// at the end of a line) and soft ones, are the author's.
func (s *source) rawText(n ast.Node) string {
	lines := n.Lines()
	parts := make([]string, lines.Len())
	for i := range parts {
		seg := lines.At(i)
		parts[i] = strings.TrimLeft(strings.TrimRight(string(seg.Value(s.src)), "\r\n"), " \t")
	}
	return strings.TrimSpace(strings.Join(parts, "\n"))
}

// rawLines returns the lines of a leaf block, for paragraphs whose lines
// are separate entries ("10:00 detected" / "10:15 paged").
func (s *source) rawLines(n ast.Node) []string {
	lines := n.Lines()
	out := make([]string, 0, lines.Len())
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		out = append(out, strings.TrimSpace(string(seg.Value(s.src))))
	}
	return out
}

// plain returns the text of n without markup: what a reader sees.
func (s *source) plain(n ast.Node) string {
	var b strings.Builder
	s.writePlain(&b, n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (s *source) writePlain(b *strings.Builder, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(s.src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(s.src))
		case *ast.RawHTML:
			// Tags are markup, not text.
		case *east.TaskCheckBox:
		default:
			if c.Type() == ast.TypeBlock {
				b.WriteByte(' ')
			}
			s.writePlain(b, c)
		}
	}
}

// An inlineLine is the inline nodes of one line of a paragraph.
type inlineLine struct {
	nodes      []ast.Node
	start, end int // offsets in the source, end without the newline
}

// inlineLines groups the inline content of a text block by source line.
func (s *source) inlineLines(p ast.Node) []inlineLine {
	segs := p.Lines()
	if segs.Len() == 0 {
		return nil
	}
	out := make([]inlineLine, segs.Len())
	for i := range out {
		seg := segs.At(i)
		end := seg.Stop
		for end > seg.Start && (s.src[end-1] == '\n' || s.src[end-1] == '\r') {
			end--
		}
		out[i] = inlineLine{start: seg.Start, end: end}
	}
	i := 0
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		at := c.Pos()
		for i+1 < len(out) && at >= out[i+1].start {
			i++
		}
		out[i].nodes = append(out[i].nodes, c)
	}
	return out
}

// label finds a label at the start of a text block: "**Impact:**",
// "**Impact**:" or, for the labels Hindsight knows, "Impact:". It returns
// the label's text and the offset where its value starts.
func (s *source) label(p ast.Node) (string, int, bool) {
	lines := s.inlineLines(p)
	if len(lines) == 0 {
		return "", 0, false
	}
	return s.labelAt(lines[0])
}

func (s *source) labelAt(line inlineLine) (string, int, bool) {
	if len(line.nodes) == 0 {
		return "", 0, false
	}
	valueAt := line.end
	if len(line.nodes) > 1 {
		valueAt = line.nodes[1].Pos()
	}
	switch first := line.nodes[0].(type) {
	case *ast.Emphasis:
		name := strings.TrimSpace(s.plain(first))
		if len(name) > 80 {
			return "", 0, false // a bold sentence, not a label
		}
		if n, ok := strings.CutSuffix(name, ":"); ok && strings.TrimSpace(n) != "" {
			return strings.TrimSpace(n), valueAt, true
		}
		if len(line.nodes) > 1 {
			if t, ok := line.nodes[1].(*ast.Text); ok && strings.HasPrefix(string(t.Segment.Value(s.src)), ":") {
				return name, t.Segment.Start + 1, name != ""
			}
		}
	case *ast.Text:
		text := string(first.Segment.Value(s.src))
		if i := strings.IndexByte(text, ':'); i > 0 && classifyLabel(text[:i]) != labelNone {
			return strings.TrimSpace(text[:i]), first.Segment.Start + i + 1, true
		}
	}
	return "", 0, false
}

// rawRange returns the source of a text block between two offsets, its
// lines joined by a newline.
func (s *source) rawRange(p ast.Node, from, to int) string {
	return s.rawJoin(p, from, to, "\n")
}

// rawFrom returns the source of a text block from an offset to its end,
// its lines joined by sep.
func (s *source) rawFrom(p ast.Node, from int, sep string) string {
	return s.rawJoin(p, from, len(s.src), sep)
}

func (s *source) rawJoin(p ast.Node, from, to int, sep string) string {
	segs := p.Lines()
	var parts []string
	for i := 0; i < segs.Len(); i++ {
		seg := segs.At(i)
		a, b := max(seg.Start, from), min(seg.Stop, to)
		if a >= b {
			continue
		}
		parts = append(parts, strings.TrimRight(string(s.src[a:b]), " \t\r\n"))
	}
	return strings.TrimSpace(strings.Join(parts, sep))
}

// lineAt returns the line holding off, without its newline.
func (s *source) lineAt(off int) string {
	if off < 0 || off >= len(s.src) {
		return ""
	}
	start := s.lineStart(off)
	end := start
	for end < len(s.src) && s.src[end] != '\n' {
		end++
	}
	return string(s.src[start:end])
}

// plainNode returns the text of one inline node without markup.
func (s *source) plainNode(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Text:
		v := string(n.Segment.Value(s.src))
		if n.SoftLineBreak() || n.HardLineBreak() {
			v += " "
		}
		return v
	case *ast.String:
		return string(n.Value)
	case *ast.AutoLink:
		return string(n.Label(s.src))
	case *east.TaskCheckBox, *ast.RawHTML:
		return ""
	}
	var b strings.Builder
	s.writePlain(&b, n)
	return b.String()
}
