package postmortem

import (
	"strings"
	"time"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// A timelineItem is a timeline entry as written, or a date that dates the
// entries after it ("### January 26", "**Day 2: Jan 26**"). Times are
// resolved once the whole document is read.
type timelineItem struct {
	line   int
	st     stamp
	text   string         // Markdown of the entry; "" for a date
	isDate bool           // a date line or heading, not an entry
	zone   *time.Location // the zone stated around it, when its stamp names none
}

// timelineSection reads entries from bullets, numbered lists, headings
// ("### 14:32 Paged"), tables and lines that start with a time; what has
// no time is kept under the section's heading.
func (im *importer) timelineSection(sec *section) {
	// "## Timeline (all times PST)", "All times are PST", a "Time (UTC)"
	// column: the zone of entries that name none.
	zone := zoneStatement(sec.title)
	open := -1 // an entry given by a heading, which takes the blocks after it
	for _, n := range sec.nodes {
		switch n := n.(type) {
		case *ast.Heading:
			open = -1
			text := im.s.raw(n)
			st, k, ok := scanStamp(text)
			switch {
			case ok && st.hasTime:
				im.timeline = append(im.timeline, timelineItem{line: im.lineOf(n), st: st, text: strings.TrimSpace(text[k:]), zone: zone})
				open = len(im.timeline) - 1
			case ok && strings.TrimSpace(text[k:]) == "":
				im.addDate(st, im.lineOf(n))
			default:
				if st, ok := dateIn(im.s.plain(n)); ok {
					// "Day 2 (January 26)": the date is what matters.
					im.addDate(st, im.lineOf(n))
					im.keep(sec.heading, im.s.block(n))
				} else {
					im.keep(sec.heading, im.s.block(n))
				}
			}
		case *ast.List:
			if open >= 0 && !im.listHasEntries(n) {
				im.appendToEntry(open, im.s.block(n))
				continue
			}
			open = -1
			im.timelineList(n, sec, zone)
		case *east.Table:
			open = -1
			im.timelineTable(n, sec, zone)
		case *ast.Paragraph:
			if open >= 0 {
				im.appendToEntry(open, im.s.block(n))
				continue
			}
			if text := im.s.plain(n); len(strings.Fields(text)) <= 8 {
				// "2015-10-21 (all times UTC)", "Date: 2015-10-21",
				// "October 21, 2015 (UTC)": the date of the entries below.
				date, dated := dateIn(text)
				if st, k, ok := scanStamp(text); ok && (st.hasTime || strings.TrimSpace(text[k:]) == "") {
					dated = false // an entry, or a date alone: timelineParagraph reads them
				}
				z := zoneStatement(text)
				if dated && z == nil {
					z = zoneIn(text)
				}
				if dated {
					im.addDate(date, im.lineOf(n))
				}
				if z != nil {
					// The export writes the zone on the times themselves,
					// in whatever zone the reader asks for: a sentence
					// naming this one would then be wrong.
					zone = z
					im.warn(im.lineOf(n), "%q is replaced by the zone written on the times", text)
					continue
				}
				if dated {
					im.keep(sec.heading, im.s.block(n))
					continue
				}
			}
			im.timelineParagraph(n, sec, zone)
		default:
			if open >= 0 {
				im.appendToEntry(open, im.s.block(n))
				continue
			}
			im.keep(sec.heading, im.s.block(n))
		}
	}
}

func (im *importer) appendToEntry(i int, md string) {
	it := &im.timeline[i]
	if it.text == "" {
		it.text = md
		return
	}
	it.text += "\n\n" + md
}

func (im *importer) addDate(st stamp, line int) {
	im.timeline = append(im.timeline, timelineItem{line: line, st: st, isDate: true})
}

// listHasEntries reports whether some item of the list starts with a time.
func (im *importer) listHasEntries(list ast.Node) bool {
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		if first := item.FirstChild(); isTextBlock(first) {
			if st, _, ok := scanStamp(im.s.raw(first)); ok && st.hasTime {
				return true
			}
		}
	}
	return false
}

