package postmortem

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"

	"hindsight/internal/incident"
)

// fields reads a summary or the preamble: labelled items and lines
// ("- **Impact:** ...", "Severity: SEV2"), the Duration sentence; the rest
// is kept under the section's heading.
func (im *importer) fields(sec *section) {
	for _, n := range sec.nodes {
		switch n := n.(type) {
		case *ast.List:
			var kept []string
			for item := n.FirstChild(); item != nil; item = item.NextSibling() {
				if !im.labelledItem(item, sec.meaning) {
					kept = append(kept, im.s.block(item))
				}
			}
			im.keep(sec.heading, strings.Join(kept, "\n"))
		case *ast.Paragraph:
			if !im.labelledParagraph(n, sec) && !im.durationSentence(n) {
				im.proseTime(n)
				im.keep(sec.heading, im.s.block(n))
			}
		default:
			im.keep(sec.heading, im.s.block(n))
		}
	}
}

// labelledItem applies a list item of the form "**Label:** value" and
// reports whether it did.
func (im *importer) labelledItem(item ast.Node, ctx meaning) bool {
	first := item.FirstChild()
	if !isTextBlock(first) {
		return false
	}
	name, valueAt, ok := im.s.label(first)
	if !ok {
		return false
	}
	value := im.s.rawFrom(first, valueAt, "\n")
	if rest := first.NextSibling(); rest != nil {
		value = strings.TrimSpace(value + "\n\n" + im.s.blocks(rest, nil))
	}
	return im.applyLabel(classifyLabel(name), value, im.lineOf(item), ctx)
}

// labelledParagraph applies a paragraph whose lines are all labelled
// ("**Date:** ...\n**Severity:** ..."), or whose first line is, and
// reports whether it did. Lines with unknown labels are kept.
func (im *importer) labelledParagraph(p ast.Node, sec *section) bool {
	ctx := sec.meaning
	lines := im.s.inlineLines(p)
	if len(lines) == 0 {
		return false
	}
	type labelled struct {
		name, value string
	}
	var ls []labelled
	for _, line := range lines {
		name, valueAt, ok := im.s.labelAt(line)
		if !ok {
			break
		}
		ls = append(ls, labelled{name, im.s.rawRange(p, valueAt, line.end)})
	}
	line := im.lineOf(p)
	switch {
	case len(ls) == len(lines) && len(ls) > 1:
		var kept []string
		for i, l := range ls {
			if !im.applyLabel(classifyLabel(l.name), l.value, line+i, ctx) {
				kept = append(kept, im.s.rawRange(p, lines[i].start, lines[i].end))
			}
		}
		im.keep(sec.heading, strings.Join(kept, "\n"))
		return true
	case len(ls) > 0:
		name, valueAt, _ := im.s.labelAt(lines[0])
		return im.applyLabel(classifyLabel(name), im.s.rawFrom(p, valueAt, "\n"), line, ctx)
	}
	return false
}

// durationSentence reads a paragraph that is the export's Duration
// sentence ("The outage occurred on ...").
func (im *importer) durationSentence(p ast.Node) bool {
	text := im.s.plain(p)
	lower := strings.ToLower(text)
	if !strings.HasPrefix(lower, "the outage ") && !strings.HasPrefix(lower, "the incident ") {
		return false
	}
	if strings.Count(text, ". ") > 0 {
		return false // more than the one sentence
	}
	return im.setDuration(text, im.lineOf(p))
}

// proseTime notes the first date with a year, and the first zone written
// beside a time, in a paragraph of the summary.
func (im *importer) proseTime(p ast.Node) {
	if im.proseDate != nil && im.proseZone != nil {
		return
	}
	text := im.s.plain(p)
	timed := false
	for _, st := range findStamps(text) {
		if st.hasDate && st.year != 0 && im.proseDate == nil {
			st := st
			im.proseDate, im.proseLine = &st, im.lineOf(p)
		}
		timed = timed || st.hasTime
	}
	if timed && im.proseZone == nil {
		im.proseZone = zoneIn(text)
	}
}

// detectionSentence reads a Detection section that holds the export's
// sentence alone ("The incident was detected at 3:28 PM (UTC), 37 minutes
// after it began."): its time is the detection's, from which the export
// writes the sentence again. Kept as text, it would stay as it was when
// the detection moved or the reader asked for another zone.
func (im *importer) detectionSentence(sec *section) bool {
	if len(sec.nodes) != 1 {
		return false
	}
	p, ok := sec.nodes[0].(*ast.Paragraph)
	if !ok {
		return false
	}
	text := im.s.plain(p)
	if !generatedDetection.MatchString(text) {
		return false // a sentence of the team's own, kept as written
	}
	return im.applyLabel(labelDetected, text, im.lineOf(p), sec.meaning)
}

// generatedDetection matches the sentences detectionSentence writes, and
// nothing a person would add to them.
var generatedDetection = regexp.MustCompile(`^The incident was detected (?:on [A-Z][a-z]+ \d{1,2}, \d{4}, )?at \d{1,2}:\d{2} [AP]M \([^()]+\)` +
	`(?:, as it began|, (?:\d+ (?:days?|hours?|minutes?) ?)+ after it began)?\.$`)

