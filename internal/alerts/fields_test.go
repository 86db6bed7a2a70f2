package alerts_test

import (
	"strings"
	"testing"
	"time"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// TestRefusalsNamePayloadFields: a payload refused, by its adapter or by
// the store's checks of the batch made of it, names the field the sender
// sent, in its error's field and at the start of its message, and stores
// nothing.
func TestRefusalsNamePayloadFields(t *testing.T) {
	now := ts("2024-01-25T12:00:00Z")
	long := strings.Repeat("x", 201)
	am := func(fn func(p map[string]any)) func(t *testing.T) (*incident.AlertBatch, error) {
		return func(t *testing.T) (*incident.AlertBatch, error) {
			return alerts.ParseAlertmanager(edit(t, fixture(t, "alertmanager-firing.json"), fn), alerts.Rules{})
		}
	}
	grafana := func(fn func(p map[string]any)) func(t *testing.T) (*incident.AlertBatch, error) {
		return func(t *testing.T) (*incident.AlertBatch, error) {
			return alerts.ParseGrafana(edit(t, fixture(t, "grafana-firing.json"), fn), alerts.Rules{})
		}
	}
	raw := func(parse func([]byte, alerts.Rules) (*incident.AlertBatch, error), body string) func(t *testing.T) (*incident.AlertBatch, error) {
		return func(t *testing.T) (*incident.AlertBatch, error) { return parse([]byte(body), alerts.Rules{}) }
	}
	generic := func(body string) func(t *testing.T) (*incident.AlertBatch, error) {
		return func(t *testing.T) (*incident.AlertBatch, error) {
			return alerts.ParseGeneric([]byte(body), now, alerts.Rules{})
		}
	}
	// pd edits a PagerDuty event of the fixture's incident; data is the
	// event's data.
	pd := func(eventType, webhookID string, fn func(ev, data map[string]any)) func(t *testing.T) (*incident.AlertBatch, error) {
		return func(t *testing.T) (*incident.AlertBatch, error) {
			body := edit(t, pdEvent(t, eventType, "E1", "2024-01-25T10:05:00Z", ""), func(p map[string]any) {
				ev := p["event"].(map[string]any)
				fn(ev, ev["data"].(map[string]any))
			})
			return alerts.ParsePagerDuty(body, webhookID, alerts.Rules{})
		}
	}
	const future, past = "3001-01-01T00:00:00Z", "1960-01-01T00:00:00Z"
	for _, tc := range []struct {
		name, field, message string
		parse                func(t *testing.T) (*incident.AlertBatch, error)
	}{
		{"GenericFutureAt", "at", "at must be a time from 1970 to 2999",
			generic(`{"title":"x","severity":"critical","at":"` + future + `"}`)},
		{"GenericResolvedPastAt", "at", "at must be a time from 1970 to 2999",
			generic(`{"title":"x","status":"resolved","at":"` + past + `"}`)},
		{"GenericLongFingerprint", "fingerprint", "fingerprint is 201 characters long, at most 200 are allowed",
			generic(`{"title":"x","fingerprint":"` + long + `"}`)},
		{"GenericNULFingerprint", "fingerprint", "fingerprint contains a NUL character",
			generic(`{"title":"x","fingerprint":"a\u0000b"}`)},
		{"GenericNULTitle", "title", "title contains a NUL character", generic(`{"title":"a\u0000b"}`)},
		{"GenericNULService", "service", "service contains a NUL character",
			generic(`{"title":"x","severity":"critical","service":"a\u0000b"}`)},

		{"AlertmanagerFutureStartsAt", "alerts[1].startsAt", "alerts[1].startsAt must be a time from 1970 to 2999",
			am(func(p map[string]any) { alertsOf(p)[1]["startsAt"] = future })},
		// An alert listed twice before it: the index is still the payload's.
		{"AlertmanagerFutureStartsAtAfterRepeat", "alerts[2].startsAt", "alerts[2].startsAt must be a time from 1970 to 2999",
			am(func(p map[string]any) {
				first := alertsOf(p)[0]
				bad := map[string]any{"status": "firing", "labels": map[string]any{"alertname": "B"}, "startsAt": future, "fingerprint": "f2"}
				p["alerts"] = []any{first, first, bad}
			})},
		{"AlertmanagerFutureEndsAt", "alerts[0].endsAt", "alerts[0].endsAt must be a time from 1970 to 2999",
			am(func(p map[string]any) { alertsOf(p)[0]["status"], alertsOf(p)[0]["endsAt"] = "resolved", future })},
		{"AlertmanagerLongGroupKey", "groupKey", "groupKey is 2001 characters long, at most 2000 are allowed",
			am(func(p map[string]any) { p["groupKey"] = strings.Repeat("k", 2001) })},
		{"AlertmanagerLongGroupLabels", "groupLabels", "groupLabels is",
			am(func(p map[string]any) {
				p["groupKey"], p["groupLabels"] = "", map[string]any{"x": strings.Repeat("k", 2000)}
			})},
		{"AlertmanagerNULAlertname", "alerts[0].labels.alertname", "alerts[0].labels.alertname contains a NUL character",
			am(func(p map[string]any) { alertsOf(p)[0]["labels"].(map[string]any)["alertname"] = "a\x00b" })},
		{"AlertmanagerFractionalInteger", "truncatedAlerts", "truncatedAlerts must be an integer, not number 1.5",
			raw(alerts.ParseAlertmanager, `{"truncatedAlerts":1.5,"alerts":[]}`)},
		{"AlertmanagerLabelNotString", "alerts[1].labels.severity", "alerts[1].labels.severity must be a string, not number",
			am(func(p map[string]any) { alertsOf(p)[1]["labels"].(map[string]any)["severity"] = 2 })},
		{"AlertmanagerLabelNotStringNonASCII", "alerts[0].labels.sévérité", "alerts[0].labels.sévérité must be a string, not number",
			raw(alerts.ParseAlertmanager, `{"alerts":[{"labels":{"a":"é","sévérité":2}}]}`)},
		{"AlertmanagerAlertNotObject", "alerts[0]", "alerts[0] must be an object, not string",
			raw(alerts.ParseAlertmanager, `{"alerts":["x"]}`)},
		{"AlertmanagerAlertsNotArray", "alerts", "alerts must be an array, not object",
			raw(alerts.ParseAlertmanager, `{"alerts":{"0":{}}}`)},

		{"GrafanaFutureStartsAt", "alerts[0].startsAt", "alerts[0].startsAt must be a time from 1970 to 2999",
			grafana(func(p map[string]any) { alertsOf(p)[0]["startsAt"] = future })},
		{"GrafanaLongGroupKey", "groupKey", "groupKey is 2001 characters long, at most 2000 are allowed",
			grafana(func(p map[string]any) { p["groupKey"] = strings.Repeat("k", 2001) })},
		{"GrafanaLabelNotString", "alerts[0].labels.team", "alerts[0].labels.team must be a string, not bool",
			grafana(func(p map[string]any) { alertsOf(p)[0]["labels"].(map[string]any)["team"] = true })},

		{"PagerDutyPastCreatedAt", "event.data.created_at", "event.data.created_at must be a time from 1970 to 2999",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { data["created_at"] = past })},
		{"PagerDutyPastOccurredAt", "event.occurred_at", "event.occurred_at must be a time from 1970 to 2999",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { ev["occurred_at"], data["created_at"] = past, nil })},
		{"PagerDutyReopenedPastOccurredAt", "event.occurred_at", "event.occurred_at must be a time from 1970 to 2999",
			pd("incident.reopened", "wh", func(ev, data map[string]any) { ev["occurred_at"] = past })},
		{"PagerDutyResolvedFutureOccurredAt", "event.occurred_at", "event.occurred_at must be a time from 1970 to 2999",
			pd("incident.resolved", "wh", func(ev, data map[string]any) { ev["occurred_at"] = "9999-01-01T00:00:00Z" })},
		{"PagerDutyAcknowledgedFutureOccurredAt", "event.occurred_at", "event.occurred_at must be a time from 1970 to 2999",
			pd("incident.acknowledged", "wh", func(ev, data map[string]any) { ev["occurred_at"] = "3000-01-01T00:00:00Z" })},
		{"PagerDutyAnnotatedFutureOccurredAt", "event.occurred_at", "event.occurred_at must be a time from 1970 to 2999",
			pd("incident.annotated", "wh", func(ev, data map[string]any) { ev["occurred_at"] = "3000-01-01T00:00:00Z" })},
		{"PagerDutyLongIncidentID", "event.data.id", "event.data.id is 201 characters long, at most 200 are allowed",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { data["id"] = long })},
		{"PagerDutyNULIncidentID", "event.data.id", "event.data.id contains a NUL character",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { data["id"] = "a\x00b" })},
		{"PagerDutyNULNoteIncidentID", "event.data.incident.id", "event.data.incident.id contains a NUL character",
			pd("incident.annotated", "wh", func(ev, data map[string]any) { data["incident"].(map[string]any)["id"] = "a\x00b" })},
		{"PagerDutyNULTitle", "event.data.title", "event.data.title contains a NUL character",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { data["title"] = "a\x00b" })},
		{"PagerDutyNULService", "event.data.service.summary", "event.data.service.summary contains a NUL character",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { data["service"].(map[string]any)["summary"] = "a\x00b" })},
		{"PagerDutyLongEventID", "event.id", "event.id is 201 characters long, at most 200 are allowed",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { ev["id"] = long })},
		{"PagerDutyLongEventIDWithoutWebhookID", "event.id", "event.id is 201 characters long, at most 200 are allowed",
			pd("incident.triggered", "", func(ev, data map[string]any) { ev["id"] = long })},
		{"PagerDutyLongWebhookID", "X-Webhook-Id", "X-Webhook-Id is 201 characters long, at most 200 are allowed",
			pd("incident.triggered", long, func(ev, data map[string]any) {})},
		{"PagerDutyDataNotString", "event.data.title", "event.data.title must be a string, not number",
			pd("incident.triggered", "wh", func(ev, data map[string]any) { data["title"] = 5 })},

		// Times from a clock set wrong, more than an hour past the server's
		// (now).
		{"AlertmanagerStartsAtAhead", "alerts[1].startsAt",
			"alerts[1].startsAt is 1h0m1s ahead of this server's clock (2024-01-25 12:00:00 UTC); check the sender's clock",
			am(func(p map[string]any) { alertsOf(p)[1]["startsAt"] = "2024-01-25T14:00:01+01:00" })},
		{"GrafanaEndsAtAhead", "alerts[0].endsAt", "alerts[0].endsAt is 24h0m0s ahead",
			grafana(func(p map[string]any) {
				alertsOf(p)[0]["status"], alertsOf(p)[0]["endsAt"] = "resolved", "2024-01-26T12:00:00Z"
			})},
		{"GenericAtAhead", "at", "at is 2h0m0s ahead", generic(`{"title":"x","severity":"critical","at":"2024-01-25T14:00:00Z"}`)},
		{"PagerDutyAcknowledgedAhead", "event.occurred_at", "event.occurred_at is 3h0m0s ahead",
			pd("incident.acknowledged", "wh", func(ev, data map[string]any) { ev["occurred_at"] = "2024-01-25T15:00:00Z" })},
		{"PagerDutyNoteAhead", "event.occurred_at", "event.occurred_at is 3h0m0s ahead",
			pd("incident.annotated", "wh", func(ev, data map[string]any) { ev["occurred_at"] = "2024-01-25T15:00:00Z" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				s.Now = func() time.Time { return now }
				b, err := tc.parse(t)
				if err == nil {
					_, err = s.IngestAlerts(ctx, b)
				}
				wantErr(t, err, incident.EINVALID, tc.field)
				if msg := incident.ErrorMessage(err); !strings.HasPrefix(msg, tc.message) {
					t.Errorf("message %q, want %q", msg, tc.message)
				}
				for _, table := range []string{"alerts", "alert_groups", "incidents", "events"} {
					var n int
					if err := s.QueryRow(ctx, "SELECT COUNT(*) FROM "+table, &n); err != nil || n != 0 {
						t.Errorf("the refused payload stored %d rows in %s (%v)", n, table, err)
					}
				}
			})
		})
	}
}
