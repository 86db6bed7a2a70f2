package incident

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAlertBatchNormalize(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	now := time.Date(2024, 1, 25, 12, 0, 0, 0, time.UTC)
	start := time.Date(2024, 1, 25, 11, 0, 0, 123456789, paris)
	early := start.Add(-time.Hour)
	future := start.Add(time.Hour)
	b := &AlertBatch{Source: " alertmanager ", GroupKey: "g", Alerts: []Alert{
		{Fingerprint: "a", Status: AlertFiring, StartsAt: start, EndsAt: &future, Labels: map[string]string{"alertname": "A"}},
		{Fingerprint: "b", Status: AlertResolved, StartsAt: start},
		{Fingerprint: "c", Status: AlertResolved, StartsAt: start, EndsAt: &early},
	}}
	b.Normalize(now)
	a := b.Alerts[0]
	if b.Source != "alertmanager" || a.Source != "alertmanager" || a.GroupKey != "g" || a.Name != "A" {
		t.Errorf("alert %+v", a)
	}
	if a.StartsAt.Location() != time.UTC || a.StartsAt.Nanosecond() != 123456000 || a.EndsAt != nil {
		t.Errorf("firing alert: starts %v ends %v", a.StartsAt, a.EndsAt)
	}
	if a.Annotations == nil {
		t.Error("annotations must not be nil")
	}
	if e := b.Alerts[1].EndsAt; e == nil || !e.Equal(now) {
		t.Errorf("resolved without an end ends at %v, want now", e)
	}
	if e := b.Alerts[2].EndsAt; e == nil || !e.Equal(b.Alerts[2].StartsAt) {
		t.Errorf("resolved before it started ends at %v, want its start", e)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
}

// An alert with a long templated annotation, or a long name, is cut to
// fit rather than having its whole notification refused: Alertmanager and
// Grafana do not send a notification again after a 400.
func TestAlertBatchFitsLongAlerts(t *testing.T) {
	pods := strings.Repeat("api-7f9c-ß ", 2000) // 24,000 bytes, with two-byte characters
	name := strings.Repeat("N", MaxNameLen+50)
	b := &AlertBatch{Source: "alertmanager", GroupKey: "g", Alerts: []Alert{{Fingerprint: "f", Status: AlertFiring,
		StartsAt:    time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC),
		Labels:      map[string]string{"alertname": name, "severity": "critical"},
		Annotations: map[string]string{"summary": "API pods restarting", "description": pods, "pods": pods}}}}
	b.Normalize(time.Date(2024, 1, 25, 10, 5, 0, 0, time.UTC))
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	a := b.Alerts[0]
	if a.Annotations["summary"] != "API pods restarting" || a.Labels["severity"] != "critical" {
		t.Errorf("short values changed: %q, %q", a.Annotations["summary"], a.Labels["severity"])
	}
	n := 0
	for k, v := range a.Annotations {
		n += len(k) + len(v)
		if k != "summary" && (!strings.HasSuffix(v, "…") || !strings.HasPrefix(pods, strings.TrimSuffix(v, "…")) || !utf8.ValidString(v)) {
			t.Errorf("%s is not the start of the text, marked as cut: ...%q", k, v[max(0, len(v)-20):])
		}
	}
	if n > MaxLabelsLen || n < MaxLabelsLen-2*len("…") {
		t.Errorf("annotations take %d bytes, want just under %d", n, MaxLabelsLen)
	}
	if utf8.RuneCountInString(a.Name) != MaxNameLen || !strings.HasSuffix(a.Name, "…") {
		t.Errorf("name of %d characters: %q", utf8.RuneCountInString(a.Name), a.Name)
	}
}

