package postmortem

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"

	"hindsight/internal/incident"
)

// MaxImportSize bounds what Import reads; the web layer's body limit is
// lower, the CLI reads files.
const MaxImportSize = 4 << 20

// maxWarnings keeps the answer to a messy document readable.
const maxWarnings = 100

// Warning tells what an import could not place or had to guess.
type Warning struct {
	Line    int    `json:"line,omitempty"` // 1-based line of the document, 0 for the whole
	Message string `json:"message"`
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("line %d: %s", w.Line, w.Message)
	}
	return w.Message
}

// Import reads a postmortem written in Markdown and returns the incident it
// describes, ready for store.CreateIncident, with warnings about what it
// could not place or had to guess. now dates timelines whose document names
// no date.
//
// Sections are recognized by meaning, not by exact name; text that maps
// onto no field is kept in Incident.Extra under the heading it stood under,
// so that exporting the result again keeps every sentence. A document that
// is not text is an *incident.Error with code EUNSUPPORTED, one that is
// not usable (empty, not UTF-8, no title) one with code EINVALID.
func Import(src []byte, now time.Time) (*incident.Detail, []Warning, error) {
	src, err := checkText(src)
	if err != nil {
		return nil, nil, err
	}
	fm, body, bodyLine := splitFrontMatter(src)
	im := &importer{now: now.UTC(), s: parseSource(body, bodyLine)}
	im.d = &incident.Detail{
		Incident: incident.Incident{Services: []string{}},
		Events:   []incident.Event{}, RootCauses: []incident.RootCause{},
		Tasks: []incident.Task{}, Alerts: []incident.Alert{},
	}
	im.frontMatter(fm)
	im.document()
	if im.d.Title == "" {
		return nil, im.warnings, incident.FieldError(incident.EINVALID, "title",
			"the document has no title: start it with a '# Title' heading or give title: in front matter")
	}
	im.resolveTimes()
	im.finish()
	if err := im.validateLines(); err != nil {
		return nil, im.warnings, err
	}
	if n := utf8.RuneCountInString(im.d.Extra); n > incident.MaxExtraLen {
		// The store would refuse it, naming a field the author never wrote.
		return nil, im.warnings, incident.Errorf(incident.ETOOLARGE,
			"the document holds %d characters of text that fits no field of an incident, %s; at most %d are kept: shorten it",
			n, im.largestNote(), incident.MaxExtraLen)
	}
	return im.d, im.warnings, nil
}

// validateLines checks each event and task as the store will, and names
// the line of the document that a refusal is about: the store would name
// "events[1].text", which the author never wrote.
func (im *importer) validateLines() error {
	check := func(err error, line int) error {
		if err == nil || line <= 0 {
			return err
		}
		return incident.FieldError(incident.ErrorCode(err), incident.ErrorField(err), "line %d: %s", line, incident.ErrorMessage(err))
	}
	for i, e := range im.d.Events {
		e.Normalize()
		if err := check(e.Validate(), im.eventLines[i]); err != nil {
			return incident.RenameField(err, func(f string) string { return fmt.Sprintf("events[%d].%s", i, f) })
		}
	}
	for i, t := range im.d.Tasks {
		t.Normalize()
		if err := check(t.Validate(), im.taskLines[i]); err != nil {
			return incident.RenameField(err, func(f string) string { return fmt.Sprintf("tasks[%d].%s", i, f) })
		}
	}
	return nil
}

// largestNote names where most of the text kept as it is stands, for an
// error about its length.
func (im *importer) largestNote() string {
	best, size := "", -1
	for _, n := range im.notes {
		l := 0
		for _, md := range n.md {
			l += len(md)
		}
		if l > size {
			best, size = n.heading, l
		}
	}
	if best == "" {
		return "most of it before the first section"
	}
	return fmt.Sprintf("most of it under %q", best)
}

// importer holds the state of one import.
type importer struct {
	s        *source
	now      time.Time
	d        *incident.Detail
	warnings []Warning
	notes    []note

	titleFromFrontMatter bool

	// What the document says about time, resolved once all of it is read:
	// a timeline may come before the summary that dates it.
	docDate    *stamp         // the date of the document (front matter, a Date: line, the title)
	docZone    *time.Location // a zone stated for the whole document
	duration   []stamp        // the stamps of the Duration sentence
	durLine    int
	labelTimes map[label]stamp // Started:, Detected:, Resolved: lines
	// The first date, and zone beside a time, in the summary's prose ("On
	// January 25, 2024, between 10:00 and 14:00 UTC, ..."): the last
	// resort, before the day of the import and UTC.
	proseDate *stamp
	proseZone *time.Location
	proseLine int
	timeline  []timelineItem
	dues      []pendingDue
	// The lines of the document each event and task came from, in the
	// order of the Detail's lists: a refusal names the line.
	eventLines, taskLines []int
}

