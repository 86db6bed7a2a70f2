package incident_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
)

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func id(n int64) *int64 { return &n }

// statsData is a small data set whose figures are worked out by hand in
// the tests below. "now" is 2024-04-01.
func statsData() incident.StatsData {
	return incident.StatsData{
		Incidents: []incident.Incident{
			// A: every milestone. TTD 600, TTA 600, TTM 3600, TTR 7200.
			{ID: 1, Severity: incident.SEV1, StartedAt: ts("2024-01-10T10:00:00Z"), DetectedAt: ts("2024-01-10T10:10:00Z"),
				AcknowledgedAt: ts("2024-01-10T10:20:00Z"), MitigatedAt: ts("2024-01-10T11:00:00Z"), ResolvedAt: ts("2024-01-10T12:00:00Z")},
			// B: never mitigated. TTD 1800, TTA 300, TTR 9000.
			{ID: 2, Severity: incident.SEV2, StartedAt: ts("2024-01-20T00:00:00Z"), DetectedAt: ts("2024-01-20T00:30:00Z"),
				AcknowledgedAt: ts("2024-01-20T00:35:00Z"), ResolvedAt: ts("2024-01-20T02:30:00Z")},
			// C: recorded after the fact, without detection or acknowledgement. TTM 7200, TTR 14400.
			{ID: 3, Severity: incident.SEV2, StartedAt: ts("2024-03-05T00:00:00Z"), MitigatedAt: ts("2024-03-05T02:00:00Z"),
				ResolvedAt: ts("2024-03-05T04:00:00Z")},
			// D: still open. TTD 300.
			{ID: 4, Severity: incident.SEV4, StartedAt: ts("2024-03-15T00:00:00Z"), DetectedAt: ts("2024-03-15T00:05:00Z")},
		},
		Tasks: []incident.Task{
			{ID: 1, IncidentID: 1, Status: incident.TaskDone, RootCauseID: id(1), CreatedAt: *ts("2024-01-11T00:00:00Z"), CompletedAt: ts("2024-01-15T00:00:00Z")}, // 4 days
			{ID: 2, IncidentID: 1, Status: incident.TaskWontDo, RootCauseID: id(2), CreatedAt: *ts("2024-01-11T00:00:00Z"), DueAt: ts("2024-02-01T00:00:00Z")},
			{ID: 3, IncidentID: 2, Status: incident.TaskOpen, RootCauseID: id(3), CreatedAt: *ts("2024-01-21T00:00:00Z"), DueAt: ts("2024-02-01T00:00:00Z")}, // overdue
			{ID: 4, IncidentID: 2, Status: incident.TaskInProgress, CreatedAt: *ts("2024-01-21T00:00:00Z"), DueAt: ts("2024-05-01T00:00:00Z")},
			{ID: 5, IncidentID: 3, Status: incident.TaskDone, CreatedAt: *ts("2024-03-06T00:00:00Z"), CompletedAt: ts("2024-03-16T00:00:00Z")},                     // 10 days
			{ID: 6, IncidentID: 3, Status: incident.TaskDone, RootCauseID: id(4), CreatedAt: *ts("2024-03-06T00:00:00Z"), CompletedAt: ts("2024-03-07T00:00:00Z")}, // 1 day
			{ID: 7, IncidentID: 4, Status: incident.TaskOpen, CreatedAt: *ts("2024-03-16T00:00:00Z")},
		},
		RootCauses: []incident.RootCause{
			{ID: 1, IncidentID: 1}, // its task is done: no risk
			{ID: 2, IncidentID: 1}, // its only task will not be done: open
			{ID: 3, IncidentID: 2}, // its task is open: open
			{ID: 4, IncidentID: 3}, // done
			{ID: 5, IncidentID: 4}, // no task at all: open
		},
	}
}

var statsNow = *ts("2024-04-01T00:00:00Z")

