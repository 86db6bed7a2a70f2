package incident

import "time"

// Filter selects incidents for a list, newest first.
type Filter struct {
	Status   Status // a status, or StatusAnyOpen
	Severity Severity
	Service  string // a service, in any case
	Query    string // text in the title or the impact, or a ref ("INC-5")
	Limit    int
	Cursor   string // opaque; from the previous page's NextCursor
}

// StatusAnyOpen, as a Filter's status, selects the incidents in any open
// status: those still being worked on.
const StatusAnyOpen Status = "open"

// OpenStatuses are the statuses of an incident still being worked on.
func OpenStatuses() []Status {
	var out []Status
	for _, s := range Statuses {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}

// PageLimit returns the page size the filter asks for, within bounds.
func (f Filter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return DefaultPageLen
	case f.Limit > MaxPageLen:
		return MaxPageLen
	}
	return f.Limit
}

// TaskFilter selects tasks across incidents.
type TaskFilter struct {
	Status     TaskStatus
	Owner      string
	IncidentID int64
	Severity   Severity // of the task's incident
	Overdue    bool     // unfinished and past the due date at Now
	Unfinished bool     // open or in progress
	HasDue     bool     // has a due date
	// DueBefore, when set, keeps the tasks due before it: with Unfinished,
	// what a reminder lists.
	DueBefore time.Time
	Now       time.Time
}

// StatsFilter selects the incidents the figures are computed over: those
// started in [From, To) (From nil: since the first), of one severity and
// one service when given.
type StatsFilter struct {
	From     *time.Time
	To       time.Time
	Severity Severity
	Service  string
}
