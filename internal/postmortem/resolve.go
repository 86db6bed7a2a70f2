package postmortem

import (
	"sort"
	"strings"
	"time"

	"hindsight/internal/incident"
)

// resolveTimes turns the stamps read from the document into instants: a
// stamp without a date takes the date above it, the Duration's, the
// document's or, failing all, the day of the import; one without a zone
// takes the zone before it, the one stated for the timeline or document,
// or UTC.
func (im *importer) resolveTimes() {
	zone := im.defaultZone()
	base := im.baseDate()

	var start, end *time.Time
	if len(im.duration) > 0 {
		start, end = im.resolveDuration(base, zone)
	}

	// The timeline, in document order: dates and zones carry forward.
	curDate, curZone := base, (*time.Location)(nil)
	var prev *time.Time
	type timed struct {
		at   time.Time
		item timelineItem
	}
	var entries []timed
	newestFirst := im.newestFirst()
	for _, it := range im.timeline {
		if it.isDate {
			curDate = im.withYear(it.st, curDate)
			prev = nil
			continue
		}
		loc := it.st.loc
		switch {
		case loc != nil:
		case curZone != nil:
			loc = curZone
		case it.zone != nil:
			loc = it.zone
		default:
			loc = zone
		}
		curZone = loc
		st := it.st
		explicit := st.hasDate
		date := curDate
		if explicit {
			date = im.withYear(st, curDate)
		}
		st.year, st.month, st.day, st.loc = date.year, date.month, date.day, loc
		at := st.at()
		within := func(t time.Time) bool { return start != nil && end != nil && !t.Before(*start) && !t.After(*end) }
		// Past midnight, unless the Duration holds the time as written and
		// not the next day's.
		stays := within(at) && !within(at.AddDate(0, 0, 1))
		// And only when the next day's reading is the nearer: 2:00 PM, then
		// an 11:30 AM noted late, is the same day.
		nearer := prev != nil && at.AddDate(0, 0, 1).Sub(*prev) < prev.Sub(at)
		if !explicit && nearer && at.Before(prev.Add(-time.Hour)) && !newestFirst && !stays {
			// 11:50 PM then 12:10 AM: the timeline went past midnight.
			at = at.AddDate(0, 0, 1)
			im.warn(it.line, "%s is earlier than the entry before it: read as the next day", at.Format("15:04"))
		}
		y, m, d := at.In(loc).Date()
		curDate = stamp{hasDate: true, year: y, month: m, day: d}
		prev = &at
		text := strings.TrimSpace(it.text)
		if text == "" {
			im.warn(it.line, "timeline entry without text: left out")
			continue
		}
		entries = append(entries, timed{at: at, item: it})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].at.Before(entries[j].at) })
	for _, e := range entries {
		text := strings.TrimSpace(e.item.text)
		im.eventLines = append(im.eventLines, e.item.line)
		im.d.Events = append(im.d.Events, incident.Event{
			At: e.at.UTC(), Kind: classifyEvent(text), Text: text,
			Source: incident.SourceImport, Highlight: true,
		})
	}
	im.milestones(start, end, base, zone)
	for _, pd := range im.dues {
		st := im.withYear(pd.st, base)
		due := time.Date(st.year, st.month, st.day, 0, 0, 0, 0, time.UTC)
		im.d.Tasks[pd.task].DueAt = &due
	}
}

// defaultZone is the zone for times that name none and follow none.
func (im *importer) defaultZone() *time.Location {
	if im.docZone != nil {
		return im.docZone
	}
	for _, st := range im.duration {
		if st.loc != nil {
			return st.loc
		}
	}
	for _, it := range im.timeline {
		if !it.isDate && (it.st.loc != nil || it.zone != nil) {
			// The first entry that names its zone speaks for the ones
			// before it too.
			if it.st.loc != nil {
				return it.st.loc
			}
			return it.zone
		}
	}
	// "- **Started:** 2024-05-10 08:00 CEST" above a timeline of bare
	// times: the summary's zone is the document's.
	for _, l := range []label{labelStarted, labelDetected, labelResolvedAt} {
		if st, ok := im.labelTimes[l]; ok && st.loc != nil {
			return st.loc
		}
	}
	if im.proseZone != nil {
		im.warn(im.proseLine, "times without a zone are read in %s, the zone the summary's text names", im.proseZone)
		return im.proseZone
	}
	if len(im.timeline) > 0 || len(im.duration) > 0 || len(im.labelTimes) > 0 {
		im.warn(0, "the document names no time zone: times are read as UTC")
	}
	return time.UTC
}

