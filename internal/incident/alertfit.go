package incident

import (
	"unicode/utf8"
)

// ellipsis marks where fitValues and Clip cut.
const ellipsis = "…"

// fitValues shortens the longest values of m, each marked with an
// ellipsis, until its keys and values take at most limit bytes. Senders
// template annotations freely (a description listing every pod of a
// deployment), and one long alert must not have its whole notification
// refused: Alertmanager and Grafana do not send it again after a 400.
func fitValues(m map[string]string, limit int) {
	// A value is cut only where that shortens it, ellipsis included.
	cut := func(v string, most int) bool { return len(v) > most+len(ellipsis) }
	size := func(most int) int { // of m with values cut to most
		n := 0
		for k, v := range m {
			n += len(k) + len(v)
			if cut(v, most) {
				n += most + len(ellipsis) - len(v)
			}
		}
		return n
	}
	if size(limit) <= limit {
		return
	}
	lo, hi := 0, limit // the largest length values may keep
	for lo < hi {
		if mid := (lo + hi + 1) / 2; size(mid) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for k, v := range m {
		if cut(v, lo) {
			m[k] = cutUTF8(v, lo) + ellipsis
		}
	}
}

// Clip shortens s to at most n characters, the last an ellipsis.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + ellipsis
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