func TestAlertBatchValidate(t *testing.T) {
	ok := func() *AlertBatch {
		return &AlertBatch{Source: "generic", GroupKey: "g", DeliveryID: "d",
			Alerts:  []Alert{{Fingerprint: "f", Status: AlertFiring, StartsAt: time.Now()}},
			Entries: []Event{{At: time.Now(), Text: "note"}},
			Open:    &Incident{Title: "t", Severity: SEV2}}
	}
	for _, tc := range []struct {
		name, field string
		mutate      func(b *AlertBatch)
	}{
		{"ErrSourceRequired", "source", func(b *AlertBatch) { b.Source = "" }},
		{"ErrFingerprintRequired", "alerts[0].fingerprint", func(b *AlertBatch) { b.Alerts[0].Fingerprint = "" }},
		{"ErrFingerprintNUL", "alerts[0].fingerprint", func(b *AlertBatch) { b.Alerts[0].Fingerprint = "a\x00b" }},
		{"ErrStartsAtRequired", "alerts[0].starts_at", func(b *AlertBatch) { b.Alerts[0].StartsAt = time.Time{} }},
		{"ErrStatus", "alerts[0].status", func(b *AlertBatch) { b.Alerts[0].Status = "pending" }},
		{"ErrLabelsTooLong", "alerts[0].labels", func(b *AlertBatch) {
			// Long values are cut (TestAlertBatchFitsLongAlerts); keys are not.
			b.Alerts[0].Labels = map[string]string{strings.Repeat("x", MaxLabelsLen): "y"}
		}},
		{"ErrResolveFingerprint", "resolve[0].fingerprint", func(b *AlertBatch) { b.Resolve = []AlertEnd{{}} }},
		{"ErrEntriesNeedDeliveryID", "delivery_id", func(b *AlertBatch) { b.DeliveryID = "" }},
		{"ErrEntryText", "entries[0].text", func(b *AlertBatch) { b.Entries[0].Text = "" }},
		{"ErrOpenTitle", "title", func(b *AlertBatch) { b.Open.Title = "" }},
		{"ErrOpenSeverity", "severity", func(b *AlertBatch) { b.Open.Severity = "SEV5" }},
		{"ErrOpenServices", "services", func(b *AlertBatch) {
			for i := range MaxServices + 1 {
				b.Open.Services = append(b.Open.Services, fmt.Sprint(i))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok()
			tc.mutate(b)
			b.Normalize(time.Now())
			err := b.Validate()
			if ErrorCode(err) != EINVALID || ErrorField(err) != tc.field {
				t.Fatalf("error %v (field %q), want invalid %q", err, ErrorField(err), tc.field)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		b := ok()
		b.Normalize(time.Now())
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		if b.Entries[0].Source != SourceWebhook || b.Entries[0].Kind != KindNote {
			t.Errorf("entry defaults %+v", b.Entries[0])
		}
	})
}

// A batch made of a payload is refused naming the payload's field, in
// the error's field and message alike; a field the payload has no name for
// keeps the batch's.
// Times up to MaxClockAhead past the server's clock pass, for clocks that
// drift; a time further ahead is refused, naming the first such field.
func TestAlertBatchCheckClock(t *testing.T) {
	now := time.Date(2024, 1, 25, 12, 0, 0, 0, time.UTC)
	ahead := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	drift := now.Add(MaxClockAhead)
	for _, tc := range []struct {
		name  string
		b     AlertBatch
		field string // "" when the batch passes
	}{
		{"Drift", AlertBatch{Alerts: []Alert{{StartsAt: drift, EndsAt: &drift}}, Resolve: []AlertEnd{{At: drift}},
			AcknowledgedAt: &drift, Entries: []Event{{At: drift}}}, ""},
		{"StartsAt", AlertBatch{Alerts: []Alert{{StartsAt: now}, {StartsAt: *ahead(MaxClockAhead + time.Second)}}}, "alerts[1].starts_at"},
		{"EndsAt", AlertBatch{Alerts: []Alert{{StartsAt: now, EndsAt: ahead(2 * time.Hour)}}}, "alerts[0].ends_at"},
		{"Resolve", AlertBatch{Resolve: []AlertEnd{{At: *ahead(2 * time.Hour)}}}, "resolve[0].at"},
		{"Entry", AlertBatch{Entries: []Event{{At: now}, {At: *ahead(2 * time.Hour)}}}, "entries[1].at"},
		{"AcknowledgedAt", AlertBatch{AcknowledgedAt: ahead(2 * time.Hour)}, "acknowledged_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.CheckClock(now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused within the drift allowed: %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || ErrorField(err) != tc.field {
				t.Fatalf("error %v (field %q), want %s on %s", err, ErrorField(err), EINVALID, tc.field)
			}
		})
	}
}

// How far ahead a time is reads true however far: a time.Duration stops
// at 292 years, and printed one for the year 2999.
func TestAlertBatchCheckClockSays(t *testing.T) {
	now := time.Date(2024, 1, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		says string
	}{
		{now.Add(90 * time.Minute), "starts_at is 1h30m0s ahead"},
		{now.Add(72 * time.Hour), "starts_at is 3 days ahead"},
		{time.Date(2999, 1, 25, 12, 0, 0, 0, time.UTC), "starts_at is 356112 days ahead"},
	} {
		err := (&AlertBatch{Alerts: []Alert{{StartsAt: tc.at}}}).CheckClock(now)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want it to say %q", tc.at, err, tc.says)
		}
	}
}

