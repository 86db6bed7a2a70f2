package alerts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"hindsight/internal/incident"
)

// Signature headers.
const (
	GrafanaSignatureHeader = "X-Grafana-Alerting-Signature"
	// GrafanaSignatureHeaderAlt is the name some versions of Grafana's
	// signer give the header when the contact point leaves it empty.
	GrafanaSignatureHeaderAlt = "X-Grafana-Alert-Signature"

	PagerDutySignatureHeader = "X-PagerDuty-Signature"
	PagerDutyWebhookIDHeader = "X-Webhook-Id"
)

// MaxSignatureAge is how old a Grafana signature timestamp may be, so that
// a captured request cannot be replayed later.
const MaxSignatureAge = 5 * time.Minute

func errBadSignature(what string) error {
	return incident.Errorf(incident.EUNAUTHORIZED, "%s", what)
}

// VerifyGrafanaSignature checks Grafana's X-Grafana-Alerting-Signature:
// hex HMAC-SHA256 with secret over the raw body or, when the contact point
// is configured with a timestamp header, over "timestamp:body"; then the
// timestamp (Unix seconds) must also be within MaxSignatureAge of now.
func VerifyGrafanaSignature(secret string, body []byte, signature, timestamp string, now time.Time) error {
	sig := strings.TrimSpace(signature)
	if sig == "" {
		return errBadSignature("the request is not signed: " + GrafanaSignatureHeader + " is missing")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	if timestamp = strings.TrimSpace(timestamp); timestamp != "" {
		sec, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil {
			return errBadSignature("the signature timestamp is not a number of seconds")
		}
		if age := now.Sub(time.Unix(sec, 0)); age > MaxSignatureAge || age < -MaxSignatureAge {
			return errBadSignature("the signature timestamp is too far from now")
		}
		mac.Write([]byte(timestamp + ":"))
	}
	mac.Write(body)
	if !hexEqual(sig, mac.Sum(nil)) {
		return errBadSignature("the signature does not match the body")
	}
	return nil
}

// VerifyPagerDutySignature checks PagerDuty's X-PagerDuty-Signature:
// comma-separated "v1=<hex HMAC-SHA256 of the body>" values, one per
// signing secret while PagerDuty rotates them; one must match.
func VerifyPagerDutySignature(secret string, body []byte, header string) error {
	if strings.TrimSpace(header) == "" {
		return errBadSignature("the request is not signed: " + PagerDutySignatureHeader + " is missing")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := mac.Sum(nil)
	ok := false
	for _, v := range strings.Split(header, ",") {
		sig, found := strings.CutPrefix(strings.TrimSpace(v), "v1=")
		// Every value is compared, so the time taken does not say which
		// one matched.
		if found && hexEqual(sig, want) {
			ok = true
		}
	}
	if !ok {
		return errBadSignature("no signature matches the body")
	}
	return nil
}

// hexEqual compares a hex signature with a MAC in constant time.
func hexEqual(sig string, mac []byte) bool {
	got, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(got, mac)
}
