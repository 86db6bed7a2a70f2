package store_test

import (
	"fmt"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// BenchmarkIngestFlapStorm measures a group of 5,000 alerts that fires,
// resolves and fires again within the collapse window (a network blip):
// the time of the third snapshot, 5,000 alerts firing again in one
// delivery.
func BenchmarkIngestFlapStorm(b *testing.B) {
	for _, db := range benchDatabases {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			const n = 5_000
			var took time.Duration
			for i := range b.N {
				key := fmt.Sprintf("flap-%d", i)
				first := make([]incident.Alert, n)
				again := make([]incident.Alert, n)
				for j := range first {
					fp := fmt.Sprintf("%s-%d", key, j)
					first[j] = firing(fp, "APIHighLatency", fmt.Sprintf("api-%d:8080", j), clock("10:00:00"))
					again[j] = firing(fp, "APIHighLatency", fmt.Sprintf("api-%d:8080", j), clock("10:02:00"))
				}
				if _, err := s.IngestAlerts(ctx, group(key, first...)); err != nil {
					b.Fatal(err)
				}
				if _, err := s.IngestAlerts(ctx, group(key, resolvedAt(first, clock("10:01:00"))...)); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := s.IngestAlerts(ctx, group(key, again...)); err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
			}
			b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/fire-again")
		})
	}
}

// resolvedAt returns alerts resolved at at.
func resolvedAt(alerts []incident.Alert, at time.Time) []incident.Alert {
	out := append([]incident.Alert(nil), alerts...)
	for i := range out {
		out[i] = resolved(out[i], at)
	}
	return out
}