// timelineList reads one entry per item that starts with a time; an item
// that is only a date dates the items of its nested list.
func (im *importer) timelineList(list ast.Node, sec *section, zone *time.Location) {
	var kept []string
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		first := item.FirstChild()
		if !isTextBlock(first) {
			kept = append(kept, im.s.block(item))
			continue
		}
		text := im.s.rawText(first)
		st, k, ok := scanStamp(text)
		rest := strings.TrimSpace(text[k:])
		entry := rest
		if more := first.NextSibling(); more != nil && ok && st.hasTime {
			// The text may go on in more paragraphs, or start below the
			// time ("- **10:00 AM:**" and a nested list).
			entry = strings.TrimSpace(entry + "\n\n" + im.s.blocks(more, nil))
		}
		switch {
		case ok && st.hasTime && entry != "":
			im.timeline = append(im.timeline, timelineItem{line: im.lineOf(item), st: st, text: entry, zone: zone})
		case ok && !st.hasTime && rest == "":
			im.addDate(st, im.lineOf(item))
			for c := first.NextSibling(); c != nil; c = c.NextSibling() {
				if c.Kind() == ast.KindList {
					im.timelineList(c, sec, zone)
				} else {
					im.keep(sec.heading, im.s.block(c))
				}
			}
		default:
			if ok && !st.hasTime {
				im.addDate(st, im.lineOf(item))
			}
			im.warn(im.lineOf(item), "timeline entry without a time: kept as a note")
			kept = append(kept, im.s.block(item))
		}
	}
	im.keep(sec.heading, strings.Join(kept, "\n"))
}

// timelineParagraph reads lines that start with a time ("10:00 Alert
// fired"); a line without a time continues the entry above it, or is kept
// when there is none.
func (im *importer) timelineParagraph(p ast.Node, sec *section, zone *time.Location) {
	var kept []string
	cur := -1
	line := im.lineOf(p)
	for i, text := range im.s.rawLines(p) {
		st, k, ok := scanStamp(text)
		rest := strings.TrimSpace(text[k:])
		switch {
		case ok && st.hasTime && rest != "":
			im.timeline = append(im.timeline, timelineItem{line: line + i, st: st, text: rest, zone: zone})
			cur = len(im.timeline) - 1
		case ok && !st.hasTime && rest == "":
			im.addDate(st, line+i)
			cur = -1
		case cur >= 0:
			im.timeline[cur].text += " " + text
		default:
			kept = append(kept, text)
		}
	}
	im.keep(sec.heading, strings.Join(kept, "\n"))
}

// Column roles of a table.
const (
	colOther = iota
	colTime
	colDate
	colText
)

// timelineTable reads a table with a time column (and maybe a date column):
// one entry per row. Other columns join the entry's text as "(Header:
// value)"; rows without a time are kept as a table.
func (im *importer) timelineTable(t *east.Table, sec *section, zone *time.Location) {
	header, rows := im.tableCells(t)
	roles := make([]int, len(header))
	textCol := -1
	for i, h := range header {
		lower := strings.ToLower(h)
		switch {
		case hasAnyWord(lower, "time", "when", "timestamp", "datetime", "at"):
			roles[i] = colTime
			if z := zoneIn(h); z != nil {
				zone = z
			}
		case hasAnyWord(lower, "date", "day"):
			roles[i] = colDate
		case textCol < 0 && hasAnyWord(lower, "event", "events", "description", "what", "details", "action",
			"summary", "note", "notes", "update", "activity", "entry", "message", "happened"):
			roles[i], textCol = colText, i
		}
	}
	timeCol := indexOf(roles, colTime)
	if dc := indexOf(roles, colDate); timeCol < 0 && dc >= 0 && len(rows) > 0 {
		// One "Date" column holding dates with times.
		if st, _, ok := scanStamp(rows[0].cells[dc]); ok && st.hasTime {
			roles[dc], timeCol = colTime, dc
		}
	}
	if timeCol < 0 && len(rows) > 0 {
		// No header says "time": the first column whose cell holds one.
		for i, cell := range rows[0].cells {
			if st, _, ok := scanStamp(cell); ok && st.hasTime && roles[i] == colOther {
				roles[i], timeCol = colTime, i
				break
			}
		}
	}
	if textCol < 0 {
		for i, r := range roles {
			if r == colOther {
				roles[i], textCol = colText, i
				break
			}
		}
	}
	if timeCol < 0 || textCol < 0 {
		im.keep(sec.heading, im.s.block(t))
		return
	}
	var kept []string
	var above *stamp
	for _, row := range rows {
		st, _, ok := scanStamp(row.cells[timeCol])
		if !ok && strings.TrimSpace(row.cells[timeCol]) == "" && above != nil {
			// Tables leave a value blank when it repeats the row above.
			st, ok = *above, true
		}
		if dc := indexOf(roles, colDate); ok && dc >= 0 && !st.hasDate {
			if d, _, dok := scanStamp(row.cells[dc]); dok && d.hasDate {
				st.hasDate, st.year, st.month, st.day = true, d.year, d.month, d.day
			}
		}
		var b strings.Builder // a row may have thousands of columns
		b.WriteString(row.cells[textCol])
		for i, cell := range row.cells {
			if roles[i] == colOther && strings.TrimSpace(cell) != "" {
				b.WriteString(" (" + header[i] + ": " + cell + ")")
			}
		}
		text := strings.TrimSpace(b.String())
		if !ok || !st.hasTime || text == "" {
			if ok && st.hasDate && !st.hasTime {
				im.addDate(st, row.line)
			}
			kept = append(kept, row.md)
			continue
		}
		im.timeline = append(im.timeline, timelineItem{line: row.line, st: st, text: text, zone: zone})
		above = &st
	}
	if len(kept) > 0 {
		im.warn(im.lineOf(t), "%d timeline rows without a time: kept as a table", len(kept))
		im.keep(sec.heading, im.tableHead(t)+"\n"+strings.Join(kept, "\n"))
	}
}

