package postmortem

import (
	"bytes"
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
