package web

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// The forms of the incident page. Each parses its fields, validates them
// through the store, and either redirects back to the page or shows it
// again with the error beside the field and the user's input kept.

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
	at, err := parseWhen("at", f.At, s.cfg.Now(), formZone(c))
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
	if incident.ErrorCode(err) == incident.ECONFLICT {
		// A button pressed on a page that had not caught up: back to the
		// page as it is, saying so, rather than a page at this form's
		// address that a reload would post again.
		if cur, lerr := s.store.Incident(c.Request.Context(), c.Param("ref")); lerr == nil {
			s.setFlash(c, flash{Error: true, Message: fmt.Sprintf("%s was changed meanwhile and is now %s: it was not moved to %s. Press %s again if it should be.",
				cur.Ref, cur.Status, st, st)})
			c.Redirect(http.StatusSeeOther, "/incidents/"+cur.Ref)
			return nil
		}
	}
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

// editIncident saves what the user changed in the details form, and only
// that: each field typed differently from what the form showed. A field
// someone else changed meanwhile is not overwritten unseen; the form comes
// back showing its new value, and saving again replaces it. Fields the
// user left alone keep whatever others saved, so two people editing
// different fields both keep their changes.
func (s *Server) editIncident(c *gin.Context) error {
	ctx := c.Request.Context()
	cur, err := s.store.Incident(ctx, c.Param("ref"))
	if err != nil {
		return err
	}
	loc := formZone(c)
	now := detailsFormOf(cur, loc)
	f := detailsForm{Version: c.PostForm("version"), Title: c.PostForm("title"), Severity: c.PostForm("severity"),
		Commander: c.PostForm("commander"), Services: c.PostForm("services"), Impact: c.PostForm("impact"),
		RootCause: c.PostForm("root_cause"), Resolution: c.PostForm("resolution"), Conclusion: c.PostForm("conclusion"),
		StartedAt: c.PostForm("started_at"), DetectedAt: c.PostForm("detected_at"), AcknowledgedAt: c.PostForm("acknowledged_at"),
		MitigatedAt: c.PostForm("mitigated_at"), ResolvedAt: c.PostForm("resolved_at")}
	shown := parseShown(c.PostForm("shown"))
	// Each milestone typed is read once: for the patch, and as the form
	// shows it, to compare: "10:30" typed is the "2024-01-25 10:30"
	// someone else saved.
	asShown := f
	times, bad := map[string]time.Time{}, map[string]error{}
	for _, fd := range detailsFields {
		v := strings.TrimSpace(*fd.of(&f))
		if fd.at == nil || v == "" {
			continue
		}
		t, perr := parseWhen(fd.name, v, s.cfg.Now(), loc)
		if perr != nil {
			bad[fd.name] = perr
			continue
		}
		times[fd.name] = t
		*fd.of(&asShown) = t.In(loc).Format(detailsTimeLayout)
	}
	edit := diffDetails(asShown, now, shown)
	// Fields left alone are not sent, so whatever others saved in them
	// stays: the version need not match. A form that does not say what it
	// showed is held to the version it was rendered with.
	version := cur.Version
	if shown == nil {
		version, _ = strconv.Atoi(f.Version)
	}
	patch := &incident.Patch{Version: &version}
	for _, fd := range detailsFields {
		if !edit.changed[fd.name] {
			continue
		}
		typed := normalField(fd.name, *fd.of(&f))
		switch {
		case fd.at == nil:
			fd.text(patch, typed)
		case typed == "":
			*fd.at(patch) = incident.Optional[time.Time]{Set: true, Null: true}
		case bad[fd.name] != nil:
			err = cmp.Or(err, bad[fd.name])
		default: // a milestone left as shown was not changed, and keeps its seconds
			*fd.at(patch) = incident.Some(times[fd.name])
		}
	}
	conflictError := func(field string) error {
		return incident.FieldError(incident.ECONFLICT, field, "someone else changed %s meanwhile%s: save again to replace it with yours",
			humanField(field), nowReads(now, field))
	}
	if len(edit.conflicts) > 0 {
		err = conflictError(edit.conflicts[0])
	}
	if err == nil && len(edit.changed) == 0 {
		c.Redirect(http.StatusSeeOther, "/incidents/"+cur.Ref)
		return nil
	}
	var inc *incident.Incident
	if err == nil {
		inc, err = s.store.UpdateIncident(ctx, c.Param("ref"), patch)
	}
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.rerender(c, err, "details", "title", func(p *incidentView) {
			p.Details, p.Shown = edit.again(f, detailsFormOf(&p.Inc, loc), shown, edit.conflicts)
			p.DetailsOpen = true
			for _, field := range edit.conflicts[min(1, len(edit.conflicts)):] {
				p.Errors["details."+field] = incident.ErrorMessage(conflictError(field))
			}
		})
	}
	s.notify(inc.ID, ChangeIncident, 0)
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref)
	return nil
}

// humanField names a form field as its label does.
func humanField(field string) string {
	switch field {
	case "root_cause":
		return "the root cause"
	case "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at":
		return "the " + strings.TrimSuffix(field, "_at") + " time"
	}
	return "the " + field
}

// nowReads says what a field someone else changed now holds.
func nowReads(now detailsForm, field string) string {
	v := ""
	for _, fd := range detailsFields {
		if fd.name == field {
			v = *fd.of(&now)
		}
	}
	if v == "" {
		return " (it is now empty)"
	}
	return " (it now reads “" + incident.Clip(v, 120) + "”)"
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
	due, err := parseDue(f.Due, formZone(c))
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