type tableRow struct {
	cells []string // Markdown of each cell
	md    string   // the row's line
	line  int
}

// tableCells returns the header texts and the rows of a table.
func (im *importer) tableCells(t *east.Table) ([]string, []tableRow) {
	var header []string
	var rows []tableRow
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var cells []string
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			// A pipe in a cell is written "\\|", even in a code span; the
			// text outside a table has it bare.
			cells = append(cells, strings.ReplaceAll(im.s.raw(c), `\|`, "|"))
		}
		if _, ok := r.(*east.TableHeader); ok {
			for i := range cells {
				cells[i] = plainText(cells[i])
			}
			header = cells
			continue
		}
		for len(cells) < len(header) {
			cells = append(cells, "")
		}
		rows = append(rows, tableRow{cells: cells, md: im.s.lineAt(im.s.start(r)), line: im.lineOf(r)})
	}
	return header, rows
}

// tableHead returns the header and delimiter lines of a table.
func (im *importer) tableHead(t *east.Table) string {
	start := im.s.start(t)
	head := im.s.lineAt(start)
	next := im.s.lineStart(start) + len(head) + 1
	if next >= len(im.s.src) {
		return head
	}
	return head + "\n" + im.s.lineAt(next)
}

// dateIn finds a date anywhere in a short text ("Day 2 (January 26)").
func dateIn(text string) (stamp, bool) {
	if len(text) > 80 {
		return stamp{}, false
	}
	for _, st := range findStamps(text) {
		if st.hasDate && !st.hasTime {
			return st, true
		}
	}
	return stamp{}, false
}

// zoneStatement reads "All times are in PST." and the like.
func zoneStatement(text string) *time.Location {
	lower := strings.ToLower(text)
	if len(text) > 200 || !strings.Contains(lower, "time") {
		return nil
	}
	return zoneIn(text)
}

// zoneIn finds a zone named in text: an abbreviation, UTC+2, or an IANA
// name.
func zoneIn(text string) *time.Location {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '/' || r == '_' || r == '+' || r == '-' || r == ':')
	}) {
		l := lexer{s: w}
		var st stamp
		st.hasTime = true
		if loc, ok := l.zoneName(&st); ok && l.eof() {
			if strings.EqualFold(w, "utc") || strings.EqualFold(w, "gmt") || w == strings.ToUpper(w) || strings.Contains(w, "/") {
				return loc
			}
		}
	}
	return nil
}

func hasAnyWord(s string, words ...string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '(' || r == ')' || r == '/' || r == '-' || r == '_' || r == ':'
	}) {
		for _, w := range words {
			if f == w {
				return true
			}
		}
	}
	return false
}

func indexOf(roles []int, role int) int {
	for i, r := range roles {
		if r == role {
			return i
		}
	}
	return -1
}