// A note is text of the document that maps onto no field, under the
// heading it stood under ("" before the first section).
type note struct {
	heading string
	md      []string
}

func (im *importer) warn(line int, format string, args ...any) {
	if len(im.warnings) == maxWarnings {
		im.warnings = append(im.warnings, Warning{Message: "more warnings left out"})
	}
	if len(im.warnings) > maxWarnings {
		return
	}
	im.warnings = append(im.warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}

// keep records Markdown that maps onto no field under heading.
func (im *importer) keep(heading, md string) {
	md = strings.TrimSpace(md)
	if md == "" {
		return
	}
	if n := len(im.notes); n > 0 && im.notes[n-1].heading == heading {
		im.notes[n-1].md = append(im.notes[n-1].md, md)
		return
	}
	im.notes = append(im.notes, note{heading: heading, md: []string{md}})
}

func (im *importer) lineOf(n ast.Node) int {
	if p := im.s.start(n); p >= 0 {
		return im.s.lineNumber(p)
	}
	return 0
}

// A section is a heading of the document's section level and the blocks
// up to the next one.
type section struct {
	heading string // Markdown of the heading, "" for the preamble
	title   string // its text, without markup
	meaning meaning
	line    int
	nodes   []ast.Node
}

// document reads the title and splits the body into sections.
func (im *importer) document() {
	title := im.findTitle()
	level := im.sectionLevel(title)
	cur := &section{meaning: meaningPreamble}
	var sections []*section
	for n := im.s.root.FirstChild(); n != nil; n = n.NextSibling() {
		if n == title {
			continue
		}
		if h, ok := n.(*ast.Heading); ok && h.Level <= level && !im.isStampHeading(h) {
			sections = append(sections, cur)
			text := im.s.plain(h)
			cur = &section{heading: im.s.raw(h), title: text, meaning: classifyHeading(text), line: im.lineOf(h)}
			continue
		}
		cur.nodes = append(cur.nodes, n)
	}
	sections = append(sections, cur)
	for _, sec := range sections {
		im.section(sec)
	}
}

// findTitle takes the title from the first level-one heading, unless the
// front matter gave one, and returns that heading.
func (im *importer) findTitle() ast.Node {
	for n := im.s.root.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok || h.Level != 1 {
			continue
		}
		// The export writes the title as it is, Markdown and all, so it is
		// read back as written: "Cache `ttl` set to 0" keeps its backticks.
		// A heading with a link is another tool's: its text is the title,
		// not a URL cut at the title's length.
		text := unescapeClosingHash(im.s.raw(h))
		if hasLink(h) {
			text = im.s.plain(h)
		}
		if im.titleFromFrontMatter {
			if stripTitlePrefix(text) != im.d.Title {
				// Both name the incident; the heading's words are kept.
				im.keep("", im.s.block(h))
			}
			return h
		}
		im.setTitle(text, im.lineOf(h))
		return h
	}
	return nil
}

func (im *importer) setTitle(text string, line int) {
	text = stripTitlePrefix(text)
	if sts := findStamps(text); len(sts) > 0 && sts[0].hasDate && im.docDate == nil {
		st := sts[0]
		im.docDate = &st
	}
	if utf8.RuneCountInString(text) > incident.MaxTitleLen {
		im.warn(line, "the title is longer than %d characters: cut, the whole kept below it", incident.MaxTitleLen)
		im.keep("", text)
		text = string([]rune(text)[:incident.MaxTitleLen])
	}
	im.d.Title = strings.TrimSpace(text)
}

