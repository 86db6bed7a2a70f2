package web

import (
	"fmt"
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
	Statuses   []incident.Status
	Severities []incident.Severity
	Kinds      []incident.EventKind
	Categories []incident.Category
	Priorities []incident.Priority
	TaskStates []incident.TaskStatus

	Entry     entryForm
	Details   detailsForm
	Cause     causeForm
	Task      taskForm
	Errors    map[string]string // by form field, e.g. "entry.text"
	FormError string            // about the page as a whole, e.g. a conflict
	Return    string            // this page, for the task status forms
	icons     string            // the URL of the icon sprite
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

func detailsFormOf(inc *incident.Incident, loc *time.Location) detailsForm {
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.In(loc).Format("2006-01-02 15:04")
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
		span("Time to acknowledge", d.AcknowledgedAt)
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
		av := alertView{Alert: a, Starts: a.StartsAt.In(loc)}
		if a.EndsAt != nil {
			e := a.EndsAt.In(loc)
			av.Ends = &e
		}
		p.Alerts = append(p.Alerts, av)
	}
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

// rerender shows the incident page again with a refused form: the
// user's input stays, the error is shown beside its field.
func (s *Server) rerender(c *gin.Context, err error, form, fallback string, keep func(p *incidentView)) error {
	p, lerr := s.loadIncidentPage(c)
	if lerr != nil {
		return lerr
	}
	keep(p)
	field := incident.ErrorField(err)
	if field == "" || field == "version" {
		field = fallback
	}
	if incident.ErrorCode(err) == incident.ECONFLICT {
		p.FormError = incident.ErrorMessage(err)
	}
	p.Errors[form+"."+field] = incident.ErrorMessage(err)
	return s.render(c, statusFor(err), "incident", p)
}

func isInputError(err error) bool {
	switch incident.ErrorCode(err) {
	case incident.EINVALID, incident.EUNPROCESSABLE, incident.ECONFLICT:
		return true
	}
	return false
}

func (s *Server) incidentURL(c *gin.Context) string {
	return "/incidents/" + strings.ToUpper(c.Param("ref"))
}

func (s *Server) addEntry(c *gin.Context) error {
	f := entryForm{At: c.PostForm("at"), Kind: c.PostForm("kind"), Text: c.PostForm("text"), Highlight: c.PostForm("highlight") != ""}
	at, err := parseWhen("at", f.At, s.cfg.Now(), viewerZone(c))
	if err == nil {
		e := &incident.Event{At: at, Kind: incident.EventKind(f.Kind), Text: f.Text, Author: currentUser(c).Email,
			Source: incident.SourceManual, Highlight: f.Highlight}
		if err = s.store.AddEvent(c.Request.Context(), c.Param("ref"), e); err == nil {
			s.notify(e.IncidentID, ChangeEventNew, e.ID)
			c.Redirect(http.StatusSeeOther, s.incidentURL(c)+"#e"+strconv.FormatInt(e.ID, 10))
			return nil
		}
	}
	if !isInputError(err) {
		return err
	}
	return s.rerender(c, err, "entry", "text", func(p *incidentView) { p.Entry = f })
}

func (s *Server) changeStatus(c *gin.Context) error {
	version, _ := strconv.Atoi(c.PostForm("version"))
	st := incident.Status(c.PostForm("status"))
	if !st.Valid() {
		return incident.FieldError(incident.EINVALID, "status", "status must be one of investigating, identified, monitoring, resolved, closed")
	}
	inc, err := s.store.UpdateIncident(c.Request.Context(), c.Param("ref"), &incident.Patch{Version: &version, Status: incident.Some(st)})
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.rerender(c, err, "status", "status", func(*incidentView) {})
	}
	s.notify(inc.ID, ChangeIncident, 0)
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref)
	return nil
}

