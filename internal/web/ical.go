package web

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// icalWriter writes an iCalendar stream (RFC 5545): CRLF line ends, and
// lines folded at 75 octets without splitting a UTF-8 character.
type icalWriter struct {
	buf bytes.Buffer
}

// maxLineOctets is RFC 5545's limit on a content line, line break excluded.
const maxLineOctets = 75

// line writes one content line, folding it: each continuation line starts
// with a space, which readers remove when they unfold.
func (w *icalWriter) line(s string) {
	n := 0
	for len(s) > 0 {
		_, size := utf8.DecodeRuneInString(s)
		if n+size > maxLineOctets {
			w.buf.WriteString("\r\n ")
			n = 1
		}
		w.buf.WriteString(s[:size])
		n += size
		s = s[size:]
	}
	w.buf.WriteString("\r\n")
}

// prop writes NAME:value with value written as is (dates, URIs, enums).
func (w *icalWriter) prop(name, value string) { w.line(name + ":" + value) }

// text writes NAME:value with value escaped as a TEXT value.
func (w *icalWriter) text(name, value string) { w.line(name + ":" + icalEscape(value)) }

// icalEscape escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon,
// comma and line breaks. Other control characters are not allowed in a
// content line at all, so they are dropped.
func icalEscape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func icalUTC(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

func icalDate(t time.Time) string { return t.Format("20060102") }
