package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"hindsight/internal/incident"
)

func templateFuncs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset":     a.url,
		"utc":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"utcTitle":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" },
		"human":     humanize,
		"join":      strings.Join,
		"firstLine": firstLine,
		"taskCtl": func(t taskView, ret string, canWrite bool) taskControl {
			return taskControl{Task: t, Return: ret, CanWrite: canWrite, States: taskStates}
		},
		"taskCtlIn": func(t taskView, ret string, canWrite bool) taskControl {
			return taskControl{Task: t, Return: ret, CanWrite: canWrite, States: taskStates, ShowIncident: true}
		},
	}
}

// taskControl is what the task partial shows: the task, with its status
// control for those who may change it.
type taskControl struct {
	Task         taskView
	Return       string // where the status form goes back to
	CanWrite     bool
	States       []incident.TaskStatus
	ShowIncident bool
}

// humanize turns a code such as "in_progress" into "in progress".
func humanize(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") }

// durationWords says d the way a person would: "45 seconds", "5 minutes",
// "2 hours 15 minutes", "3 days 4 hours". Two units at most.
func durationWords(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
		if m == 0 {
			return unit(h, "hour")
		}
		return unit(h, "hour") + " " + unit(m, "minute")
	}
	days, h := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return unit(days, "day")
	}
	return unit(days, "day") + " " + unit(h, "hour")
}
