package alerts_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
)

func sign(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestVerifyGrafanaSignature(t *testing.T) {
	body := []byte(`{"receiver":"hindsight","status":"firing"}`)
	now := time.Unix(1_706_176_800, 0)
	stamp := strconv.FormatInt(now.Unix(), 10)
	for _, tc := range []struct {
		name, sig, stamp string
		ok               bool
	}{
		{"OK", sign("s3cret", string(body)), "", true},
		{"OKUpperCase", "  " + strings.ToUpper(sign("s3cret", string(body))), "", true},
		{"OKWithTimestamp", sign("s3cret", stamp+":"+string(body)), stamp, true},
		{"ErrWrongSecret", sign("other", string(body)), "", false},
		{"ErrOtherBody", sign("s3cret", string(body)+" "), "", false},
		{"ErrMissing", "", "", false},
		{"ErrNotHex", "zz" + sign("s3cret", string(body))[2:], "", false},
		{"ErrTimestampNotSigned", sign("s3cret", string(body)), stamp, false},
		{"ErrTimestampOld", sign("s3cret", "1706176000:"+string(body)), "1706176000", false},
		{"ErrTimestampNotNumber", sign("s3cret", "soon:"+string(body)), "soon", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := alerts.VerifyGrafanaSignature("s3cret", body, tc.sig, tc.stamp, now)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && incident.ErrorCode(err) != incident.EUNAUTHORIZED {
				t.Fatalf("error %v, want unauthorized", err)
			}
		})
	}
}

func TestVerifyPagerDutySignature(t *testing.T) {
	body := []byte(`{"event":{"id":"x"}}`)
	good, old := sign("new-secret", string(body)), sign("old-secret", string(body))
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"OK", "v1=" + good, true},
		{"OKRotatedFirst", "v1=" + good + ",v1=" + old, true},
		{"OKRotatedSecond", "v1=" + old + ", v1=" + good, true},
		{"ErrOnlyOldSecret", "v1=" + old, false},
		{"ErrNoVersion", good, false},
		{"ErrOtherVersion", "v2=" + good, false},
		{"ErrMissing", "", false},
		{"ErrGarbage", "v1=,v1=xyz,,", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := alerts.VerifyPagerDutySignature("new-secret", body, tc.header)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && incident.ErrorCode(err) != incident.EUNAUTHORIZED {
				t.Fatalf("error %v, want unauthorized", err)
			}
		})
	}
	t.Run("ErrOtherBody", func(t *testing.T) {
		err := alerts.VerifyPagerDutySignature("new-secret", []byte(`{"event":{"id":"y"}}`), "v1="+good)
		if incident.ErrorCode(err) != incident.EUNAUTHORIZED {
			t.Fatalf("error %v", err)
		}
	})
}
