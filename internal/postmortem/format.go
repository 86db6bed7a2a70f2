package postmortem

import (
	"fmt"
	"strings"
	"time"
)

// The export writes times the way the example postmortem does, which the
// importer reads back.
func clock(t time.Time) string    { return t.Format("3:04 PM") }
func longDate(t time.Time) string { return t.Format("January 2, 2006") }

// durationSentence writes the Duration of the Issue Summary from the start
// and the resolution of the incident, both in the export's zone.
func durationSentence(start, end *time.Time) string {
	if start == nil {
		return ""
	}
	s := *start
	if end == nil {
		return fmt.Sprintf("The outage began on %s, at %s (%s) and is not resolved yet.", longDate(s), clock(s), zoneLabel(s))
	}
	e := *end
	zs, ze := zoneLabel(s), zoneLabel(e)
	switch {
	case !sameDay(s, e) && zs != ze:
		// Daylight saving time began or ended during the outage: each
		// time names its own zone, or the start would be read an hour off.
		return fmt.Sprintf("The outage occurred from %s, %s (%s) to %s, %s (%s).",
			longDate(s), clock(s), zs, longDate(e), clock(e), ze)
	case !sameDay(s, e):
		return fmt.Sprintf("The outage occurred from %s, %s to %s, %s (%s).",
			longDate(s), clock(s), longDate(e), clock(e), ze)
	case zs != ze:
		return fmt.Sprintf("The outage occurred on %s, from %s (%s) to %s (%s).", longDate(s), clock(s), zs, clock(e), ze)
	}
	return fmt.Sprintf("The outage occurred on %s, from %s to %s (%s).", longDate(s), clock(s), clock(e), ze)
}

// detectionSentence says when the incident was detected and how long after
// it began.
func detectionSentence(start, detected *time.Time) string {
	if detected == nil {
		return ""
	}
	d := *detected
	when := fmt.Sprintf("at %s (%s)", clock(d), zoneLabel(d))
	if start == nil || !sameDay(*start, d) {
		when = fmt.Sprintf("on %s, at %s (%s)", longDate(d), clock(d), zoneLabel(d))
	}
	if start == nil {
		return "The incident was detected " + when + "."
	}
	lag := d.Sub(*start)
	if lag < time.Minute {
		return "The incident was detected " + when + ", as it began."
	}
	return fmt.Sprintf("The incident was detected %s, %s after it began.", when, humanDuration(lag))
}

// humanDuration writes a duration as "2 hours 5 minutes".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "day"}, {hours, "hour"}, {mins, "minute"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.unit)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.unit))
		}
	}
	if len(parts) == 0 {
		return "0 minutes"
	}
	return strings.Join(parts, " ")
}
