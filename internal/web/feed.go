package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
)

// requireFeed lets through who may read the calendar feed: a token of a
// role that reads (or a feed token) in the Authorization header, or a feed
// token as ?feed=. Calendar apps subscribe to a bare URL and send no
// headers, so the URL must carry the token; only feed tokens, which open
// nothing else, are taken from there, and the request log never prints the
// query string.
func (s *Server) requireFeed(c *gin.Context) {
	var p *principal
	var err error
	if secret := c.Query("feed"); secret != "" && bearerToken(c) == "" {
		p, err = s.feedPrincipal(c, secret)
	} else {
		p, err = s.authenticate(c)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	if !p.Role.CanReadFeed() {
		s.writeError(c, incident.Errorf(incident.EFORBIDDEN, "role %s may not read the task feed", p.Role))
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

func (s *Server) feedPrincipal(c *gin.Context, secret string) (*principal, error) {
	tok, err := s.store.TokenBySecret(c.Request.Context(), secret)
	if incident.ErrorCode(err) == incident.EUNAUTHORIZED || (err == nil && tok.Role != incident.RoleFeed) {
		// Other tokens are refused in URLs as if unknown, so that a URL
		// never tells whether a leaked token still works elsewhere.
		return nil, incident.Errorf(incident.EUNAUTHORIZED, "invalid feed token: create one with role feed")
	}
	if err != nil {
		return nil, err
	}
	return &principal{Name: "token:" + tok.Name, Role: tok.Role}, nil
}

// taskFeed answers the unfinished tasks that have a due date as an
// iCalendar feed: one all-day event per task on its due date, so that the
// team's calendar shows what is due when. The day is the one of ?tz=, by
// default of the team's zone (serve --digest-tz, where default due dates
// end): a due date typed in New York is the end of that day there, the
// next day in UTC. The task filters of the list apply, so that one can
// subscribe to one's own tasks (?owner=ana).
func (s *Server) taskFeed(c *gin.Context) error {
	f, err := s.taskFilter(c)
	if err != nil {
		return err
	}
	loc := s.store.TeamZone()
	if name := c.Query("tz"); name != "" {
		if loc, err = postmortem.LoadLocation(name); err != nil {
			return err
		}
	}
	f.Unfinished, f.HasDue = true, true
	tasks, err := s.store.ListTasks(c.Request.Context(), f)
	if err != nil {
		return err
	}
	slices.SortStableFunc(tasks, func(a, b incident.Task) int { return a.DueAt.Compare(*b.DueAt) })
	var w icalWriter
	w.prop("BEGIN", "VCALENDAR")
	w.prop("VERSION", "2.0")
	w.prop("PRODID", "-//Hindsight//Follow-up tasks//EN")
	w.prop("CALSCALE", "GREGORIAN")
	w.prop("METHOD", "PUBLISH")
	w.text("X-WR-CALNAME", "Hindsight follow-up tasks")
	// Hints for how often to poll; calendar apps choose for themselves.
	w.prop("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")
	w.prop("X-PUBLISHED-TTL", "PT1H")
	for i := range tasks {
		writeTaskEvent(&w, &tasks[i], loc)
	}
	w.prop("END", "VCALENDAR")
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", w.buf.Bytes())
	return nil
}

// taskUID is a task's event UID. It depends on the task's id alone, so that
// calendar apps update the event when the task changes rather than add one.
func taskUID(id int64) string { return fmt.Sprintf("task-%d@hindsight", id) }

// asURI writes a link as a URI, which RFC 5545 asks for: the bytes a URI
// cannot hold (spaces, controls, anything not ASCII, and "<>\"{}|\^`)
// percent-encoded, and nothing else touched, so that "%2F" in a path stays.
func asURI(link string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(link); i++ {
		c := link[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("<>\"{}|\\^`", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func writeTaskEvent(w *icalWriter, t *incident.Task, loc *time.Location) {
	due := t.DueAt.In(loc)
	owner := t.Owner
	if owner == "" {
		owner = "nobody yet"
	}
	w.prop("BEGIN", "VEVENT")
	w.prop("UID", taskUID(t.ID))
	// DTSTAMP is the task's last change, not the time of the request: the
	// feed stays the same until a task changes.
	w.prop("DTSTAMP", icalUTC(t.UpdatedAt))
	w.prop("LAST-MODIFIED", icalUTC(t.UpdatedAt))
	w.prop("DTSTART;VALUE=DATE", icalDate(due))
	w.prop("DTEND;VALUE=DATE", icalDate(due.AddDate(0, 0, 1)))
	w.text("SUMMARY", fmt.Sprintf("%s: %s", t.IncidentRef, t.Title))
	w.text("DESCRIPTION", fmt.Sprintf("Follow-up task %d of %s\nOwner: %s\nPriority: %s\nStatus: %s\nDue: %s",
		t.ID, t.IncidentRef, owner, t.Priority, t.Status, due.Format("2006-01-02 15:04 MST")))
	if t.ExternalURL != "" {
		w.prop("URL", asURI(t.ExternalURL)) // validated as http(s) when stored
	}
	w.text("CATEGORIES", string(t.Priority))
	w.prop("TRANSP", "TRANSPARENT") // a due date does not make anyone busy
	w.prop("END", "VEVENT")
}