// newestFirst reports whether the timeline lists its entries newest first:
// at least three, none dated, each no later than the one before. An
// earlier time then does not mean the next day.
func (im *importer) newestFirst() bool {
	n, prev := 0, -1
	for _, it := range im.timeline {
		if it.isDate || it.st.hasDate {
			return false
		}
		t := (it.st.hour*60+it.st.min)*60 + it.st.sec
		if prev >= 0 && t > prev {
			return false
		}
		prev = t
		n++
	}
	return n >= 3
}

// baseDate is the date of entries above which no date is written.
func (im *importer) baseDate() stamp {
	for _, st := range im.duration {
		if st.hasDate {
			return im.withYear(st, im.nowDate())
		}
	}
	if im.docDate != nil {
		return im.withYear(*im.docDate, im.nowDate())
	}
	for _, l := range []label{labelStarted, labelDetected, labelResolvedAt} {
		if st, ok := im.labelTimes[l]; ok && st.hasDate {
			return im.withYear(st, im.nowDate())
		}
	}
	for _, it := range im.timeline {
		if it.st.hasDate {
			return im.withYear(it.st, im.nowDate())
		}
	}
	if im.proseDate != nil {
		if len(im.timeline) > 0 || len(im.duration) > 0 || len(im.labelTimes) > 0 {
			im.warn(im.proseLine, "times without a date are dated %04d-%02d-%02d, the first date of the summary's text", im.proseDate.year, im.proseDate.month, im.proseDate.day)
		}
		return *im.proseDate
	}
	if len(im.timeline) > 0 || len(im.duration) > 0 || len(im.labelTimes) > 0 {
		im.warn(0, "the document gives no date: times are dated %s, the day of the import", im.now.Format("2006-01-02"))
	}
	return im.nowDate()
}

func (im *importer) nowDate() stamp {
	y, m, d := im.now.Date()
	return stamp{hasDate: true, year: y, month: m, day: d}
}

// withYear returns the date of st, with the year of ref when st names none.
func (im *importer) withYear(st, ref stamp) stamp {
	out := stamp{hasDate: true, year: st.year, month: st.month, day: st.day}
	if out.year == 0 {
		out.year = ref.year
	}
	return out
}

// resolveDuration reads the Duration's stamps: a date, a start time and an
// end time; or two dates with times.
func (im *importer) resolveDuration(base stamp, zone *time.Location) (start, end *time.Time) {
	var times []stamp
	date := base
	var zoneSeen *time.Location
	for _, st := range im.duration {
		if st.hasDate && !st.hasTime {
			date = im.withYear(st, base)
			continue
		}
		if st.hasDate {
			d := im.withYear(st, base)
			st.year, st.month, st.day = d.year, d.month, d.day
		} else {
			st.hasDate, st.year, st.month, st.day = true, date.year, date.month, date.day
		}
		if st.loc != nil {
			zoneSeen = st.loc
		}
		times = append(times, st)
	}
	if len(times) == 0 {
		return nil, nil
	}
	// "from 10:00 AM to 2:00 PM (UTC)": the zone at the end is both's.
	for i := range times {
		if times[i].loc == nil {
			if zoneSeen != nil {
				times[i].loc = zoneSeen
			} else {
				times[i].loc = zone
			}
		}
	}
	s := times[0].at()
	start = &s
	if len(times) > 1 {
		e := times[len(times)-1].at()
		if e.Before(s) && !im.duration[len(im.duration)-1].hasDate {
			e = e.AddDate(0, 0, 1)
		}
		if !e.Before(s) {
			end = &e
		} else {
			im.warn(im.durLine, "the duration ends before it starts: its end is left out")
		}
	}
	return start, end
}

