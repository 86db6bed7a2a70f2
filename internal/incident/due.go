package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// DuePolicy says how long after its creation a task is due when nobody gave
// it a due date, by the severity of its incident: the worse the incident,
// the sooner its follow-ups must be done. A severity missing from the policy
// (or mapped to 0) gets no default due date.
type DuePolicy map[Severity]time.Duration

// DefaultDuePolicy is SEV1 14 days, SEV2 30, SEV3 60, SEV4 90.
func DefaultDuePolicy() DuePolicy {
	return DuePolicy{SEV1: 14 * day, SEV2: 30 * day, SEV3: 60 * day, SEV4: 90 * day}
}

// ParseDuePolicy reads a policy written as "SEV1=14d,SEV2=30d,SEV3=8w,SEV4=none".
// Severities it does not name keep their default; "none" or 0 turns the
// default due date off for that severity. Periods are days (d), weeks (w) or
// any Go duration ("36h").
func ParseDuePolicy(s string) (DuePolicy, error) {
	p := DefaultDuePolicy()
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		sev := Severity(strings.ToUpper(strings.TrimSpace(name)))
		if !ok || !sev.Valid() {
			return nil, Errorf(EINVALID, "task due policy: %q is not SEVn=PERIOD (e.g. SEV1=14d)", part)
		}
		d, err := ParsePeriod(strings.TrimSpace(val))
		if err != nil {
			return nil, Errorf(EINVALID, "task due policy: %s: %v", sev, err)
		}
		p[sev] = d
	}
	return p, nil
}

// MaxPeriod is the longest period ParsePeriod reads: ten years.
const MaxPeriod = 3650 * day

// ParsePeriod reads a period of at most MaxPeriod: days ("14d"), weeks
// ("2w") or a Go duration ("36h"); "none" and "0" are zero.
func ParsePeriod(s string) (time.Duration, error) {
	if s == "none" || s == "0" {
		return 0, nil
	}
	bad := fmt.Errorf("%q is not a period such as 14d, 2w or 36h, of at most 3650d", s)
	unit := day
	num := s
	switch {
	case strings.HasSuffix(s, "d"):
		num = strings.TrimSuffix(s, "d")
	case strings.HasSuffix(s, "w"):
		num, unit = strings.TrimSuffix(s, "w"), 7*day
	default:
		// Go durations reach 292 years; a policy of more than MaxPeriod
		// would be printed in days that do not read back.
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > MaxPeriod {
			return 0, bad
		}
		return d, nil
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || time.Duration(n) > MaxPeriod/unit {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}

// String writes the policy as ParseDuePolicy reads it.
func (p DuePolicy) String() string {
	parts := make([]string, 0, len(Severities))
	for _, sev := range Severities {
		d := p[sev]
		switch {
		case d == 0:
			parts = append(parts, string(sev)+"=none")
		case d%day == 0:
			parts = append(parts, fmt.Sprintf("%s=%dd", sev, d/day))
		default:
			parts = append(parts, fmt.Sprintf("%s=%s", sev, d))
		}
	}
	return strings.Join(parts, ",")
}

// DefaultDue returns when a task created at now for an incident of severity
// sev is due, or nil when the policy sets no default for sev: at the end
// of the day the policy's time falls on, in now's zone (the team's), as a
// due date typed as that day is, so that a task is not overdue during the
// day it shows as due.
func (p DuePolicy) DefaultDue(sev Severity, now time.Time) *time.Time {
	d := p[sev]
	if d <= 0 {
		return nil
	}
	// Whole days are counted on the calendar: 111 days of 24 hours from
	// late evening before a change to summer time end a day late.
	at := now.AddDate(0, 0, int(d/day)).Add(d % day)
	y, m, dd := at.Date()
	t := time.Date(y, m, dd+1, 0, 0, 0, 0, now.Location()).Add(-time.Second).UTC()
	return &t
}

// ApplyDefaultDue gives an unfinished task without a due date the default
// one. Finished tasks need no reminder, so they stay without.
func (p DuePolicy) ApplyDefaultDue(t *Task, sev Severity, now time.Time) {
	if t.DueAt != nil || t.Status.Finished() {
		return
	}
	t.DueAt = p.DefaultDue(sev, now)
}
