package alerts_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
)

// Fuzz targets for the webhook adapters: whatever a sender posts, an
// adapter answers a batch or a domain error (a 400), never panics, and
// every batch it builds passes the store's checks or fails them with a
// 400 too. `make fuzz` runs each briefly; crashers found are kept under
// testdata/fuzz as regression cases.

// seedFixtures adds every sample payload of ../shared/fixtures/webhooks to
// the corpus, with a few hostile variants of the first.
func seedFixtures(f *testing.F) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "webhooks", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixtures in ../shared/fixtures/webhooks: %v", err)
	}
	var seeds [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	seeds = append(seeds, []byte(``), []byte(`null`), []byte(`[]`), []byte(`{}`), []byte(`"x"`),
		[]byte(`{"alerts":[{}]}`), []byte(`{"alerts":null,"status":7}`),
		[]byte(`{"alerts":[{"status":"firing","startsAt":"0000-01-01T00:00:00Z","labels":{"alertname":"\u0000"}}]}`),
		[]byte(`{"alerts":[{"status":"resolved","startsAt":"9999-12-31T23:59:59.999999999+23:59","endsAt":"0001-01-01T00:00:00Z"}]}`),
		[]byte(`{"event":{"event_type":"incident.triggered","data":{"id":"P1","created_at":"2024-01-25T10:00:00Z"}}}`),
		[]byte(`{"event":{"event_type":"incident.annotated","occurred_at":"2024-01-25T10:00:00Z","data":{"incident":{"id":"P1"},"content":"\u0000"}}}`),
		[]byte(`{"title":"\ud800","at":"2024-01-25T10:00:00-00:00","status":"RESOLVED"}`))
	return seeds
}

// checkParsed holds the properties every adapter keeps.
func checkParsed(t *testing.T, b *incident.AlertBatch, err error) {
	t.Helper()
	if err != nil {
		if b != nil {
			t.Fatalf("a batch and an error: %+v, %v", b, err)
		}
		if code := incident.ErrorCode(err); code != incident.EINVALID {
			t.Fatalf("error of code %q, want %q (a 400): %v", code, incident.EINVALID, err)
		}
		return
	}
	if b == nil {
		t.Fatal("no batch and no error")
	}
	b.Normalize(time.Date(2024, 1, 25, 12, 0, 0, 0, time.UTC))
	invalid := b.Validate()
	if invalid != nil && incident.ErrorCode(invalid) != incident.EINVALID {
		t.Fatalf("batch check failed with code %q: %v", incident.ErrorCode(invalid), invalid)
	}
	if b.Open != nil && !b.Open.Severity.Valid() {
		t.Fatalf("opens an incident of severity %q", b.Open.Severity)
	}
	for _, a := range b.Alerts {
		if a.Status != incident.AlertFiring && a.Status != incident.AlertResolved {
			t.Fatalf("alert status %q", a.Status)
		}
		if a.EndsAt != nil && a.EndsAt.Before(a.StartsAt) {
			t.Fatalf("alert ends %v before it starts %v", a.EndsAt, a.StartsAt)
		}
	}
	// One the store refuses goes no further (a time of the year 0, in a
	// zone east of UTC, is of the year -1, which JSON cannot write).
	if _, err := json.Marshal(b); invalid == nil && err != nil {
		t.Fatalf("batch does not encode: %v", err)
	}
}

func FuzzParseAlertmanager(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		checkParsed(t, b, err)
	})
}

func FuzzParseGrafana(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := alerts.ParseGrafana(body, alerts.Rules{OpenAt: incident.SEV4})
		checkParsed(t, b, err)
	})
}

func FuzzParsePagerDuty(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s, "")
		f.Add(s, "01DEV3ABCDEFG")
	}
	f.Fuzz(func(t *testing.T, body []byte, webhookID string) {
		b, err := alerts.ParsePagerDuty(body, webhookID, alerts.Rules{})
		checkParsed(t, b, err)
		if err == nil && b.DeliveryID == "" {
			t.Fatal("a PagerDuty batch without a delivery id could not be recognised when sent again")
		}
	})
}

