package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

func hookFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "webhooks", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return string(b)
}

// newHookEnv is newEnv with a configuration of the test's own; the server
// is closed, and its alert writer with it, when the test ends.
func newHookEnv(t testing.TB, st *store.Store, cfg web.Config) *env {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, store: st, tokens: map[incident.Role]string{}}
	e.server = web.New(st, cfg)
	t.Cleanup(func() {
		if err := e.server.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	for _, r := range []incident.Role{incident.RoleAdmin, incident.RoleEditor, incident.RoleViewer, incident.RoleWebhook} {
		secret, _, err := st.CreateToken(context.Background(), string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = secret
	}
	return e
}

// hook posts body to a webhook endpoint with the given headers.
func (e *env) hook(path, body string, headers map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	return w
}

func (e *env) bearer(role incident.Role) map[string]string {
	return map[string]string{"Authorization": "Bearer " + e.tokens[role]}
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if code != "" {
		var e apiError
		json.Unmarshal(w.Body.Bytes(), &e)
		if e.Error.Code != code {
			t.Fatalf("error code %q, want %q: %s", e.Error.Code, code, w.Body)
		}
	}
}

func ingestResult(t *testing.T, w *httptest.ResponseRecorder) incident.IngestResult {
	t.Helper()
	wantStatus(t, w, 200, "")
	var res incident.IngestResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func rowCount(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	if err := st.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// metricValue returns the value of an unlabelled metric in an exposition,
// or -1 when it is not there.
func metricValue(exposition, name string) float64 {
	for line := range strings.Lines(exposition) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return f
		}
	}
	return -1
}

func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestHooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		t.Run("Alertmanager", func(t *testing.T) {
			body := hookFixture(t, "alertmanager-firing.json")
			res := ingestResult(t, e.hook("/hooks/alertmanager", body, e.bearer(incident.RoleWebhook)))
			if res.Added != 2 || !res.Opened || res.IncidentRef != "INC-1" {
				t.Fatalf("result %+v", res)
			}
			var d incident.Detail
			e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
			if len(d.Alerts) != 2 || len(d.Events) != 1 || d.Events[0].Text != "APIHighLatency firing on 2 instances" ||
				!d.DetectedAt.Equal(time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)) {
				t.Fatalf("incident %+v", d)
			}
			// Alertmanager set up with basic auth sends the token as password.
			req := httptest.NewRequest("POST", "/hooks/alertmanager", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth("alertmanager", e.tokens[incident.RoleWebhook])
			w := httptest.NewRecorder()
			e.server.ServeHTTP(w, req)
			if res := ingestResult(t, w); res.Duplicates != 2 || res.Added != 0 {
				t.Fatalf("re-delivery %+v", res)
			}
			resolved := hookFixture(t, "alertmanager-resolved.json")
			if res := ingestResult(t, e.hook("/hooks/alertmanager", resolved, e.bearer(incident.RoleAdmin))); res.Resolved != 2 {
				t.Fatalf("resolved %+v", res)
			}
		})
		t.Run("Grafana", func(t *testing.T) {
			res := ingestResult(t, e.hook("/hooks/grafana", hookFixture(t, "grafana-firing.json"), e.bearer(incident.RoleWebhook)))
			if res.Added != 1 || res.IncidentRef != "" {
				t.Fatalf("a SEV4 alert opens nothing by default: %+v", res)
			}
		})
		t.Run("PagerDuty", func(t *testing.T) {
			body := hookFixture(t, "pagerduty-incident-triggered.json")
			h := e.bearer(incident.RoleWebhook)
			h["X-Webhook-Id"] = "wh-1"
			if res := ingestResult(t, e.hook("/hooks/pagerduty", body, h)); !res.Opened || res.IncidentRef != "INC-2" {
				t.Fatalf("result %+v", res)
			}
			if res := ingestResult(t, e.hook("/hooks/pagerduty", body, h)); !res.Repeated {
				t.Fatalf("re-delivery %+v", res)
			}
		})
		t.Run("Generic", func(t *testing.T) {
			body := `{"title":"Checkout errors","severity":"critical","service":"checkout","at":"2024-01-25T11:00:00Z"}`
			if res := ingestResult(t, e.hook("/hooks/generic", body, e.bearer(incident.RoleWebhook))); !res.Opened {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("Metrics", func(t *testing.T) {
			w := e.do("", "GET", "/metrics", "")
			// Received: 2+2+2 from Alertmanager, 1 from Grafana, 1+1 from
			// PagerDuty, 1 generic; deduplicated: the repeats of each.
			for _, want := range []string{"hindsight_alerts_received_total 10", "hindsight_alerts_deduplicated_total 3",
				"hindsight_alert_deliveries_refused_total 0", "hindsight_alert_queue_depth 0", "hindsight_alert_batch_deliveries_count",
				"hindsight_alert_batch_seconds_count"} {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
			// Every write waited for a sync of SQLite's log; PostgreSQL
			// syncs its own, which Hindsight cannot time.
			syncs, took := metricValue(w.Body.String(), "hindsight_db_log_syncs_total"), metricValue(w.Body.String(), "hindsight_db_log_sync_seconds_total")
			if sqlite := st.Dialect() == store.SQLite; sqlite && (syncs < 8 || took <= 0) || !sqlite && (syncs != -1 || took != -1) {
				t.Errorf("%s: %v syncs of the log taking %v s", st.Dialect(), syncs, took)
			}
		})
	})
}

func TestHookRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		am := hookFixture(t, "alertmanager-firing.json")
		for _, tc := range []struct {
			name, path, body, contentType string
			role                          incident.Role
			status                        int
			code                          string
		}{
			{"ErrNoToken", "/hooks/alertmanager", am, "application/json", "", 401, "unauthorized"},
			{"ErrViewer", "/hooks/alertmanager", am, "application/json", incident.RoleViewer, 403, "forbidden"},
			{"ErrEditor", "/hooks/generic", `{"title":"x"}`, "application/json", incident.RoleEditor, 403, "forbidden"},
			{"ErrContentType", "/hooks/alertmanager", am, "text/plain", incident.RoleWebhook, 415, "unsupported"},
			{"ErrMalformed", "/hooks/alertmanager", am[:len(am)/2], "application/json", incident.RoleWebhook, 400, "invalid"},
			{"ErrWrongType", "/hooks/generic", `{"title":["x"]}`, "application/json", incident.RoleWebhook, 400, "invalid"},
			{"ErrNoAlerts", "/hooks/alertmanager", `{"version":"4","alerts":[]}`, "application/json", incident.RoleWebhook, 400, "invalid"},
			{"ErrTooLarge", "/hooks/alertmanager", am[:len(am)-1] + `,"pad":"` + strings.Repeat("x", 16<<20) + `"}`, "application/json", incident.RoleWebhook, 413, "too_large"},
			{"ErrPagerDutyMalformed", "/hooks/pagerduty", `{"event":`, "application/json", incident.RoleWebhook, 400, "invalid"},
			{"ErrGrafanaEmpty", "/hooks/grafana", ``, "application/json", incident.RoleWebhook, 400, "invalid"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", tc.contentType)
				if tc.role != "" {
					req.Header.Set("Authorization", "Bearer "+e.tokens[tc.role])
				}
				w := httptest.NewRecorder()
				e.server.ServeHTTP(w, req)
				wantStatus(t, w, tc.status, tc.code)
			})
		}
		// A time that is not one is refused naming its field, in the
		// payload's own words.
		for _, tc := range []struct{ path, body, field string }{
			{"/hooks/alertmanager", strings.Replace(am, `"startsAt":"`, `"startsAt":"yesterday `, 1), "alerts[0].startsAt"},
			{"/hooks/grafana", strings.Replace(hookFixture(t, "grafana-firing.json"), `"endsAt":"`, `"endsAt":"soon `, 1), "alerts[0].endsAt"},
			{"/hooks/generic", `{"title":"x","at":"13:00"}`, "at"},
		} {
			w := e.do(incident.RoleWebhook, "POST", tc.path, tc.body)
			wantStatus(t, w, 400, "invalid")
			if !strings.Contains(w.Body.String(), `"field":"`+tc.field+`"`) {
				t.Errorf("%s: the error does not name %s: %s", tc.path, tc.field, w.Body)
			}
		}
		t.Run("ErrWebhookTokenOnAPI", func(t *testing.T) {
			wantStatus(t, e.do(incident.RoleWebhook, "GET", "/api/v1/incidents", ""), 403, "forbidden")
		})
		for _, table := range []string{"alerts", "incidents", "alert_groups", "events"} {
			if n := rowCount(t, st, table); n != 0 {
				t.Errorf("refused requests stored %d rows in %s", n, table)
			}
		}
	})
}

