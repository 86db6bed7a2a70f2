package store_test

import (
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// The text an import could not place is stored, read back and editable,
// so that exporting the postmortem again loses nothing.
func TestIncidentExtra(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const extra = "## Customer Communication\n\nWe emailed every affected customer.\n"
		t.Run("OK", func(t *testing.T) {
			inc := declare(t, s, "Imported outage", func(inc *incident.Incident) { inc.Extra = extra })
			got, err := s.Incident(ctx, inc.Ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Extra != extra {
				t.Fatalf("extra = %q, want %q", got.Extra, extra)
			}
			v := got.Version
			upd, err := s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &v, Extra: incident.Some("")})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Incident(ctx, inc.Ref); got.Extra != "" || upd.Extra != "" {
				t.Fatalf("extra not cleared: %q", got.Extra)
			}
		})
		t.Run("ErrExtraTooLong", func(t *testing.T) {
			err := s.CreateIncident(ctx, &incident.Detail{Incident: incident.Incident{
				Title: "huge", Extra: strings.Repeat("x", incident.MaxExtraLen+1)}})
			wantCode(t, err, incident.EINVALID, "extra")
		})
	})
}
