package web

import (
	"math"

	"hindsight/internal/chart"
	"hindsight/internal/incident"
)

// InsightCharts turns a stats report into the charts of the insights page:
// incidents per month by severity, the time to detect and to resolve, and
// how the follow-up tasks of each month's incidents stand.
func InsightCharts(r *incident.StatsReport) []chart.Chart {
	months := make([]string, len(r.ByMonth))
	for i, m := range r.ByMonth {
		months[i] = m.Month
	}
	series := func(name string, f func(incident.Stats) float64) chart.Series {
		s := chart.Series{Name: name, Values: make([]float64, len(r.ByMonth))}
		for i, m := range r.ByMonth {
			s.Values[i] = f(m.Stats)
		}
		return s
	}

	bySeverity := chart.Chart{ID: "incidents-by-severity", Title: "Incidents per month by severity", Kind: chart.StackedBars,
		Labels: months, Unit: "incidents"}
	for _, sev := range incident.Severities {
		bySeverity.Series = append(bySeverity.Series, series(string(sev), func(s incident.Stats) float64 { return float64(s.BySeverity[sev]) }))
	}

	// Minutes read better than 0.1 hours when incidents are short.
	unit, per := "hours", 3600.0
	longest := 0.0
	for _, m := range r.ByMonth {
		for _, d := range []incident.DurationStats{m.MTTD, m.MTTR} {
			if d.Mean != nil {
				longest = math.Max(longest, *d.Mean)
			}
		}
	}
	if longest < 2*3600 {
		unit, per = "minutes", 60
	}
	mean := func(d incident.DurationStats) float64 {
		if d.Mean == nil {
			return math.NaN()
		}
		return *d.Mean / per
	}
	count := func(d incident.DurationStats) float64 { return float64(d.Count) }
	trends := chart.Chart{ID: "time-to-detect-resolve", Title: "Mean time to detect and to resolve", Kind: chart.Lines,
		Labels: months, Unit: unit,
		Series: []chart.Series{
			series("MTTR", func(s incident.Stats) float64 { return mean(s.MTTR) }),
			series("MTTD", func(s incident.Stats) float64 { return mean(s.MTTD) }),
		},
		TableOnly: []chart.Series{
			series("incidents resolved", func(s incident.Stats) float64 { return count(s.MTTR) }),
			series("incidents detected", func(s incident.Stats) float64 { return count(s.MTTD) }),
		}}

	tasks := chart.Chart{ID: "task-completion", Title: "Follow-up tasks of each month's incidents", Kind: chart.StackedBars,
		Labels: months, Unit: "tasks",
		Series: []chart.Series{
			series("done", func(s incident.Stats) float64 { return float64(s.Tasks.Done) }),
			series("in progress", func(s incident.Stats) float64 { return float64(s.Tasks.InProgress) }),
			series("open", func(s incident.Stats) float64 { return float64(s.Tasks.Open) }),
			series("won't do", func(s incident.Stats) float64 { return float64(s.Tasks.WontDo) }),
		},
		TableOnly: []chart.Series{
			series("overdue", func(s incident.Stats) float64 { return float64(s.Tasks.Overdue) }),
			series("completion %", func(s incident.Stats) float64 {
				if s.Tasks.CompletionRate == nil {
					return math.NaN()
				}
				return 100 * *s.Tasks.CompletionRate
			}),
		}}
	return []chart.Chart{bySeverity, trends, tasks}
}