// TestHookRefusalsNameSentFields: a payload refused with 400 names the
// field the sender sent, whichever check refused it (the adapter's, or the
// store's checks of the alerts made of it), and stores nothing.
func TestHookRefusalsNameSentFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		long := strings.Repeat("x", 201)
		// group is a notification of Alertmanager's format; alert is one
		// of its alerts.
		alert := func(startsAt, labels string) string {
			return `{"status":"firing","labels":{"alertname":"A",` + labels + `},"startsAt":"` + startsAt + `","fingerprint":"f` + startsAt[:4] + `"}`
		}
		group := func(groupKey string, alerts ...string) string {
			return `{"version":"4","groupKey":"` + groupKey + `","status":"firing","receiver":"r","alerts":[` + strings.Join(alerts, ",") + `]}`
		}
		ok := alert("2024-01-25T10:00:00Z", `"severity":"critical"`)
		// pd is a PagerDuty event; data the fields of its incident.
		pd := func(eventType, eventID, occurredAt, data string) string {
			return `{"event":{"id":"` + eventID + `","event_type":"` + eventType + `","occurred_at":"` + occurredAt + `","data":{` + data + `}}}`
		}
		const at = "2024-01-25T10:05:00Z"
		incidentData := `"id":"P1","title":"Checkout down","urgency":"high","created_at":"2024-01-25T10:00:00Z"`
		for _, tc := range []struct {
			name, path, body, webhookID, field string
		}{
			{"GenericFutureAt", "/hooks/generic", `{"title":"x","severity":"critical","at":"3001-01-01T00:00:00Z"}`, "", "at"},
			{"GenericResolvedPastAt", "/hooks/generic", `{"title":"x","status":"resolved","at":"1960-01-01T00:00:00Z"}`, "", "at"},
			{"GenericLongFingerprint", "/hooks/generic", `{"title":"x","fingerprint":"` + long + `"}`, "", "fingerprint"},
			{"GenericNULTitle", "/hooks/generic", `{"title":"a\u0000b","severity":"critical"}`, "", "title"},
			{"AlertmanagerFutureStartsAt", "/hooks/alertmanager", group("g", ok, alert("3001-01-01T00:00:00Z", `"severity":"critical"`)), "", "alerts[1].startsAt"},
			{"AlertmanagerLongGroupKey", "/hooks/alertmanager", group(strings.Repeat("k", 2001), ok), "", "groupKey"},
			{"AlertmanagerFractionalInteger", "/hooks/alertmanager", `{"truncatedAlerts":1.5,"alerts":[` + ok + `]}`, "", "truncatedAlerts"},
			{"AlertmanagerLabelNotString", "/hooks/alertmanager", group("g", alert("2024-01-25T10:00:00Z", `"severity":2`)), "", "alerts[0].labels.severity"},
			{"AlertmanagerAlertNotObject", "/hooks/alertmanager", `{"alerts":["x"]}`, "", "alerts[0]"},
			{"GrafanaFutureStartsAt", "/hooks/grafana", group("g", alert("3001-01-01T00:00:00Z", `"severity":"critical"`)), "", "alerts[0].startsAt"},
			{"GrafanaLongGroupKey", "/hooks/grafana", group(strings.Repeat("k", 2001), ok), "", "groupKey"},
			{"PagerDutyPastCreatedAt", "/hooks/pagerduty", pd("incident.triggered", "E1", at, `"id":"P1","title":"x","created_at":"1960-01-01T00:00:00Z"`), "wh-1", "event.data.created_at"},
			{"PagerDutyPastOccurredAt", "/hooks/pagerduty", pd("incident.triggered", "E1", "1960-01-01T00:00:00Z", `"id":"P1","title":"x"`), "wh-1", "event.occurred_at"},
			{"PagerDutyResolvedFutureOccurredAt", "/hooks/pagerduty", pd("incident.resolved", "E1", "9999-01-01T00:00:00Z", incidentData), "wh-1", "event.occurred_at"},
			{"PagerDutyAnnotatedFutureOccurredAt", "/hooks/pagerduty", pd("incident.annotated", "E1", "3000-01-01T00:00:00Z", `"content":"note","incident":{"id":"P1"}`), "wh-1", "event.occurred_at"},
			{"PagerDutyLongIncidentID", "/hooks/pagerduty", pd("incident.triggered", "E1", at, `"id":"`+long+`","title":"x"`), "wh-1", "event.data.id"},
			{"PagerDutyNULIncidentID", "/hooks/pagerduty", pd("incident.triggered", "E1", at, `"id":"P\u00001","title":"x"`), "wh-1", "event.data.id"},
			{"PagerDutyLongEventID", "/hooks/pagerduty", pd("incident.triggered", long, at, incidentData), "wh-1", "event.id"},
			{"PagerDutyLongWebhookID", "/hooks/pagerduty", pd("incident.triggered", "E1", at, incidentData), long, "X-Webhook-Id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				headers := e.bearer(incident.RoleWebhook)
				if tc.webhookID != "" {
					headers["X-Webhook-Id"] = tc.webhookID
				}
				w := e.hook(tc.path, tc.body, headers)
				wantStatus(t, w, 400, "invalid")
				var got apiError
				json.Unmarshal(w.Body.Bytes(), &got)
				if got.Error.Field != tc.field || !strings.HasPrefix(got.Error.Message, tc.field+" ") {
					t.Errorf("error %+v, want one about %s", got.Error, tc.field)
				}
			})
		}
		for _, table := range []string{"alerts", "incidents", "alert_groups", "events"} {
			if n := rowCount(t, st, table); n != 0 {
				t.Errorf("refused requests stored %d rows in %s", n, table)
			}
		}
	})
}

func TestHookSignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2024, 1, 25, 10, 5, 0, 0, time.UTC)
		e := newHookEnv(t, st, web.Config{GrafanaSecret: "g-secret", PagerDutySecret: "pd-new",
			Now: func() time.Time { return now }})
		grafana := hookFixture(t, "grafana-firing.json")
		pd := hookFixture(t, "pagerduty-incident-triggered.json")
		sig := map[string]string{"X-Grafana-Alerting-Signature": hmacHex("g-secret", grafana)}

		t.Run("ErrGrafanaBadSignature", func(t *testing.T) {
			wantStatus(t, e.hook("/hooks/grafana", grafana, map[string]string{"X-Grafana-Alerting-Signature": hmacHex("other", grafana)}), 401, "unauthorized")
		})
		t.Run("ErrGrafanaUnsigned", func(t *testing.T) {
			// A token does not stand in for the signature a secret asks for.
			wantStatus(t, e.hook("/hooks/grafana", grafana, e.bearer(incident.RoleWebhook)), 401, "unauthorized")
		})
		t.Run("ErrGrafanaSignedBadToken", func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer hst_nope"}
			for k, v := range sig {
				h[k] = v
			}
			wantStatus(t, e.hook("/hooks/grafana", grafana, h), 401, "unauthorized")
		})
		t.Run("ErrGrafanaOldTimestamp", func(t *testing.T) {
			stamp := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
			wantStatus(t, e.hook("/hooks/grafana", grafana, map[string]string{
				"X-Grafana-Alerting-Signature":           hmacHex("g-secret", stamp+":"+grafana),
				"X-Grafana-Alerting-Signature-Timestamp": stamp}), 401, "unauthorized")
		})
		t.Run("ErrPagerDutyBadSignature", func(t *testing.T) {
			wantStatus(t, e.hook("/hooks/pagerduty", pd, map[string]string{"X-PagerDuty-Signature": "v1=" + hmacHex("pd-old", pd)}), 401, "unauthorized")
		})
		t.Run("ErrAlertmanagerNeedsToken", func(t *testing.T) {
			wantStatus(t, e.hook("/hooks/alertmanager", hookFixture(t, "alertmanager-firing.json"), nil), 401, "unauthorized")
		})
		if n := rowCount(t, st, "alerts"); n != 0 {
			t.Fatalf("refused requests stored %d alerts", n)
		}

		t.Run("GrafanaSigned", func(t *testing.T) {
			if res := ingestResult(t, e.hook("/hooks/grafana", grafana, sig)); res.Added != 1 {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("GrafanaSignedWithTimestamp", func(t *testing.T) {
			stamp := strconv.FormatInt(now.Unix(), 10)
			ingestResult(t, e.hook("/hooks/grafana", grafana, map[string]string{
				"X-Grafana-Alerting-Signature": hmacHex("g-secret", stamp+":"+grafana),
				"X-Grafana-Alerting-Timestamp": stamp}))
		})
		t.Run("GrafanaSignedPut", func(t *testing.T) {
			// A contact point may send with PUT instead of POST.
			req := httptest.NewRequest("PUT", "/hooks/grafana", strings.NewReader(grafana))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Grafana-Alerting-Signature", hmacHex("g-secret", grafana))
			w := httptest.NewRecorder()
			e.server.ServeHTTP(w, req)
			ingestResult(t, w)
		})
		t.Run("GrafanaSignedUnderTheOtherName", func(t *testing.T) {
			// A contact point that names no header: some versions of
			// Grafana's signer then send this one.
			ingestResult(t, e.hook("/hooks/grafana", grafana, map[string]string{
				"X-Grafana-Alert-Signature": hmacHex("g-secret", grafana)}))
		})
		t.Run("GrafanaSignedUnderConfiguredNames", func(t *testing.T) {
			// A contact point that names its own headers, as Hindsight is
			// told to read them.
			e := newHookEnv(t, st, web.Config{GrafanaSecret: "g-secret", Now: func() time.Time { return now },
				GrafanaSignatureHeader: "X-Hook-Signature", GrafanaTimestampHeader: "X-Hook-Time"})
			stamp := strconv.FormatInt(now.Unix(), 10)
			signed := map[string]string{"X-Hook-Signature": hmacHex("g-secret", stamp+":"+grafana), "X-Hook-Time": stamp}
			ingestResult(t, e.hook("/hooks/grafana", grafana, signed))
			old := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
			wantStatus(t, e.hook("/hooks/grafana", grafana, map[string]string{
				"X-Hook-Signature": hmacHex("g-secret", old+":"+grafana), "X-Hook-Time": old}), 401, "unauthorized")
		})
		t.Run("PagerDutyRotating", func(t *testing.T) {
			h := map[string]string{"X-PagerDuty-Signature": "v1=" + hmacHex("pd-old", pd) + ",v1=" + hmacHex("pd-new", pd), "X-Webhook-Id": "wh-9"}
			if res := ingestResult(t, e.hook("/hooks/pagerduty", pd, h)); !res.Opened {
				t.Fatalf("result %+v", res)
			}
			log, err := st.AuditLog(context.Background(), "INC-1")
			if err != nil || len(log) == 0 || log[0].Actor != "signed:pagerduty" {
				t.Fatalf("audit %+v (%v)", log, err)
			}
		})
	})
}

