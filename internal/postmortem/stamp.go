package postmortem

import (
	"strings"
	"time"
	"unicode/utf8"
)

// A stamp is a date, a time of day or both, as written in a postmortem
// ("10:00 AM (UTC)", "14:32", "2019-10-21 14:32", "January 25, 2024",
// "2024-01-25T10:00:00Z"). Missing parts are filled from the context by
// the importer.
type stamp struct {
	hasDate bool
	year    int // 0 when the date names no year ("Jan 25")
	month   time.Month
	day     int

	hasTime bool
	hour    int
	min     int
	sec     int
	nsec    int

	loc *time.Location // nil when no zone was written
}

// at returns the instant of a complete stamp: date, time and zone known.
func (s stamp) at() time.Time {
	return time.Date(s.year, s.month, s.day, s.hour, s.min, s.sec, s.nsec, s.loc)
}

// Markup that may wrap a stamp ("**10:00 AM (UTC):**", "[14:32]",
// "`14:32`"); a closer is skipped after the stamp only when its opener was
// skipped before it, so that "14:32 _urgent_ page" keeps its emphasis.
const stampMarkup = "*_`~[("

// Separators between a stamp and its text: "14:32 - Paged", "14:32: Paged",
// "| 14:32 |".
const stampSeparators = " \t:|,.-"

// scanStamp reads a stamp at the start of s, past any leading markup. It
// returns the stamp and how many bytes of s it used, trailing markup and
// separators included, so that s[n:] is the text that follows. ok is false
// when s does not start with a date or a time.
func scanStamp(s string) (st stamp, n int, ok bool) {
	l := lexer{s: s}
	var open [256]int
	for !l.eof() && (strings.IndexByte(stampMarkup, l.peek()) >= 0 || l.peek() == ' ' || l.peek() == '\t') {
		open[l.peek()]++
		l.i++
	}
	st, ok = l.stamp()
	if !ok {
		return stamp{}, 0, false
	}
	// "10:00-10:15 Investigation": the end of a range adds nothing the
	// timeline needs, and left in place it would look like text.
	save := l.i
	l.skipSet(" \t")
	if l.skipDash() || l.word("to") {
		l.skipSet(" \t")
		if end, ok := l.stamp(); ok && end.hasTime && !end.hasDate {
			if st.loc == nil {
				st.loc = end.loc
			}
			save = l.i
		}
	}
	l.i = save
	l.skipClosers(&open)
	return st, l.i, true
}

