package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// The timeline is the one part of a page that grows to thousands of items.
// html/template escapes each value through a function called by
// reflection, which made a page of 2,000 entries several times slower than
// writing the entries here, with the same escaping: every value below goes
// through html.EscapeString, whatever its origin. The markup must stay the
// same as the rest of the page expects (app.css, app.js); the page tests
// check it, user text that tries to inject markup included.

// timelineHTML writes the markup of the entries and alert runs of items.
func timelineHTML(items []timelineItem, edit bool) {
	var b strings.Builder
	for i := range items {
		it := &items[i]
		switch {
		case it.Entry != nil:
			b.Reset()
			b.Grow(700)
			writeEntry(&b, it.Key, it.Version, it.Entry, edit)
			it.HTML = template.HTML(b.String())
		case len(it.Alerts) > 0:
			b.Reset()
			writeAlertRun(&b, it, edit)
			it.HTML = template.HTML(b.String())
		}
	}
}

var esc = html.EscapeString

func writeEntry(b *strings.Builder, key, version string, e *entryView, edit bool) {
	b.WriteString(`<li`)
	if key != "" {
		b.WriteString(` id="` + esc(key) + `" data-v="` + esc(version) + `"`)
	}
	b.WriteString(` class="entry kind-` + esc(string(e.Kind)))
	if e.Highlight {
		b.WriteString(` hl`)
	}
	b.WriteString(`"><div class="entry-head"><svg class="icon" aria-hidden="true" width="16" height="16"><use href="`)
	b.WriteString(esc(e.Icon))
	b.WriteString(`"></use></svg> `)
	writeClock(b, e)
	b.WriteString(` <span class="kind">` + esc(e.KindName) + `</span>`)
	if e.Highlight {
		b.WriteString(` <span class="star" title="Shown in the postmortem">★<span class="sr"> highlighted</span></span>`)
	}
	b.WriteString(`</div><div class="entry-text">` + esc(e.Text) + `</div><div class="entry-meta">`)
	if e.Author != "" {
		b.WriteString(`<span>` + esc(e.Author) + `</span>`)
	}
	if e.Source != "" {
		b.WriteString(`<span>` + esc(e.Source) + `</span>`)
	}
	b.WriteString(`</div>`)
	if edit {
		b.WriteString(`<a class="edit" href="` + esc(e.Edit) + `">Edit<span class="sr"> the entry of ` + esc(e.Clock) + `</span></a>`)
	}
	b.WriteString("</li>\n")
}

func writeClock(b *strings.Builder, e *entryView) {
	b.WriteString(`<time datetime="` + esc(e.At) + `" title="` + esc(e.UTC) + `" data-fmt="clock">` + esc(e.Clock) + `</time>`)
}

func writeAlertRun(b *strings.Builder, it *timelineItem, edit bool) {
	first, last := &it.Alerts[0], &it.Alerts[len(it.Alerts)-1]
	icon := first.Icon[:strings.LastIndexByte(first.Icon, '#')+1] + "alert"
	b.WriteString(`<li id="` + esc(it.Key) + `" data-v="` + esc(it.Version) + `" class="entry alert-run"><details><summary>`)
	b.WriteString(`<svg class="icon" aria-hidden="true" width="16" height="16"><use href="` + esc(icon) + `"></use></svg> `)
	b.WriteString(strconv.Itoa(len(it.Alerts)) + ` alert entries, `)
	writeClock(b, first)
	b.WriteString(` to `)
	writeClock(b, last)
	b.WriteString("</summary><ol>\n")
	for i := range it.Alerts {
		writeEntry(b, "", "", &it.Alerts[i], edit)
	}
	b.WriteString("</ol></details></li>\n")
}
