package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

type taskInput struct {
	Title       string              `json:"title"`
	Kind        incident.TaskKind   `json:"kind"`
	Owner       string              `json:"owner"`
	DueAt       *time.Time          `json:"due_at"`
	Priority    incident.Priority   `json:"priority"`
	Status      incident.TaskStatus `json:"status"`
	ExternalURL string              `json:"external_url"`
	RootCauseID *int64              `json:"root_cause_id"`
}

func (s *Server) createTask(c *gin.Context) error {
	var in taskInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	t := &incident.Task{Title: in.Title, Kind: in.Kind, Owner: in.Owner, DueAt: in.DueAt, Priority: in.Priority,
		Status: in.Status, ExternalURL: in.ExternalURL, RootCauseID: in.RootCauseID}
	if err := s.store.AddTask(c.Request.Context(), c.Param("ref"), t); err != nil {
		return err
	}
	s.notify(t.IncidentID, ChangeTaskNew, t.ID)
	c.JSON(http.StatusCreated, t)
	return nil
}

func (s *Server) updateTask(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var p incident.TaskPatch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	t, err := s.store.UpdateTask(c.Request.Context(), id, &p)
	if err != nil {
		return err
	}
	s.notify(t.IncidentID, ChangeTaskEdit, t.ID)
	c.JSON(http.StatusOK, t)
	return nil
}

type taskList struct {
	Items []incident.Task `json:"items"`
}

func (s *Server) listTasks(c *gin.Context) error {
	f, err := s.taskFilter(c)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListTasks(c.Request.Context(), f)
	if err != nil {
		return err
	}
	if asCSV {
		rows := [][]string{taskCSVHeader}
		for i := range items {
			rows = append(rows, taskCSVRow(&items[i], f.Now))
		}
		return s.writeCSV(c, "tasks", rows)
	}
	c.JSON(http.StatusOK, taskList{Items: items})
	return nil
}

// taskFilter reads the task list's query parameters, refusing unknown
// values: status, owner, incident (ref or id), severity (of the incident)
// and overdue.
func (s *Server) taskFilter(c *gin.Context) (incident.TaskFilter, error) {
	f := incident.TaskFilter{
		Status:   incident.TaskStatus(c.Query("status")),
		Owner:    c.Query("owner"),
		Severity: incident.Severity(strings.ToUpper(c.Query("severity"))),
		Now:      s.cfg.Now(),
	}
	if f.Status != "" && !f.Status.Valid() {
		return f, incident.FieldError(incident.EINVALID, "status", "status must be one of open, in_progress, done, wont_do")
	}
	if f.Severity != "" && !f.Severity.Valid() {
		return f, incident.FieldError(incident.EINVALID, "severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return f, incident.FieldError(incident.EINVALID, "overdue", "overdue must be true or false")
	}
	if ref := c.Query("incident"); ref != "" {
		inc, err := s.store.Incident(c.Request.Context(), ref)
		if err != nil {
			return f, err
		}
		f.IncidentID = inc.ID
	}
	return f, nil
}
