package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// unattachedShown is how many unattached alerts the incident page offers.
const unattachedShown = 20

// listUnattachedAlerts answers the newest alerts that feed no incident:
// those below the open-at threshold, waiting for someone to attach them.
func (s *Server) listUnattachedAlerts(c *gin.Context) error {
	limit, err := queryLimit(c, incident.DefaultPageLen)
	if err != nil {
		return err
	}
	items, err := s.store.UnattachedAlerts(c.Request.Context(), limit)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

type attachInput struct {
	AlertIDs []int64 `json:"alert_ids"`
}

// attachAlerts attaches unattached alerts to the incident by hand.
func (s *Server) attachAlerts(c *gin.Context) error {
	var in attachInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	inc, attached, err := s.store.AttachAlerts(c.Request.Context(), c.Param("ref"), in.AlertIDs)
	if err != nil {
		return err
	}
	if len(attached) > 0 {
		s.notify(inc.ID, ChangeAlerts, 0)
	}
	if attached == nil {
		attached = []int64{}
	}
	c.JSON(http.StatusOK, gin.H{"incident_ref": inc.Ref, "attached": attached})
	return nil
}

// attachAlertsForm attaches the alerts ticked on the incident page.
func (s *Server) attachAlertsForm(c *gin.Context) error {
	var ids []int64
	for _, v := range c.PostFormArray("alert_id") {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s.rerender(c, incident.FieldError(incident.EINVALID, "alert_ids", "pick alerts from the list"), "attach", "alert_ids", func(*incidentView) {})
		}
		ids = append(ids, id)
	}
	inc, attached, err := s.store.AttachAlerts(c.Request.Context(), c.Param("ref"), ids)
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.rerender(c, err, "attach", "alert_ids", func(*incidentView) {})
	}
	if len(attached) > 0 {
		s.notify(inc.ID, ChangeAlerts, 0)
	}
	c.Redirect(http.StatusSeeOther, s.incidentURL(c)+"#alerts-head")
	return nil
}
