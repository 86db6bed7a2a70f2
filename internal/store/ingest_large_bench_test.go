package store_test

import (
	"fmt"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// BenchmarkIngestLargeGroup measures what Alertmanager sends about a group
// of 10,000 alerts, one delivery each: the first snapshot, the same again
// (every group_interval), half of them resolved, then all. It reports the
// time of each, per delivery.
func BenchmarkIngestLargeGroup(b *testing.B) {
	for _, db := range benchDatabases {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			const n = 10_000
			var took [4]time.Duration
			for i := range b.N {
				key := fmt.Sprintf("large-%d", i)
				alerts := make([]incident.Alert, n)
				for j := range alerts {
					alerts[j] = firing(hashFingerprint(fmt.Sprint(key, j)), "APIHighLatency", fmt.Sprintf("api-%d:8080", j),
						clock("10:00:00").Add(time.Duration(j)*time.Millisecond))
				}
				snapshots := [4]func() []incident.Alert{
					func() []incident.Alert { return alerts },
					func() []incident.Alert { return alerts },
					func() []incident.Alert { return endFirst(alerts, n/2) },
					func() []incident.Alert { return endFirst(alerts, n) },
				}
				for phase, snapshot := range snapshots {
					start := time.Now()
					if _, err := s.IngestAlerts(ctx, group(key, snapshot()...)); err != nil {
						b.Fatal(err)
					}
					took[phase] += time.Since(start)
				}
			}
			for phase, unit := range []string{"ms/first", "ms/again", "ms/half-resolved", "ms/all-resolved"} {
				b.ReportMetric(float64(took[phase].Milliseconds())/float64(b.N), unit)
			}
		})
	}
}

// endFirst returns alerts with the first n resolved at 11:00.
func endFirst(alerts []incident.Alert, n int) []incident.Alert {
	out := append([]incident.Alert(nil), alerts...)
	for i := range n {
		out[i] = resolved(out[i], clock("11:00:00"))
	}
	return out
}