func (s *Server) editIncident(c *gin.Context) error {
	ctx := c.Request.Context()
	cur, err := s.store.Incident(ctx, c.Param("ref"))
	if err != nil {
		return err
	}
	loc := viewerZone(c)
	was := detailsFormOf(cur, loc)
	f := detailsForm{Version: c.PostForm("version"), Title: c.PostForm("title"), Severity: c.PostForm("severity"),
		Commander: c.PostForm("commander"), Services: c.PostForm("services"), Impact: c.PostForm("impact"),
		RootCause: c.PostForm("root_cause"), Resolution: c.PostForm("resolution"), Conclusion: c.PostForm("conclusion"),
		StartedAt: c.PostForm("started_at"), DetectedAt: c.PostForm("detected_at"), AcknowledgedAt: c.PostForm("acknowledged_at"),
		MitigatedAt: c.PostForm("mitigated_at"), ResolvedAt: c.PostForm("resolved_at")}
	version, _ := strconv.Atoi(f.Version)
	patch := &incident.Patch{Version: &version, Title: incident.Some(f.Title), Severity: incident.Some(incident.Severity(f.Severity)),
		Commander: incident.Some(f.Commander), Services: incident.Some(splitServices(f.Services)), Impact: incident.Some(strings.TrimSpace(f.Impact)),
		RootCause: incident.Some(strings.TrimSpace(f.RootCause)), Resolution: incident.Some(strings.TrimSpace(f.Resolution)),
		Conclusion: incident.Some(strings.TrimSpace(f.Conclusion))}
	// A milestone left as shown is left alone, so that its seconds survive
	// a form that shows minutes.
	for _, m := range []struct {
		field, now, was string
		dst             *incident.Optional[time.Time]
	}{{"started_at", f.StartedAt, was.StartedAt, &patch.StartedAt}, {"detected_at", f.DetectedAt, was.DetectedAt, &patch.DetectedAt},
		{"acknowledged_at", f.AcknowledgedAt, was.AcknowledgedAt, &patch.AcknowledgedAt},
		{"mitigated_at", f.MitigatedAt, was.MitigatedAt, &patch.MitigatedAt}, {"resolved_at", f.ResolvedAt, was.ResolvedAt, &patch.ResolvedAt}} {
		typed := strings.TrimSpace(m.now)
		switch {
		case typed == m.was:
		case typed == "":
			*m.dst = incident.Optional[time.Time]{Set: true, Null: true}
		default:
			at, perr := parseWhen(m.field, typed, s.cfg.Now(), loc)
			if perr != nil {
				err = perr
			}
			*m.dst = incident.Some(at)
		}
	}
	var inc *incident.Incident
	if err == nil {
		inc, err = s.store.UpdateIncident(ctx, c.Param("ref"), patch)
	}
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.rerender(c, err, "details", "title", func(p *incidentView) { p.Details = f })
	}
	s.notify(inc.ID, ChangeIncident, 0)
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref)
	return nil
}

func (s *Server) addRootCause(c *gin.Context) error {
	f := causeForm{Description: c.PostForm("description"), Category: c.PostForm("category"), Primary: c.PostForm("primary") != ""}
	rc := &incident.RootCause{Description: f.Description, Category: incident.Category(f.Category), Primary: f.Primary}
	if err := s.store.AddRootCause(c.Request.Context(), c.Param("ref"), rc); err != nil {
		if !isInputError(err) {
			return err
		}
		return s.rerender(c, err, "cause", "description", func(p *incidentView) { p.Cause = f })
	}
	s.notify(rc.IncidentID, ChangeRootCause, rc.ID)
	c.Redirect(http.StatusSeeOther, s.incidentURL(c)+"#causes")
	return nil
}

func (s *Server) addTask(c *gin.Context) error {
	f := taskForm{Title: c.PostForm("title"), Kind: c.PostForm("kind"), Owner: c.PostForm("owner"), Due: c.PostForm("due"),
		Priority: c.PostForm("priority"), RootCauseID: c.PostForm("root_cause_id")}
	t := &incident.Task{Title: f.Title, Kind: incident.TaskKind(f.Kind), Owner: f.Owner, Priority: incident.Priority(f.Priority)}
	due, err := parseDue(f.Due, viewerZone(c))
	t.DueAt = due
	if err == nil && f.RootCauseID != "" {
		id, perr := strconv.ParseInt(f.RootCauseID, 10, 64)
		if perr != nil {
			err = incident.FieldError(incident.EINVALID, "root_cause_id", "pick a root cause from the list")
		}
		t.RootCauseID = &id
	}
	if err == nil {
		err = s.store.AddTask(c.Request.Context(), c.Param("ref"), t)
	}
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.rerender(c, err, "task", "title", func(p *incidentView) { p.Task = f })
	}
	s.notify(t.IncidentID, ChangeTaskNew, t.ID)
	c.Redirect(http.StatusSeeOther, s.incidentURL(c)+"#causes")
	return nil
}

