package incident

import (
	"strings"
	"time"
)

// Category classifies a root cause or contributing factor.
type Category string

const (
	CategoryConfiguration Category = "configuration"
	CategoryCode          Category = "code"
	CategoryCapacity      Category = "capacity"
	CategoryDependency    Category = "dependency"
	CategoryProcess       Category = "process"
	CategoryHuman         Category = "human"
	CategoryUnknown       Category = "unknown"
)

// Categories lists every category.
var Categories = []Category{CategoryConfiguration, CategoryCode, CategoryCapacity,
	CategoryDependency, CategoryProcess, CategoryHuman, CategoryUnknown}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, v := range Categories {
		if c == v {
			return true
		}
	}
	return false
}

// RootCause is a root cause or, when not primary, a contributing factor.
type RootCause struct {
	ID          int64     `json:"id"`
	IncidentID  int64     `json:"incident_id"`
	Description string    `json:"description"`
	Category    Category  `json:"category"`
	Primary     bool      `json:"primary"`
	Evidence    []int64   `json:"evidence"`
	CreatedAt   time.Time `json:"created_at"`
}

// Normalize trims text and fills defaults.
func (rc *RootCause) Normalize() {
	rc.Description = strings.TrimSpace(rc.Description)
	if rc.Category == "" {
		rc.Category = CategoryUnknown
	}
	if rc.Evidence == nil {
		rc.Evidence = []int64{}
	}
}

// Validate checks the root cause's own fields; that its evidence belongs to
// the same incident is checked where the timeline is known.
func (rc *RootCause) Validate() error {
	if rc.Description == "" {
		return FieldError(EINVALID, "description", "description is required")
	}
	if err := checkLen("description", rc.Description, MaxTextLen); err != nil {
		return err
	}
	if !rc.Category.Valid() {
		return FieldError(EINVALID, "category", "category must be one of configuration, code, capacity, dependency, process, human, unknown")
	}
	if len(rc.Evidence) > MaxEvidence {
		return FieldError(EINVALID, "evidence", "evidence lists %d timeline entries; at most %d are allowed", len(rc.Evidence), MaxEvidence)
	}
	return nil
}

// MaxEvidence is the most timeline entries a root cause cites, well below
// the parameters one statement may bind.
const MaxEvidence = 500

// OpenRisk is a root cause that no finished task addresses yet: until one
// of its tasks is done, what caused the incident can cause the next one.
type OpenRisk struct {
	RootCauseID   int64     `json:"root_cause_id"`
	Description   string    `json:"description"`
	Category      Category  `json:"category"`
	Primary       bool      `json:"primary"`
	IncidentID    int64     `json:"incident_id"`
	IncidentRef   string    `json:"incident_ref"`
	IncidentTitle string    `json:"incident_title"`
	Severity      Severity  `json:"severity"`
	OpenTasks     int       `json:"open_tasks"` // tasks that address it and are still open or in progress
	CreatedAt     time.Time `json:"created_at"`
}

// OpenRiskIDs returns the ids of the root causes that no task in tasks
// addresses with status done. A task nobody will do leaves the risk open.
func OpenRiskIDs(rootCauses []RootCause, tasks []Task) []int64 {
	done := make(map[int64]bool)
	for _, t := range tasks {
		if t.RootCauseID != nil && t.Status == TaskDone {
			done[*t.RootCauseID] = true
		}
	}
	out := []int64{}
	for _, rc := range rootCauses {
		if !done[rc.ID] {
			out = append(out, rc.ID)
		}
	}
	return out
}
