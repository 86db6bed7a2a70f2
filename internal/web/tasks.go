package web

import (
	"net/http"
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
	f := incident.TaskFilter{
		Status: incident.TaskStatus(c.Query("status")),
		Owner:  c.Query("owner"),
		Now:    s.cfg.Now(),
	}
	if f.Status != "" && !f.Status.Valid() {
		return incident.FieldError(incident.EINVALID, "status", "status must be one of open, in_progress, done, wont_do")
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return incident.FieldError(incident.EINVALID, "overdue", "overdue must be true or false")
	}
	if ref := c.Query("incident"); ref != "" {
		inc, err := s.store.Incident(c.Request.Context(), ref)
		if err != nil {
			return err
		}
		f.IncidentID = inc.ID
	}
	items, err := s.store.ListTasks(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, taskList{Items: items})
	return nil
}