func FuzzParseGeneric(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"title":"Nightly backup failed","severity":"error","service":"backup","text":"exit status 1"}`))
	f.Add([]byte(`{"title":"Nightly backup failed","service":"backup","status":"resolved","at":"2024-01-25T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := alerts.ParseGeneric(body, time.Date(2024, 1, 25, 12, 0, 0, 0, time.UTC), alerts.Rules{})
		checkParsed(t, b, err)
	})
}

// FuzzVerifyGrafanaSignature: no header or timestamp a sender makes up
// passes or crashes the check, and the right signature always passes.
func FuzzVerifyGrafanaSignature(f *testing.F) {
	now := time.Date(2024, 1, 25, 12, 0, 0, 0, time.UTC)
	for _, s := range seedFixtures(f) {
		f.Add(s, "", "")
		f.Add(s, "00", strconv.FormatInt(now.Unix(), 10))
	}
	f.Add([]byte("{}"), "zz", "-9223372036854775808")
	f.Add([]byte("{}"), "", " +1706184000 ")
	f.Fuzz(func(t *testing.T, body []byte, sig, stamp string) {
		const secret = "s3cret"
		ts := strings.TrimSpace(stamp)
		mac := hmac.New(sha256.New, []byte(secret))
		if ts != "" {
			mac.Write([]byte(ts + ":"))
		}
		mac.Write(body)
		right := mac.Sum(nil)
		err := alerts.VerifyGrafanaSignature(secret, body, sig, stamp, now)
		if err != nil && incident.ErrorCode(err) != incident.EUNAUTHORIZED {
			t.Fatalf("error of code %q: %v", incident.ErrorCode(err), err)
		}
		if got, herr := hex.DecodeString(strings.TrimSpace(sig)); err == nil && (herr != nil || !hmac.Equal(got, right)) {
			t.Fatalf("signature %q passed; the right one is %x", sig, right)
		}
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if ts == "" || perr == nil && time.Unix(sec, 0).Sub(now).Abs() <= alerts.MaxSignatureAge {
			if err := alerts.VerifyGrafanaSignature(secret, body, hex.EncodeToString(right), stamp, now); err != nil {
				t.Fatalf("the right signature failed with timestamp %q: %v", stamp, err)
			}
		}
	})
}

// FuzzVerifyPagerDutySignature: PagerDuty's header holds several values
// while secrets rotate; no made-up header passes, the right value passes
// wherever it stands.
func FuzzVerifyPagerDutySignature(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s, "v1=00")
	}
	f.Add([]byte("{}"), "")
	f.Add([]byte("{}"), ",,v1=,v0=ab, v1=zz")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		const secret = "s3cret"
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		right := mac.Sum(nil)
		err := alerts.VerifyPagerDutySignature(secret, body, header)
		if err != nil && incident.ErrorCode(err) != incident.EUNAUTHORIZED {
			t.Fatalf("error of code %q: %v", incident.ErrorCode(err), err)
		}
		if err == nil && !holdsSignature(header, right) {
			t.Fatalf("header %q passed; the right value is v1=%x", header, right)
		}
		if err := alerts.VerifyPagerDutySignature(secret, body, header+",v1="+hex.EncodeToString(right)); err != nil {
			t.Fatalf("the right signature after %q failed: %v", header, err)
		}
	})
}

// holdsSignature reports whether one of the header's comma-separated
// values is v1= with the right MAC.
func holdsSignature(header string, right []byte) bool {
	for _, v := range strings.Split(header, ",") {
		if sig, ok := strings.CutPrefix(strings.TrimSpace(v), "v1="); ok {
			if got, err := hex.DecodeString(sig); err == nil && hmac.Equal(got, right) {
				return true
			}
		}
	}
	return false
}