// milestones sets the incident's times from the Duration, labelled times
// and the timeline, keeping their required order.
func (im *importer) milestones(start, end *time.Time, base stamp, zone *time.Location) {
	inc := &im.d.Incident
	labelled := func(l label) *time.Time {
		st, ok := im.labelTimes[l]
		if !ok {
			return nil
		}
		if st.loc == nil {
			st.loc = zone
		}
		d := im.withYear(st, base)
		if !st.hasDate {
			d = base
		}
		st.year, st.month, st.day = d.year, d.month, d.day
		t := st.at()
		return &t
	}
	if start == nil {
		start = labelled(labelStarted)
	}
	if end == nil {
		end = labelled(labelResolvedAt)
	}
	events := im.d.Events
	if start == nil && len(events) > 0 {
		s := events[0].At
		start = &s
		im.warn(0, "no start time given: the first timeline entry is taken as the start")
	}
	if end == nil {
		for i := len(events) - 1; i >= 0; i-- {
			if events[i].Kind == incident.KindResolution {
				e := events[i].At
				end = &e
				im.warn(0, "no end time given: the timeline entry %q is taken as the resolution", firstWords(events[i].Text))
				break
			}
		}
	}
	detected := labelled(labelDetected)
	if detected == nil {
		for _, e := range events {
			if e.Kind == incident.KindDetection {
				at := e.At
				detected = &at
				break
			}
		}
	}
	if detected == nil && start != nil {
		// Without it the store would date the detection to the import.
		detected = start
	}
	var acked *time.Time
	for _, e := range events {
		if (e.Kind == incident.KindNotification || e.Kind == incident.KindEscalation || e.Kind == incident.KindInvestigation) &&
			detected != nil && !e.At.Before(*detected) {
			at := e.At
			acked = &at
			break
		}
	}
	inc.StartedAt, inc.DetectedAt, inc.AcknowledgedAt, inc.ResolvedAt = start, detected, acked, end
	// Times guessed from the timeline must not break the order the
	// incident keeps; the ones that would are left out.
	ms := []**time.Time{&inc.StartedAt, &inc.DetectedAt, &inc.AcknowledgedAt, &inc.MitigatedAt, &inc.ResolvedAt}
	var last *time.Time
	for i, p := range ms {
		if *p == nil {
			continue
		}
		if last != nil && (*p).Before(*last) {
			switch {
			case i == len(ms)-1:
				im.warn(im.durLine, "the end time is before other times of the incident: left out")
			case i == 1 && im.labelTimes != nil:
				if _, given := im.labelTimes[labelDetected]; given {
					im.warn(0, "the detection time is before the start: left out")
				}
			}
			*p = nil
			continue
		}
		last = *p
	}
	if inc.ResolvedAt != nil {
		inc.Status = incident.StatusResolved
	} else {
		inc.Status = incident.StatusInvestigating
		im.warn(0, "no end time found: the incident is imported as still open")
	}
	for _, p := range ms {
		*p = incident.UTC(*p)
	}
}

func firstWords(s string) string {
	if f := strings.Fields(s); len(f) > 8 {
		return strings.Join(f[:8], " ") + " ..."
	}
	return s
}

// finish writes the kept text into Incident.Extra and fills defaults.
func (im *importer) finish() {
	// Text from before the first section (front matter, the title) goes
	// first, where the export puts it back.
	notes := make([]note, 0, len(im.notes))
	for _, n := range im.notes {
		if n.heading == "" {
			notes = append(notes, n)
		}
	}
	for _, n := range im.notes {
		if n.heading != "" {
			notes = append(notes, n)
		}
	}
	var b strings.Builder
	for _, n := range notes {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		if n.heading != "" {
			b.WriteString("## " + n.heading + "\n\n")
		}
		b.WriteString(strings.Join(n.md, "\n\n"))
	}
	im.d.Extra = b.String()
	if im.d.PostmortemStatus == "" {
		im.d.PostmortemStatus = incident.PostmortemDraft
	}
}
