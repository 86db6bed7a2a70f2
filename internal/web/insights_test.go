package web_test

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/web"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// insightReport is a quarter with two incidents in January, none in
// February and one in March.
func insightReport(t testing.TB) *incident.StatsReport {
	t.Helper()
	d := incident.StatsData{
		Incidents: []incident.Incident{
			{ID: 1, Severity: incident.SEV1, StartedAt: at("2024-01-10T10:00:00Z"), DetectedAt: at("2024-01-10T10:30:00Z"), ResolvedAt: at("2024-01-10T14:00:00Z")},
			{ID: 2, Severity: incident.SEV3, StartedAt: at("2024-01-20T10:00:00Z"), DetectedAt: at("2024-01-20T11:00:00Z"), ResolvedAt: at("2024-01-20T12:00:00Z")},
			{ID: 3, Severity: incident.SEV2, StartedAt: at("2024-03-05T10:00:00Z"), ResolvedAt: at("2024-03-05T13:00:00Z")},
		},
		Tasks: []incident.Task{
			{ID: 1, IncidentID: 1, Status: incident.TaskDone, CreatedAt: *at("2024-01-11T00:00:00Z"), CompletedAt: at("2024-01-20T00:00:00Z")},
			{ID: 2, IncidentID: 1, Status: incident.TaskOpen, DueAt: at("2024-02-01T00:00:00Z")},
			{ID: 3, IncidentID: 3, Status: incident.TaskInProgress},
		},
	}
	r, err := incident.ComputeReport(d, at("2024-01-01T00:00:00Z"), *at("2024-04-01T00:00:00Z"), *at("2024-04-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestInsightCharts(t *testing.T) {
	charts := web.InsightCharts(insightReport(t))
	if len(charts) != 3 {
		t.Fatalf("%d charts", len(charts))
	}
	ids := map[string]bool{}
	for _, c := range charts {
		if ids[c.ID] {
			t.Errorf("two charts share the id %s", c.ID)
		}
		ids[c.ID] = true
		d := xml.NewDecoder(strings.NewReader(string(c.SVG())))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", c.ID, err)
			}
		}
	}
	sev, trend, tasks := charts[0], charts[1], charts[2]
	for _, want := range []string{"<title>2024-01, SEV1: 1 incidents</title>", "<title>2024-03, SEV2: 1 incidents</title>"} {
		if !strings.Contains(string(sev.SVG()), want) {
			t.Errorf("severity chart lacks %s", want)
		}
	}
	// January: TTR 4h and 2h, mean 3h; TTD 30 and 60 minutes, mean 0.75h.
	// March: TTR 3h; no detection time. February has no incident.
	if trend.Unit != "hours" {
		t.Errorf("unit %s", trend.Unit)
	}
	tb := trend.Table()
	if strings.Join(tb.Header, "|") != "|MTTR|MTTD|incidents resolved|incidents detected" ||
		strings.Join(tb.Rows[0], "|") != "2024-01|3|0.8|2|2" || strings.Join(tb.Rows[1], "|") != "2024-02|–|–|0|0" ||
		strings.Join(tb.Rows[2], "|") != "2024-03|3|–|1|0" {
		t.Errorf("trend table %q %q", tb.Header, tb.Rows)
	}
	tt := tasks.Table()
	if strings.Join(tt.Rows[0], "|") != "2024-01|1|0|1|0|1|50" || strings.Join(tt.Rows[2], "|") != "2024-03|0|1|0|0|0|0" {
		t.Errorf("task table %q", tt.Rows)
	}
}