func wantDuration(t *testing.T, name string, got incident.DurationStats, mean, median float64, count int) {
	t.Helper()
	if got.Count != count {
		t.Errorf("%s: count %d, want %d", name, got.Count, count)
	}
	if count == 0 {
		if got.Mean != nil || got.Median != nil {
			t.Errorf("%s: no incident counts, yet mean %v median %v", name, got.Mean, got.Median)
		}
		return
	}
	if got.Mean == nil || got.Median == nil || !near(*got.Mean, mean) || !near(*got.Median, median) {
		t.Errorf("%s: mean %v median %v, want %v and %v", name, deref(got.Mean), deref(got.Median), mean, median)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func wantFloat(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || !near(*got, want) {
		t.Errorf("%s = %v, want %v", name, deref(got), want)
	}
}

func TestComputeStats(t *testing.T) {
	st := incident.ComputeStats(statsData(), statsNow)
	if st.Incidents != 4 {
		t.Errorf("incidents = %d", st.Incidents)
	}
	for sev, n := range map[incident.Severity]int{incident.SEV1: 1, incident.SEV2: 2, incident.SEV3: 0, incident.SEV4: 1} {
		if got, ok := st.BySeverity[sev]; !ok || got != n {
			t.Errorf("by_severity[%s] = %d (present %v), want %d", sev, got, ok, n)
		}
	}
	// TTD: A 600, B 1800, D 300 (C has no detection).
	wantDuration(t, "mttd", st.MTTD, (600+1800+300)/3.0, 600, 3)
	// TTA: A 600, B 300.
	wantDuration(t, "mtta", st.MTTA, 450, 450, 2)
	// TTM: A 3600, C 7200.
	wantDuration(t, "mttm", st.MTTM, 5400, 5400, 2)
	// TTR: A 7200, B 9000, C 14400 (D is not resolved).
	wantDuration(t, "mttr", st.MTTR, (7200+9000+14400)/3.0, 9000, 3)

	tk := st.Tasks
	if tk.Total != 7 || tk.Open != 2 || tk.InProgress != 1 || tk.Done != 3 || tk.WontDo != 1 || tk.Overdue != 1 {
		t.Errorf("tasks = %+v", tk)
	}
	wantFloat(t, "completion_rate", tk.CompletionRate, 3.0/6)   // won't-do left out
	wantFloat(t, "median_days_to_done", tk.MedianDaysToDone, 4) // 1, 4, 10
	if st.OpenRisks != 3 {
		t.Errorf("open_risks = %d, want 3 (root causes 2, 3, 5)", st.OpenRisks)
	}
}

func TestComputeReport(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		r, err := incident.ComputeReport(statsData(), nil, statsNow, statsNow)
		if err != nil {
			t.Fatal(err)
		}
		var months []string
		for _, m := range r.ByMonth {
			months = append(months, m.Month)
		}
		if strings.Join(months, " ") != "2024-01 2024-02 2024-03" {
			t.Fatalf("months %v: from the first incident to the month before to, empty ones included", months)
		}
		jan, feb, mar := r.ByMonth[0], r.ByMonth[1], r.ByMonth[2]
		if jan.Incidents != 2 || jan.BySeverity[incident.SEV1] != 1 || jan.BySeverity[incident.SEV2] != 1 {
			t.Errorf("january %+v", jan.Stats)
		}
		wantDuration(t, "jan mttd", jan.MTTD, 1200, 1200, 2) // 600, 1800
		wantDuration(t, "jan mttm", jan.MTTM, 3600, 3600, 1)
		if jan.Tasks.Total != 4 || jan.Tasks.Overdue != 1 || jan.OpenRisks != 2 {
			t.Errorf("january tasks %+v, risks %d", jan.Tasks, jan.OpenRisks)
		}
		wantFloat(t, "jan completion_rate", jan.Tasks.CompletionRate, 1.0/3)

		if feb.Incidents != 0 || feb.MTTR.Count != 0 || feb.MTTR.Mean != nil || feb.Tasks.CompletionRate != nil ||
			feb.Tasks.MedianDaysToDone != nil || feb.BySeverity[incident.SEV1] != 0 || len(feb.BySeverity) != 4 {
			t.Errorf("an empty month must have zero counts and null figures: %+v", feb.Stats)
		}
		wantDuration(t, "mar mttr", mar.MTTR, 14400, 14400, 1)
		wantDuration(t, "mar mttd", mar.MTTD, 300, 300, 1)
		wantFloat(t, "mar median_days_to_done", mar.Tasks.MedianDaysToDone, 5.5) // 1 and 10
		wantFloat(t, "mar completion_rate", mar.Tasks.CompletionRate, 2.0/3)
		if mar.OpenRisks != 1 {
			t.Errorf("march risks %d", mar.OpenRisks)
		}
	})
	t.Run("EmptyRange", func(t *testing.T) {
		r, err := incident.ComputeReport(incident.StatsData{}, ts("2024-02-01T00:00:00Z"), *ts("2024-04-01T00:00:00Z"), statsNow)
		if err != nil {
			t.Fatal(err)
		}
		if r.Incidents != 0 || r.MTTD.Mean != nil || r.Tasks.CompletionRate != nil || len(r.ByMonth) != 2 || r.ByMonth[1].Month != "2024-03" {
			t.Fatalf("empty range: %+v", r)
		}
		b, _ := json.Marshal(r)
		for _, want := range []string{`"mttd_seconds":{"mean":null,"median":null,"count":0}`, `"by_severity":{"SEV1":0,"SEV2":0,"SEV3":0,"SEV4":0}`,
			`"completion_rate":null`, `"month":"2024-02","incidents":0`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("JSON lacks %s:\n%s", want, b)
			}
		}
	})
	t.Run("NothingAtAll", func(t *testing.T) {
		r, err := incident.ComputeReport(incident.StatsData{}, nil, statsNow, statsNow)
		if err != nil || r.ByMonth == nil || len(r.ByMonth) != 0 {
			t.Fatalf("no incidents and no from: %+v %v", r, err)
		}
	})
	t.Run("ErrTooManyMonths", func(t *testing.T) {
		_, err := incident.ComputeReport(incident.StatsData{}, ts("1900-01-01T00:00:00Z"), statsNow, statsNow)
		if incident.ErrorCode(err) != incident.EINVALID || incident.ErrorField(err) != "from" {
			t.Fatal(err)
		}
	})
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{5}, 5}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{1, 1, 100}, 1}} {
		wantFloat(t, "median", incident.Median(tc.in), tc.want)
	}
	if incident.Median(nil) != nil || incident.Mean(nil) != nil {
		t.Error("median and mean of nothing must be nil")
	}
}

