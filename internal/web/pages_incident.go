package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// incidentView is the incident's own page: its header, the timeline, root
// causes with their tasks, and its alerts, with the forms that change them.
type incidentView struct {
	Layout
	Inc        incident.Incident
	Milestones []milestoneView
	Durations  []labelled
	Timeline   []timelineItem
	Show       string // "", "highlights", "noalerts" or "alerts"
	Counts     timelineCounts
	Causes     []causeView
	Loose      []taskView // tasks that address no recorded root cause
	TaskCount  int
	Alerts     []alertView
	Unattached []alertView // alerts that feed no incident, to attach
	Statuses   []incident.Status
	Severities []incident.Severity
	Kinds      []incident.EventKind
	Categories []incident.Category
	Priorities []incident.Priority
	TaskStates []incident.TaskStatus

	Entry   entryForm
	Details detailsForm
	// Shown fingerprints the fields as the details form showed them, sent
	// back with the form: a field typed as shown is left alone.
	Shown     shownFields
	Cause     causeForm
	Task      taskForm
	Errors    map[string]string // by form field, e.g. "entry.text"
	FormError string            // about the page as a whole, e.g. a conflict
	// DetailsOpen unfolds "Edit details" when its form comes back refused.
	DetailsOpen bool
	Return      string // this page, for the task status forms
	icons       string // the URL of the icon sprite
}

type milestoneView struct {
	Label string
	At    *time.Time // in the viewer's zone
	After string     // since the start, in words
}

type labelled struct{ Label, Value string }

type timelineCounts struct{ All, Highlights, Alerts int }

// timelineItem is a day heading (Day set), one entry, or a run of alert
// entries shown collapsed. They form one flat list, which the page's script
// merges by id when the timeline changes.
type timelineItem struct {
	Key     string // element id
	Version string // changes when the item does
	Day     time.Time
	Entry   *entryView
	Alerts  []entryView
	HTML    template.HTML // the entry or the alert run, see timelineHTML
}

// entryView is one timeline entry with its text for the page worked out
// in Go: a page may show thousands, and template lookups through embedded
// structs and function calls are what makes such a page slow.
type entryView struct {
	ID        int64
	Kind      incident.EventKind
	KindName  string
	Text      string
	Author    string
	Source    string // "" for manual entries, which is most of them
	Highlight bool
	Clock     string // "15:04" in the viewer's zone
	At        string // RFC 3339 in UTC, for <time datetime>
	UTC       string // for the title of the time
	Icon      string // the kind's icon in the sprite
	Edit      string // the entry's edit page
	version   string
}

type causeView struct {
	incident.RootCause
	Tasks []taskView
}

type taskView struct {
	incident.Task
	Due     *time.Time // in the viewer's zone
	Overdue bool
}

type alertView struct {
	incident.Alert
	Starts time.Time
	Ends   *time.Time
}

type entryForm struct {
	At        string
	Kind      string
	Text      string
	Highlight bool
}

type detailsForm struct {
	Version                                                        string
	Title, Severity, Commander, Services, Impact                   string
	RootCause, Resolution, Conclusion                              string
	StartedAt, DetectedAt, AcknowledgedAt, MitigatedAt, ResolvedAt string
}

type causeForm struct {
	Description string
	Category    string
	Primary     bool
}

type taskForm struct {
	Title       string
	Kind        string
	Owner       string
	Due         string
	Priority    string
	RootCauseID string
}

// manualKinds are the kinds a person picks for an entry; status entries
// are the system's.
var manualKinds = []incident.EventKind{incident.KindNote, incident.KindDetection, incident.KindNotification,
	incident.KindInvestigation, incident.KindEscalation, incident.KindRootCause, incident.KindMitigation,
	incident.KindResolution, incident.KindAlert}

var priorities = []incident.Priority{"P1", "P2", "P3", "P4"}

var taskStates = []incident.TaskStatus{incident.TaskOpen, incident.TaskInProgress, incident.TaskDone, incident.TaskWontDo}

// detailsTimeLayout is how the details form shows a milestone.
const detailsTimeLayout = "2006-01-02 15:04"

