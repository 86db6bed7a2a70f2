package postmortem

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"hindsight/internal/incident"
)

// checkText refuses what is not Markdown text and returns src with a
// byte-order mark removed and line endings made "\n".
func checkText(src []byte) ([]byte, error) {
	if len(src) > MaxImportSize {
		return nil, incident.Errorf(incident.ETOOLARGE, "the document is %d bytes long, at most %d are imported", len(src), MaxImportSize)
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, incident.Errorf(incident.EINVALID, "the document is empty")
	}
	switch ct := http.DetectContentType(src); {
	case strings.HasPrefix(ct, "text/plain; charset=utf-16"):
		return nil, incident.Errorf(incident.EUNSUPPORTED, "the document is UTF-16 text: save it as UTF-8 Markdown")
	case !strings.HasPrefix(ct, "text/"):
		return nil, incident.Errorf(incident.EUNSUPPORTED, "the document is %s, not Markdown text", strings.Split(ct, ";")[0])
	}
	if bytes.IndexByte(src, 0) >= 0 || controlShare(src) > 0.01 {
		return nil, incident.Errorf(incident.EUNSUPPORTED, "the document is binary data, not Markdown text")
	}
	if !utf8.Valid(src) {
		line := 1 + bytes.Count(src[:firstInvalidUTF8(src)], []byte("\n"))
		return nil, incident.Errorf(incident.EINVALID, "line %d is not valid UTF-8: save the document as UTF-8", line)
	}
	if why := tooCostly(src); why != "" {
		return nil, incident.Errorf(incident.EINVALID, "%s", why)
	}
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	src = bytes.ReplaceAll(src, []byte("\r"), []byte("\n"))
	return src, nil
}

// controlShare returns the share of control characters other than tab,
// newline, carriage return and form feed: binary data is full of them,
// text has none.
func controlShare(src []byte) float64 {
	n := 0
	for _, c := range src {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			n++
		}
	}
	return float64(n) / float64(len(src))
}

func firstInvalidUTF8(src []byte) int {
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(src)
}

// maxBrackets bounds the "[" of a whole document: the parser's work on
// link openers and reference definitions grows faster than their number.
// A long postmortem has a few hundred links.
const maxBrackets = 20_000

// maxBracketWork bounds the sum, over the lines of a document, of the
// number of "[" on a line times its length. The parser scans to the end
// of the line for every link that opens on it, so a long line of "[a]("
// costs time quadratic in its length: a megabyte of it takes minutes.
// Postmortems with many links on ordinary lines stay far below.
const maxBracketWork = 200_000_000

// bracketWork returns that sum and the line adding the most to it.
func bracketWork(md []byte) (work, worst int) {
	line, worstWork := 1, 0
	for len(md) > 0 {
		l := md
		if i := bytes.IndexByte(md, '\n'); i >= 0 {
			l, md = md[:i], md[i+1:]
		} else {
			md = nil
		}
		if n := bytes.Count(l, []byte("[")); n > 0 {
			w := n * len(l)
			work += w
			if w > worstWork {
				worst, worstWork = line, w
			}
		}
		line++
	}
	return work, worst
}

// tooCostly reports why md would take the Markdown parser too long, or "".
func tooCostly(md []byte) string {
	if depth, line := nestingDepth(md); depth > maxNesting {
		return fmt.Sprintf("line %d opens %d lists or quotes in one another: at most %d are read", line, depth, maxNesting)
	}
	if n := bytes.Count(md, []byte("[")); n > maxBrackets {
		return fmt.Sprintf("the document holds %d brackets ([), at most %d are read", n, maxBrackets)
	}
	if work, line := bracketWork(md); work > maxBracketWork {
		return fmt.Sprintf("the document holds too many brackets on long lines to be read quickly (line %d): break its long lines", line)
	}
	return ""
}

// maxNesting bounds the lists and block quotes one line may open. The
// Markdown parser takes time quadratic in that depth ("- - - - ... x"): a
// body of a megabyte of it would hold a request for minutes. People nest
// two or three deep.
const maxNesting = 50

// nestingDepth returns the deepest line of md, counted in the list
// markers and quote markers that open it, and that line's number.
func nestingDepth(md []byte) (depth, line int) {
	n := 1
	for len(md) > 0 {
		l := md
		if i := bytes.IndexByte(md, '\n'); i >= 0 {
			l, md = md[:i], md[i+1:]
		} else {
			md = nil
		}
		if d := lineNesting(l); d > depth {
			depth, line = d, n
		}
		n++
	}
	return depth, line
}

func lineNesting(l []byte) int {
	d := 0
	for {
		i := 0
		for i < len(l) && i < 4 && (l[i] == ' ' || l[i] == '\t') {
			i++
		}
		l = l[i:]
		switch {
		case len(l) > 0 && l[0] == '>':
			l = l[1:]
		case len(l) > 1 && (l[0] == '-' || l[0] == '*' || l[0] == '+') && (l[1] == ' ' || l[1] == '\t'):
			l = l[2:]
		default:
			j := 0
			for j < len(l) && j < 9 && isDigit(l[j]) {
				j++
			}
			if j == 0 || j+1 >= len(l) || (l[j] != '.' && l[j] != ')') || (l[j+1] != ' ' && l[j+1] != '\t') {
				return d
			}
			l = l[j+2:]
		}
		d++
	}
}
