package postmortem

import (
	"fmt"
	"sort"
	"strings"

	"hindsight/internal/incident"
)

// Severity of a finding: an error keeps a postmortem from being complete
// (hindsight check exits 1), a warning should be looked at, an info is a
// suggestion.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// Finding is one gap in a postmortem.
type Finding struct {
	Severity Severity `json:"severity"`
	// Code names the check, for scripts: missing_impact,
	// missing_root_cause, empty_timeline, missing_resolved_at,
	// task_without_owner, task_without_due_date, root_cause_unaddressed,
	// root_cause_open, no_tasks, no_primary_root_cause, missing_conclusion.
	Code        string `json:"code"`
	Message     string `json:"message"`
	Field       string `json:"field,omitempty"`         // the incident field at fault, if one is
	TaskID      int64  `json:"task_id,omitempty"`       // the task at fault, if one is
	RootCauseID int64  `json:"root_cause_id,omitempty"` // the root cause at fault, if one is
}

// Check returns what the postmortem of d lacks, errors first.
func Check(d *incident.Detail) []Finding {
	var fs []Finding
	add := func(f Finding) { fs = append(fs, f) }
	if strings.TrimSpace(d.Impact) == "" {
		add(Finding{Severity: SeverityError, Code: "missing_impact", Field: "impact",
			Message: "The impact is missing: say who was affected, how, and for how long."})
	}
	if strings.TrimSpace(d.RootCause) == "" && len(d.RootCauses) == 0 {
		add(Finding{Severity: SeverityError, Code: "missing_root_cause", Field: "root_cause",
			Message: "No root cause is recorded."})
	} else if len(d.RootCauses) > 0 && !anyPrimary(d.RootCauses) {
		add(Finding{Severity: SeverityInfo, Code: "no_primary_root_cause",
			Message: "Only contributing factors are recorded; mark the root cause as primary."})
	}
	if !anyHighlighted(d.Events) {
		add(Finding{Severity: SeverityError, Code: "empty_timeline",
			Message: "The timeline has no highlighted entry, so the postmortem shows none."})
	}
	if d.ResolvedAt == nil {
		add(Finding{Severity: SeverityError, Code: "missing_resolved_at", Field: "resolved_at",
			Message: "There is no resolution time: the postmortem cannot say how long the outage lasted."})
	}
	if len(d.Tasks) == 0 {
		add(Finding{Severity: SeverityWarning, Code: "no_tasks",
			Message: "No corrective or preventive task is recorded."})
	}
	for _, t := range d.Tasks {
		if t.Status.Finished() {
			continue
		}
		if strings.TrimSpace(t.Owner) == "" {
			add(Finding{Severity: SeverityWarning, Code: "task_without_owner", TaskID: t.ID,
				Message: fmt.Sprintf("Task %q has no owner.", short(t.Title))})
		}
		if t.DueAt == nil {
			add(Finding{Severity: SeverityWarning, Code: "task_without_due_date", TaskID: t.ID,
				Message: fmt.Sprintf("Task %q has no due date.", short(t.Title))})
		}
	}
	for _, rc := range d.RootCauses {
		var tasks, done int
		for _, t := range d.Tasks {
			if t.RootCauseID != nil && *t.RootCauseID == rc.ID && rc.ID != 0 {
				tasks++
				if t.Status == incident.TaskDone {
					done++
				}
			}
		}
		switch {
		case tasks == 0:
			add(Finding{Severity: SeverityWarning, Code: "root_cause_unaddressed", RootCauseID: rc.ID,
				Message: fmt.Sprintf("No task addresses the root cause %q.", short(rc.Description))})
		case done == 0:
			// DESIGN.md: a root cause with no task done is an open risk.
			add(Finding{Severity: SeverityInfo, Code: "root_cause_open", RootCauseID: rc.ID,
				Message: fmt.Sprintf("The root cause %q is an open risk until one of its %d tasks is done.", short(rc.Description), tasks)})
		}
	}
	if strings.TrimSpace(d.Conclusion) == "" {
		add(Finding{Severity: SeverityInfo, Code: "missing_conclusion", Field: "conclusion",
			Message: "There is no conclusion."})
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity.rank() < fs[j].Severity.rank() })
	return fs
}

// HasErrors reports whether a finding is an error: the postmortem is not
// complete.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

func anyPrimary(rcs []incident.RootCause) bool {
	for _, rc := range rcs {
		if rc.Primary {
			return true
		}
	}
	return false
}

func anyHighlighted(es []incident.Event) bool {
	for _, e := range es {
		if e.Highlight {
			return true
		}
	}
	return false
}

// short cuts a title to its first line and 60 characters for a message.
func short(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return s
}