func detailsFormOf(inc *incident.Incident, loc *time.Location) detailsForm {
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.In(loc).Format(detailsTimeLayout)
	}
	return detailsForm{Version: strconv.Itoa(inc.Version), Title: inc.Title, Severity: string(inc.Severity),
		Commander: inc.Commander, Services: strings.Join(inc.Services, ", "), Impact: inc.Impact,
		RootCause: inc.RootCause, Resolution: inc.Resolution, Conclusion: inc.Conclusion,
		StartedAt: t(inc.StartedAt), DetectedAt: t(inc.DetectedAt), AcknowledgedAt: t(inc.AcknowledgedAt),
		MitigatedAt: t(inc.MitigatedAt), ResolvedAt: t(inc.ResolvedAt)}
}

// loadIncidentPage builds the page of the incident named in the path, with
// empty forms; handlers that re-render a refused form replace its part.
func (s *Server) loadIncidentPage(c *gin.Context) (*incidentView, error) {
	d, err := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return nil, err
	}
	p := &incidentView{Layout: Layout{Title: d.Ref + " " + d.Title, Nav: "incidents"}, Show: c.Query("show"),
		icons: s.pages.assets.url("icons.svg")}
	s.fillLayout(c, &p.Layout)
	p.build(d, s.cfg.Now())
	p.Stream = "/incidents/" + d.Ref + "/stream"
	p.Return = "/incidents/" + d.Ref + "#causes-head"
	if p.CanWrite() {
		// Alerts below the open-at threshold, for the commander to attach.
		un, err := s.store.UnattachedAlerts(c.Request.Context(), unattachedShown)
		if err != nil {
			return nil, err
		}
		for _, a := range un {
			p.Unattached = append(p.Unattached, alertViewOf(a, p.Zone))
		}
	}
	return p, nil
}

// build fills the page's views of d, as seen at now in the page's zone.
func (p *incidentView) build(d *incident.Detail, now time.Time) {
	loc := p.Zone
	p.Inc = d.Incident
	p.Statuses, p.Severities, p.Kinds = incident.Statuses, incident.Severities, manualKinds
	p.Categories, p.Priorities, p.TaskStates = incident.Categories, priorities, taskStates
	p.Entry = entryForm{Kind: string(incident.KindNote), Highlight: true}
	p.Details = detailsFormOf(&d.Incident, loc)
	p.Shown = shownOf(p.Details)
	p.Cause = causeForm{Category: string(incident.CategoryUnknown)}
	p.Task = taskForm{Kind: string(incident.TaskTask), Priority: "P3"}
	p.Errors = map[string]string{}

	start := d.StartedAt
	for _, m := range []struct {
		label string
		at    *time.Time
	}{{"Started", d.StartedAt}, {"Detected", d.DetectedAt}, {"Acknowledged", d.AcknowledgedAt},
		{"Mitigated", d.MitigatedAt}, {"Resolved", d.ResolvedAt}} {
		v := milestoneView{Label: m.label}
		if m.at != nil {
			local := m.at.In(loc)
			v.At = &local
			if start != nil && m.at.After(*start) {
				v.After = durationWords(m.at.Sub(*start)) + " after the start"
			}
		}
		p.Milestones = append(p.Milestones, v)
	}
	if start != nil {
		span := func(label string, to *time.Time) {
			if to != nil {
				p.Durations = append(p.Durations, labelled{label, durationWords(to.Sub(*start))})
			}
		}
		span("Time to detect", d.DetectedAt)
		if d.DetectedAt != nil && d.AcknowledgedAt != nil {
			// From detection, as the insights' mean time to acknowledge:
			// how long the alert waited for someone.
			p.Durations = append(p.Durations, labelled{"Time to acknowledge", durationWords(d.AcknowledgedAt.Sub(*d.DetectedAt))})
		}
		span("Time to mitigate", d.MitigatedAt)
		if d.ResolvedAt != nil {
			span("Duration", d.ResolvedAt)
		} else if d.Status.Open() {
			p.Durations = append(p.Durations, labelled{"Open for", durationWords(now.Sub(*start))})
		}
	}
	p.buildTimeline(d.Events)
	timelineHTML(p.Timeline, p.CanWrite())

	tasksByCause := map[int64][]taskView{}
	for _, t := range d.Tasks {
		tv := viewTask(t, now, loc)
		if t.RootCauseID != nil {
			tasksByCause[*t.RootCauseID] = append(tasksByCause[*t.RootCauseID], tv)
		} else {
			p.Loose = append(p.Loose, tv)
		}
	}
	p.TaskCount = len(d.Tasks)
	for _, rc := range d.RootCauses {
		p.Causes = append(p.Causes, causeView{RootCause: rc, Tasks: tasksByCause[rc.ID]})
		delete(tasksByCause, rc.ID)
	}
	for _, ts := range tasksByCause { // a cause that is gone
		p.Loose = append(p.Loose, ts...)
	}
	for _, a := range d.Alerts {
		p.Alerts = append(p.Alerts, alertViewOf(a, loc))
	}
}

