package web

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// decodeTargets are the types the API decodes request bodies into.
var decodeTargets = []func() any{
	func() any { return new(incidentInput) },
	func() any { return new(incident.Patch) },
	func() any { return new(eventInput) },
	func() any { return new(incident.EventPatch) },
	func() any { return new(rootCauseInput) },
	func() any { return new(taskInput) },
	func() any { return new(incident.TaskPatch) },
	func() any { return new(tokenInput) },
	func() any { return new(userInput) },
}

// FuzzDecodeStrict: whatever a client sends, the strict decoder answers
// nil or a 400 naming what is wrong, never panics, and accepts only a JSON
// object whose every key is a field of the target.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{"title":"API server overloaded","severity":"SEV2","services":["api"],"started_at":"2024-01-25T10:00:00Z"}`,
		`{"version":1,"status":"resolved","resolved_at":null,"mitigated_at":"2024-01-25T13:00:00+01:00"}`,
		`{"at":"2024-01-25T12:00:00Z","kind":"root_cause","text":"misconfigured cache","highlight":true}`,
		`{"description":"Cache misconfiguration","category":"configuration","primary":true,"evidence":[1,2]}`,
		`{"title":"Validate cache settings","owner":"ana","due_at":"2024-02-15T00:00:00Z","root_cause_id":1,"priority":"P1"}`,
		`{"status":"done","due_at":null,"external_url":"https://tracker.example.com/T-1"}`,
		`{"name":"ci","role":"editor"}`, `{"email":"a@b.c","role":"viewer","password":"correct horse battery"}`,
		``, ` `, `null`, `[]`, `{}`, `{"title":1}`, `{"Title":"x"}`, `{"title":"x","title":"y"}`, `{"version":1e400}`,
		`{"started_at":"10:00"}`, `{"evidence":[-1,1.5]}`, `{"services":[null]}`, `{"due_at":"0000-01-01T00:00:00Z"}`,
		`{"at":"9999-12-31T23:59:59.999999999-23:59"}`, `{"text":"\ud800\u0000"}`, `{"":{}}`, `{"title":"x"}garbage`,
	} {
		for i := range decodeTargets {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		dst := decodeTargets[int(which)%len(decodeTargets)]()
		err := decodeStrict(body, dst)
		if err != nil {
			if code := incident.ErrorCode(err); code != incident.EINVALID {
				t.Fatalf("%T: error of code %q: %v", dst, code, err)
			}
			if incident.ErrorMessage(err) == "" {
				t.Fatalf("%T: error without a message", dst)
			}
			return
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
			t.Fatalf("%T: accepted %q, which is not a JSON object", dst, body)
		}
		known := jsonFields(reflect.TypeOf(dst).Elem())
		for name := range fields {
			if _, ok := known[name]; !ok {
				t.Fatalf("%T: accepted the unknown field %q", dst, name)
			}
		}
	})
}

// FuzzStatsRange: the from and to of /api/v1/stats are dates or RFC 3339
// times of any year a client types; the figures are computed or refused
// with a 400, never a panic or a runaway loop.
func FuzzStatsRange(f *testing.F) {
	for _, s := range [][2]string{
		{"2024-01-01", "2024-06-30"}, {"2024-01-01T00:00:00Z", ""}, {"", "2024-03-31"},
		{"0000-01-01", "9999-12-31"}, {"2024-02-30", "2024-13-01"}, {"2024-01-01T10:00:00+25:00", "x"},
		{"2024-03-31", "2024-03-31"}, {"1970-01-01T00:00:00.000000001Z", "1970-01-01T00:00:00Z"},
		{"", "9999-12-31T23:59:59-23:59"}, {"0000-01-01T00:00:00+23:59", ""},
	} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, from, to string) {
		q := url.Values{}
		if from != "" {
			q.Set("from", from)
		}
		if to != "" {
			q.Set("to", to)
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/api/v1/stats?"+q.Encode(), nil)
		f, tt, err := statsRange(c, now)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID {
				t.Fatalf("error of code %q: %v", incident.ErrorCode(err), err)
			}
			return
		}
		if tt.Location() != time.UTC || f != nil && (f.Location() != time.UTC || !f.Before(tt)) {
			t.Fatalf("range %v to %v", f, tt)
		}
		r, err := incident.ComputeReport(incident.StatsData{}, f, tt, now)
		if err != nil {
			if code := incident.ErrorCode(err); code != incident.EINVALID && code != incident.EUNPROCESSABLE {
				t.Fatalf("report: error of code %q: %v", code, err)
			}
			return
		}
		if len(r.ByMonth) > 1200 {
			t.Fatalf("%d months", len(r.ByMonth))
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("report does not encode: %v", err)
		}
	})
}

// FuzzICalText: task titles and owners, which imports and webhooks fill,
// go into the calendar feed. Whatever they hold, the feed's lines stay
// within 75 octets, hold no bare line break (which would start a property
// of the attacker's choosing) and unfold to the escaped text.
func FuzzICalText(f *testing.F) {
	for _, s := range []string{"Validate cache settings", "a;b,c\\d", "x\r\nBEGIN:VEVENT\r\nSUMMARY:evil", "\r\r\n\n",
		strings.Repeat("é", 100), strings.Repeat("a", 74) + "€", "\x00\x07\x7f\t", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var w icalWriter
		w.text("SUMMARY", s)
		out := w.buf.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("%q does not end the line", out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		var unfolded strings.Builder
		for i, l := range lines {
			if len(l) > maxLineOctets {
				t.Fatalf("line of %d octets: %q", len(l), l)
			}
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("bare line break in %q", l)
			}
			if i > 0 {
				if !strings.HasPrefix(l, " ") {
					t.Fatalf("continuation line %q does not start with a space", l)
				}
				l = l[1:]
			}
			unfolded.WriteString(l)
		}
		if got, want := unfolded.String(), "SUMMARY:"+icalEscape(s); got != want {
			t.Fatalf("unfolds to %q, want %q", got, want)
		}
	})
}

// FuzzParseWhen: the times people type into the pages ("10:15", "-5m",
// "2024-01-25 10:15", RFC 3339). Whatever they type is read or refused
// with a 400; a time read prints, as the entry editor shows it, in a form
// that reads back to the same second.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"", "now", "NOW", "10:15", "9:05", "23:59:59", "-5m", "-1h30m", "- 90 s", "--5m", "-9223372036854775808ns",
		"2024-01-25 10:15", "2024-01-25T10:15:30", "2024-01-25T10:15:30+05:30", "9999-12-31T23:59:59-23:59", "24:00", "2024-02-30 10:00",
		"2024-03-31 02:30", "2024-10-27 02:30:00"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	zones := []*time.Location{time.UTC, time.FixedZone("IST", 5*3600+1800), berlin}
	now := time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string, zone uint8) {
		loc := zones[int(zone)%len(zones)]
		at, err := parseWhen("at", s, now, loc)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID || incident.ErrorField(err) != "at" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if loc == berlin || at.Before(incident.MinTime) || !at.Before(incident.MaxTime) {
			return // daylight saving makes some local times ambiguous; out of range is the store's to refuse
		}
		shown := entryTime(at, loc)
		again, err := parseWhen("at", shown, now, loc)
		if err != nil || !again.Equal(at.Truncate(time.Second)) {
			t.Fatalf("%q read as %v, shown as %q, read back as %v, %v", s, at, shown, again, err)
		}
	})
}
