package web

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// editEventPage edits one timeline entry, time included, on a page of
// its own: one small form, not two thousand on the incident page.
type editEventPage struct {
	Layout
	Inc   incident.Incident
	Event incident.Event
	Form  entryForm
	// Shown is the entry as the form first showed it: a save changes only
	// the fields the user changed, and keeps what others changed meanwhile.
	Shown  entryForm
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
	shown := shownEntry(e, viewerZone(c))
	p := &editEventPage{Layout: Layout{Title: "Edit entry · " + inc.Ref, Nav: "incidents"}, Inc: *inc, Event: *e,
		Form: shown, Shown: shown, Kinds: incident.EventKinds, Errors: map[string]string{}}
	return s.render(c, http.StatusOK, "edit_event", p)
}

func shownEntry(e *incident.Event, loc *time.Location) entryForm {
	return entryForm{At: entryTime(e.At, loc), Kind: string(e.Kind), Text: e.Text, Highlight: e.Highlight}
}

func (s *Server) editEvent(c *gin.Context) error {
	f := entryForm{At: c.PostForm("at"), Kind: c.PostForm("kind"), Text: c.PostForm("text"), Highlight: c.PostForm("highlight") != ""}
	inc, e, err := s.loadEvent(c)
	if incident.ErrorCode(err) == incident.ENOTFOUND && inc != nil {
		// Deleted while it was being edited: what was typed goes into the
		// incident's new entry box rather than away.
		return s.rerender(c, incident.FieldError(incident.ENOTFOUND, "text",
			"the entry you edited was deleted meanwhile; your text is here: add it again if it should stay"), "entry", "text",
			func(p *incidentView) { p.Entry.Text = f.Text })
	}
	if err != nil {
		return err
	}
	loc := formZone(c)
	now := shownEntry(e, loc)
	shown := now // a form without what it showed: as it is now
	if _, ok := c.GetPostForm("shown_kind"); ok {
		shown = entryForm{At: c.PostForm("shown_at"), Kind: c.PostForm("shown_kind"), Text: c.PostForm("shown_text"),
			Highlight: c.PostForm("shown_highlight") != ""}
	}
	// A field the user changed is sent, unless it already holds what was
	// typed; one that someone else changed meanwhile is not overwritten
	// unseen: the form comes back saying what the entry now holds, with
	// the fields the user left alone as they now are.
	conflict := ""
	patch := &incident.EventPatch{}
	form := now
	if f.Kind != shown.Kind && f.Kind != now.Kind {
		patch.Kind = incident.Some(incident.EventKind(f.Kind))
		form.Kind = f.Kind
		conflict = cmp.Or(conflict, changedMeanwhile("kind", now.Kind != shown.Kind))
	}
	if text := normalizeNewlines(f.Text); text != normalizeNewlines(shown.Text) && text != normalizeNewlines(now.Text) {
		patch.Text = incident.Some(f.Text)
		form.Text = f.Text
		conflict = cmp.Or(conflict, changedMeanwhile("text", normalizeNewlines(now.Text) != normalizeNewlines(shown.Text)))
	}
	if f.Highlight != shown.Highlight && f.Highlight != now.Highlight {
		patch.Highlight = incident.Some(f.Highlight)
		form.Highlight = f.Highlight
		conflict = cmp.Or(conflict, changedMeanwhile("highlight", now.Highlight != shown.Highlight))
	}
	// A time compares as the form shows it: "10:05" typed is the
	// "2024-01-25 10:05:00" someone else saved.
	at := strings.TrimSpace(f.At)
	typedAt, perr := parseWhen("at", at, s.cfg.Now(), loc)
	if perr == nil && at != "" {
		at = entryTime(typedAt, loc)
	}
	if at != strings.TrimSpace(shown.At) && at != now.At {
		err = perr
		patch.At = incident.Some(typedAt)
		form.At = f.At
		conflict = cmp.Or(conflict, changedMeanwhile("at", now.At != shown.At))
	}
	if conflict != "" && err == nil {
		err = incident.FieldError(incident.ECONFLICT, conflict, "someone else changed this entry meanwhile; it now reads “%s” (%s, %s): save again to replace it with yours",
			incident.Clip(now.Text, 200), now.At, now.Kind)
		f, shown = form, now
	} else if err != nil {
		// Refused for what was typed: the fields left alone as they now
		// are, and shown so; the changed ones keep what the form showed,
		// so that a change someone makes meanwhile is still seen.
		next := now
		if patch.Kind.Set {
			next.Kind = shown.Kind
		}
		if patch.Text.Set {
			next.Text = shown.Text
		}
		if patch.Highlight.Set {
			next.Highlight = shown.Highlight
		}
		if patch.At.Set {
			next.At = shown.At
		}
		f, shown = form, next
	}
	if err == nil {
		_, err = s.store.UpdateEvent(c.Request.Context(), inc.Ref, e.ID, patch)
	}
	if err != nil {
		if !isInputError(err) {
			return err
		}
		p := &editEventPage{Layout: Layout{Title: "Edit entry · " + inc.Ref, Nav: "incidents"}, Inc: *inc, Event: *e, Form: f,
			Shown: shown, Kinds: incident.EventKinds, Errors: map[string]string{}}
		fieldErrors(err, p.Errors, "text")
		return s.render(c, statusFor(err), "edit_event", p)
	}
	s.notify(inc.ID, ChangeEventEdit, e.ID)
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref+"#e"+strconv.FormatInt(e.ID, 10))
	return nil
}

func (s *Server) deleteEntry(c *gin.Context) error {
	if err := requireSure(c); err != nil {
		return err
	}
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

// changedMeanwhile returns field when it changed since the form showed it.
func changedMeanwhile(field string, changed bool) string {
	if changed {
		return field
	}
	return ""
}

// normalizeNewlines makes a form's line breaks, which browsers send as
// CRLF, comparable with the text as stored.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
