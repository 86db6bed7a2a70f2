package postmortem

import (
	"sort"
	"strings"
	"time"

	"hindsight/internal/incident"
)

// Data is what a postmortem template receives, built from an incident and
// the zone the reader asked for. Times are in that zone; texts are
// Markdown as people wrote them. docs/templates.md documents it for
// template authors.
//
// Besides the fields, templates call two methods:
//
//	{{.ExtraFor "timeline"}}  the kept text (Incident.Extra) about one
//	                          meaning, to place in the template's own
//	                          section: preamble, summary, impact, timeline,
//	                          root_cause, trigger, resolution, detection,
//	                          actions, lessons, went_well, went_wrong,
//	                          lucky, conclusion
//	{{.ExtraRest}}            the kept sections no ExtraFor took, with
//	                          their headings; put it near the end so that
//	                          nothing imported is lost
type Data struct {
	Ref              string   // "INC-7"; empty before the incident is stored
	Title            string   // without "Postmortem:"
	Severity         string   // "SEV1" .. "SEV4"
	Status           string   // the incident's: investigating .. closed
	PostmortemStatus string   // draft, in_review, published
	Commander        string   // may be empty
	Services         []string // names

	Impact     string // Markdown
	RootCause  string // Markdown: the one-sentence cause of the summary
	Resolution string // Markdown
	Conclusion string // Markdown

	Location *time.Location // the zone of every time below
	Zone     string         // its name as the export writes it: "UTC", "CET", "UTC+04:00"

	StartedAt      *time.Time
	DetectedAt     *time.Time
	AcknowledgedAt *time.Time
	MitigatedAt    *time.Time
	ResolvedAt     *time.Time

	// Duration is the sentence of the Issue Summary: "The outage occurred
	// on January 25, 2024, from 10:00 AM to 2:00 PM (UTC)." Empty without
	// a start time.
	Duration string
	// Detection says when the incident was detected, relative to its
	// start; empty without a detection time.
	Detection string
	// MultiDay reports whether the timeline runs over more than one day,
	// or starts on another day than the incident; Entry.Stamp then holds
	// dates.
	MultiDay bool

	Timeline            []Entry // the highlighted timeline entries, oldest first
	RootCauses          []Cause // primary causes first
	PrimaryCauses       []Cause
	ContributingFactors []Cause
	Improvements        []Item // tasks of kind improvement
	Tasks               []Item // tasks of kind task
	ActionItems         []Item // improvements, then tasks

	extra []extraSection
	used  map[meaning]bool
}

// Entry is one highlighted timeline entry.
type Entry struct {
	At time.Time // in Data.Location
	// Stamp is how the default template labels the entry: "10:00 AM
	// (UTC)" on the first entry, "10:15 AM" after it, the date added
	// ("January 26, 2024, 12:05 AM") on the first entry of each day when
	// Data.MultiDay, the zone again when it changes (daylight saving).
	Stamp string
	Time  string // "10:00 AM"
	Date  string // "January 25, 2024"
	ISO   string // "2024-01-25 10:00", for tables
	// TableStamp is ISO with the zone added when it differs from
	// Data.Zone, which a table names once in its header.
	TableStamp string
	Kind       string // detection, notification, ... (see DESIGN.md)
	Text       string // Markdown, possibly several paragraphs
}

// Cause is a root cause or contributing factor.
type Cause struct {
	Description string // Markdown
	Category    string // configuration, code, capacity, dependency, process, human, unknown
	Primary     bool
}

// Item is a corrective or preventive task.
type Item struct {
	Title    string     // Markdown
	Kind     string     // improvement or task
	Owner    string     // may be empty
	Due      *time.Time // a calendar date, at midnight UTC
	DueDate  string     // "2024-02-01", or empty
	Priority string     // P1 .. P4
	Status   string     // open, in_progress, done, wont_do
	// StatusText is the status as words: "open", "in progress", "done",
	// "won't do".
	StatusText string
	Done       bool
	Link       string // http(s) URL, or empty
	// LinkMarkdown is Link as an autolink ("<https://...>"), or empty.
	LinkMarkdown string
	// Meta is what the default template writes after the title so that
	// the fields people set survive an import: "_(owner: ana; status:
	// done; priority: P1)_". Empty when the task has no owner, link or
	// priority other than P3, and is open. The due date is left out: the
	// store gives every task one by its incident's severity, and writing
	// it would change the lines of the example postmortem on export.
	Meta string
	// Full is the title with Meta after its first paragraph: what the
	// default template writes for the item.
	Full string
}

