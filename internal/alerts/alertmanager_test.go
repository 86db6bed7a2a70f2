package alerts_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
)

// fixture reads a sample payload of ../shared/fixtures/webhooks, which CI
// lays beside the clone.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "webhooks", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// edit decodes a JSON payload, lets fn change it and encodes it again.
func edit(t *testing.T, body []byte, fn func(p map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	fn(p)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func alertsOf(p map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range p["alerts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func wantErr(t *testing.T, err error, code, field string) {
	t.Helper()
	if got := incident.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
	if got := incident.ErrorField(err); got != field {
		t.Fatalf("error field %q, want %q (%v)", got, field, err)
	}
}

func TestParseAlertmanager(t *testing.T) {
	t.Run("Firing", func(t *testing.T) {
		b, err := alerts.ParseAlertmanager(fixture(t, "alertmanager-firing.json"), alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != "alertmanager" || b.GroupKey != `{}:{alertname="APIHighLatency"}` || b.DeliveryID != "" || b.FireOnce {
			t.Errorf("batch %+v", b)
		}
		if len(b.Alerts) != 2 {
			t.Fatalf("%d alerts", len(b.Alerts))
		}
		a := b.Alerts[0]
		if a.Fingerprint != "5f1c2a7be0d39a11" || a.Name != "APIHighLatency" || a.Status != incident.AlertFiring ||
			!a.StartsAt.Equal(ts("2024-01-25T10:00:00Z")) || a.EndsAt != nil ||
			a.Labels["instance"] != "api-1:8080" || a.Annotations["runbook_url"] == "" {
			t.Errorf("alert %+v", a)
		}
		if !b.Alerts[1].StartsAt.Equal(ts("2024-01-25T10:00:30Z")) || b.Alerts[1].Fingerprint != "9a04de61c7b2f385" {
			t.Errorf("second alert %+v", b.Alerts[1])
		}
		o := b.Open
		if o == nil || o.Title != "API p99 latency above 2s" || o.Severity != incident.SEV1 || fmt.Sprint(o.Services) != "[api]" {
			t.Fatalf("incident to open %+v", o)
		}
	})

	t.Run("Resolved", func(t *testing.T) {
		// This one carries notification_reason, which older versions lack.
		b, err := alerts.ParseAlertmanager(fixture(t, "alertmanager-resolved.json"), alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"2024-01-25T13:58:00Z", "2024-01-25T13:59:00Z"} {
			a := b.Alerts[i]
			if a.Status != incident.AlertResolved || a.EndsAt == nil || !a.EndsAt.Equal(ts(want)) {
				t.Errorf("alert %d: %s ends %v, want resolved at %s", i, a.Status, a.EndsAt, want)
			}
		}
	})

	t.Run("PartlyResolved", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			a := alertsOf(p)[0]
			a["status"], a["endsAt"] = "resolved", "2024-01-25T10:20:00Z"
		})
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Alerts[0].Status != incident.AlertResolved || b.Alerts[1].Status != incident.AlertFiring || b.Alerts[1].EndsAt != nil {
			t.Fatalf("alerts %+v", b.Alerts)
		}
	})

	t.Run("FiringEndsAtIgnored", func(t *testing.T) {
		// Prometheus sends firing alerts with endsAt in the future: when it
		// would consider them resolved without news.
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			alertsOf(p)[0]["endsAt"] = "2024-01-25T10:04:00Z"
		})
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil || b.Alerts[0].EndsAt != nil {
			t.Fatalf("ends %v, %v", b.Alerts[0].EndsAt, err)
		}
	})

	t.Run("TruncatedAndNewerFields", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			p["truncatedAlerts"] = 3
			p["routeLabels"] = map[string]any{"team": "platform"}
			p["notification_reason"] = "repeat_interval"
			p["someFieldFromTheFuture"] = []any{1, "two", map[string]any{}}
			alertsOf(p)[0]["newAlertField"] = true
		})
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Truncated != 3 || len(b.Alerts) != 2 {
			t.Fatalf("truncated %d, %d alerts", b.Truncated, len(b.Alerts))
		}
	})

	t.Run("NoFingerprintNoGroupKey", func(t *testing.T) {
		// An older Alertmanager, or another sender of this format.
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			delete(p, "groupKey")
			for _, a := range alertsOf(p) {
				delete(a, "fingerprint")
			}
		})
		b1, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := alerts.ParseAlertmanager(body, alerts.Rules{})
		fp := b1.Alerts[0].Fingerprint
		if fp == "" || fp != b2.Alerts[0].Fingerprint || fp == b1.Alerts[1].Fingerprint {
			t.Errorf("fingerprints %q %q %q", fp, b2.Alerts[0].Fingerprint, b1.Alerts[1].Fingerprint)
		}
		if b1.GroupKey != `hindsight:{alertname="APIHighLatency"}` {
			t.Errorf("group key %q", b1.GroupKey)
		}
	})

	t.Run("TitleAndServices", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			delete(p, "commonAnnotations")
			delete(p, "commonLabels")
			as := alertsOf(p)
			as[0]["labels"] = map[string]any{"alertname": "Slow", "severity": "warning", "job": "batch"}
			as[1]["labels"] = map[string]any{"alertname": "Down", "severity": "error", "service": "api", "job": "node"}
			as[1]["annotations"] = map[string]any{"summary": "API is down"}
		})
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		// The most severe alert names the incident; every alert adds its service.
		if o := b.Open; o == nil || o.Title != "API is down" || o.Severity != incident.SEV2 || fmt.Sprint(o.Services) != "[batch api]" {
			t.Fatalf("incident to open %+v", o)
		}
	})

	t.Run("BelowOpenAt", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			for _, a := range alertsOf(p) {
				a["labels"].(map[string]any)["severity"] = "info"
			}
		})
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil || b.Open != nil {
			t.Fatalf("info alerts open %+v (%v)", b.Open, err)
		}
		b, _ = alerts.ParseAlertmanager(body, alerts.Rules{OpenAt: incident.SEV4})
		if b.Open == nil || b.Open.Severity != incident.SEV4 {
			t.Fatalf("with --open-at SEV4: %+v", b.Open)
		}
	})

	t.Run("ErrMalformedJSON", func(t *testing.T) {
		_, err := alerts.ParseAlertmanager([]byte(`{"alerts": [`), alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "")
	})
	t.Run("ErrEmptyBody", func(t *testing.T) {
		_, err := alerts.ParseAlertmanager(nil, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "")
	})
	t.Run("ErrNotAnObject", func(t *testing.T) {
		_, err := alerts.ParseAlertmanager([]byte(`[1, 2]`), alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "")
	})
	t.Run("ErrWrongType", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			alertsOf(p)[0]["labels"] = "alertname=x"
		})
		_, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts[0].labels")
	})
	t.Run("ErrBadTime", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			alertsOf(p)[1]["startsAt"] = "yesterday"
		})
		_, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts[1].startsAt")
		if !strings.Contains(err.Error(), `not "yesterday"`) {
			t.Errorf("the message does not quote the time it refused: %v", err)
		}
		body = edit(t, fixture(t, "alertmanager-resolved.json"), func(p map[string]any) {
			alertsOf(p)[0]["endsAt"] = "2024-13-01T00:00:00Z"
		})
		_, err = alerts.ParseAlertmanager(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts[0].endsAt")
		// encoding/json's reading of a time, which the field replaces: no
		// offset is no time.
		body = edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			alertsOf(p)[0]["startsAt"] = "2024-01-25T10:00:00"
		})
		_, err = alerts.ParseAlertmanager(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts[0].startsAt")
	})
	t.Run("ErrNoStartsAt", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			delete(alertsOf(p)[1], "startsAt")
		})
		_, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts[1].startsAt")
	})
	t.Run("ErrBadStatus", func(t *testing.T) {
		body := edit(t, fixture(t, "alertmanager-firing.json"), func(p map[string]any) {
			alertsOf(p)[0]["status"] = "pending"
		})
		_, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts[0].status")
	})
	t.Run("ErrNoAlerts", func(t *testing.T) {
		_, err := alerts.ParseAlertmanager([]byte(`{"version":"4","status":"firing","alerts":[]}`), alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "alerts")
	})
}

