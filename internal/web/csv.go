package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// wantCSV reads the list endpoints' format parameter: json (the default)
// or csv.
func wantCSV(c *gin.Context) (bool, error) {
	switch c.Query("format") {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	}
	return false, incident.FieldError(incident.EINVALID, "format", "format must be json or csv")
}

// writeCSV answers rows, the first being the header, as a CSV download.
// The rows are built before anything is written, so that an error still
// gets its JSON answer rather than half a file.
func (s *Server) writeCSV(c *gin.Context, name string, rows [][]string) error {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name, s.cfg.Now().UTC().Format("2006-01-02")))
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	w.UseCRLF = true // RFC 4180, and what spreadsheets expect
	if err := w.WriteAll(rows); err != nil {
		// Too late for an error answer: the client sees a cut file.
		c.Error(err)
	}
	return nil
}

// csvText neutralises a cell a spreadsheet would run as a formula. Titles
// and other text can come from alert payloads, that is from outside, and a
// cell such as =HYPERLINK(...) must stay text when the export is opened.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

var incidentCSVHeader = []string{"id", "ref", "title", "severity", "status", "services", "commander",
	"started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "postmortem_status",
	"impact", "root_cause", "resolution", "created_at", "updated_at"}

func incidentCSVRow(inc *incident.Incident) []string {
	return []string{fmt.Sprint(inc.ID), inc.Ref, csvText(inc.Title), string(inc.Severity), string(inc.Status),
		csvText(strings.Join(inc.Services, ";")), csvText(inc.Commander),
		csvTime(inc.StartedAt), csvTime(inc.DetectedAt), csvTime(inc.AcknowledgedAt), csvTime(inc.MitigatedAt),
		csvTime(inc.ResolvedAt), string(inc.PostmortemStatus), csvText(inc.Impact), csvText(inc.RootCause),
		csvText(inc.Resolution), csvTime(&inc.CreatedAt), csvTime(&inc.UpdatedAt)}
}

var taskCSVHeader = []string{"id", "incident_ref", "title", "kind", "owner", "priority", "status", "due_at",
	"completed_at", "overdue", "root_cause_id", "external_url", "created_at", "updated_at"}

func taskCSVRow(t *incident.Task, now time.Time) []string {
	rc := ""
	if t.RootCauseID != nil {
		rc = fmt.Sprint(*t.RootCauseID)
	}
	return []string{fmt.Sprint(t.ID), t.IncidentRef, csvText(t.Title), string(t.Kind), csvText(t.Owner),
		string(t.Priority), string(t.Status), csvTime(t.DueAt), csvTime(t.CompletedAt), fmt.Sprint(t.Overdue(now)),
		rc, csvText(t.ExternalURL), csvTime(&t.CreatedAt), csvTime(&t.UpdatedAt)}
}
