// Package alerts turns the webhook payloads of alerting systems
// (Prometheus Alertmanager, Grafana, PagerDuty, and a small generic format)
// into alert batches, and holds the rules that map alerts onto incidents:
// which severity a label means, what the incident is called, which alerts
// are serious enough to open one. It checks the senders' signatures too.
// The store applies the batches; nothing here touches the database.
package alerts

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"hindsight/internal/incident"
)

// Sources, as stored with each alert.
const (
	SourceAlertmanager = "alertmanager"
	SourceGrafana      = "grafana"
	SourcePagerDuty    = "pagerduty"
	SourceGeneric      = "generic"
)

// DefaultOpenAt is the least severe severity that opens an incident when
// nobody says otherwise: warnings page nobody, so they open nothing.
const DefaultOpenAt = incident.SEV3

// Rules say how alerts map onto incidents.
type Rules struct {
	// OpenAt is the least severe severity that opens an incident (the
	// --open-at flag). Less severe alerts are stored unattached, unless
	// their group already feeds an open incident. Empty means DefaultOpenAt.
	OpenAt incident.Severity
}

// Opens reports whether alerts of severity s open an incident.
func (r Rules) Opens(s incident.Severity) bool {
	at := r.OpenAt
	if !at.Valid() {
		at = DefaultOpenAt
	}
	return s.Valid() && s.Rank() <= at.Rank()
}

// SeverityFromLabel maps the value of a `severity` label onto an incident
// severity: critical is SEV1, error and high SEV2, warning SEV3, anything
// else SEV4. "SEV1" to "SEV4" mean themselves.
func SeverityFromLabel(v string) incident.Severity {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "critical":
		return incident.SEV1
	case "error", "high":
		return incident.SEV2
	case "warning":
		return incident.SEV3
	}
	if s := incident.Severity(strings.ToUpper(v)); s.Valid() {
		return s
	}
	return incident.SEV4
}

// LabelsFingerprint identifies an alert by its labels, for senders that
// send no fingerprint: the same labels give the same fingerprint.
func LabelsFingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0xff})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0xff})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// incidentFor returns the incident a group of alerts opens, or nil when
// the most severe of its firing alerts (of all, when none fires) is below
// the open-at threshold. common holds the group's common labels and
// annotations when the sender says them.
func (r Rules) incidentFor(alerts []incident.Alert, commonLabels, commonAnnotations map[string]string) *incident.Incident {
	lead := leadAlert(alerts)
	if lead == nil {
		return nil
	}
	sev := SeverityFromLabel(lead.Labels["severity"])
	if !r.Opens(sev) {
		return nil
	}
	// A summary all alerts share names the group; one alert's summary
	// often names one instance of it, so the alert name comes first.
	title := firstNonEmpty(commonAnnotations["summary"], commonLabels["alertname"], lead.Annotations["summary"], lead.Name)
	return &incident.Incident{Title: incident.Clip(title, incident.MaxTitleLen), Severity: sev, Services: services(alerts)}
}

// leadAlert returns the most severe firing alert, or the most severe alert
// when none fires, first in order among equals.
func leadAlert(alerts []incident.Alert) *incident.Alert {
	var lead *incident.Alert
	rank := func(a *incident.Alert) int {
		r := SeverityFromLabel(a.Labels["severity"]).Rank()
		if a.Status != incident.AlertFiring {
			r += 10
		}
		return r
	}
	for i := range alerts {
		if a := &alerts[i]; lead == nil || rank(a) < rank(lead) {
			lead = a
		}
	}
	return lead
}

