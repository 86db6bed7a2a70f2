package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// incidentInput is what a client may send to declare an incident.
type incidentInput struct {
	Title            string                    `json:"title"`
	Severity         incident.Severity         `json:"severity"`
	Status           incident.Status           `json:"status"`
	Impact           string                    `json:"impact"`
	RootCause        string                    `json:"root_cause"`
	Resolution       string                    `json:"resolution"`
	Conclusion       string                    `json:"conclusion"`
	Commander        string                    `json:"commander"`
	Services         []string                  `json:"services"`
	PostmortemStatus incident.PostmortemStatus `json:"postmortem_status"`
	StartedAt        *time.Time                `json:"started_at"`
	DetectedAt       *time.Time                `json:"detected_at"`
	AcknowledgedAt   *time.Time                `json:"acknowledged_at"`
	MitigatedAt      *time.Time                `json:"mitigated_at"`
	ResolvedAt       *time.Time                `json:"resolved_at"`
}

func (in *incidentInput) toDomain() incident.Incident {
	return incident.Incident{
		Title: in.Title, Severity: in.Severity, Status: in.Status, Impact: in.Impact,
		RootCause: in.RootCause, Resolution: in.Resolution, Conclusion: in.Conclusion,
		Commander: in.Commander, Services: in.Services, PostmortemStatus: in.PostmortemStatus,
		StartedAt: in.StartedAt, DetectedAt: in.DetectedAt, AcknowledgedAt: in.AcknowledgedAt,
		MitigatedAt: in.MitigatedAt, ResolvedAt: in.ResolvedAt,
	}
}

func (s *Server) createIncident(c *gin.Context) error {
	var in incidentInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d := &incident.Detail{Incident: in.toDomain()}
	if err := s.store.CreateIncident(c.Request.Context(), d); err != nil {
		return err
	}
	c.Header("Location", "/api/v1/incidents/"+d.Ref)
	c.JSON(http.StatusCreated, d.Incident)
	return nil
}

func (s *Server) getIncident(c *gin.Context) error {
	d, err := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

type incidentPage struct {
	Items      []incident.Incident `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

func (s *Server) listIncidents(c *gin.Context) error {
	f, err := incidentFilter(c)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(c)
	if err != nil {
		return err
	}
	if asCSV {
		return s.exportIncidents(c, f)
	}
	items, next, err := s.store.ListIncidents(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, incidentPage{Items: items, NextCursor: next})
	return nil
}

// exportIncidents answers every incident f selects as CSV, not one page: an
// export is for spreadsheets, which cannot follow cursors. A limit given
// caps the number of rows; a cursor starts further down the list.
func (s *Server) exportIncidents(c *gin.Context, f incident.Filter) error {
	capped, remaining := f.Limit > 0, f.Limit
	rows := [][]string{incidentCSVHeader}
	for {
		f.Limit = incident.MaxPageLen
		if capped {
			f.Limit = min(remaining, incident.MaxPageLen)
		}
		items, next, err := s.store.ListIncidents(c.Request.Context(), f)
		if err != nil {
			return err
		}
		for i := range items {
			rows = append(rows, incidentCSVRow(&items[i]))
		}
		remaining -= len(items)
		if next == "" || (capped && remaining <= 0) {
			break
		}
		f.Cursor = next
	}
	return s.writeCSV(c, "incidents", rows)
}

// incidentFilter reads the list's query parameters, refusing unknown values.
func incidentFilter(c *gin.Context) (incident.Filter, error) {
	f := incident.Filter{
		Status:   incident.Status(c.Query("status")),
		Severity: incident.Severity(strings.ToUpper(c.Query("severity"))), // as incidents and /stats take it
		Service:  c.Query("service"),
		Query:    c.Query("q"),
		Cursor:   c.Query("cursor"),
	}
	if f.Status != "" && f.Status != incident.StatusAnyOpen && !f.Status.Valid() {
		return f, incident.FieldError(incident.EINVALID, "status", "status must be one of investigating, identified, monitoring, resolved, closed, or open for any of the first three")
	}
	if f.Severity != "" && !f.Severity.Valid() {
		return f, incident.FieldError(incident.EINVALID, "severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")
	}
	var err error
	f.Limit, err = queryLimit(c, 0) // 0: the store's default
	return f, err
}

// auditLog answers the incident's history of changes. The trail has no
// route that writes: only the changes themselves add to it.
func (s *Server) auditLog(c *gin.Context) error {
	entries, err := s.store.AuditLog(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": entries})
	return nil
}

func (s *Server) updateIncident(c *gin.Context) error {
	var p incident.Patch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	inc, err := s.store.UpdateIncident(c.Request.Context(), c.Param("ref"), &p)
	if err != nil {
		return err
	}
	s.notify(inc.ID, ChangeIncident, 0)
	c.JSON(http.StatusOK, inc)
	return nil
}
