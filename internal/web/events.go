package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

type eventInput struct {
	At        *time.Time         `json:"at"`
	Kind      incident.EventKind `json:"kind"`
	Text      string             `json:"text"`
	Author    string             `json:"author"`
	Highlight *bool              `json:"highlight"`
}

func (s *Server) createEvent(c *gin.Context) error {
	var in eventInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e := &incident.Event{Kind: in.Kind, Text: in.Text, Author: in.Author, Source: incident.SourceManual}
	if e.Kind == "" {
		e.Kind = incident.KindNote
	}
	e.At = s.cfg.Now()
	if in.At != nil {
		e.At = *in.At
	}
	e.Highlight = incident.DefaultHighlight(e.Kind, e.Source)
	if in.Highlight != nil {
		e.Highlight = *in.Highlight
	}
	if e.Author == "" {
		e.Author = incident.ActorFrom(c.Request.Context())
	}
	if err := s.store.AddEvent(c.Request.Context(), c.Param("ref"), e); err != nil {
		return err
	}
	s.notify(e.IncidentID, ChangeEventNew, e.ID)
	c.JSON(http.StatusCreated, e)
	return nil
}

// idParam parses a numeric path parameter, answering 404 for anything else:
// no resource has such an id.
func idParam(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, incident.Errorf(incident.ENOTFOUND, "%s %q not found", name, c.Param(name))
	}
	return id, nil
}

func (s *Server) updateEvent(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var p incident.EventPatch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	e, err := s.store.UpdateEvent(c.Request.Context(), c.Param("ref"), id, &p)
	if err != nil {
		return err
	}
	s.notify(e.IncidentID, ChangeEventEdit, e.ID)
	c.JSON(http.StatusOK, e)
	return nil
}

func (s *Server) deleteEvent(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	inc, err := s.store.Incident(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	if err := s.store.DeleteEvent(c.Request.Context(), inc.Ref, id); err != nil {
		return err
	}
	s.notify(inc.ID, ChangeEventGone, id)
	c.Status(http.StatusNoContent)
	return nil
}