// services lists the `service` (or else `job`) labels of the alerts.
func services(alerts []incident.Alert) []string {
	var names []string
	for _, a := range alerts {
		if s := firstNonEmpty(a.Labels["service"], a.Labels["job"]); s != "" {
			names = append(names, incident.Clip(s, incident.MaxNameLen))
		}
	}
	names = incident.NormalizeNames(names)
	if len(names) > incident.MaxServices {
		names = names[:incident.MaxServices]
	}
	return names
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// decodeJSON decodes a payload, tolerating fields it does not know (senders
// add them all the time) and refusing values of the wrong type.
//
// Decoding is most of what a webhook costs before the database, so it
// goes through go-json, a faster decoder, where it gives the same results
// as encoding/json (FuzzFastDecode holds it to that): valid JSON whose
// text and escapes are all ASCII. Other bodies (encoding/json matches "ſ"
// to an "s" in a field name, go-json does not) and bodies go-json refuses
// go to encoding/json, whose errors say which field is wrong.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return incident.Errorf(incident.EINVALID, "the body is empty; a JSON object was expected")
	}
	if fastDecodable(body) {
		if gojson.Unmarshal(body, v) == nil {
			return nil
		}
		reflect.ValueOf(v).Elem().SetZero() // what the refused decoding left
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return incident.Errorf(incident.EINVALID, "the body must be a JSON object, not %s", te.Value)
		}
		field := cmp.Or(valuePath(body, te.Offset), te.Field)
		return incident.FieldError(incident.EINVALID, field, "%s must be %s, not %s", field, jsonKind(te.Type.Kind()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return incident.Errorf(incident.EINVALID, "malformed JSON at byte %d: %v", se.Offset, err)
	}
	return incident.Errorf(incident.EINVALID, "malformed payload: %v", err)
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "an integer"
}

// valuePath names the value of body that ends at offset, as
// "alerts[1].labels.severity", or returns "" for the body itself. It names
// where encoding/json found a value of the wrong type: its errors name
// the struct fields on the way, but neither the index of an element nor
// the key of a map, and say where the value ends (or, for an array or an
// object, opens). body is valid JSON, or it would not have got so far.
func valuePath(body []byte, offset int64) string {
	type level struct {
		array   bool
		index   int    // of the element in an array, -1 before the first
		key     string // of the member in an object
		wantKey bool   // in an object, before a key or the end
	}
	var levels []level
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // a number beyond float64 is no error here
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		delim, _ := tok.(json.Delim)
		if n := len(levels); n > 0 {
			l := &levels[n-1]
			switch {
			case delim == ']' || delim == '}':
				levels = levels[:n-1]
				continue
			case l.array:
				l.index++
			case l.wantKey:
				l.key, l.wantKey = tok.(string), false
				continue
			default:
				l.wantKey = true
			}
		}
		if dec.InputOffset() >= offset {
			var path strings.Builder
			for _, l := range levels {
				if l.array {
					fmt.Fprintf(&path, "[%d]", l.index)
				} else {
					if path.Len() > 0 {
						path.WriteByte('.')
					}
					path.WriteString(l.key)
				}
			}
			return path.String()
		}
		if delim == '[' || delim == '{' {
			levels = append(levels, level{array: delim == '[', index: -1, wantKey: delim == '{'})
		}
	}
}

// parseTime reads a time of a payload as encoding/json reads a time.Time
// (RFC 3339, strictly), but names the field when it is not one. Payloads
// hold times as strings for this: encoding/json's error for a time it
// cannot parse does not say where the time was. An empty string is no
// time, as null and a missing field are (encoding/json refused it: some
// scripts send "" for a time they do not know). Being a string, the time
// may be written with JSON escapes.
func parseTime(field, s string) (time.Time, error) {
	var t time.Time
	if s == "" {
		return t, nil
	}
	if err := t.UnmarshalText([]byte(s)); err != nil {
		return time.Time{}, incident.FieldError(incident.EINVALID, field,
			"%s must be a time such as 2024-01-25T10:00:00Z (RFC 3339), not %q", field, incident.Clip(s, 40))
	}
	return t, nil
}

// alertStatus reads an alert's status, falling back to the payload's.
func alertStatus(field, status, fallback string) (incident.AlertStatus, error) {
	s := strings.ToLower(firstNonEmpty(status, fallback))
	switch incident.AlertStatus(s) {
	case incident.AlertFiring, incident.AlertResolved:
		return incident.AlertStatus(s), nil
	}
	return "", incident.FieldError(incident.EINVALID, field, "%s must be firing or resolved, not %q", field, s)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