func TestHookQueueFull(t *testing.T) {
	st := storetest.SQLite(t)
	release := make(chan struct{})
	var once sync.Once
	w := store.NewAlertWriter(st, store.AlertWriterConfig{QueueLen: 1, MaxBatch: 1, OnBatch: func(int, time.Duration) {
		once.Do(func() { <-release })
	}})
	e := newHookEnv(t, st, web.Config{AlertWriter: w})
	post := func(i int) *httptest.ResponseRecorder {
		return e.hook("/hooks/generic", fmt.Sprintf(`{"title":"Alert %d","severity":"critical"}`, i), e.bearer(incident.RoleWebhook))
	}
	ingestResult(t, post(1)) // the writer now waits in OnBatch
	queued := make(chan *httptest.ResponseRecorder, 1)
	go func() { queued <- post(2) }()
	for deadline := time.Now().Add(5 * time.Second); w.QueueDepth() < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second delivery never queued")
		}
	}
	full := post(3)
	wantStatus(t, full, 503, "unavailable")
	if full.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	close(release)
	ingestResult(t, <-queued)
	if n := rowCount(t, st, "alerts"); n != 2 {
		t.Errorf("%d alerts stored, want the 2 accepted", n)
	}
}

// 50 Alertmanager notifications of one growing group at once: each alert
// is stored once and the timeline has one entry.
func TestHookConcurrentSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		var p map[string]any
		json.Unmarshal([]byte(hookFixture(t, "alertmanager-firing.json")), &p)
		template := p["alerts"].([]any)[0].(map[string]any)
		all := make([]any, 60)
		for i := range all {
			a := map[string]any{}
			for k, v := range template {
				a[k] = v
			}
			a["fingerprint"] = fmt.Sprintf("fp%02d", i)
			a["startsAt"] = time.Date(2024, 1, 25, 10, 0, i, 0, time.UTC).Format(time.RFC3339)
			a["labels"] = map[string]any{"alertname": "APIHighLatency", "instance": fmt.Sprintf("api-%d", i), "severity": "critical"}
			all[i] = a
		}
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				q := map[string]any{}
				for k, v := range p {
					q[k] = v
				}
				q["alerts"] = all[i/5 : i/5+10+i%10]
				body, _ := json.Marshal(q)
				req := httptest.NewRequest("POST", "/hooks/alertmanager", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleWebhook])
				w := httptest.NewRecorder()
				e.server.ServeHTTP(w, req)
				if w.Code != 200 {
					t.Errorf("status %d: %s", w.Code, w.Body)
				}
			})
		}
		wg.Wait()
		var d incident.Detail
		e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
		// Snapshot i holds alerts i/5 up to i/5+10+i%10, excluded: at most 9+10+9.
		if n := rowCount(t, st, "alerts"); n != 28 || len(d.Alerts) != 28 {
			t.Fatalf("%d alerts stored, %d on INC-1, want 28", n, len(d.Alerts))
		}
		if n := rowCount(t, st, "incidents"); n != 1 {
			t.Fatalf("%d incidents", n)
		}
		if len(d.Events) != 1 || d.Events[0].Text != "APIHighLatency firing on 28 instances" {
			t.Fatalf("timeline %+v", d.Events)
		}
	})
}