// FuzzFastDecode holds decodeJSON's fast decoder to encoding/json: for
// every payload type, whatever go-json accepts of the bodies decodeJSON
// gives it, encoding/json accepts too and reads the same way. Where go-json refuses, decodeJSON asks
// encoding/json, so refusing more is allowed; accepting more or reading
// differently is not.
func FuzzFastDecode(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s)
	}
	for _, s := range []string{
		`{"alerts":[{"labels":{"a":"\ud800x","A":"\u00e9"},"startsAt":"2024-01-25T10:00:00Z"}],"STATUS":"firing"}`,
		`{"alerts":[{"labels":{"a":"1","a":"2"}}],"alerts":[]}`,
		`{"groupKey":"{}:{alertname=\"X\"}","truncatedAlerts":1e2,"alerts":null,"orgId":2}`,
		`{"title":"x","at":"2024-01-25T10:00:00.123456789+01:00","labels":null,"severity":"SEV1"}`,
		`{"status":"firing","alerts":[{"startsAt":"2024-01-25T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","values":{"A":1.5}}]}`,
		`{"":"\0"}`,
		`{"ſtatus":"firing","alerts":[]}`,
		`{"\u017ftatus":"firing","\u0073tatus":"resolved","alerts":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !alerts.FastDecodable(body) {
			return // decodeJSON leaves those to encoding/json
		}
		for _, newValue := range alerts.PayloadTypes {
			fast, std := newValue(), newValue()
			if gojson.Unmarshal(body, fast) != nil {
				continue
			}
			if err := json.Unmarshal(body, std); err != nil {
				t.Fatalf("%T: go-json accepts what encoding/json refuses (%v): %q", fast, err, body)
			}
			if !reflect.DeepEqual(fast, std) {
				t.Fatalf("%T: go-json reads %+v, encoding/json %+v: %q", fast, fast, std, body)
			}
		}
	})
}

// FuzzValuePath holds valuePath to encoding/json: where encoding/json
// refuses a value of the wrong type, valuePath names it, and without its
// indexes the name is the one encoding/json gives, or that and a label's
// key.
func FuzzValuePath(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s)
	}
	for _, s := range []string{
		`{"alerts":[{"labels":{"a":"b"}},{"labels":{"x":"y","severity":2}}]}`,
		`{"alerts" : [ {} , "x" ] }`,
		`{"truncatedAlerts":1.5}`,
		`{"Alerts":[{"Labels":[1]}],"\u0061lerts":[{"labels":{"\u00e9":{}}}]}`,
		`{"event":{"id":7,"data":{"id":"P1"}}}`,
		`{"title":"x","at":["2024-01-25T10:00:00Z"]}`,
	} {
		f.Add([]byte(s))
	}
	indexes := regexp.MustCompile(`\[[0-9]+\]`)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newValue := range alerts.PayloadTypes {
			var te *json.UnmarshalTypeError
			if !errors.As(json.Unmarshal(body, newValue()), &te) || te.Field == "" {
				continue
			}
			path := alerts.ValuePath(body, te.Offset)
			// Go 1.26's encoding/json names no element by its index, nor
			// a label by its key ("alerts.labels"); Go 1.27's does, with
			// "~" and "/" escaped as in a JSON pointer
			// ("alerts.1.labels.severity").
			undotted := indexes.ReplaceAllString(path, "")
			dotted := indexes.ReplaceAllStringFunc(path, func(i string) string { return "." + i[1:len(i)-1] })
			if !namesField(undotted, te.Field) && !namesField(dotted, pointerUnescaper.Replace(te.Field)) {
				t.Fatalf("valuePath names %q where encoding/json refuses %s (%v): %q", path, te.Field, te, body)
			}
		}
	})
}

var pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")

// namesField reports whether path begins with field, compared as
// encoding/json compares names: a label's key after it may hold dots.
func namesField(path, field string) bool {
	got, want := strings.Split(path, "."), strings.Split(field, ".")
	if len(got) < len(want) {
		return false
	}
	for i := range want {
		if !strings.EqualFold(got[i], want[i]) {
			return false
		}
	}
	return true
}

// The senders' real payloads take the fast decoder: escapes in values
// (Alertmanager's group keys, Go's \u003c for "<") are fine.
func TestFixturesDecodeFast(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "webhooks", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !alerts.FastDecodable(b) {
			t.Errorf("%s does not take the fast decoder", filepath.Base(p))
		}
	}
	if !alerts.FastDecodable([]byte(`{"groupKey":"{}:{alertname=\"A\"}","commonAnnotations":{"summary":"p99 \u003e 2s"}}`)) {
		t.Error("escapes in values send a payload to the slow decoder")
	}
}
