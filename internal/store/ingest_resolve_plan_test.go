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
// each is ended through its unique key, even while the statistics do not
// know the group's alerts yet: a search of the group's firing alerts for
// each made the end of a storm quadratic (5,000 of 10,000 took 7 s).
func TestResolvingFindsAlertsByKeyOnPostgres(t *testing.T) {
	s := storetest.Postgres(t)
	alerts := make([]incident.Alert, 2000)
	for i := range alerts {
		alerts[i] = firing(fmt.Sprintf("fp%05d", i), "APIHighLatency", fmt.Sprintf("api-%d", i),
			clock("10:00:00").Add(time.Duration(i)*time.Millisecond))
	}
	ingest(t, s, group("g", alerts...))
	a := alerts[1000]
	plan, err := s.Explain(ctx, store.ResolveOccurrenceSQL, clock("11:00:00"), "alertmanager", a.StartsAt, a.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "alerts_occurrence") {
		t.Fatalf("plan of resolving one alert:\n%s\nwant a search of alerts_occurrence", plan)
	}
}
