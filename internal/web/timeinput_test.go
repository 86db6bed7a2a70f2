package web

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	now := time.Date(2024, 1, 25, 14, 0, 0, 0, time.UTC) // 15:00 in Berlin
	for _, tc := range []struct{ in, want string }{
		{"", "2024-01-25T14:00:00Z"},
		{"now", "2024-01-25T14:00:00Z"},
		{"-5m", "2024-01-25T13:55:00Z"},
		{"-1h30m", "2024-01-25T12:30:00Z"},
		{"10:15", "2024-01-25T09:15:00Z"},
		{"15:45", "2024-01-25T14:45:00Z"},   // ahead of the clock, within the hour
		{"23:50", "2024-01-24T22:50:00Z"},   // later today means yesterday
		{"2:40 PM", "2024-01-25T13:40:00Z"}, // a 12-hour clock, as typed in the US
		{"2:40pm", "2024-01-25T13:40:00Z"},
		{"9 am", "2024-01-25T08:00:00Z"},
		{"12:05 AM", "2024-01-24T23:05:00Z"},
		{"11:50 PM", "2024-01-24T22:50:00Z"}, // later today means yesterday
		{"2024-01-20 08:00", "2024-01-20T07:00:00Z"},
		{"2024-01-20T08:00:00Z", "2024-01-20T08:00:00Z"},
	} {
		got, err := parseWhen("at", tc.in, now, berlin)
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("parseWhen(%q) = %v, %v; want %s", tc.in, got.UTC(), err, tc.want)
		}
	}
	for _, bad := range []string{"soon", "-x", "25:00", "10.15", "13:00 PM"} {
		if _, err := parseWhen("at", bad, now, berlin); err == nil {
			t.Errorf("parseWhen(%q) accepted", bad)
		}
	}
}

func TestDurationWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:             "less than a minute",
		time.Minute:                  "1 minute",
		4*time.Hour + 10*time.Minute: "4 hours 10 minutes",
		2 * time.Hour:                "2 hours",
		26*time.Hour + 5*time.Minute: "1 day 2 hours",
		-3 * time.Minute:             "3 minutes",
		72 * time.Hour:               "3 days",
	} {
		if got := durationWords(d); got != want {
			t.Errorf("durationWords(%v) = %q, want %q", d, got, want)
		}
	}
}