// findStamps returns every stamp in s, in order, for sentences that hold
// several ("from 10:00 AM to 2:00 PM (UTC)").
func findStamps(s string) []stamp {
	var out []stamp
	for i := 0; i < len(s); {
		if i == 0 || !isWordByte(s[i-1]) {
			l := lexer{s: s, i: i}
			if st, ok := l.stamp(); ok {
				out = append(out, st)
				i = l.i
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out
}

type lexer struct {
	s string
	i int
}

func (l *lexer) eof() bool { return l.i >= len(l.s) }

func (l *lexer) peek() byte {
	if l.eof() {
		return 0
	}
	return l.s[l.i]
}

func (l *lexer) skipSet(set string) {
	for !l.eof() && strings.IndexByte(set, l.s[l.i]) >= 0 {
		l.i++
	}
}

// skipClosers skips separators after a stamp, and the closing markup of
// the openers counted in open. Separators that run into a word are the
// text's own ("-5% fewer orders", ".NET workers", "...and then"): a run
// of them is skipped only before a space, the end, or a closer.
func (l *lexer) skipClosers(open *[256]int) {
	closing := map[byte]byte{'*': '*', '_': '_', '`': '`', '~': '~', ']': '[', ')': '('}
	closes := func(c byte) bool {
		o, ok := closing[c]
		return ok && open[o] > 0
	}
	for !l.eof() {
		c := l.peek()
		if c == ' ' || c == '\t' {
			l.i++
			continue
		}
		if strings.IndexByte(stampSeparators, c) >= 0 {
			j := l.i
			for j < len(l.s) && strings.IndexByte(stampSeparators, l.s[j]) >= 0 && l.s[j] != ' ' && l.s[j] != '\t' {
				j++
			}
			if j < len(l.s) && l.s[j] != ' ' && l.s[j] != '\t' && !closes(l.s[j]) {
				return
			}
			l.i = j
			continue
		}
		if l.skipDash() {
			continue
		}
		if closes(c) {
			open[closing[c]]--
			l.i++
			continue
		}
		return
	}
}

// skipDash skips one en or em dash or a hyphen.
func (l *lexer) skipDash() bool {
	for _, d := range []string{"-", "–", "—"} {
		if strings.HasPrefix(l.s[l.i:], d) {
			l.i += len(d)
			return true
		}
	}
	return false
}

// word skips w (any case) when it stands alone.
func (l *lexer) word(w string) bool {
	if len(l.s)-l.i < len(w) || !strings.EqualFold(l.s[l.i:l.i+len(w)], w) {
		return false
	}
	if end := l.i + len(w); end < len(l.s) && isWordByte(l.s[end]) {
		return false
	}
	l.i += len(w)
	return true
}

// digits reads between min and max digits; more digits than max fail.
func (l *lexer) digits(min, max int) (int, bool) {
	start, v := l.i, 0
	for !l.eof() && isDigit(l.s[l.i]) {
		if l.i-start == max {
			l.i = start
			return 0, false
		}
		v = v*10 + int(l.s[l.i]-'0')
		l.i++
	}
	if l.i-start < min {
		l.i = start
		return 0, false
	}
	return v, true
}

// letters reads a run of ASCII letters.
func (l *lexer) letters() string {
	start := l.i
	for !l.eof() && isLetter(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i]
}

// stamp reads a date, a time, or a date and a time, then a zone.
func (l *lexer) stamp() (stamp, bool) {
	start := l.i
	var st stamp
	if l.date(&st) {
		afterDate := l.i
		// "2024-01-25T10:00", "2024-01-25 10:00", "January 25, 2024, 10:00
		// AM", "Jan 25 at 10:00".
		if l.peek() == 'T' && st.year != 0 {
			l.i++
		} else {
			l.skipSet(", \t")
			if l.word("at") {
				l.skipSet(" \t")
			}
		}
		if !l.time(&st) {
			l.i = afterDate
		}
	} else if !l.time(&st) {
		l.i = start
		return stamp{}, false
	}
	if st.hasTime {
		l.zone(&st)
	}
	// A stamp runs into no word: "10:00abc" and "2024-01-25x" are not stamps.
	if !l.eof() && isWordByte(l.s[l.i]) {
		l.i = start
		return stamp{}, false
	}
	return st, true
}

var monthNames = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
	"aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
	"october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednesday": true, "thu": true, "thur": true, "thurs": true,
	"thursday": true, "fri": true, "friday": true, "sat": true, "saturday": true,
	"sun": true, "sunday": true,
}

// date reads 2024-01-25, 2024/01/25, January 25[, 2024], Jan 25th or
// 25 January [2024], optionally after a weekday.
func (l *lexer) date(st *stamp) bool {
	start := l.i
	if y, ok := l.digits(4, 4); ok {
		if sep := l.peek(); sep == '-' || sep == '/' {
			l.i++
			if m, ok := l.digits(1, 2); ok && l.peek() == sep {
				l.i++
				// Years outside 1970..2999 are not incident dates but
				// version numbers and typos.
				if d, ok := l.digits(1, 2); ok && y >= 1970 && y < 3000 && validDate(y, m, d) {
					*st = stamp{hasDate: true, year: y, month: time.Month(m), day: d}
					return true
				}
			}
		}
		l.i = start
		return false
	}
	if w := strings.ToLower(l.letters()); weekdayNames[w] {
		l.skipSet(".")
		l.skipSet(", \t")
	} else {
		l.i = start
	}
	afterWeekday := l.i
	if m, ok := monthNames[strings.ToLower(l.letters())]; ok {
		l.skipSet(".")
		l.skipSet(" \t")
		if d, ok := l.digits(1, 2); ok && l.ordinal() && validDate(2000, int(m), d) {
			st.hasDate, st.month, st.day = true, m, d
			l.year(st)
			return true
		}
	}
	l.i = afterWeekday
	if d, ok := l.digits(1, 2); ok && l.ordinal() {
		l.skipSet(" \t")
		if m, ok := monthNames[strings.ToLower(l.letters())]; ok && validDate(2000, int(m), d) {
			l.skipSet(".")
			st.hasDate, st.month, st.day = true, m, d
			l.year(st)
			return true
		}
	}
	l.i = start
	return false
}

// ordinal skips "st", "nd", "rd" or "th" after a day; it fails only when
// other letters follow the number.
func (l *lexer) ordinal() bool {
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if l.word(suf) {
			return true
		}
	}
	return l.eof() || !isLetter(l.peek())
}

// year reads ", 2024" or " 2024" after a day and month, but not the hour
// of "Jan 25 10:00" nor the "2024" of a longer number.
func (l *lexer) year(st *stamp) {
	save := l.i
	l.skipSet(", \t")
	if y, ok := l.digits(4, 4); ok && l.peek() != ':' && y >= 1970 && y < 3000 {
		st.year = y
		return
	}
	l.i = save
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d
}

// time reads 14:32, 14:32:05.123, 2:00 PM, 10am, 10 a.m.
func (l *lexer) time(st *stamp) bool {
	start := l.i
	h, ok := l.digits(1, 2)
	if !ok {
		return false
	}
	m, s, ns := 0, 0, 0
	hasMinutes := false
	if l.peek() == ':' {
		l.i++
		if m, ok = l.digits(2, 2); !ok || m > 59 {
			l.i = start
			return false
		}
		hasMinutes = true
		if l.peek() == ':' && l.i+1 < len(l.s) && isDigit(l.s[l.i+1]) {
			// Seconds; a colon before a space ends the time ("14:32: Paged").
			l.i++
			if s, ok = l.digits(2, 2); !ok || s > 60 {
				l.i = start
				return false
			}
			if l.peek() == '.' || l.peek() == ',' {
				fracStart := l.i + 1
				l.i++
				f, ok := l.digits(1, 9)
				if !ok {
					l.i = fracStart - 1
				} else {
					for n := l.i - fracStart; n < 9; n++ {
						f *= 10
					}
					ns = f
				}
			}
		}
	}
	beforeMeridiem := l.i
	l.skipSet(" \t")
	pm, meridiem := l.meridiem()
	if !meridiem {
		l.i = beforeMeridiem
		if !hasMinutes || h > 23 {
			l.i = start
			return false
		}
	} else {
		if h < 1 || h > 12 {
			l.i = start
			return false
		}
		h %= 12
		if pm {
			h += 12
		}
	}
	st.hasTime, st.hour, st.min, st.sec, st.nsec = true, h, m, s, ns
	return true
}

// meridiem reads AM, PM, a.m. or p.m. in any case.
func (l *lexer) meridiem() (pm, ok bool) {
	for _, w := range []string{"am", "a.m.", "a.m", "pm", "p.m.", "p.m"} {
		if len(l.s)-l.i < len(w) || !strings.EqualFold(l.s[l.i:l.i+len(w)], w) {
			continue
		}
		end := l.i + len(w)
		if end < len(l.s) && isWordByte(l.s[end]) {
			continue
		}
		l.i = end
		return w[0] == 'p', true
	}
	return false, false
}

// zone reads what follows a time: Z, +02:00, +0200, UTC, UTC+2, (PST),
// (Europe/Berlin). Nothing is read when no zone follows.
func (l *lexer) zone(st *stamp) {
	if l.peek() == 'Z' && (l.i+1 == len(l.s) || !isWordByte(l.s[l.i+1])) {
		l.i++
		st.loc = time.UTC
		return
	}
	start := l.i
	l.skipSet(" \t")
	paren := l.peek() == '('
	if paren {
		l.i++
	}
	loc, ok := l.zoneName(st)
	if ok && paren {
		ok = l.peek() == ')'
		l.i++
	}
	if !ok {
		l.i = start
		return
	}
	st.loc = loc
}

func (l *lexer) zoneName(st *stamp) (*time.Location, bool) {
	// "10:00-10:15" is a range, "2024-01-25T10:00:00-05:00" a zone: a bare
	// minus counts as a zone only after a full date and time.
	if c := l.peek(); c == '+' || c == '-' && st.hasDate && st.year != 0 {
		return l.offset()
	}
	start := l.i
	for !l.eof() && (isLetter(l.s[l.i]) || l.s[l.i] == '/' || l.s[l.i] == '_') {
		l.i++
	}
	name := l.s[start:l.i]
	if name == "" {
		return nil, false
	}
	if strings.EqualFold(name, "UTC") || strings.EqualFold(name, "GMT") {
		if c := l.peek(); c == '+' || c == '-' {
			if loc, ok := l.offset(); ok {
				return loc, true
			}
		}
		return time.UTC, true
	}
	if loc, ok := abbrevLocation(name); ok {
		return loc, true
	}
	if strings.Contains(name, "/") {
		if loc, err := LoadLocation(name); err == nil {
			return loc, true
		}
	}
	l.i = start
	return nil, false
}

// offset reads +02:00, +0200, +02 or +2.
func (l *lexer) offset() (*time.Location, bool) {
	start := l.i
	sign := 1
	if l.peek() == '-' {
		sign = -1
	}
	l.i++
	h, m := 0, 0
	if hm, ok := l.digits(4, 4); ok {
		h, m = hm/100, hm%100
	} else if hh, ok := l.digits(1, 2); ok {
		h = hh
		if l.peek() == ':' {
			l.i++
			if m, ok = l.digits(2, 2); !ok {
				l.i = start
				return nil, false
			}
		}
	} else {
		l.i = start
		return nil, false
	}
	if h > 14 || m > 59 {
		l.i = start
		return nil, false
	}
	return offsetLocation(sign * (h*60 + m)), true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isWordByte reports whether c continues a word: letters, digits and any
// byte of a non-ASCII character.
func isWordByte(c byte) bool { return isDigit(c) || isLetter(c) || c >= 0x80 }
