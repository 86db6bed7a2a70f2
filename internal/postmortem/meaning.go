package postmortem

import (
	"strings"
	"unicode"
)

// A meaning is what a section of a postmortem is about, whatever its
// heading says: "Overview", "TL;DR" and "Issue Summary" all mean summary.
// The importer uses it to route sections to fields, the export to put
// unplaced text (Incident.Extra) back where it belongs.
type meaning string

const (
	meaningOther      meaning = "" // a section Hindsight has no place for
	meaningPreamble   meaning = "preamble"
	meaningSummary    meaning = "summary"
	meaningImpact     meaning = "impact"
	meaningTimeline   meaning = "timeline"
	meaningRootCause  meaning = "root_cause"
	meaningTrigger    meaning = "trigger"
	meaningResolution meaning = "resolution"
	meaningDetection  meaning = "detection"
	meaningActions    meaning = "actions"
	meaningLessons    meaning = "lessons"
	meaningWentWell   meaning = "went_well"
	meaningWentWrong  meaning = "went_wrong"
	meaningLucky      meaning = "lucky"
	meaningConclusion meaning = "conclusion"
	// An appendix is kept as written, like a section of unknown meaning;
	// it has a name so that "Appendix: timeline graphs" is not read as a
	// timeline for its second word.
	meaningAppendix meaning = "appendix"
)

// headingWords lists, per meaning, the words that give a heading that
// meaning. The earliest match in a heading wins, so that "Root Cause and
// Resolution" is about the root cause and "Customer Impact Summary" about
// impact.
var headingWords = []struct {
	m     meaning
	words []string
}{
	{meaningWentWell, []string{"what went well", "what went right", "went well", "things that went well"}},
	{meaningWentWrong, []string{"what went wrong", "what went poorly", "what went badly", "what didn't go well",
		"what did not go well", "what could have gone better", "what could be improved", "went wrong", "went poorly"}},
	{meaningLucky, []string{"where we got lucky", "got lucky", "lucky"}},
	{meaningLessons, []string{"lessons", "lesson learned", "learnings", "takeaways", "key takeaways"}},
	{meaningTimeline, []string{"timeline", "chronology", "sequence of events", "event log", "events", "detailed timeline"}},
	{meaningTrigger, []string{"trigger"}},
	{meaningRootCause, []string{"root cause", "root-cause", "rca", "causes", "cause", "contributing factor", "why it happened", "why did it happen", "five whys", "5 whys"}},
	{meaningDetection, []string{"detection", "how was it detected", "how it was detected"}},
	{meaningResolution, []string{"resolution", "resolving", "mitigation", "mitigations", "recovery", "workaround", "how was it resolved", "how it was resolved", "response and recovery"}},
	{meaningActions, []string{"action items", "action item", "actions", "follow-ups", "follow-up", "follow ups", "followups", "corrective", "preventive", "preventative", "prevention", "remediation", "next steps", "improvements", "improvement", "tasks", "to do", "todo", "todos"}},
	{meaningImpact, []string{"impact", "customer impact", "user impact", "who was affected"}},
	{meaningSummary, []string{"summary", "overview", "tl;dr", "tldr", "abstract", "executive summary", "description", "incident summary", "issue summary"}},
	{meaningConclusion, []string{"conclusion", "conclusions", "closing", "closing thoughts", "final thoughts", "wrap-up", "wrap up"}},
	{meaningAppendix, []string{"appendix", "supporting information", "references", "glossary"}},
}

// classifyHeading returns the meaning of a section heading.
func classifyHeading(heading string) meaning {
	h := normalizeHeading(heading)
	best, bestAt := meaningOther, len(h)+1
	for _, hw := range headingWords {
		for _, w := range hw.words {
			if at := wordIndex(h, w); at >= 0 && at < bestAt {
				best, bestAt = hw.m, at
			}
		}
	}
	if best == meaningAppendix {
		return meaningOther
	}
	return best
}

