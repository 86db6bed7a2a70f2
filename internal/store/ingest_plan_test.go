package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIngestLookupsUseIndexes checks on SQLite that the statements ingest
// runs for alerts, and those that list them, find them through an index in
// the order wanted: a scan or a sort of the alerts grows with every alert
// ever received.
func TestIngestLookupsUseIndexes(t *testing.T) {
	s, err := Open(bg, filepath.Join(t.TempDir(), "hindsight.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, query string
		args        []any
		index       string // what the plan must search, when it searches
	}{
		{"ResolveByKey", resolveOccurrenceSQL, []any{at, "alertmanager", at, "fp1"},
			"SEARCH alerts USING INDEX sqlite_autoindex_alerts_1 (source=? AND starts_at=? AND fingerprint=?)"},
		{"FiringInGroup", firingInGroupSQL, []any{"pagerduty", "Q1", []string{"Q1", "Q2"}},
			"SEARCH alerts USING INDEX alerts_group_firing (source=? AND group_key=?)"},
		// Whether every alert had resolved at a moment: one entry of the
		// index of firing alerts tells, however many resolved before.
		{"FiringBy", firingBySQL, []any{1, at},
			"SEARCH alerts USING COVERING INDEX alerts_incident_firing (incident_id=? AND starts_at<?)"},
		// The incident page's alerts, and the newest of those no incident
		// took, which pile up below the open-at threshold.
		{"IncidentAlerts", incidentAlertsSQL, []any{1},
			"SEARCH alerts USING INDEX alerts_incident (incident_id=?)"},
		{"Unattached", unattachedAlertsSQL, []any{50},
			"SEARCH alerts USING INDEX alerts_incident (incident_id=?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, s, tc.query, tc.args...)
			if strings.Contains(plan, "SCAN alerts") || strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tc.index) {
				t.Fatalf("plan of %s:\n%s\nwant no SCAN alerts, no sort, and %q", tc.query, plan, tc.index)
			}
		})
	}
}

// queryPlan returns the lines of EXPLAIN QUERY PLAN.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.write.Raw("EXPLAIN QUERY PLAN "+query, args...).Rows()
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
