package incident

import (
	"slices"
	"time"
)

// MaxStatsMonths bounds the monthly series of a stats report, so that a
// from of 1900 cannot make the server build thousands of empty months.
const MaxStatsMonths = 1200

// StatsData is what the figures are computed from: the incidents selected,
// with the tasks and root causes of those incidents.
type StatsData struct {
	Incidents  []Incident
	Tasks      []Task
	RootCauses []RootCause
}

// DurationStats sums up the time between two milestones over the incidents
// where both are set: Count incidents, with the mean and the median in
// seconds, both null when Count is 0.
type DurationStats struct {
	Mean   *float64 `json:"mean"`
	Median *float64 `json:"median"`
	Count  int      `json:"count"`
}

// TaskStats counts the tasks of the incidents selected.
type TaskStats struct {
	Total      int `json:"total"`
	Open       int `json:"open"`
	InProgress int `json:"in_progress"`
	Done       int `json:"done"`
	WontDo     int `json:"wont_do"`
	Overdue    int `json:"overdue"`
	// CompletionRate is done / (total - wont_do), from 0 to 1: a task the
	// team decided not to do is neither done nor left undone. Null when no
	// task counts.
	CompletionRate *float64 `json:"completion_rate"`
	// MedianDaysToDone is the median of completed_at - created_at over the
	// done tasks, in days; null when none is done.
	MedianDaysToDone *float64 `json:"median_days_to_done"`
}

// Stats are the reliability figures of a set of incidents.
type Stats struct {
	Incidents  int              `json:"incidents"`
	BySeverity map[Severity]int `json:"by_severity"`
	MTTD       DurationStats    `json:"mttd_seconds"` // detected - started
	MTTA       DurationStats    `json:"mtta_seconds"` // acknowledged - detected
	MTTM       DurationStats    `json:"mttm_seconds"` // mitigated - started
	MTTR       DurationStats    `json:"mttr_seconds"` // resolved - started
	Tasks      TaskStats        `json:"tasks"`
	OpenRisks  int              `json:"open_risks"`
}

// MonthStats are the figures of the incidents that started in one calendar
// month (UTC), written "2024-01".
type MonthStats struct {
	Month string `json:"month"`
	Stats
}

// StatsReport holds the figures of the incidents started in [From, To),
// and the same month by month, every month of the range included, with
// or without incidents, so that a chart's x axis has no holes.
type StatsReport struct {
	From *time.Time `json:"from"` // null: since the first incident
	To   time.Time  `json:"to"`
	Stats
	ByMonth []MonthStats `json:"by_month"`
}

// ComputeStats computes the figures of d, counting tasks overdue at now.
func ComputeStats(d StatsData, now time.Time) Stats {
	st := Stats{Incidents: len(d.Incidents), BySeverity: map[Severity]int{}}
	for _, sev := range Severities {
		st.BySeverity[sev] = 0
	}
	var ttd, tta, ttm, ttr []float64
	for i := range d.Incidents {
		inc := &d.Incidents[i]
		st.BySeverity[inc.Severity]++
		ttd = appendSpan(ttd, inc.StartedAt, inc.DetectedAt)
		tta = appendSpan(tta, inc.DetectedAt, inc.AcknowledgedAt)
		ttm = appendSpan(ttm, inc.StartedAt, inc.MitigatedAt)
		ttr = appendSpan(ttr, inc.StartedAt, inc.ResolvedAt)
	}
	st.MTTD, st.MTTA, st.MTTM, st.MTTR = summarize(ttd), summarize(tta), summarize(ttm), summarize(ttr)
	st.Tasks = computeTaskStats(d.Tasks, now)
	st.OpenRisks = len(OpenRiskIDs(d.RootCauses, d.Tasks))
	return st
}

// appendSpan appends b - a in seconds when both are set.
func appendSpan(xs []float64, a, b *time.Time) []float64 {
	if a == nil || b == nil {
		return xs
	}
	return append(xs, b.Sub(*a).Seconds())
}

func summarize(xs []float64) DurationStats {
	return DurationStats{Mean: Mean(xs), Median: Median(xs), Count: len(xs)}
}

func computeTaskStats(tasks []Task, now time.Time) TaskStats {
	var ts TaskStats
	var days []float64
	for i := range tasks {
		t := &tasks[i]
		ts.Total++
		switch t.Status {
		case TaskOpen:
			ts.Open++
		case TaskInProgress:
			ts.InProgress++
		case TaskDone:
			ts.Done++
			if t.CompletedAt != nil {
				days = append(days, t.CompletedAt.Sub(t.CreatedAt).Hours()/24)
			}
		case TaskWontDo:
			ts.WontDo++
		}
		if t.Overdue(now) {
			ts.Overdue++
		}
	}
	if n := ts.Total - ts.WontDo; n > 0 {
		r := float64(ts.Done) / float64(n)
		ts.CompletionRate = &r
	}
	ts.MedianDaysToDone = Median(days)
	return ts
}

// Mean returns the arithmetic mean of xs, or nil when xs is empty.
func Mean(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	m := sum / float64(len(xs))
	return &m
}

// Median returns the middle value of xs, the mean of the two middle values
// when their number is even, or nil when xs is empty.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + m) / 2
	}
	return &m
}

// MonthOf returns the first instant of t's month in UTC.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ComputeReport computes the figures of the incidents in d, which the
// caller selected as those started in [from, to) (from nil: no lower
// bound), overall and for each month of the range. The months run from
// from's month, or the first incident's when from is nil, to the month
// of the last instant before to.
func ComputeReport(d StatsData, from *time.Time, to, now time.Time) (StatsReport, error) {
	r := StatsReport{From: UTC(from), To: to.UTC(), Stats: ComputeStats(d, now), ByMonth: []MonthStats{}}
	start := from
	for i := range d.Incidents {
		if s := d.Incidents[i].StartedAt; s != nil && (start == nil || s.Before(*start)) {
			start = s
		}
	}
	if start == nil || !start.Before(to) {
		return r, nil
	}
	first, last := MonthOf(*start), MonthOf(to.Add(-time.Microsecond))
	months := (last.Year()-first.Year())*12 + int(last.Month()-first.Month()) + 1
	if months > MaxStatsMonths {
		return r, FieldError(EINVALID, "from", "the range spans %d months; at most %d are reported month by month", months, MaxStatsMonths)
	}
	byMonth := make(map[time.Time]*StatsData, months)
	incidentMonth := make(map[int64]time.Time, len(d.Incidents))
	for i := range d.Incidents {
		inc := d.Incidents[i]
		if inc.StartedAt == nil {
			continue
		}
		m := MonthOf(*inc.StartedAt)
		incidentMonth[inc.ID] = m
		if byMonth[m] == nil {
			byMonth[m] = &StatsData{}
		}
		byMonth[m].Incidents = append(byMonth[m].Incidents, inc)
	}
	for _, t := range d.Tasks {
		if m, ok := incidentMonth[t.IncidentID]; ok {
			byMonth[m].Tasks = append(byMonth[m].Tasks, t)
		}
	}
	for _, rc := range d.RootCauses {
		if m, ok := incidentMonth[rc.IncidentID]; ok {
			byMonth[m].RootCauses = append(byMonth[m].RootCauses, rc)
		}
	}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		md := StatsData{}
		if p := byMonth[m]; p != nil {
			md = *p
		}
		r.ByMonth = append(r.ByMonth, MonthStats{Month: m.Format("2006-01"), Stats: ComputeStats(md, now)})
	}
	return r, nil
}