// updateTaskStatus is the status control of a task, on the incident page
// and the follow-ups page; it goes back where it came from.
func (s *Server) updateTaskStatus(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	st := incident.TaskStatus(c.PostForm("status"))
	t, err := s.store.UpdateTask(c.Request.Context(), id, &incident.TaskPatch{Status: incident.Some(st)})
	if err != nil {
		return err
	}
	s.notify(t.IncidentID, ChangeTaskEdit, t.ID)
	s.setFlash(c, flash{Message: fmt.Sprintf("Task “%s” is now %s.", t.Title, humanize(t.Status))})
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("return")))
	return nil
}

// editEventPage edits one timeline entry, time included, on a page of
// its own: one small form, not two thousand on the incident page.
type editEventPage struct {
	Layout
	Inc    incident.Incident
	Event  incident.Event
	Form   entryForm
	Kinds  []incident.EventKind
	Errors map[string]string
}

func (s *Server) loadEvent(c *gin.Context) (*incident.Incident, *incident.Event, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, nil, err
	}
	inc, err := s.store.Incident(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return nil, nil, err
	}
	e, err := s.store.Event(c.Request.Context(), inc.ID, id)
	return inc, e, err
}

func entryTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05")
}

func (s *Server) editEventPage(c *gin.Context) error {
	inc, e, err := s.loadEvent(c)
	if err != nil {
		return err
	}
	loc := viewerZone(c)
	p := &editEventPage{Layout: Layout{Title: "Edit entry · " + inc.Ref, Nav: "incidents"}, Inc: *inc, Event: *e,
		Form:  entryForm{At: entryTime(e.At, loc), Kind: string(e.Kind), Text: e.Text, Highlight: e.Highlight},
		Kinds: incident.EventKinds, Errors: map[string]string{}}
	return s.render(c, http.StatusOK, "edit_event", p)
}

func (s *Server) editEvent(c *gin.Context) error {
	inc, e, err := s.loadEvent(c)
	if err != nil {
		return err
	}
	loc := viewerZone(c)
	f := entryForm{At: c.PostForm("at"), Kind: c.PostForm("kind"), Text: c.PostForm("text"), Highlight: c.PostForm("highlight") != ""}
	patch := &incident.EventPatch{Kind: incident.Some(incident.EventKind(f.Kind)), Text: incident.Some(f.Text), Highlight: incident.Some(f.Highlight)}
	if strings.TrimSpace(f.At) != entryTime(e.At, loc) {
		at, perr := parseWhen("at", f.At, s.cfg.Now(), loc)
		err = perr
		patch.At = incident.Some(at)
	}
	if err == nil {
		_, err = s.store.UpdateEvent(c.Request.Context(), inc.Ref, e.ID, patch)
	}
	if err != nil {
		if !isInputError(err) {
			return err
		}
		p := &editEventPage{Layout: Layout{Title: "Edit entry · " + inc.Ref, Nav: "incidents"}, Inc: *inc, Event: *e, Form: f,
			Kinds: incident.EventKinds, Errors: map[string]string{}}
		fieldErrors(err, p.Errors, "text")
		return s.render(c, statusFor(err), "edit_event", p)
	}
	s.notify(inc.ID, ChangeEventEdit, e.ID)
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref+"#e"+strconv.FormatInt(e.ID, 10))
	return nil
}

func (s *Server) deleteEntry(c *gin.Context) error {
	inc, e, err := s.loadEvent(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEvent(c.Request.Context(), inc.Ref, e.ID); err != nil {
		return err
	}
	s.notify(inc.ID, ChangeEventGone, e.ID)
	s.setFlash(c, flash{Message: "Entry deleted: " + firstLine(e.Text)})
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref+"#timeline")
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if r := []rune(line); len(r) > 80 {
		line = string(r[:77]) + "…"
	}
	return line
}
