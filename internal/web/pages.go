package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// incidentItem is one row of the incident list.
type incidentItem struct {
	incident.Incident
	Started time.Time // in the viewer's zone
	// Span says how long it has been open, or how long it lasted.
	Span string
}

func spanOf(inc *incident.Incident, now time.Time) string {
	if inc.StartedAt == nil {
		return ""
	}
	if inc.ResolvedAt != nil {
		return "lasted " + durationWords(inc.ResolvedAt.Sub(*inc.StartedAt))
	}
	if inc.Status.Open() {
		return "open for " + durationWords(now.Sub(*inc.StartedAt))
	}
	return ""
}

// incidentsPage is the list at /.
type incidentsPage struct {
	Layout
	Filter     incident.Filter
	Items      []incidentItem
	NextURL    string // the next page, "" on the last
	FirstURL   string // the first page, "" when this is it
	Statuses   []incident.Status
	Severities []incident.Severity
	Filtered   bool
}

func (s *Server) incidentsPage(c *gin.Context) error {
	f, err := incidentFilter(c)
	if err != nil {
		return err
	}
	items, next, err := s.store.ListIncidents(c.Request.Context(), f)
	if err != nil {
		return err
	}
	p := &incidentsPage{Layout: Layout{Title: "Incidents", Nav: "incidents"}, Filter: f,
		Statuses: incident.Statuses, Severities: incident.Severities,
		Filtered: f.Status != "" || f.Severity != "" || f.Service != "" || f.Query != ""}
	s.fillLayout(c, &p.Layout)
	p.Items = make([]incidentItem, len(items))
	now := s.cfg.Now()
	for i := range items {
		p.Items[i] = incidentItem{Incident: items[i], Span: spanOf(&items[i], now)}
		if st := items[i].StartedAt; st != nil {
			p.Items[i].Started = st.In(p.Zone)
		}
	}
	q := url.Values{}
	for k, v := range map[string]string{"status": string(f.Status), "severity": string(f.Severity), "service": f.Service, "q": f.Query} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Cursor != "" {
		p.FirstURL = "/?" + q.Encode()
	}
	if next != "" {
		q.Set("cursor", next)
		p.NextURL = "/?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "incidents", p)
}

// incidentForm is the form that declares an incident, as typed.
type incidentForm struct {
	Title     string
	Severity  string
	Commander string
	Services  string
	Impact    string
	StartedAt string
}

type newIncidentPage struct {
	Layout
	Form       incidentForm
	Errors     map[string]string
	Severities []incident.Severity
}

func (s *Server) newIncidentPage(c *gin.Context) error {
	p := &newIncidentPage{Layout: Layout{Title: "Declare an incident", Nav: "incidents"},
		Form: incidentForm{Severity: string(incident.SEV3), Commander: currentUser(c).Email}, Severities: incident.Severities}
	return s.render(c, http.StatusOK, "new_incident", p)
}

// splitServices reads "api, api-cache" or one service per line.
func splitServices(s string) []string {
	return incident.NormalizeNames(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }))
}

// requireSure refuses a form that destroys something unless its box was
// ticked, which the page's script does once the user confirms: without
// script, nothing is deleted at a single click.
func requireSure(c *gin.Context) error {
	if c.PostForm("sure") != "1" {
		return incident.FieldError(incident.EINVALID, "sure", "nothing was changed: tick the box beside the button to confirm")
	}
	return nil
}

// fieldErrors turns err into the message shown beside its field, or
// returns false for errors that are not about the input.
func fieldErrors(err error, errs map[string]string, fallback string) bool {
	code := incident.ErrorCode(err)
	if code != incident.EINVALID && code != incident.EUNPROCESSABLE && code != incident.ECONFLICT {
		return false
	}
	field := incident.ErrorField(err)
	if field == "" {
		field = fallback
	}
	errs[field] = incident.ErrorMessage(err)
	return true
}

// statusFor is the status of a form refused for its input.
func statusFor(err error) int {
	if st, ok := statusOf[incident.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusBadRequest
}

func (s *Server) declareIncident(c *gin.Context) error {
	f := incidentForm{Title: c.PostForm("title"), Severity: c.PostForm("severity"), Commander: c.PostForm("commander"),
		Services: c.PostForm("services"), Impact: c.PostForm("impact"), StartedAt: c.PostForm("started_at")}
	p := &newIncidentPage{Layout: Layout{Title: "Declare an incident", Nav: "incidents"}, Form: f,
		Errors: map[string]string{}, Severities: incident.Severities}
	s.fillLayout(c, &p.Layout)
	inc := incident.Incident{Title: f.Title, Severity: incident.Severity(f.Severity), Commander: f.Commander,
		Services: splitServices(f.Services), Impact: strings.TrimSpace(f.Impact)}
	var err error
	if strings.TrimSpace(f.StartedAt) != "" {
		var at time.Time
		if at, err = parseWhen("started_at", f.StartedAt, s.cfg.Now(), p.Zone); err == nil {
			inc.StartedAt = &at
		}
	}
	if err == nil {
		d := &incident.Detail{Incident: inc}
		if err = s.store.CreateIncident(c.Request.Context(), d); err == nil {
			c.Redirect(http.StatusSeeOther, "/incidents/"+d.Ref)
			return nil
		}
	}
	if !fieldErrors(err, p.Errors, "title") {
		return err
	}
	return s.render(c, statusFor(err), "new_incident", p)
}
