package web

import (
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
)

// postmortemMarkdown renders the incident's postmortem as Markdown, with
// ?template=NAME, ?tz=Europe/Berlin, and ?download=1 for a file.
func (s *Server) postmortemMarkdown(c *gin.Context) error {
	loc, err := postmortem.LoadLocation(c.Query("tz"))
	if err != nil {
		return err
	}
	d, err := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	b, err := s.renderer.Markdown(d, c.Query("template"), loc)
	if err != nil {
		return err
	}
	if c.Query("download") == "1" {
		c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": postmortem.FileName(d)}))
	}
	c.Data(http.StatusOK, "text/markdown; charset=utf-8", b)
	return nil
}

type checksAnswer struct {
	Complete bool                 `json:"complete"`
	Findings []postmortem.Finding `json:"findings"`
}

func (s *Server) postmortemChecks(c *gin.Context) error {
	d, err := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	fs := postmortem.Check(d)
	if fs == nil {
		fs = []postmortem.Finding{}
	}
	c.JSON(http.StatusOK, checksAnswer{Complete: !postmortem.HasErrors(fs), Findings: fs})
	return nil
}

type importAnswer struct {
	incident.Incident
	Warnings []postmortem.Warning `json:"warnings"`
}

// markdownTypes are the media types a postmortem may be posted as.
var markdownTypes = map[string]bool{"text/markdown": true, "text/x-markdown": true, "text/plain": true}

func (s *Server) importPostmortem(c *gin.Context) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || !markdownTypes[mt] {
		return incident.Errorf(incident.EUNSUPPORTED, "Content-Type must be text/markdown")
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	d, warnings, err := postmortem.Import(body, s.cfg.Now())
	if err != nil {
		return err
	}
	if err := s.store.CreateIncident(c.Request.Context(), d); err != nil {
		return err
	}
	if warnings == nil {
		warnings = []postmortem.Warning{}
	}
	c.Header("Location", "/api/v1/incidents/"+d.Ref)
	c.JSON(http.StatusCreated, importAnswer{Incident: d.Incident, Warnings: warnings})
	return nil
}
