package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// A storm ends with thousands of alerts resolving at once. On PostgreSQL
// they are ended a chunk at a time, by their keys, not through the group's
// firing alerts (alerts_group_firing): while a storm's alerts were newer
// than the statistics, PostgreSQL searched those for each alert, which
// made the end of a storm quadratic (5,000 of 10,000 took 7 s). How it
// finds the keys, by alerts_occurrence or a scan of a small table, is its
// choice.
func TestResolvingFindsAlertsByKeyOnPostgres(t *testing.T) {
	s := storetest.Postgres(t)
	alerts := make([]incident.Alert, 2000)
	for i := range alerts {
		alerts[i] = firing(fmt.Sprintf("fp%05d", i), "APIHighLatency", fmt.Sprintf("api-%d", i),
			clock("10:00:00").Add(time.Duration(i)*time.Millisecond))
	}
	ingest(t, s, group("g", alerts...))
	var sources, fps []string
	var starts, ends []time.Time
	for _, a := range alerts[1000:1500] {
		sources, starts, fps, ends = append(sources, "alertmanager"), append(starts, a.StartsAt),
			append(fps, a.Fingerprint), append(ends, clock("11:00:00"))
	}
	plan, err := s.Explain(ctx, store.ResolveManySQL, sources, starts, fps, ends)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan, "alerts_group_firing") {
		t.Fatalf("plan of resolving 500 alerts:\n%s\nwant no search of the group's firing alerts", plan)
	}
}
