package store

import (
	"reflect"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// The audit record of a collapsed entry's update lists what incident.Diff
// would list for the same two values.
func TestEntryChangesAsDiff(t *testing.T) {
	at := time.Date(2024, 1, 25, 10, 15, 0, 0, time.UTC)
	texts := []string{"", "APIHighLatency firing on api-1", "APIHighLatency firing on 2 instances"}
	times := []time.Time{at, at.Add(time.Microsecond), at.Add(-3 * time.Minute), at.In(time.FixedZone("CET", 3600))}
	for _, oldText := range texts {
		for _, newText := range texts {
			for _, oldAt := range times {
				for _, newAt := range times {
					before, after := entryChange{Text: oldText, At: oldAt}, entryChange{Text: newText, At: newAt}
					want := incident.Diff(&before, &after)
					if got := before.changes(after); !reflect.DeepEqual(got, want) {
						t.Errorf("%+v to %+v: changes %v, Diff %v", before, after, got, want)
					}
				}
			}
		}
	}
}