func TestParseGrafana(t *testing.T) {
	t.Run("Firing", func(t *testing.T) {
		b, err := alerts.ParseGrafana(fixture(t, "grafana-firing.json"), alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != "grafana" || b.GroupKey != `{}:{alertname="CacheMemoryHigh"}` || len(b.Alerts) != 1 {
			t.Fatalf("batch %+v", b)
		}
		a := b.Alerts[0]
		if a.Fingerprint != "e3b1f0a94c2d7781" || a.Name != "CacheMemoryHigh" || !a.StartsAt.Equal(ts("2024-01-25T10:02:00Z")) ||
			a.Status != incident.AlertFiring || a.Labels["team"] != "platform" {
			t.Errorf("alert %+v", a)
		}
		// No severity label: SEV4, below the default threshold.
		if b.Open != nil {
			t.Errorf("opens %+v", b.Open)
		}
		b, _ = alerts.ParseGrafana(fixture(t, "grafana-firing.json"), alerts.Rules{OpenAt: incident.SEV4})
		if o := b.Open; o == nil || o.Title != "Cache memory above 95% on api-cache" || fmt.Sprint(o.Services) != "[api-cache]" {
			t.Fatalf("incident to open %+v", o)
		}
	})
	t.Run("Resolved", func(t *testing.T) {
		body := edit(t, fixture(t, "grafana-firing.json"), func(p map[string]any) {
			p["status"] = "resolved"
			a := alertsOf(p)[0]
			a["status"], a["endsAt"] = "resolved", "2024-01-25T10:40:00+01:00"
		})
		b, err := alerts.ParseGrafana(body, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if a := b.Alerts[0]; a.Status != incident.AlertResolved || !a.EndsAt.Equal(ts("2024-01-25T09:40:00Z")) {
			t.Fatalf("alert %+v", a)
		}
	})
	t.Run("OtherOrganisation", func(t *testing.T) {
		body := edit(t, fixture(t, "grafana-firing.json"), func(p map[string]any) { p["orgId"] = 7 })
		b, err := alerts.ParseGrafana(body, alerts.Rules{})
		if err != nil || !strings.HasPrefix(b.GroupKey, "org7:") {
			t.Fatalf("group key %q (%v)", b.GroupKey, err)
		}
	})
	t.Run("ErrWrongType", func(t *testing.T) {
		body := edit(t, fixture(t, "grafana-firing.json"), func(p map[string]any) { p["orgId"] = "one" })
		_, err := alerts.ParseGrafana(body, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "orgId")
	})
}

func TestSeverityFromLabel(t *testing.T) {
	for label, want := range map[string]incident.Severity{
		"critical": incident.SEV1, "Critical": incident.SEV1, "error": incident.SEV2, "high": incident.SEV2,
		"warning": incident.SEV3, "info": incident.SEV4, "": incident.SEV4, "page": incident.SEV4, "sev2": incident.SEV2,
	} {
		if got := alerts.SeverityFromLabel(label); got != want {
			t.Errorf("%q: %s, want %s", label, got, want)
		}
	}
	r := alerts.Rules{}
	if !r.Opens(incident.SEV3) || r.Opens(incident.SEV4) {
		t.Error("the default threshold is SEV3")
	}
	r.OpenAt = incident.SEV1
	if !r.Opens(incident.SEV1) || r.Opens(incident.SEV2) {
		t.Error("--open-at SEV1 opens SEV1 only")
	}
}

// What a notification costs to read, as a webhook request reads it:
// go test -run '^$' -bench ParseAlertmanager ./internal/alerts
func BenchmarkParseAlertmanager(b *testing.B) {
	body := fixture(b, "alertmanager-firing.json")
	for b.Loop() {
		if _, err := alerts.ParseAlertmanager(body, alerts.Rules{}); err != nil {
			b.Fatal(err)
		}
	}
}

// An integer beyond int64, which encoding/json refuses, is refused as
// well when the body is plain ASCII and takes the faster decoder: read
// wrapped around, Grafana's orgId 9223372036854775808 fed the incidents of
// organisation 1, and a PagerDuty incident number was lost.
func TestIntegerBeyondInt64IsRefused(t *testing.T) {
	body := string(fixture(t, "grafana-firing.json"))
	for _, org := range []string{"9223372036854775808", "9999999999999999999", "-9223372036854775809"} {
		b := []byte(strings.Replace(body, `"orgId":1`, `"orgId":`+org, 1))
		if string(b) == body {
			t.Fatal("the fixture's orgId was not replaced")
		}
		_, err := alerts.ParseGrafana(b, alerts.Rules{})
		wantErr(t, err, incident.EINVALID, "orgId")
	}
	pd := `{"event":{"id":"E1","event_type":"incident.triggered","occurred_at":"2024-01-25T10:00:00Z",` +
		`"data":{"id":"P1","number":9223372036854775808,"title":"t","created_at":"2024-01-25T10:00:00Z","urgency":"high"}}}`
	_, err := alerts.ParsePagerDuty([]byte(pd), "", alerts.Rules{})
	wantErr(t, err, incident.EINVALID, "event.data.number")
}