func hasLink(n ast.Node) bool {
	found := false
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		switch c.(type) {
		case *ast.Link, *ast.AutoLink, *ast.Image:
			found = true
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return found
}

// unescapeClosingHash undoes headingText: "Fix C \#" is the title "Fix C #".
func unescapeClosingHash(text string) string {
	t := strings.TrimRight(text, "#")
	if t != text && strings.HasSuffix(t, `\`) {
		return t[:len(t)-1] + text[len(t):]
	}
	return text
}

// titlePrefixes are the words postmortem titles start with; the export
// writes "Postmortem: " itself.
var titlePrefixes = []string{"postmortem", "post-mortem", "post mortem", "incident postmortem",
	"incident post-mortem", "post-incident review", "post incident review", "incident review",
	"incident report", "pir", "rca"}

func stripTitlePrefix(title string) string {
	t := strings.TrimSpace(title)
	lower := strings.ToLower(t)
	for _, p := range titlePrefixes {
		if !strings.HasPrefix(lower, p) {
			continue
		}
		rest := strings.TrimLeft(t[len(p):], " ")
		if rest != "" && strings.ContainsRune(":-–—|", []rune(rest)[0]) {
			_, size := utf8.DecodeRuneInString(rest)
			if r := strings.TrimSpace(rest[size:]); r != "" {
				return r
			}
		}
	}
	return t
}

// sectionLevel returns the heading level of the document's sections: the
// shallowest level below the title among its headings, ignoring headings
// that are timeline entries or dates.
func (im *importer) sectionLevel(title ast.Node) int {
	min := 7
	for n := im.s.root.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok || n == title || im.isStampHeading(h) {
			continue
		}
		lvl := h.Level
		if title != nil && lvl == 1 {
			// A second level-one heading under an H1 title is a section,
			// but must not make the H2 sections its content.
			lvl = 2
		}
		if lvl < min {
			min = lvl
		}
	}
	return min
}

// isStampHeading reports whether a heading is a timeline entry ("### 14:32
// Paged") or a date ("### January 25"), which never start a section.
func (im *importer) isStampHeading(h *ast.Heading) bool {
	text := im.s.plain(h)
	st, n, ok := scanStamp(text)
	if !ok {
		return false
	}
	return st.hasTime || strings.TrimSpace(text[n:]) == ""
}

// section routes a section to the reader for its meaning.
func (im *importer) section(sec *section) {
	switch sec.meaning {
	case meaningPreamble, meaningSummary:
		im.fields(sec)
	case meaningTimeline:
		im.timelineSection(sec)
	case meaningImpact:
		im.textSection(sec, &im.d.Impact)
	case meaningResolution:
		im.textSection(sec, &im.d.Resolution)
	case meaningConclusion:
		im.textSection(sec, &im.d.Conclusion)
	case meaningRootCause, meaningTrigger:
		im.causesSection(sec)
	case meaningActions:
		im.actionsSection(sec)
	case meaningDetection:
		if !im.detectionSentence(sec) {
			im.keepSection(sec)
		}
	default:
		if sec.meaning == meaningOther && len(sec.nodes) > 0 {
			im.warn(sec.line, "section %q maps onto no field: kept as it is", sec.title)
		}
		im.keepSection(sec)
	}
}

// keepSection keeps the whole section as it is.
func (im *importer) keepSection(sec *section) {
	if len(sec.nodes) > 0 {
		im.keep(sec.heading, im.sectionText(sec))
	}
}

// textSection puts the whole section into field, or keeps it when the
// field already holds other text.
func (im *importer) textSection(sec *section, field *string) {
	if len(sec.nodes) == 0 {
		return
	}
	md := im.sectionText(sec)
	if !setText(field, md) {
		im.keep(sec.heading, md)
	}
}

// sectionText returns the Markdown of the blocks of a section.
func (im *importer) sectionText(sec *section) string {
	return im.s.span(sec.nodes[0], sec.nodes[len(sec.nodes)-1])
}

// setText fills an empty field; it reports false when the field holds
// other text, which the caller keeps elsewhere.
func setText(field *string, md string) bool {
	md = strings.TrimSpace(md)
	if md == "" || *field == md {
		return true
	}
	if *field == "" {
		*field = md
		return true
	}
	return false
}

// subsections splits the blocks of a section at its sub-headings: a
// sub-heading with a meaning of its own ("### Contributing Factors") is
// read with that meaning.
func (im *importer) subsections(sec *section) []*section {
	cur := &section{heading: sec.heading, title: sec.title, meaning: sec.meaning, line: sec.line}
	out := []*section{cur}
	for _, n := range sec.nodes {
		if h, ok := n.(*ast.Heading); ok {
			text := im.s.plain(h)
			cur = &section{heading: im.s.raw(h), title: text, meaning: classifyHeading(text), line: im.lineOf(h)}
			if cur.meaning == meaningOther {
				// A heading of the author's own ("### Short term") stays
				// with its blocks, read as the section around it.
				cur.meaning = sec.meaning
				cur.heading, cur.title = sec.heading, sec.title
				cur.nodes = append(cur.nodes, n)
			}
			out = append(out, cur)
			continue
		}
		cur.nodes = append(cur.nodes, n)
	}
	return out
}