// NewData builds the data of a postmortem of d with every time in loc
// (UTC when nil).
func NewData(d *incident.Detail, loc *time.Location) *Data {
	if loc == nil {
		loc = time.UTC
	}
	in := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.In(loc)
		return &u
	}
	data := &Data{
		Ref: d.Ref, Title: headingText(d.Title), Severity: string(d.Severity), Status: string(d.Status),
		PostmortemStatus: string(d.PostmortemStatus), Commander: d.Commander, Services: d.Services,
		Impact: strings.TrimSpace(d.Impact), RootCause: strings.TrimSpace(d.RootCause),
		Resolution: strings.TrimSpace(d.Resolution), Conclusion: strings.TrimSpace(d.Conclusion),
		Location: loc, StartedAt: in(d.StartedAt), DetectedAt: in(d.DetectedAt),
		AcknowledgedAt: in(d.AcknowledgedAt), MitigatedAt: in(d.MitigatedAt), ResolvedAt: in(d.ResolvedAt),
		extra: splitExtra(d.Extra), used: map[meaning]bool{},
	}
	ref := time.Now().In(loc)
	if data.StartedAt != nil {
		ref = *data.StartedAt
	}
	data.Zone = zoneLabel(ref)
	data.Duration = durationSentence(data.StartedAt, data.ResolvedAt)
	data.Detection = detectionSentence(data.StartedAt, data.DetectedAt)
	data.timeline(d.Events)
	for _, rc := range d.RootCauses {
		c := Cause{Description: strings.TrimSpace(rc.Description), Category: string(rc.Category), Primary: rc.Primary}
		if c.Primary {
			data.PrimaryCauses = append(data.PrimaryCauses, c)
		} else {
			data.ContributingFactors = append(data.ContributingFactors, c)
		}
	}
	data.RootCauses = append(append([]Cause{}, data.PrimaryCauses...), data.ContributingFactors...)
	for _, t := range d.Tasks {
		it := newItem(t)
		if it.Kind == string(incident.TaskImprovement) {
			data.Improvements = append(data.Improvements, it)
		} else {
			data.Tasks = append(data.Tasks, it)
		}
	}
	data.ActionItems = append(append([]Item{}, data.Improvements...), data.Tasks...)
	return data
}

