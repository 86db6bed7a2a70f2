package store_test

import (
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// Delivery ids are remembered long enough to recognise a re-delivery, and
// then forgotten, keeping what the delivery brought.
func TestPruneDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		received := clock("10:00:00")
		s.Now = func() time.Time { return received }
		delivery := func() *incident.AlertBatch {
			b := group("pd", firing("P1", "Checkout down", "web", clock("09:59:00")))
			b.Source, b.DeliveryID = "pagerduty", "01WEBHOOK"
			return b
		}
		ingest(t, s, delivery())
		if n, err := s.PruneDeliveries(ctx, received.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("pruned %d, %v; the delivery is newer than the cutoff", n, err)
		}
		if res := ingest(t, s, delivery()); !res.Repeated {
			t.Fatalf("re-delivery not recognised: %+v", res)
		}
		if n, err := s.PruneDeliveries(ctx, received.Add(store.DeliveryMemory)); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want the one delivery", n, err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM webhook_deliveries"); n != 0 {
			t.Errorf("%d delivery ids left", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 1 {
			t.Errorf("%d alerts after pruning, want the one delivered", n)
		}
	})
}

// A note kept for an incident its group never opened (one below the
// open-at severity) is forgotten with the ids of deliveries.
func TestPruneKeptEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		received := clock("10:00:00")
		s.Now = func() time.Time { return received }
		note := &incident.AlertBatch{Source: "pagerduty", GroupKey: "P9", DeliveryID: "n1",
			Entries: []incident.Event{{At: clock("09:58:00"), Kind: incident.KindNote, Text: "Note in PagerDuty: looking", Author: "pagerduty"}}}
		if res := ingest(t, s, note); res.IncidentRef != "" {
			t.Fatalf("result %+v", res)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM pending_entries"); n != 1 {
			t.Fatalf("%d entries kept, want the note", n)
		}
		if _, err := s.PruneDeliveries(ctx, received.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM pending_entries"); n != 1 {
			t.Fatalf("%d entries kept after pruning older ones, want the note", n)
		}
		if _, err := s.PruneDeliveries(ctx, received.Add(store.DeliveryMemory)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM pending_entries"); n != 0 {
			t.Errorf("%d entries kept after pruning", n)
		}
	})
}