func TestOpenRiskIDs(t *testing.T) {
	d := statsData()
	got := incident.OpenRiskIDs(d.RootCauses, d.Tasks)
	if len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 5 {
		t.Fatalf("open risks %v, want [2 3 5]", got)
	}
}

func TestDuePolicy(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		p := incident.DefaultDuePolicy()
		if p.String() != "SEV1=14d,SEV2=30d,SEV3=60d,SEV4=90d" {
			t.Fatal(p.String())
		}
		// At the end of the day, as a due date typed as that day.
		due := p.DefaultDue(incident.SEV2, *tm("10:00"))
		if y, m, d := tm("10:00").AddDate(0, 0, 30).Date(); due == nil || !due.Equal(time.Date(y, m, d, 23, 59, 59, 0, time.UTC)) {
			t.Fatalf("SEV2 due %v", due)
		}
	})
	t.Run("OK", func(t *testing.T) {
		p, err := incident.ParseDuePolicy(" sev1=7d, SEV3=2w,SEV4=none,SEV2=36h ")
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != "SEV1=7d,SEV2=36h0m0s,SEV3=14d,SEV4=none" {
			t.Fatal(p.String())
		}
		if p.DefaultDue(incident.SEV4, *tm("10:00")) != nil {
			t.Fatal("SEV4=none still gives a due date")
		}
	})
	t.Run("KeepsGivenAndFinished", func(t *testing.T) {
		p := incident.DefaultDuePolicy()
		given := incident.Task{DueAt: tm("12:00"), Status: incident.TaskOpen}
		p.ApplyDefaultDue(&given, incident.SEV1, *tm("10:00"))
		done := incident.Task{Status: incident.TaskDone}
		p.ApplyDefaultDue(&done, incident.SEV1, *tm("10:00"))
		if !given.DueAt.Equal(*tm("12:00")) || done.DueAt != nil {
			t.Fatalf("given %v, done %v", given.DueAt, done.DueAt)
		}
	})
	for _, bad := range []string{"SEV1", "SEV5=14d", "SEV1=fortnight", "SEV1=-3d", "SEV1=-1h"} {
		t.Run("Err"+bad, func(t *testing.T) {
			if _, err := incident.ParseDuePolicy(bad); incident.ErrorCode(err) != incident.EINVALID {
				t.Fatalf("%q: %v", bad, err)
			}
		})
	}
}
