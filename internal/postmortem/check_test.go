package postmortem

import (
	"testing"

	"hindsight/internal/incident"
)

func codes(fs []Finding) map[string]Severity {
	m := map[string]Severity{}
	for _, f := range fs {
		m[f.Code] = f.Severity
	}
	return m
}

func TestCheck(t *testing.T) {
	t.Run("Complete", func(t *testing.T) {
		d := richIncident()
		for i := range d.Tasks {
			d.Tasks[i].Owner = "ana"
			d.Tasks[i].DueAt = d.ResolvedAt
			d.Tasks[i].RootCauseID = &d.RootCauses[i%2].ID
			d.Tasks[i].Status = incident.TaskDone
		}
		if fs := Check(d); len(fs) != 0 {
			t.Fatalf("findings on a complete postmortem: %+v", fs)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		fs := Check(&incident.Detail{Incident: incident.Incident{Title: "x"}})
		want := map[string]Severity{
			"missing_impact": SeverityError, "missing_root_cause": SeverityError, "empty_timeline": SeverityError,
			"missing_resolved_at": SeverityError, "no_tasks": SeverityWarning, "missing_conclusion": SeverityInfo,
		}
		got := codes(fs)
		if len(got) != len(want) {
			t.Errorf("findings %+v", fs)
		}
		for c, s := range want {
			if got[c] != s {
				t.Errorf("%s: severity %q, want %q", c, got[c], s)
			}
		}
		if !HasErrors(fs) {
			t.Error("HasErrors is false")
		}
		for i := 1; i < len(fs); i++ {
			if fs[i-1].Severity.rank() > fs[i].Severity.rank() {
				t.Fatalf("findings not ordered by severity: %+v", fs)
			}
		}
	})
	t.Run("TasksAndRootCauses", func(t *testing.T) {
		fs := Check(richIncident())
		var owner, due, unaddressed, open []int64
		for _, f := range fs {
			switch f.Code {
			case "task_without_owner":
				owner = append(owner, f.TaskID)
			case "task_without_due_date":
				due = append(due, f.TaskID)
			case "root_cause_unaddressed":
				unaddressed = append(unaddressed, f.RootCauseID)
			case "root_cause_open":
				open = append(open, f.RootCauseID)
			}
		}
		// Task 1 is open without owner or due date; 2 is done, 4 won't be
		// done: finished tasks need neither. Cause 11 has task 3, not done
		// yet; cause 12 has no task.
		if len(owner) != 1 || owner[0] != 1 || len(due) != 1 || due[0] != 1 {
			t.Errorf("tasks without owner %v, without due date %v", owner, due)
		}
		if len(unaddressed) != 1 || unaddressed[0] != 12 || len(open) != 1 || open[0] != 11 {
			t.Errorf("unaddressed %v, open %v", unaddressed, open)
		}
		if HasErrors(fs) {
			t.Errorf("errors in %+v", fs)
		}
	})
	t.Run("HiddenTimelineOnly", func(t *testing.T) {
		d := richIncident()
		for i := range d.Events {
			d.Events[i].Highlight = false
		}
		if codes(Check(d))["empty_timeline"] != SeverityError {
			t.Error("a timeline of hidden entries is not reported")
		}
	})
}
