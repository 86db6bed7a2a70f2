package alerts

import "unicode/utf8"

// fastDecodable reports whether decodeJSON may decode body with go-json:
// valid JSON, all ASCII, no escape in a field name (go-json matches some
// escaped names to fields encoding/json does not) and no \u escape of
// anything but ASCII elsewhere.
//
// It checks all of that in one pass. encoding/json's Valid, which it
// replaces, took a third of the time to parse a notification: its scanner
// calls a function for every byte.
func fastDecodable(body []byte) bool {
	s := asciiScan{b: body}
	s.space()
	if !s.value(0) {
		return false
	}
	s.space()
	return s.i == len(s.b)
}

// maxJSONDepth is encoding/json's limit on nesting, so that a body is
// valid here exactly when it is there.
const maxJSONDepth = 10000

// asciiScan reads one JSON value from b at i, refusing what fastDecodable
// refuses. Each method moves i past what it read and reports whether that
// was accepted; after a refusal i means nothing.
type asciiScan struct {
	b []byte
	i int
}

func (s *asciiScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next returns the byte at i, or 0 at the end (never valid where a byte
// is looked at).
func (s *asciiScan) next() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// value reads a value inside depth arrays and objects.
func (s *asciiScan) value(depth int) bool {
	switch c := s.next(); {
	case c == '{', c == '[':
		if depth >= maxJSONDepth {
			return false
		}
		s.i++
		s.space()
		if c == '{' {
			return s.members(depth + 1)
		}
		return s.elements(depth + 1)
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// members reads the rest of an object, after its {.
func (s *asciiScan) members(depth int) bool {
	if s.next() == '}' {
		s.i++
		return true
	}
	for {
		if s.next() != '"' {
			return false
		}
		if escaped, ok := s.str(); !ok || escaped {
			return false
		}
		s.space()
		if s.next() != ':' {
			return false
		}
		s.i++
		s.space()
		if !s.value(depth) {
			return false
		}
		if more, ok := s.after('}'); !more {
			return ok
		}
	}
}

// elements reads the rest of an array, after its [.
func (s *asciiScan) elements(depth int) bool {
	if s.next() == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		if more, ok := s.after(']'); !more {
			return ok
		}
	}
}

// after reads what follows a member or an element: a comma, and more to
// come, or closing, the end.
func (s *asciiScan) after(closing byte) (more, ok bool) {
	s.space()
	switch s.next() {
	case ',':
		s.i++
		s.space()
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

// str reads a string and reports whether it holds an escape.
func (s *asciiScan) str() (escaped, ok bool) {
	s.i++ // "
	for {
		for s.i < len(s.b) && plainInString[s.b[s.i]] {
			s.i++
		}
		switch s.next() {
		case '"':
			s.i++
			return escaped, true
		case '\\':
			escaped = true
			s.i++
			switch s.next() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u': // \u0000 to \u007f only
				if s.i+4 >= len(s.b) || s.b[s.i+1] != '0' || s.b[s.i+2] != '0' ||
					s.b[s.i+3] < '0' || s.b[s.i+3] > '7' || !isHex(s.b[s.i+4]) {
					return escaped, false
				}
				s.i += 4
			default:
				return escaped, false
			}
			s.i++
		default: // the end, a control character or beyond ASCII
			return escaped, false
		}
	}
}

// plainInString holds the bytes that stand for themselves in a string.
var plainInString = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *asciiScan) number() bool {
	if s.next() == '-' {
		s.i++
	}
	switch c := s.next(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		// go-json wraps an integer beyond int64 where encoding/json
		// refuses it: 19 digits or more go to encoding/json.
		if start := s.i; s.digits() && s.i-start >= 19 {
			return false
		}
	default:
		return false
	}
	if s.next() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.next(); c == 'e' || c == 'E' {
		s.i++
		if c := s.next(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads one digit or more.
func (s *asciiScan) digits() bool {
	start := s.i
	for c := s.next(); '0' <= c && c <= '9'; c = s.next() {
		s.i++
	}
	return s.i > start
}

func (s *asciiScan) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}
