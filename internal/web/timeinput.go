package web

import (
	"slices"
	"strings"
	"time"

	"hindsight/internal/incident"
)

// timeLayouts are the absolute forms a typed time may take, in the
// viewer's zone unless it names one.
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// clockLayouts are the times of day a typed time may be, on a 24-hour or
// a 12-hour clock ("6:40 PM", "6:40pm", "6 pm"), read in upper case.
var clockLayouts = []string{"15:04", "15:04:05", "3:04 PM", "3:04PM", "3:04:05 PM", "3:04:05PM", "3 PM", "3PM"}

// parseWhen reads a time typed in a form by a viewer in zone loc at now:
//
//	""  or "now"                   now
//	"-5m", "-1h30m", "-90s"        that long ago
//	"10:15", "10:15:30", "9:05",   that time today, or yesterday when
//	"6:40 PM", "6pm"               today's would be more than an hour ahead
//	"2024-01-25 10:15", RFC 3339   that time
func parseWhen(field, s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	now = now.In(loc)
	switch {
	case s == "" || strings.EqualFold(s, "now"):
		return now, nil
	case strings.HasPrefix(s, "-"):
		d, err := time.ParseDuration(strings.ReplaceAll(s[1:], " ", ""))
		if err != nil || d < 0 {
			return time.Time{}, incident.FieldError(incident.EINVALID, field, "%q is not a time: try 10:15, -5m or 2024-01-25 10:15", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range clockLayouts {
		if t, err := time.Parse(layout, strings.ToUpper(s)); err == nil {
			at, ok := pickWall(now, wallClock(now, t, loc))
			// Today's, or yesterday's when today's would be more than an
			// hour ahead, or does not exist and would be.
			nominal := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
			if (ok && at.After(now.Add(time.Hour))) || (!ok && nominal.After(now.Add(time.Hour))) {
				at, ok = pickWall(now, wallClock(now.AddDate(0, 0, -1), t, loc))
			}
			if !ok {
				return time.Time{}, noSuchTime(field, s, loc)
			}
			return at, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			at, ok := pickWall(now, wallClock(t, t, loc))
			if !ok {
				return time.Time{}, noSuchTime(field, s, loc)
			}
			return at, nil
		}
	}
	return time.Time{}, incident.FieldError(incident.EINVALID, field, "%q is not a time: try 10:15, -5m or 2024-01-25 10:15", s)
}

func noSuchTime(field, s string, loc *time.Location) error {
	return incident.FieldError(incident.EINVALID, field, "%s does not exist in %s: the clocks skipped it", s, loc)
}

// wallClock returns the instants at which the clocks of loc show the date
// of day and the time of day of clock: one, two in the hour that repeats
// when summer time ends, none in the hour skipped when it begins.
// (time.Date picks one of two, and moves a skipped time on.)
func wallClock(day, clock time.Time, loc *time.Location) []time.Time {
	wall := time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), clock.Second(), 0, time.UTC)
	var out []time.Time
	for _, probe := range []time.Time{wall.Add(-24 * time.Hour), wall.Add(24 * time.Hour)} {
		_, offset := probe.In(loc).Zone()
		at := wall.Add(-time.Duration(offset) * time.Second).In(loc)
		if len(out) > 0 && at.Equal(out[0]) {
			continue
		}
		if y, m, d := at.Date(); y == wall.Year() && m == wall.Month() && d == wall.Day() &&
			at.Hour() == wall.Hour() && at.Minute() == wall.Minute() && at.Second() == wall.Second() {
			out = append(out, at)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// pickWall chooses among the instants of one wall-clock time: the latest
// that has passed, as an entry records what happened; else the first.
func pickWall(now time.Time, at []time.Time) (time.Time, bool) {
	if len(at) == 0 {
		return time.Time{}, false
	}
	for i := len(at) - 1; i >= 0; i-- {
		if !at[i].After(now) {
			return at[i], true
		}
	}
	return at[0], true
}

// parseDue reads a due date ("2024-02-15") as the end of that day in the
// viewer's zone, so that a task is overdue from the day after; "" is none.
func parseDue(s string, loc *time.Location) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return nil, incident.FieldError(incident.EINVALID, "due_at", "%q is not a date such as 2024-02-15", s)
	}
	end := d.AddDate(0, 0, 1).Add(-time.Second)
	return &end, nil
}
