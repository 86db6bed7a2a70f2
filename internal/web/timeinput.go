package web

import (
	"strings"
	"time"

	"hindsight/internal/incident"
)

// timeLayouts are the absolute forms a typed time may take, in the
// viewer's zone unless it names one.
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseWhen reads a time typed in a form by a viewer in zone loc at now:
//
//	""  or "now"                   now
//	"-5m", "-1h30m", "-90s"        that long ago
//	"10:15", "10:15:30", "9:05"    that time today, or yesterday when
//	                               today's would be more than an hour ahead
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
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			at := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
			if at.After(now.Add(time.Hour)) {
				at = at.AddDate(0, 0, -1)
			}
			return at, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, incident.FieldError(incident.EINVALID, field, "%q is not a time: try 10:15, -5m or 2024-01-25 10:15", s)
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