// normalizeHeading lowers a heading and strips numbering ("2.", "IV)"),
// emoji and trailing punctuation, so that "3. 🔥 Root Causes:" compares as
// "root causes".
func normalizeHeading(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.ReplaceAll(h, "&", " and ")
	h = strings.TrimLeftFunc(h, func(r rune) bool { return !unicode.IsLetter(r) })
	if i := strings.IndexAny(h, ".)"); i > 0 && i <= 4 && isRoman(h[:i]) && i+1 < len(h) && h[i+1] == ' ' {
		h = h[i+1:]
	}
	h = strings.TrimRightFunc(h, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return strings.Join(strings.Fields(h), " ")
}

func isRoman(s string) bool {
	return strings.Trim(s, "ivx") == "" || len(s) == 1
}

// wordIndex returns where w starts in s at the start of a word, or -1.
// Only the start must be a word boundary: "cause" matches "causes".
func wordIndex(s, w string) int {
	for from := 0; from <= len(s)-len(w); {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || !isWordByte(s[i-1]) {
			return i
		}
		from = i + 1
	}
	return -1
}

// A label is the bold or plain "Key:" in front of a value in a list item
// or a line ("- **Impact:** ...", "Severity: SEV2").
type label string

const (
	labelNone         label = ""
	labelDuration     label = "duration"
	labelDate         label = "date"
	labelStarted      label = "started"
	labelDetected     label = "detected"
	labelResolvedAt   label = "resolved_at"
	labelImpact       label = "impact"
	labelRootCause    label = "root_cause"
	labelContributing label = "contributing"
	labelTrigger      label = "trigger"
	labelResolution   label = "resolution"
	labelSeverity     label = "severity"
	labelServices     label = "services"
	labelCommander    label = "commander"
	labelStatus       label = "status"
	labelImprovements label = "improvements"
	labelTasks        label = "tasks"
	labelSummary      label = "summary"
	labelConclusion   label = "conclusion"
	labelIncident     label = "incident"
)

// labelSynonyms lists, per label, the texts that mean it. Labels must
// match whole, unlike headings: "Impact" is a label, "Impact on billing" a
// sentence.
var labelSynonyms = []struct {
	l     label
	words []string
}{
	{labelDuration, []string{"duration", "outage window", "period", "when", "time window", "outage duration", "incident window"}},
	{labelDate, []string{"date", "incident date", "day"}},
	{labelStarted, []string{"start", "started", "start time", "began", "started at"}},
	{labelDetected, []string{"detected", "detected at", "detection time"}},
	{labelResolvedAt, []string{"end", "ended", "end time", "resolved", "resolved at"}},
	{labelImpact, []string{"impact", "customer impact", "user impact", "impacts"}},
	{labelRootCause, []string{"root cause", "root causes", "cause", "causes", "primary cause"}},
	{labelContributing, []string{"contributing factor", "contributing factors", "contributing cause"}},
	{labelTrigger, []string{"trigger"}},
	{labelResolution, []string{"resolution", "mitigation", "fix", "recovery"}},
	{labelSeverity, []string{"severity", "sev", "severity level"}},
	{labelServices, []string{"services", "service", "affected services", "systems affected", "affected systems",
		"components", "services affected"}},
	{labelCommander, []string{"commander", "incident commander", "ic", "incident lead", "incident manager"}},
	{labelStatus, []string{"status", "postmortem status", "document status"}},
	{labelImprovements, []string{"improvements", "improvements/fixes", "improvements and fixes", "fixes",
		"preventive measures", "preventative measures", "improvement"}},
	{labelTasks, []string{"tasks", "tasks to address the issue", "action items", "follow-ups", "follow ups",
		"corrective actions", "next steps", "todo"}},
	{labelSummary, []string{"summary", "tl;dr", "tldr", "overview"}},
	{labelConclusion, []string{"conclusion"}},
	{labelIncident, []string{"incident", "incident id", "ref"}},
}

var labelWords = func() map[string]label {
	m := map[string]label{}
	for _, s := range labelSynonyms {
		for _, w := range s.words {
			m[w] = s.l
		}
	}
	return m
}()

func classifyLabel(text string) label {
	t := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), ":")))
	t = strings.Join(strings.Fields(t), " ")
	return labelWords[t]
}
