package alerts_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
)

// pdEvent turns the triggered fixture into another event of the same
// PagerDuty incident.
func pdEvent(t *testing.T, eventType, eventID, occurredAt string, agent string) []byte {
	t.Helper()
	return edit(t, fixture(t, "pagerduty-incident-triggered.json"), func(p map[string]any) {
		ev := p["event"].(map[string]any)
		ev["event_type"], ev["id"], ev["occurred_at"] = eventType, eventID, occurredAt
		if agent != "" {
			ev["agent"] = map[string]any{"id": "PUSR001", "type": "user_reference", "summary": agent}
		}
		data := ev["data"].(map[string]any)
		switch eventType {
		case "incident.acknowledged":
			data["status"] = "acknowledged"
		case "incident.resolved":
			data["status"], data["resolve_reason"] = "resolved", nil
		case "incident.annotated":
			ev["data"] = map[string]any{"id": "PNOTE01", "type": "incident_note", "trimmed": false,
				"content":  "Rolled back the cache deploy",
				"incident": map[string]any{"id": data["id"], "type": "incident_reference", "summary": data["title"]}}
		}
	})
}

func TestParsePagerDuty(t *testing.T) {
	t.Run("Triggered", func(t *testing.T) {
		b, err := alerts.ParsePagerDuty(fixture(t, "pagerduty-incident-triggered.json"), "wh-1", alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != "pagerduty" || b.GroupKey != "Q1EXAMPLE01" || b.DeliveryID != "wh-1" || b.FireOnce || len(b.Alerts) != 1 {
			t.Fatalf("batch %+v", b)
		}
		a := b.Alerts[0]
		if a.Fingerprint != "Q1EXAMPLE01" || a.Name != "API p99 latency above 2s" || a.Status != incident.AlertFiring ||
			!a.StartsAt.Equal(ts("2024-01-25T10:01:10Z")) || a.Labels["service"] != "API Server" ||
			a.Labels["priority"] != "P1" || a.Labels["incident_number"] != "1042" ||
			a.Annotations["url"] != "https://example.pagerduty.com/incidents/Q1EXAMPLE01" {
			t.Errorf("alert %+v", a)
		}
		if o := b.Open; o == nil || o.Title != "API p99 latency above 2s" || o.Severity != incident.SEV1 || fmt.Sprint(o.Services) != "[API Server]" {
			t.Fatalf("incident to open %+v", o)
		}
		if b.AcknowledgedAt != nil || len(b.Entries) != 0 {
			t.Errorf("a trigger acknowledges: %+v", b)
		}
	})
	t.Run("WithoutCreationTime", func(t *testing.T) {
		// Dated by the event alone, a trigger repeats the occurrence
		// that fires: FireOnce keeps it from firing twice.
		body := edit(t, fixture(t, "pagerduty-incident-triggered.json"), func(p map[string]any) {
			delete(p["event"].(map[string]any)["data"].(map[string]any), "created_at")
		})
		b, err := alerts.ParsePagerDuty(body, "wh-1", alerts.Rules{})
		if err != nil || !b.FireOnce || len(b.Alerts) != 1 || !b.Alerts[0].StartsAt.Equal(ts("2024-01-25T10:01:10Z")) {
			t.Fatalf("batch %+v (%v)", b, err)
		}
	})
	t.Run("DeliveryIDFallsBackToEventID", func(t *testing.T) {
		b, err := alerts.ParsePagerDuty(fixture(t, "pagerduty-incident-triggered.json"), "", alerts.Rules{})
		if err != nil || b.DeliveryID != "01EXAMPLEEVENT0000000000001" {
			t.Fatalf("delivery id %q (%v)", b.DeliveryID, err)
		}
	})
	t.Run("Acknowledged", func(t *testing.T) {
		b, err := alerts.ParsePagerDuty(pdEvent(t, "incident.acknowledged", "ev2", "2024-01-25T10:04:00Z", "Ana"), "wh-2", alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.AcknowledgedAt == nil || !b.AcknowledgedAt.Equal(ts("2024-01-25T10:04:00Z")) {
			t.Fatalf("acknowledged_at %v", b.AcknowledgedAt)
		}
		if len(b.Entries) != 1 || b.Entries[0].Text != "Acknowledged in PagerDuty by Ana" || b.Entries[0].Kind != incident.KindAlert {
			t.Fatalf("entries %+v", b.Entries)
		}
		// The alert comes along, in case the trigger never arrived.
		if len(b.Alerts) != 1 || !b.Alerts[0].StartsAt.Equal(ts("2024-01-25T10:01:10Z")) {
			t.Fatalf("alerts %+v", b.Alerts)
		}
	})
	t.Run("Resolved", func(t *testing.T) {
		b, err := alerts.ParsePagerDuty(pdEvent(t, "incident.resolved", "ev3", "2024-01-25T10:50:00Z", ""), "wh-3", alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Resolve) != 1 || b.Resolve[0].Fingerprint != "Q1EXAMPLE01" ||
			!b.Resolve[0].At.Equal(ts("2024-01-25T10:50:00Z")) {
			t.Fatalf("batch %+v", b)
		}
		// The occurrence comes along, resolved, in case the trigger
		// arrives after it.
		if len(b.Alerts) != 1 || b.Alerts[0].Status != incident.AlertResolved ||
			!b.Alerts[0].StartsAt.Equal(ts("2024-01-25T10:01:10Z")) || !b.Alerts[0].EndsAt.Equal(ts("2024-01-25T10:50:00Z")) {
			t.Fatalf("alerts %+v", b.Alerts)
		}
		// And so does the incident it opened.
		if b.Open == nil || b.Open.Severity != incident.SEV1 || !b.OpenResolved {
			t.Fatalf("open %+v, open resolved %v", b.Open, b.OpenResolved)
		}
		if b.Size() != 1 {
			t.Errorf("size %d: the one alert counts once", b.Size())
		}
	})
	t.Run("Reopened", func(t *testing.T) {
		b, err := alerts.ParsePagerDuty(pdEvent(t, "incident.reopened", "ev4", "2024-01-25T11:00:00Z", ""), "wh-4", alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		// A new occurrence, from the reopening on.
		if len(b.Alerts) != 1 || !b.Alerts[0].StartsAt.Equal(ts("2024-01-25T11:00:00Z")) || b.Open == nil {
			t.Fatalf("batch %+v", b)
		}
	})
	t.Run("Annotated", func(t *testing.T) {
		b, err := alerts.ParsePagerDuty(pdEvent(t, "incident.annotated", "ev5", "2024-01-25T10:30:00Z", "Ana"), "wh-5", alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.GroupKey != "Q1EXAMPLE01" || len(b.Alerts) != 0 || len(b.Entries) != 1 ||
			b.Entries[0].Text != "Note in PagerDuty by Ana: Rolled back the cache deploy" || b.Entries[0].Kind != incident.KindNote {
			t.Fatalf("batch %+v", b)
		}
	})
	t.Run("OtherEventsIgnored", func(t *testing.T) {
		for _, typ := range []string{"incident.priority_updated", "incident.escalated", "pagey.ping"} {
			b, err := alerts.ParsePagerDuty(pdEvent(t, typ, "ev6", "2024-01-25T10:30:00Z", ""), "wh-6", alerts.Rules{})
			if err != nil || !b.Empty() {
				t.Errorf("%s: %+v (%v)", typ, b, err)
			}
		}
	})
	t.Run("SeverityFromUrgency", func(t *testing.T) {
		body := edit(t, fixture(t, "pagerduty-incident-triggered.json"), func(p map[string]any) {
			data := p["event"].(map[string]any)["data"].(map[string]any)
			data["priority"], data["urgency"] = nil, "low"
		})
		b, err := alerts.ParsePagerDuty(body, "wh-7", alerts.Rules{})
		if err != nil || b.Open != nil {
			t.Fatalf("a low-urgency incident opens %+v (%v)", b.Open, err)
		}
	})
	t.Run("ErrNoEventType", func(t *testing.T) {
		_, err := alerts.ParsePagerDuty([]byte(`{"event":{"id":"x"}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.event_type")
	})
	t.Run("ErrNoIncidentID", func(t *testing.T) {
		_, err := alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.triggered","occurred_at":"2024-01-25T10:00:00Z","data":{"title":"x"}}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.data.id")
	})
	t.Run("ErrNoteWithoutIncidentOrTime", func(t *testing.T) {
		// Answered 200, such a note would be lost without a word.
		_, err := alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.annotated","occurred_at":"2024-01-25T10:00:00Z","data":{"content":"x"}}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.data.incident.id")
		_, err = alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.annotated","data":{"content":"x","incident":{"id":"Q1"}}}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.occurred_at")
	})
	t.Run("ErrWrongType", func(t *testing.T) {
		_, err := alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.triggered","data":{"id":"Q1","number":"one"}}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.data.number")
	})
	t.Run("ErrDataNotAnObject", func(t *testing.T) {
		for _, data := range []string{`"Q1"`, `42`, `[]`, `null`} {
			_, err := alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.triggered","occurred_at":"2024-01-25T10:00:00Z","data":`+data+`}}`), "", alerts.Rules{})
			wantErr(t, err, incident.EINVALID, "event.data")
		}
	})
	t.Run("ErrBadTime", func(t *testing.T) {
		_, err := alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.triggered","occurred_at":"10:00","data":{"id":"Q1"}}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.occurred_at")
		_, err = alerts.ParsePagerDuty([]byte(`{"event":{"event_type":"incident.resolved","occurred_at":"2024-01-25T10:00:00Z","data":{"id":"Q1","created_at":"2024-02-30T10:00:00Z"}}}`), "", alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "event.data.created_at")
	})
}

func TestParseGeneric(t *testing.T) {
	now := ts("2024-01-25T12:00:00Z")
	t.Run("OK", func(t *testing.T) {
		body := `{"title":"Checkout errors","severity":"critical","status":"firing","fingerprint":"chk-1",
			"service":"checkout","text":"5xx above 5%","at":"2024-01-25T11:58:00+01:00","extra":"ignored"}`
		b, err := alerts.ParseGeneric([]byte(body), now, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != "generic" || b.GroupKey != "chk-1" || !b.FireOnce || len(b.Alerts) != 1 {
			t.Fatalf("batch %+v", b)
		}
		a := b.Alerts[0]
		if a.Fingerprint != "chk-1" || a.Name != "Checkout errors" || !a.StartsAt.Equal(ts("2024-01-25T10:58:00Z")) ||
			a.Labels["service"] != "checkout" || a.Annotations["description"] != "5xx above 5%" {
			t.Errorf("alert %+v", a)
		}
		if o := b.Open; o == nil || o.Title != "Checkout errors" || o.Severity != incident.SEV1 || fmt.Sprint(o.Services) != "[checkout]" {
			t.Fatalf("incident to open %+v", o)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		b, err := alerts.ParseGeneric([]byte(`{"title":"Disk full","service":"db"}`), now, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		a := b.Alerts[0]
		if a.Status != incident.AlertFiring || !a.StartsAt.Equal(now) || a.Fingerprint == "" || b.GroupKey != a.Fingerprint {
			t.Fatalf("alert %+v", a)
		}
		if b.Open != nil {
			t.Errorf("no severity is SEV4, which opens nothing by default: %+v", b.Open)
		}
		again, _ := alerts.ParseGeneric([]byte(`{"title":"Disk full","service":"db","at":"2024-01-25T12:05:00Z"}`), now, alerts.Rules{})
		if again.Alerts[0].Fingerprint != a.Fingerprint {
			t.Error("the same title and service must give the same fingerprint")
		}
	})
	t.Run("Resolved", func(t *testing.T) {
		b, err := alerts.ParseGeneric([]byte(`{"title":"Disk full","status":"RESOLVED","fingerprint":"d1"}`), now, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Alerts) != 0 || len(b.Resolve) != 1 || b.Resolve[0].Fingerprint != "d1" || !b.Resolve[0].At.Equal(now) {
			t.Fatalf("batch %+v", b)
		}
	})
	t.Run("LongText", func(t *testing.T) {
		// The text is the alert's description annotation: what fits in
		// one is taken and valid, more is refused as text, the field sent,
		// not as the annotations of an alert the format does not have.
		for _, n := range []int{16373, 16374, 20000} {
			body, _ := json.Marshal(map[string]string{"title": "Backup failed", "severity": "critical", "text": strings.Repeat("x", n)})
			b, err := alerts.ParseGeneric(body, now, alerts.Rules{})
			if n > 16373 {
				wantErr(t, err, incident.EINVALID, "text")
				continue
			}
			if err != nil {
				t.Fatalf("%d bytes of text: %v", n, err)
			}
			b.Normalize(now)
			if err := b.Validate(); err != nil {
				t.Errorf("%d bytes of text: taken, then refused by the store: %v", n, err)
			}
		}
	})
	t.Run("ErrTitleRequired", func(t *testing.T) {
		_, err := alerts.ParseGeneric([]byte(`{"severity":"critical"}`), now, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "title")
	})
	t.Run("ErrBadStatus", func(t *testing.T) {
		_, err := alerts.ParseGeneric([]byte(`{"title":"x","status":"ok"}`), now, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "status")
	})
	t.Run("ErrWrongType", func(t *testing.T) {
		_, err := alerts.ParseGeneric([]byte(`{"title":"x","severity":1}`), now, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "severity")
	})
	t.Run("ErrBadTime", func(t *testing.T) {
		_, err := alerts.ParseGeneric([]byte(`{"title":"x","at":"now"}`), now, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "at")
		_, err = alerts.ParseGeneric([]byte(`{"title":"x","at":1706176800}`), now, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "at")
	})
	t.Run("EmptyTimeIsNone", func(t *testing.T) {
		for _, body := range []string{`{"title":"x","at":""}`, `{"title":"x","at":null}`, `{"title":"x"}`} {
			b, err := alerts.ParseGeneric([]byte(body), now, alerts.Rules{})
			if err != nil || !b.Alerts[0].StartsAt.Equal(now) {
				t.Errorf("%s: %+v %v, want an alert of now", body, b, err)
			}
		}
		b, err := alerts.ParseGeneric([]byte(`{"title":"x","at":"2024-01-25T10:00:00\u005a"}`), now, alerts.Rules{})
		if err != nil || !b.Alerts[0].StartsAt.Equal(ts("2024-01-25T10:00:00Z")) {
			t.Errorf("an escaped time: %+v %v", b, err)
		}
	})
}
