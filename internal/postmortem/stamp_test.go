package postmortem

import (
	"testing"
	"time"
)

func TestScanStamp(t *testing.T) {
	berlin, _ := LoadLocation("Europe/Berlin")
	tests := []struct {
		in       string
		date     string // "2006-01-02", "01-02" without year, "" for none
		clock    string // "15:04:05", "" for none
		offset   string // "+02:00", "" for no zone
		rest     string
		zoneName *time.Location
	}{
		{in: "**10:00 AM (UTC):** Issue detected", clock: "10:00:00", offset: "+00:00", rest: "Issue detected"},
		{in: "**1:00 PM:** Rollback", clock: "13:00:00", rest: "Rollback"},
		{in: "12:00 AM midnight", clock: "00:00:00", rest: "midnight"},
		{in: "14:32 Paged on-call", clock: "14:32:00", rest: "Paged on-call"},
		{in: "[14:32] Paged", clock: "14:32:00", rest: "Paged"},
		{in: "`14:32` Paged", clock: "14:32:00", rest: "Paged"},
		{in: "14:32 - Paged", clock: "14:32:00", rest: "Paged"},
		{in: "14:32 — Paged", clock: "14:32:00", rest: "Paged"},
		{in: "14:32 _urgent_ page", clock: "14:32:00", rest: "_urgent_ page"},
		{in: "2019-10-21 14:32 Deploy", date: "2019-10-21", clock: "14:32:00", rest: "Deploy"},
		{in: "2024-01-25T10:00:00Z detected", date: "2024-01-25", clock: "10:00:00", offset: "+00:00", rest: "detected"},
		{in: "2024-01-25T10:00:00.250+02:00 x", date: "2024-01-25", clock: "10:00:00", offset: "+02:00", rest: "x"},
		{in: "10:00 PST: paged", clock: "10:00:00", offset: "-08:00", rest: "paged"},
		{in: "10:00 PDT paged", clock: "10:00:00", offset: "-07:00", rest: "paged"},
		{in: "09:15 CET paged", clock: "09:15:00", offset: "+01:00", rest: "paged"},
		{in: "09:15 +0200 paged", clock: "09:15:00", offset: "+02:00", rest: "paged"},
		{in: "09:15 UTC+5:30 paged", clock: "09:15:00", offset: "+05:30", rest: "paged"},
		{in: "09:15 (Europe/Berlin) paged", clock: "09:15:00", rest: "paged", zoneName: berlin},
		{in: "10am paged", clock: "10:00:00", rest: "paged"},
		{in: "10 p.m. paged", clock: "22:00:00", rest: "paged"},
		{in: "January 25, 2024, 10:00 PM (UTC): x", date: "2024-01-25", clock: "22:00:00", offset: "+00:00", rest: "x"},
		{in: "Jan 26 at 2:05 AM: x", date: "01-26", clock: "02:05:00", rest: "x"},
		{in: "Thursday, 25 January 2024", date: "2024-01-25"},
		{in: "10:00-10:15 Investigation", clock: "10:00:00", rest: "Investigation"},
		{in: "**10:30 AM:** -5% orders", clock: "10:30:00", rest: "-5% orders"},
		{in: "14:32: .NET workers restarted", clock: "14:32:00", rest: ".NET workers restarted"},
		{in: "14:32 ...and again", clock: "14:32:00", rest: "...and again"},
		{in: "14:32: Paged", clock: "14:32:00", rest: "Paged"},
		{in: "2024-01-25T10:00:00-05:00 x", date: "2024-01-25", clock: "10:00:00", offset: "-05:00", rest: "x"},
	}
	for _, tt := range tests {
		st, n, ok := scanStamp(tt.in)
		if !ok {
			t.Errorf("%q: no stamp", tt.in)
			continue
		}
		if rest := tt.in[n:]; rest != tt.rest {
			t.Errorf("%q: rest %q, want %q", tt.in, rest, tt.rest)
		}
		if tt.clock != "" {
			got := time.Date(2000, 1, 1, st.hour, st.min, st.sec, 0, time.UTC).Format("15:04:05")
			if !st.hasTime || got != tt.clock {
				t.Errorf("%q: time %v %s, want %s", tt.in, st.hasTime, got, tt.clock)
			}
		} else if st.hasTime {
			t.Errorf("%q: unexpected time", tt.in)
		}
		switch {
		case tt.date == "" && st.hasDate:
			t.Errorf("%q: unexpected date", tt.in)
		case len(tt.date) == 10:
			if got := time.Date(st.year, st.month, st.day, 0, 0, 0, 0, time.UTC).Format("2006-01-02"); got != tt.date {
				t.Errorf("%q: date %s, want %s", tt.in, got, tt.date)
			}
		case len(tt.date) == 5:
			if got := time.Date(2000, st.month, st.day, 0, 0, 0, 0, time.UTC).Format("01-02"); got != tt.date || st.year != 0 {
				t.Errorf("%q: date %s year %d, want %s", tt.in, got, st.year, tt.date)
			}
		}
		switch {
		case tt.zoneName != nil:
			if st.loc == nil || st.loc.String() != tt.zoneName.String() {
				t.Errorf("%q: zone %v, want %v", tt.in, st.loc, tt.zoneName)
			}
		case tt.offset == "":
			if st.loc != nil {
				t.Errorf("%q: unexpected zone %v", tt.in, st.loc)
			}
		default:
			if st.loc == nil {
				t.Errorf("%q: no zone, want %s", tt.in, tt.offset)
			} else if got := time.Date(2024, 1, 1, 0, 0, 0, 0, st.loc).Format("-07:00"); got != tt.offset {
				t.Errorf("%q: zone %s, want %s", tt.in, got, tt.offset)
			}
		}
	}
}

func TestScanStampRefusesText(t *testing.T) {
	for _, in := range []string{
		"Issue detected", "3 engineers joined", "2024 was a hard year", "10.5% of users",
		"1. Review", "25:00 nothing", "10:00abc", "**Impact:** users", "Marching on",
		"12:61 bad", "2024-02-30 not a day", "",
	} {
		if st, _, ok := scanStamp(in); ok {
			t.Errorf("%q read as a stamp: %+v", in, st)
		}
	}
}

func TestFindStamps(t *testing.T) {
	got := findStamps("The outage occurred on January 25, 2024, from 10:00 AM to 2:00 PM (UTC).")
	if len(got) != 3 || !got[0].hasDate || got[0].hasTime || got[1].hour != 10 || got[1].loc != nil ||
		got[2].hour != 14 || got[2].loc != time.UTC {
		t.Fatalf("got %+v", got)
	}
	got = findStamps("The outage occurred from January 25, 2024, 10:00 PM to January 26, 2024, 2:00 AM (UTC).")
	if len(got) != 2 || got[0].day != 25 || got[0].hour != 22 || got[1].day != 26 || got[1].hour != 2 {
		t.Fatalf("got %+v", got)
	}
}
