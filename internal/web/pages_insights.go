package web

import (
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// insightsPage is /insights: the reliability figures of a period, with
// the charts of InsightCharts and their numbers as tables.
type insightsPage struct {
	Layout
	From, To   string
	Severity   string
	Service    string
	Severities []incident.Severity
	Figures    []labelled
	Charts     []insightChart
	Incidents  int
}

type insightChart struct {
	Title string
	SVG   template.HTML
	Table template.HTML
}

func (s *Server) insightsPage(c *gin.Context) error {
	// The page shows twelve months up to now, or up to "to", unless asked
	// otherwise; the API's default, since the first incident, can be a
	// long chart.
	q := c.Request.URL.Query()
	if q.Get("from") == "" {
		end := s.cfg.Now().UTC()
		if to, err := parseDateOrTime(q.Get("to"), true); err == nil && to.Before(end) {
			end = to.Add(-time.Nanosecond) // the month "to" ends in
		}
		q.Set("from", time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0).Format("2006-01-02"))
		c.Request.URL.RawQuery = q.Encode()
	}
	r, err := s.statsReport(c)
	if err != nil {
		return err
	}
	p := &insightsPage{Layout: Layout{Title: "Insights", Nav: "insights"}, From: q.Get("from"), To: q.Get("to"),
		Severity: q.Get("severity"), Service: q.Get("service"), Severities: incident.Severities, Incidents: r.Incidents}
	mean := func(d incident.DurationStats) string {
		if d.Mean == nil {
			return "no data"
		}
		return durationWords(time.Duration(*d.Mean * float64(time.Second)))
	}
	completion := "no tasks"
	if r.Tasks.CompletionRate != nil {
		completion = percent(*r.Tasks.CompletionRate)
	}
	p.Figures = []labelled{
		{"Incidents", itoa(r.Incidents)},
		{"Mean time to detect", mean(r.MTTD)},
		{"Mean time to acknowledge", mean(r.MTTA)},
		{"Mean time to mitigate", mean(r.MTTM)},
		{"Mean time to resolve", mean(r.MTTR)},
		{"Tasks done", completion},
		{"Tasks overdue", itoa(r.Tasks.Overdue)},
		{"Causes with no task done", itoa(r.OpenRisks)},
	}
	for _, ch := range InsightCharts(r) {
		p.Charts = append(p.Charts, insightChart{Title: ch.Title, SVG: ch.SVG(), Table: ch.Table().HTML()})
	}
	return s.render(c, http.StatusOK, "insights", p)
}

func itoa(n int) string { return strconv.Itoa(n) }

// percent writes a share as a whole percentage, but not as 100% before it
// is all nor as 0% while it is some: 199 tasks done of 200 are 99%.
func percent(f float64) string {
	p := int(math.Round(f * 100))
	switch {
	case p >= 100 && f < 1:
		p = 99
	case p <= 0 && f > 0:
		p = 1
	}
	return strconv.Itoa(p) + "%"
}