func TestAlertBatchPayloadField(t *testing.T) {
	payload := map[string]string{"alerts[1].starts_at": "alerts[1].startsAt"}
	late := time.Date(3001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, field, message string
		mutate               func(b *AlertBatch)
	}{
		{"Renamed", "alerts[1].startsAt", "alerts[1].startsAt must be a time from 1970 to 2999", func(b *AlertBatch) { b.Alerts[1].StartsAt = late }},
		{"Kept", "alerts[1].fingerprint", "alerts[1].fingerprint is required", func(b *AlertBatch) { b.Alerts[1].Fingerprint = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
			b := &AlertBatch{Source: "alertmanager", GroupKey: "g", Alerts: []Alert{
				{Fingerprint: "a", Status: AlertFiring, StartsAt: now},
				{Fingerprint: "b", Status: AlertFiring, StartsAt: now}},
				PayloadField: func(field string) string { return payload[field] }}
			tc.mutate(b)
			b.Normalize(now)
			err := b.Validate()
			if ErrorCode(err) != EINVALID || ErrorField(err) != tc.field || ErrorMessage(err) != tc.message {
				t.Fatalf("error %q (field %q), want %q on %q", ErrorMessage(err), ErrorField(err), tc.message, tc.field)
			}
		})
	}
}

func TestAlertEntryText(t *testing.T) {
	a := &Alert{Labels: map[string]string{"instance": "api-1:8080", "job": "api"},
		Annotations: map[string]string{"summary": "p99 above 2s"}}
	for _, tc := range []struct {
		status AlertStatus
		n      int
		sample *Alert
		want   string
	}{
		{AlertFiring, 1, a, "APIHighLatency firing on api-1:8080: p99 above 2s"},
		{AlertResolved, 1, a, "APIHighLatency resolved on api-1:8080"},
		{AlertFiring, 240, a, "APIHighLatency firing on 240 instances"},
		{AlertResolved, 2, nil, "APIHighLatency resolved on 2 instances"},
		{AlertFiring, 1, &Alert{Labels: map[string]string{"job": "api"}}, "APIHighLatency firing on api"},
		{AlertFiring, 1, &Alert{Annotations: map[string]string{"summary": "APIHighLatency"}}, "APIHighLatency firing"},
		{AlertFiring, 1, &Alert{Labels: map[string]string{"instance": "a\x00b"}}, "APIHighLatency firing on ab"},
	} {
		if got := AlertEntryText("APIHighLatency", tc.status, tc.n, tc.sample); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if got := AllAlertsResolvedText(3); got != "All 3 alerts of this incident have resolved" {
		t.Errorf("got %q", got)
	}
}
