package incident

import (
	"encoding/json"
	"reflect"
	"time"
)

// AuditEntry records one change to an incident or to what hangs off it:
// who made it, when, and each field's old and new value. The trail is
// written in the transaction of the change and never edited.
type AuditEntry struct {
	ID         int64             `json:"id"`
	At         time.Time         `json:"at"`
	Actor      string            `json:"actor"`
	IncidentID int64             `json:"incident_id"`
	Entity     string            `json:"entity"` // incident, event, root_cause, task
	EntityID   int64             `json:"entity_id"`
	Action     string            `json:"action"` // create, update, delete
	Changes    map[string]Change `json:"changes"`
}

// Change is the old and new value of one field, as JSON values.
type Change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// Audit actions.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Diff compares two values of the same type field by field, by their JSON
// form, and returns the fields that differ. A nil old means creation (every
// field set is new); a nil new means deletion. Bookkeeping fields that
// change with every write are left out.
func Diff(old, new any) map[string]Change {
	a, b := jsonFields(old), jsonFields(new)
	out := map[string]Change{}
	for k, nv := range b {
		if ov, ok := a[k]; !ok || !reflect.DeepEqual(ov, nv) {
			out[k] = Change{Old: a[k], New: nv}
		}
	}
	for k, ov := range a {
		if _, ok := b[k]; !ok {
			out[k] = Change{Old: ov, New: nil}
		}
	}
	for _, k := range []string{"updated_at", "created_at", "version", "id", "incident_id", "incident_ref"} {
		delete(out, k)
	}
	return out
}

func jsonFields(v any) map[string]any {
	m := map[string]any{}
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return m
	}
	b, err := json.Marshal(v)
	if err != nil {
		return m
	}
	_ = json.Unmarshal(b, &m)
	for k, x := range m {
		if x == nil || x == "" {
			delete(m, k) // absent and empty read the same in a trail
		}
	}
	return m
}