// timeline keeps the highlighted entries and labels them.
func (data *Data) timeline(events []incident.Event) {
	for _, e := range events {
		if !e.Highlight || strings.TrimSpace(e.Text) == "" {
			continue
		}
		at := e.At.In(data.Location)
		data.Timeline = append(data.Timeline, Entry{
			At: at, Time: clock(at), Date: longDate(at), ISO: at.Format("2006-01-02 15:04"),
			Kind: string(e.Kind), Text: strings.TrimSpace(e.Text),
		})
	}
	if len(data.Timeline) == 0 {
		return
	}
	// The store reads the timeline in order; a detail built elsewhere
	// may not be.
	sort.SliceStable(data.Timeline, func(i, j int) bool { return data.Timeline[i].At.Before(data.Timeline[j].At) })
	// The importer dates an entry without a date by the start of the
	// incident; the export writes dates whenever that would be wrong.
	first := data.Timeline[0].At
	if data.StartedAt != nil && !sameDay(*data.StartedAt, first) {
		data.MultiDay = true
	}
	for _, e := range data.Timeline {
		if !sameDay(e.At, first) {
			data.MultiDay = true
		}
	}
	var prev *time.Time
	for i := range data.Timeline {
		e := &data.Timeline[i]
		stamp := e.Time
		if data.MultiDay && (prev == nil || !sameDay(*prev, e.At)) {
			stamp = e.Date + ", " + e.Time
		}
		if prev == nil || zoneLabel(*prev) != zoneLabel(e.At) {
			stamp += " (" + zoneLabel(e.At) + ")"
		}
		e.Stamp = stamp
		e.TableStamp = e.ISO
		if z := zoneLabel(e.At); z != data.Zone {
			e.TableStamp += " " + z
		}
		at := e.At
		prev = &at
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func newItem(t incident.Task) Item {
	it := Item{
		Title: strings.TrimSpace(t.Title), Kind: string(t.Kind), Owner: t.Owner, Due: t.DueAt,
		Priority: string(t.Priority), Status: string(t.Status), Link: t.ExternalURL,
		Done: t.Status == incident.TaskDone,
	}
	if it.Kind == "" {
		it.Kind = string(incident.TaskTask)
	}
	if it.Link != "" {
		it.LinkMarkdown = "<" + it.Link + ">"
	}
	if it.Status == "" {
		it.Status = string(incident.TaskOpen)
	}
	it.StatusText = map[string]string{"in_progress": "in progress", "wont_do": "won't do"}[it.Status]
	if it.StatusText == "" {
		it.StatusText = it.Status
	}
	if t.DueAt != nil {
		// Due dates are calendar days: shown as stored, not moved into
		// the reader's zone, where midnight could fall on the day before.
		it.DueDate = t.DueAt.UTC().Format("2006-01-02")
	}
	var meta []string
	if it.Owner != "" {
		meta = append(meta, "owner: "+it.Owner)
	}
	if it.Status != string(incident.TaskOpen) {
		meta = append(meta, "status: "+it.StatusText)
	}
	if it.Priority != "" && it.Priority != "P3" {
		meta = append(meta, "priority: "+it.Priority)
	}
	if it.Link != "" {
		meta = append(meta, "link: <"+it.Link+">")
	}
	it.Full = it.Title
	if len(meta) == 0 && endsInGroup(it.Title) {
		// "Update the runbook (done)" alone would read back as a done
		// task titled "Update the runbook": the group says it is open.
		meta = append(meta, "status: "+it.StatusText)
	}
	if len(meta) > 0 {
		it.Meta = "_(" + strings.Join(meta, "; ") + ")_"
		first, rest, more := strings.Cut(it.Title, "\n\n")
		it.Full = first + " " + it.Meta
		if more {
			it.Full += "\n\n" + rest
		}
	}
	return it
}

// headingText escapes a title that ends in " #", which a heading would
// take for its closing sequence and drop: "Fix C #" is written "Fix C \#".
// A title whose "#" follows a backslash gets one more, so that the import
// (unescapeClosingHash) can take one off by the same rule.
func headingText(title string) string {
	t := strings.TrimRight(title, "#")
	if t == title || (t != "" && !strings.HasSuffix(t, " ") && !strings.HasSuffix(t, "\t") && !strings.HasSuffix(t, `\`)) {
		return title
	}
	return t + `\` + title[len(t):]
}

// endsInGroup reports whether the first paragraph of a task's title ends
// in a parenthesis, which the importer would read as the task's fields.
func endsInGroup(title string) bool {
	first, _, _ := strings.Cut(title, "\n\n")
	first = strings.TrimRight(strings.TrimSpace(first), "_*")
	return strings.HasSuffix(first, ")")
}

// ExtraFor returns the kept text (Incident.Extra) of the sections that
// mean m, joined, and marks it placed so that ExtraRest leaves it out.
func (data *Data) ExtraFor(m string) string {
	data.used[meaning(m)] = true
	var parts []string
	for _, s := range data.extra {
		if s.meaning == meaning(m) && s.meaning != meaningOther {
			parts = append(parts, s.body)
		}
	}
	return strings.Join(parts, "\n\n")
}

// ExtraRest returns the kept sections no ExtraFor placed, with their
// headings, in the order they were written.
func (data *Data) ExtraRest() string {
	var parts []string
	for _, s := range data.extra {
		if s.meaning != meaningOther && data.used[s.meaning] {
			continue
		}
		if s.heading == "" {
			parts = append(parts, s.body)
			continue
		}
		parts = append(parts, "## "+s.heading+"\n\n"+s.body)
	}
	return strings.Join(parts, "\n\n")
}
