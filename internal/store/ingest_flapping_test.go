package store_test

import (
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// An alert that fires, resolves and fires again within the collapse
// window is one instance, not two: its second firing, and its second
// resolution, show at their own times, where they counted as more
// instances on the entries of the first ("firing on 3 instances" of two,
// and nothing at 10:03 to say that api-1 fired again).
func TestAlertFiringAgainIsNotAnotherInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		b := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:00")) // keeps the incident's alerts firing
		ingest(t, s, group("g", a, b))
		ingest(t, s, group("g", resolved(a, clock("10:01:00")), b))
		again := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:03:00"))
		ingest(t, s, group("g", again, b))
		ingest(t, s, group("g", resolved(again, clock("10:04:00")), b))
		// A new instance within the window joins the first entry; another
		// alert firing again joins the entry of those that did.
		c := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:05:00"))
		ingest(t, s, group("g", c, b))
		ingest(t, s, group("g", resolved(c, clock("10:06:00")), b))
		cAgain := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:07:00"))
		ingest(t, s, group("g", cAgain, b))
		// Repeats change nothing.
		ingest(t, s, group("g", resolved(again, clock("10:04:00")), b, cAgain))

		wantTimeline(t, detail(t, s, "INC-1"),
			"10:00:00 APIHighLatency firing on 3 instances",
			"10:01:00 APIHighLatency resolved on 2 instances",
			"10:03:00 APIHighLatency firing on 2 instances",
			"10:04:00 APIHighLatency resolved on api-1:8080",
		)
	})
}

// The same deliveries give the same timeline whether each has a
// transaction of its own or they share one, as the alert writer combines
// them under load.
func TestAlertFiringAgainTimelineDoesNotDependOnBatching(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		other := another(t, s)
		a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		b := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:00"))
		again := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:03:00"))
		c := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:05:00"))
		for _, st := range []*store.Store{s, other} {
			ingest(t, st, group("g", a, b))
			ingest(t, st, group("g", resolved(a, clock("10:01:00")), b))
		}
		ingest(t, s, group("g", again, b))
		ingest(t, s, group("g", again, b, c))
		if _, err := other.IngestTogether(ctx, group("g", again, b), group("g", again, b, c)); err != nil {
			t.Fatal(err)
		}
		one, together := timeline(detail(t, s, "INC-1")), timeline(detail(t, other, "INC-1"))
		if strings.Join(one, "\n") != strings.Join(together, "\n") {
			t.Fatalf("one transaction each:\n%s\ntogether:\n%s", strings.Join(one, "\n"), strings.Join(together, "\n"))
		}
	})
}

// An alert that flaps, firing again more than once within the window,
// counts once on the entries of alerts firing again, whose count is of
// instances: "firing on 2 instances" for one that fired three times was
// wrong. Another that fires again meanwhile is a second instance. The
// deliveries give the same timeline in one transaction.
func TestFlappingAlertCountsOnce(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	b := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:00")) // keeps the incident's alerts firing
	c := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:00:30"))
	flap := func(fp, instance string, start, end string) incident.Alert {
		return resolved(firing(fp, "APIHighLatency", instance, clock(start)), clock(end))
	}
	deliveries := []*incident.AlertBatch{
		group("g", a, b, c),
		group("g", resolved(a, clock("10:01:00")), b, resolved(c, clock("10:01:30"))),
		group("g", flap("fp1", "api-1:8080", "10:02:00", "10:03:00"), b, flap("fp3", "api-3:8080", "10:02:30", "10:03:30")),
		group("g", flap("fp1", "api-1:8080", "10:04:00", "10:05:00"), b),
		group("g", flap("fp1", "api-1:8080", "10:06:00", "10:06:30"), b),
	}
	want := []string{
		"10:00:00 APIHighLatency firing on 3 instances",
		"10:01:00 APIHighLatency resolved on 2 instances",
		"10:02:00 APIHighLatency firing on 2 instances",
		"10:03:00 APIHighLatency resolved on 2 instances",
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) { wantTimelineApartAndTogether(t, s, deliveries, want) })
}

// An alert that fires after every alert of the incident had resolved
// shows after the entry that says so, even within the collapse window of
// an earlier entry it would otherwise join: that entry stood before the
// quiet moment, and joined, the timeline ended on "resolved" while the
// alert fired. The same holds for a first firing of another instance, in
// the delivery that resolves the last alert or in a later one. A note
// counts alerts, not firings: api-1 fired twice, and is one of 2.
func TestAlertFiringAfterAllResolvedShowsAfterTheNote(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	b := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:01:30"))
	aAgain := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:02:00"))
	aThird := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:04:00"))
	deliveries := []*incident.AlertBatch{
		group("g", a),
		group("g", resolved(a, clock("10:01:00")), b),
		group("g", aAgain, b),
		group("g", resolved(aAgain, clock("10:03:00")), resolved(b, clock("10:03:00"))),
		group("g", aThird),
	}
	// The second firing of api-1 and its resolution have entries of
	// their own, as an alert firing again does (see
	// TestAlertFiringAgainIsNotAnotherInstance).
	want := []string{
		"10:00:00 APIHighLatency firing on api-1:8080: APIHighLatency is bad",
		"10:01:00 APIHighLatency resolved on api-1:8080",
		"10:01:00 The alert of this incident has resolved",
		"10:01:30 APIHighLatency firing on api-2:8080: APIHighLatency is bad",
		"10:02:00 APIHighLatency firing on api-1:8080: APIHighLatency is bad",
		"10:03:00 APIHighLatency resolved on api-2:8080",
		"10:03:00 APIHighLatency resolved on api-1:8080",
		"10:03:00 All 2 alerts of this incident have resolved",
		"10:04:00 APIHighLatency firing on api-1:8080: APIHighLatency is bad",
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) { wantTimelineApartAndTogether(t, s, deliveries, want) })
}

// wantTimelineApartAndTogether checks that the deliveries give INC-1 the
// timeline want on s, one transaction each, and on another store, the
// first alone and the others in one transaction.
func wantTimelineApartAndTogether(t *testing.T, s *store.Store, deliveries []*incident.AlertBatch, want []string) {
	t.Helper()
	for _, d := range deliveries {
		ingest(t, s, d)
	}
	wantTimeline(t, detail(t, s, "INC-1"), want...)

	together := another(t, s)
	ingest(t, together, deliveries[0])
	if _, err := together.IngestTogether(ctx, deliveries[1:]...); err != nil {
		t.Fatal(err)
	}
	wantTimeline(t, detail(t, together, "INC-1"), want...)
}
