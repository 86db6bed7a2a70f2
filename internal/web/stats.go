package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// statsRange reads from and to: RFC 3339 times or dates (2024-01-31). A
// date to includes its whole day, as a person who asks for "to 31 January"
// means. Without to, the range ends now.
func statsRange(c *gin.Context, now time.Time) (*time.Time, time.Time, error) {
	var from *time.Time
	to := now.UTC()
	if v := c.Query("from"); v != "" {
		t, err := parseDateOrTime(v, false)
		if err != nil {
			return nil, to, incident.FieldError(incident.EINVALID, "from", "from must be a date (2024-01-31) or an RFC 3339 time, from 1970 to 2999")
		}
		from = &t
	}
	if v := c.Query("to"); v != "" {
		t, err := parseDateOrTime(v, true)
		if err != nil {
			return nil, to, incident.FieldError(incident.EINVALID, "to", "to must be a date (2024-01-31) or an RFC 3339 time, from 1970 to 2999")
		}
		to = t
	}
	if from != nil && !from.Before(to) {
		return nil, to, incident.FieldError(incident.EINVALID, "to", "to must be after from")
	}
	return from, to, nil
}

// parseDateOrTime parses an RFC 3339 time or a date; a date that ends a
// range stands for the end of that day.
func parseDateOrTime(s string, end bool) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			return time.Time{}, err
		}
		if end {
			t = t.AddDate(0, 0, 1)
		}
	}
	t = t.UTC()
	// The report shows the range; a year JSON cannot write would break it.
	if t.Before(incident.MinTime) || t.After(incident.MaxTime) {
		return time.Time{}, errors.New("out of range")
	}
	return t, nil
}

// statsReport reads the stats query (from, to, severity, service) and
// computes the report, for the API and the insights page.
func (s *Server) statsReport(c *gin.Context) (*incident.StatsReport, error) {
	now := s.cfg.Now()
	from, to, err := statsRange(c, now)
	if err != nil {
		return nil, err
	}
	f := incident.StatsFilter{From: from, To: to, Service: c.Query("service"),
		Severity: incident.Severity(strings.ToUpper(c.Query("severity")))}
	if f.Severity != "" && !f.Severity.Valid() {
		return nil, incident.FieldError(incident.EINVALID, "severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")
	}
	data, err := s.store.StatsData(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	r, err := incident.ComputeReport(*data, from, to, now)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *Server) getStats(c *gin.Context) error {
	r, err := s.statsReport(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r)
	return nil
}

type openRiskList struct {
	Count int                 `json:"count"`
	Items []incident.OpenRisk `json:"items"`
}

func (s *Server) listOpenRisks(c *gin.Context) error {
	risks, err := s.store.OpenRisks(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, openRiskList{Count: len(risks), Items: risks})
	return nil
}

// listDigests shows the record of the daily reminders: what went out,
// when, and what failed.
func (s *Server) listDigests(c *gin.Context) error {
	limit, err := queryLimit(c, 30)
	if err != nil {
		return err
	}
	ds, err := s.store.ListDigests(c.Request.Context(), limit)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": ds})
	return nil
}