func alertViewOf(a incident.Alert, loc *time.Location) alertView {
	av := alertView{Alert: a, Starts: a.StartsAt.In(loc)}
	if a.EndsAt != nil {
		e := a.EndsAt.In(loc)
		av.Ends = &e
	}
	return av
}

func viewTask(t incident.Task, now time.Time, loc *time.Location) taskView {
	tv := taskView{Task: t, Overdue: t.Overdue(now)}
	if t.DueAt != nil {
		d := t.DueAt.In(loc)
		tv.Due = &d
	}
	return tv
}

// buildTimeline groups the entries by day in the viewer's zone and
// collapses runs of alert entries, keeping only what the filter shows.
func (p *incidentView) buildTimeline(events []incident.Event) {
	p.Timeline = make([]timelineItem, 0, len(events)+8)
	var day time.Time
	var run []entryView
	flush := func() {
		switch len(run) {
		case 0:
			return
		case 1:
			e := run[0]
			p.Timeline = append(p.Timeline, timelineItem{Key: "e" + strconv.FormatInt(e.ID, 10), Version: run[0].version, Entry: &e})
		default:
			var v strings.Builder
			for i := range run {
				v.WriteString(run[i].version)
			}
			p.Timeline = append(p.Timeline, timelineItem{Key: "a" + strconv.FormatInt(run[0].ID, 10), Version: v.String(), Alerts: run})
		}
		run = nil
	}
	for _, e := range events {
		isAlert := e.Kind == incident.KindAlert
		p.Counts.All++
		if isAlert {
			p.Counts.Alerts++
		}
		if e.Highlight {
			p.Counts.Highlights++
		}
		switch p.Show {
		case "highlights":
			if !e.Highlight {
				continue
			}
		case "noalerts":
			if isAlert {
				continue
			}
		case "alerts":
			if !isAlert {
				continue
			}
		}
		local := e.At.In(p.Zone)
		y, m, dd := local.Date()
		if d := time.Date(y, m, dd, 0, 0, 0, 0, p.Zone); !d.Equal(day) {
			flush()
			day = d
			p.Timeline = append(p.Timeline, timelineItem{Key: "d" + d.Format("20060102"), Day: d})
		}
		ev := p.viewEntry(&e, local)
		ev.version = stamp(&e)
		if !isAlert {
			flush()
			p.Timeline = append(p.Timeline, timelineItem{Key: "e" + strconv.FormatInt(e.ID, 10), Version: stamp(&e), Entry: &ev})
			continue
		}
		run = append(run, ev)
	}
	flush()
}

func (p *incidentView) viewEntry(e *incident.Event, local time.Time) entryView {
	v := entryView{ID: e.ID, Kind: e.Kind, KindName: kindNames[e.Kind], Text: e.Text, Author: e.Author, Highlight: e.Highlight,
		Clock: local.Format("15:04"), At: e.At.UTC().Format(time.RFC3339), UTC: e.At.UTC().Format("2006-01-02 15:04:05") + " UTC",
		Icon: p.icons + "#" + string(e.Kind), Edit: "/incidents/" + p.Inc.Ref + "/events/" + strconv.FormatInt(e.ID, 10)}
	if e.Source != incident.SourceManual {
		v.Source = string(e.Source)
	}
	if v.KindName == "" {
		v.KindName = humanize(e.Kind)
	}
	return v
}

var kindNames = func() map[incident.EventKind]string {
	m := map[incident.EventKind]string{}
	for _, k := range incident.EventKinds {
		m[k] = humanize(k)
	}
	return m
}()

func stamp(e *incident.Event) string { return strconv.FormatInt(e.UpdatedAt.UnixMicro(), 36) }

func (s *Server) incidentPage(c *gin.Context) error {
	p, err := s.loadIncidentPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "incident", p)
}
