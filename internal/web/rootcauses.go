package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

type rootCauseInput struct {
	Description string            `json:"description"`
	Category    incident.Category `json:"category"`
	Primary     bool              `json:"primary"`
	Evidence    []int64           `json:"evidence"`
}

func (s *Server) createRootCause(c *gin.Context) error {
	var in rootCauseInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	rc := &incident.RootCause{Description: in.Description, Category: in.Category, Primary: in.Primary, Evidence: in.Evidence}
	if err := s.store.AddRootCause(c.Request.Context(), c.Param("ref"), rc); err != nil {
		return err
	}
	s.notify(rc.IncidentID, ChangeRootCause, rc.ID)
	c.JSON(http.StatusCreated, rc)
	return nil
}