// TestHookLogLevels: during a storm the log is not flooded with deliveries
// that were taken (they are counted in /metrics), while a refused delivery
// and every other request still show at info level.
func TestHookLogLevels(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			var logs syncBuffer
			e := newEnv(t, storetest.SQLite(t))
			e.server = web.New(e.store, web.Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))})
			taken := e.do(incident.RoleWebhook, "POST", "/hooks/generic", `{"title":"Disk full"}`)
			refused := e.do(incident.RoleViewer, "POST", "/hooks/generic", `{"title":"Disk full"}`)
			listed := e.do(incident.RoleViewer, "GET", "/api/v1/incidents", "")
			if taken.Code != 200 || refused.Code != 403 || listed.Code != 200 {
				t.Fatalf("statuses %d, %d, %d; want 200, 403, 200", taken.Code, refused.Code, listed.Code)
			}
			out := logs.String()
			wantTaken := level == slog.LevelDebug
			if got := strings.Contains(out, "route=/hooks/generic status=200"); got != wantTaken {
				t.Errorf("a delivery taken logged at %s: %v, want %v:\n%s", level, got, wantTaken, out)
			}
			if !strings.Contains(out, "route=/hooks/generic status=403") {
				t.Errorf("a refused delivery is not logged:\n%s", out)
			}
			if !strings.Contains(out, "route=/api/v1/incidents status=200") {
				t.Errorf("an API request is not logged:\n%s", out)
			}
		})
	}
}