// setDuration reads the stamps of a Duration value; it reports false when
// it holds no time.
func (im *importer) setDuration(text string, line int) bool {
	sts := findStamps(text)
	hasTime := false
	for _, st := range sts {
		hasTime = hasTime || st.hasTime
	}
	if !hasTime {
		return false
	}
	if im.duration != nil {
		return sameStamps(im.duration, sts)
	}
	im.duration, im.durLine = sts, line
	return true
}

func sameStamps(a, b []stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].hasDate != b[i].hasDate || a[i].hasTime != b[i].hasTime || a[i].day != b[i].day ||
			a[i].hour != b[i].hour || a[i].min != b[i].min {
			return false
		}
	}
	return true
}

// applyLabel puts the value of a labelled item where it belongs, read in a
// section of meaning ctx, and reports whether it did; what it does not
// apply the caller keeps.
func (im *importer) applyLabel(l label, value string, line int, ctx meaning) bool {
	value = strings.TrimSpace(value)
	if value == "" {
		return false // a label without a value is kept as written
	}
	d := &im.d.Incident
	switch l {
	case labelDuration:
		return im.setDuration(plainText(value), line)
	case labelDate:
		sts := findStamps(plainText(value))
		if len(sts) > 1 || len(sts) == 1 && sts[0].hasTime {
			return im.setDuration(plainText(value), line)
		}
		if len(sts) == 1 && sts[0].hasDate {
			if im.docDate == nil {
				im.docDate = &sts[0]
				return true
			}
			d := im.docDate
			return d.day == sts[0].day && d.month == sts[0].month && (d.year == sts[0].year || sts[0].year == 0)
		}
	case labelStarted, labelDetected, labelResolvedAt:
		if sts := findStamps(plainText(value)); len(sts) == 1 && sts[0].hasTime {
			if im.labelTimes == nil {
				im.labelTimes = map[label]stamp{}
			}
			if _, dup := im.labelTimes[l]; !dup {
				im.labelTimes[l] = sts[0]
				return true
			}
		}
	case labelImpact:
		return setText(&d.Impact, value)
	case labelRootCause, labelTrigger:
		if ctx == meaningRootCause || ctx == meaningTrigger {
			im.addCause(value, true)
			return true
		}
		return setText(&d.RootCause, value)
	case labelContributing:
		if ctx == meaningRootCause || ctx == meaningTrigger {
			im.addCause(value, false)
			return true
		}
	case labelResolution:
		return setText(&d.Resolution, value)
	case labelConclusion:
		return setText(&d.Conclusion, value)
	case labelSeverity:
		if sev, ok := parseSeverity(plainText(value)); ok && d.Severity == "" {
			d.Severity = sev
			return true
		}
	case labelServices:
		if names := splitNames(plainText(value)); len(names) > 0 && len(d.Services) == 0 {
			d.Services = names
			return true
		}
	case labelCommander:
		if v := plainText(value); v != "" && len(v) <= incident.MaxNameLen && d.Commander == "" {
			d.Commander = strings.TrimPrefix(v, "@")
			return true
		}
	case labelStatus:
		return im.setStatus(plainText(value))
	case labelIncident:
		// The incident gets a ref of its own when it is stored.
		return true
	}
	return false
}

// setStatus reads "Status: Draft" (the postmortem's) or "Status:
// Resolved" (the incident's).
func (im *importer) setStatus(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "draft", "wip", "work in progress":
		im.d.PostmortemStatus = incident.PostmortemDraft
	case "in review", "in_review", "review", "under review", "ready for review":
		im.d.PostmortemStatus = incident.PostmortemInReview
	case "published", "final", "complete", "completed", "done", "approved":
		im.d.PostmortemStatus = incident.PostmortemPublished
	default:
		return false
	}
	return true
}

// parseSeverity reads SEV1, Sev 2, sev-3, S1, P1, critical, major, minor.
func parseSeverity(v string) (incident.Severity, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(v)
	for _, p := range []string{"severity", "sev", "s", "p"} {
		if rest, ok := strings.CutPrefix(v, p); ok && len(rest) == 1 {
			v = rest
			break
		}
	}
	switch v {
	case "0", "1", "critical", "blocker":
		return incident.SEV1, true
	case "2", "high", "major":
		return incident.SEV2, true
	case "3", "medium", "moderate", "minor":
		return incident.SEV3, true
	case "4", "low", "trivial":
		return incident.SEV4, true
	}
	return "", false
}

// splitNames reads "api, api-cache and `db`" as a list of names.
func splitNames(v string) []string {
	v = strings.NewReplacer(" and ", ",", ";", ",", "`", "").Replace(v)
	var out []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" && len(n) <= incident.MaxNameLen {
			out = append(out, n)
		}
	}
	if len(out) > incident.MaxServices {
		return nil
	}
	return incident.NormalizeNames(out)
}

// plainText returns the text of a Markdown snippet without markup.
func plainText(md string) string {
	s := parseSource([]byte(md), 1)
	return s.plain(s.root)
}

func isTextBlock(n ast.Node) bool {
	return n != nil && (n.Kind() == ast.KindParagraph || n.Kind() == ast.KindTextBlock)
}
