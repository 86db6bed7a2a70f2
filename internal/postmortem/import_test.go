package postmortem

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func wantTime(t *testing.T, field string, got *time.Time, want string) {
	t.Helper()
	if want == "" {
		if got != nil {
			t.Errorf("%s = %v, want none", field, got)
		}
		return
	}
	if got == nil || !got.Equal(utc(want)) {
		t.Errorf("%s = %v, want %s UTC", field, got, want)
	}
}

// wantEvents compares the timeline by time (UTC) and the start of the text.
func wantEvents(t *testing.T, d *incident.Detail, want ...string) {
	t.Helper()
	if len(d.Events) != len(want) {
		t.Fatalf("%d timeline entries, want %d: %+v", len(d.Events), len(want), d.Events)
	}
	for i, w := range want {
		at, text, _ := strings.Cut(w, " | ")
		e := d.Events[i]
		if !e.At.Equal(utc(at)) || !strings.HasPrefix(e.Text, text) {
			t.Errorf("entry %d = %s %q, want %s %q", i, e.At.Format("2006-01-02 15:04 MST"), e.Text, at, text)
		}
		if e.Source != incident.SourceImport || !e.Highlight {
			t.Errorf("entry %d: source %s highlight %v, want import, highlighted", i, e.Source, e.Highlight)
		}
	}
}

type wantTask struct {
	title  string
	kind   incident.TaskKind
	status incident.TaskStatus
	owner  string
	due    string // "2006-01-02" or ""
}

func wantTasks(t *testing.T, d *incident.Detail, want ...wantTask) {
	t.Helper()
	if len(d.Tasks) != len(want) {
		t.Fatalf("%d tasks, want %d: %+v", len(d.Tasks), len(want), d.Tasks)
	}
	for i, w := range want {
		got := d.Tasks[i]
		due := ""
		if got.DueAt != nil {
			due = got.DueAt.Format("2006-01-02")
		}
		if got.Title != w.title || got.Kind != w.kind || got.Status != w.status || got.Owner != w.owner || due != w.due {
			t.Errorf("task %d = {%q %s %s owner %q due %q}, want %+v", i, got.Title, got.Kind, got.Status, got.Owner, due, w)
		}
	}
}

func wantExtra(t *testing.T, d *incident.Detail, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(d.Extra, p) {
			t.Errorf("extra lacks %q:\n%s", p, d.Extra)
		}
	}
}

func wantWarning(t *testing.T, ws []Warning, line int, part string) {
	t.Helper()
	for _, w := range ws {
		if w.Line == line && strings.Contains(w.Message, part) {
			return
		}
	}
	t.Errorf("no warning on line %d about %q in %v", line, part, ws)
}

func TestImport(t *testing.T) {
	t.Run("Fixture", func(t *testing.T) {
		d, _ := mustImport(t, readFile(t, fixture("postmortems", "api-cache-outage.md")))
		if d.Title != "Outage Incident - Service Unavailability" {
			t.Errorf("title = %q", d.Title)
		}
		wantTime(t, "started_at", d.StartedAt, "2024-01-25 10:00")
		wantTime(t, "detected_at", d.DetectedAt, "2024-01-25 10:00")
		wantTime(t, "acknowledged_at", d.AcknowledgedAt, "2024-01-25 10:15")
		wantTime(t, "resolved_at", d.ResolvedAt, "2024-01-25 14:00")
		if d.Status != incident.StatusResolved {
			t.Errorf("status = %s, want resolved", d.Status)
		}
		if !strings.HasPrefix(d.Impact, "The primary service affected was the API server") ||
			!strings.HasPrefix(d.RootCause, "The outage was caused by a misconfiguration") ||
			!strings.HasPrefix(d.Resolution, "The issue was resolved by rolling back") {
			t.Errorf("summary fields: impact %q, root cause %q, resolution %q", d.Impact, d.RootCause, d.Resolution)
		}
		if !strings.HasSuffix(d.Conclusion, "\n\nLet's stay vigilant and keep those servers humming along smoothly!") {
			t.Errorf("conclusion = %q", d.Conclusion)
		}
		wantEvents(t, d,
			"2024-01-25 10:00 | Issue detected through monitoring alerts",
			"2024-01-25 10:15 | Engineering team notified",
			"2024-01-25 10:30 | Initial investigation focused",
			"2024-01-25 11:00 | Misleading assumption",
			"2024-01-25 11:30 | Escalation to senior engineering team",
			"2024-01-25 12:00 | Root cause identified",
			"2024-01-25 13:00 | Configuration rollback initiated",
			"2024-01-25 14:00 | Service fully restored")
		kinds := []incident.EventKind{incident.KindDetection, incident.KindNotification, incident.KindInvestigation,
			incident.KindInvestigation, incident.KindEscalation, incident.KindRootCause, incident.KindMitigation, incident.KindResolution}
		for i, k := range kinds {
			if d.Events[i].Kind != k {
				t.Errorf("entry %d kind = %s, want %s", i, d.Events[i].Kind, k)
			}
		}
		if len(d.RootCauses) != 1 || !d.RootCauses[0].Primary || d.RootCauses[0].Category != incident.CategoryConfiguration {
			t.Errorf("root causes = %+v", d.RootCauses)
		}
		open := incident.TaskOpen
		wantTasks(t, d,
			wantTask{"Implement stricter configuration validation procedures to prevent misconfigurations.", incident.TaskImprovement, open, "", ""},
			wantTask{"Enhance monitoring capabilities to detect abnormal resource consumption patterns.", incident.TaskImprovement, open, "", ""},
			wantTask{"Conduct regular audits of server configurations to identify and rectify potential issues proactively.", incident.TaskImprovement, open, "", ""},
			wantTask{"Review and update caching mechanism configuration settings.", incident.TaskTask, open, "", ""},
			wantTask{"Implement automated testing for configuration changes.", incident.TaskTask, open, "", ""},
			wantTask{"Enhance monitoring and alerting systems to provide early detection of similar issues.", incident.TaskTask, open, "", ""},
		)
		if d.Extra != "" {
			t.Errorf("extra = %q, want nothing left over", d.Extra)
		}
	})

	t.Run("BulletsAnd24HourTimes", func(t *testing.T) {
		d, ws := mustImport(t, importDocs(t)["bullets-24h"])
		if d.Title != "Checkout errors after payment provider change" || d.Severity != incident.SEV2 {
			t.Errorf("title %q severity %q", d.Title, d.Severity)
		}
		wantEvents(t, d,
			"2024-03-12 14:05 | Payment provider client 4.2 rolled out",
			"2024-03-12 14:21 | Checkout error rate alert fired",
			"2024-03-12 14:24 | On-call engineer paged",
			"2024-03-12 14:40 | Investigation narrowed",
			"2024-03-12 15:10 | Rollback of the provider client started.",
			"2024-03-12 15:58 | Checkout error rate back to normal")
		wantTime(t, "started_at", d.StartedAt, "2024-03-12 14:05")
		wantTime(t, "detected_at", d.DetectedAt, "2024-03-12 14:21")
		wantTime(t, "resolved_at", d.ResolvedAt, "2024-03-12 15:58")
		if !strings.HasPrefix(d.Impact, "About 34% of card checkouts failed") || !strings.HasPrefix(d.Resolution, "The provider client was rolled back") {
			t.Errorf("impact %q resolution %q", d.Impact, d.Resolution)
		}
		if len(d.RootCauses) != 2 {
			t.Errorf("root causes = %+v", d.RootCauses)
		}
		wantTasks(t, d,
			wantTask{"Roll back the payment provider client", incident.TaskTask, incident.TaskDone, "ana", ""},
			wantTask{"Normalize card numbers before validation", incident.TaskTask, incident.TaskOpen, "bob", "2024-03-20"},
			wantTask{"Add card numbers with spaces to the integration tests", incident.TaskTask, incident.TaskOpen, "ana", ""},
		)
		if d.Tasks[2].Priority != "P2" {
			t.Errorf("priority = %q, want P2", d.Tasks[2].Priority)
		}
		wantExtra(t, d, "**Authors:** Ana Lima, Bob Stone", "## TL;DR\n\nCheckout failed",
			"## Timeline (all times UTC)\n\n- Customer support escalated several tickets",
			"## Lessons Learned\n\n### What went well", "## Appendix\n\nGraphs of the checkout error rate")
		wantWarning(t, ws, 22, "without a time")
		wantWarning(t, ws, 52, `"Appendix" maps onto no field`)
	})

	t.Run("FrontMatterAndHeadingPerEntry", func(t *testing.T) {
		d, _ := mustImport(t, importDocs(t)["headings-per-entry"])
		if d.Title != "Search index corruption" || d.Severity != incident.SEV3 || d.Commander != "dana" ||
			strings.Join(d.Services, ",") != "search,indexer" {
			t.Errorf("title %q severity %q commander %q services %v", d.Title, d.Severity, d.Commander, d.Services)
		}
		// timezone: America/Los_Angeles, February: PST, UTC-8.
		wantEvents(t, d,
			"2024-02-07 17:12 | Compaction job started\n\nThe nightly compaction ran late",
			"2024-02-07 17:47 | Stale results reported\n\nA customer reported",
			"2024-02-07 18:05 | Investigation started\n\n- The indexer logs showed a failed compaction.\n- The previous index",
			"2024-02-07 20:20 | Index rebuilt and search fully restored")
		wantTime(t, "resolved_at", d.ResolvedAt, "2024-02-07 20:20")
		if len(d.RootCauses) != 2 || d.RootCauses[0].Primary {
			t.Errorf("contributing factors = %+v", d.RootCauses)
		}
		wantTasks(t, d,
			wantTask{"Alert when a compaction fails", incident.TaskTask, incident.TaskOpen, "eli", ""},
			wantTask{"Move the compaction window to a quieter hour", incident.TaskTask, incident.TaskOpen, "", ""},
		)
		if d.Conclusion != "The index was rebuilt without data loss." {
			t.Errorf("conclusion = %q", d.Conclusion)
		}
		wantExtra(t, d, "- **authors:** Dana Park, Eli Moss", "## Overview\n\nSearch returned stale results",
			"## What went wrong\n\nThe failure went unnoticed")
	})

	t.Run("TablesOverTwoDays", func(t *testing.T) {
		d, _ := mustImport(t, importDocs(t)["tables"])
		if d.Title != "Primary database disk full" || d.Severity != incident.SEV1 || d.Commander != "Farah" {
			t.Errorf("title %q severity %q commander %q", d.Title, d.Severity, d.Commander)
		}
		wantTime(t, "started_at", d.StartedAt, "2024-05-30 23:40")
		wantTime(t, "resolved_at", d.ResolvedAt, "2024-05-31 01:15")
		wantEvents(t, d,
			"2024-05-30 23:40 | Disk usage alert fired on the primary database. (Who: pager)",
			"2024-05-30 23:52 | Writes started failing",
			"2024-05-31 00:10 | Old write-ahead log segments were archived and removed. (Who: Farah)",
			"2024-05-31 00:10 | The replica was checked and found healthy. (Who: Gus)",
			"2024-05-31 01:15 | Writes recovered")
		wantTasks(t, d,
			wantTask{"Alert on replication slot lag", incident.TaskTask, incident.TaskInProgress, "Gus", "2024-06-07"},
			wantTask{"Document the WAL cleanup runbook", incident.TaskTask, incident.TaskDone, "Farah", "2024-06-14"},
			wantTask{"Review disk sizing for the EU cluster (Ticket: DB-14)", incident.TaskTask, incident.TaskOpen, "", ""},
		)
		if d.Tasks[0].ExternalURL != "https://tracker.example.com/DB-12" {
			t.Errorf("link = %q", d.Tasks[0].ExternalURL)
		}
		if d.RootCause != "A stuck replication slot kept write-ahead log segments from being removed." {
			t.Errorf("root cause = %q", d.RootCause)
		}
		wantExtra(t, d, "## Summary\n\n- **Customers affected:** every tenant on the EU cluster")
	})

	t.Run("ISOTimesWithOffsetsOverMidnight", func(t *testing.T) {
		d, _ := mustImport(t, importDocs(t)["iso-multiday"])
		if d.Title != "2019-10-21 database failover" {
			t.Errorf("title = %q", d.Title)
		}
		wantEvents(t, d,
			"2019-10-21 22:50 | Planned maintenance",
			"2019-10-21 23:05 | Failover to the replica began.",
			"2019-10-21 23:40 | Replica promotion stalled", // 01:40 +02:00
			"2019-10-22 01:10 | Orders service reported write errors.",
			"2019-10-22 03:30 | Primary restored")
		wantTime(t, "resolved_at", d.ResolvedAt, "2019-10-22 03:30")
		wantTasks(t, d,
			wantTask{"Cancel long-running queries before a failover", incident.TaskTask, incident.TaskOpen, "ops", ""},
			wantTask{"Rehearse failovers every quarter", incident.TaskTask, incident.TaskOpen, "", ""},
		)
	})

	t.Run("TimePrefixedLinesInCET", func(t *testing.T) {
		d, ws := mustImport(t, importDocs(t)["time-lines"])
		wantEvents(t, d,
			"2024-03-03 08:58 | Certificate on the identity provider expired.",
			"2024-03-03 09:02 | Login failures reported",
			"2024-03-03 09:15 | Certificate renewal started.",
			"2024-03-03 09:38 | New certificate deployed")
		wantTasks(t, d,
			wantTask{"Re-enable the renewal job", incident.TaskTask, incident.TaskDone, "", ""},
			wantTask{"Alert 14 days before a certificate expires", incident.TaskTask, incident.TaskOpen, "", ""},
		)
		wantWarning(t, ws, 9, "replaced by the zone")
	})
}

func TestImportTimes(t *testing.T) {
	t.Run("PastMidnightIsTheNextDay", func(t *testing.T) {
		d, ws := mustImport(t, []byte("# Late deploy\n\n**Date:** 2024-04-02\n\n## Timeline\n\n- 11:50 PM UTC: Deploy started.\n- 12:10 AM: Errors began.\n- 1:05 AM: Rolled back and resolved.\n"))
		wantEvents(t, d, "2024-04-02 23:50 | Deploy started.", "2024-04-03 00:10 | Errors began.", "2024-04-03 01:05 | Rolled back")
		wantWarning(t, ws, 8, "read as the next day")
	})
	t.Run("DateHeadingsAboveEntries", func(t *testing.T) {
		d, _ := mustImport(t, []byte("# Two days\n\n## Timeline\n\n### 2024-04-02\n\n- 22:00 Batch job stuck.\n\n### 2024-04-03\n\n- 08:00 Noticed in the morning.\n- 09:00 Fixed, incident resolved.\n"))
		wantEvents(t, d, "2024-04-02 22:00 | Batch job stuck.", "2024-04-03 08:00 | Noticed", "2024-04-03 09:00 | Fixed")
	})
	t.Run("DateFromTheDurationSentence", func(t *testing.T) {
		d, _ := mustImport(t, []byte("# X\n\n## Issue Summary\n\n- **Duration:** The outage occurred on January 25, 2024, from 10:00 PM to 2:00 AM (PST).\n\n## Timeline\n\n- **10:00 PM:** Started.\n- **1:00 AM:** Fixed.\n"))
		wantTime(t, "started_at", d.StartedAt, "2024-01-26 06:00")
		wantTime(t, "resolved_at", d.ResolvedAt, "2024-01-26 10:00")
		wantEvents(t, d, "2024-01-26 06:00 | Started.", "2024-01-26 09:00 | Fixed.")
	})
	t.Run("NoDateAnywhere", func(t *testing.T) {
		d, ws := mustImport(t, []byte("# Undated\n\n## Timeline\n\n- 10:00 Alert fired.\n"))
		wantEvents(t, d, "2024-06-01 10:00 | Alert fired.")
		wantWarning(t, ws, 0, "gives no date")
		wantWarning(t, ws, 0, "no time zone")
		wantWarning(t, ws, 0, "still open")
		if d.Status != incident.StatusInvestigating || d.ResolvedAt != nil {
			t.Errorf("status %s resolved %v, want an open incident", d.Status, d.ResolvedAt)
		}
	})
	t.Run("TableWithOneDateTimeColumn", func(t *testing.T) {
		d, _ := mustImport(t, []byte("# T\n\n## Timeline\n\n| Date | What happened |\n| --- | --- |\n| 2024-05-01 09:00 UTC | Alert fired. |\n| 2024-05-01 09:30 | Fixed. |\n"))
		wantEvents(t, d, "2024-05-01 09:00 | Alert fired.", "2024-05-01 09:30 | Fixed.")
	})
	t.Run("DateFromTheTitle", func(t *testing.T) {
		d, _ := mustImport(t, []byte("# Postmortem: 2024-02-29 login outage\n\n## Timeline\n\n- 10:00 AM EST: Logins failed.\n- 10:40 AM: Logins restored.\n"))
		wantEvents(t, d, "2024-02-29 15:00 | Logins failed.", "2024-02-29 15:40 | Logins restored.")
		wantTime(t, "resolved_at", d.ResolvedAt, "2024-02-29 15:40")
	})
	t.Run("ZoneOnAnEntryCarriesForward", func(t *testing.T) {
		d, _ := mustImport(t, []byte("# Zones\n\nDate: 2024-07-01\n\n## Timeline\n\n- 10:00 PDT Alert.\n- 10:30 Paged.\n- 19:45 CEST EU on-call joined.\n- 20:00 Still EU.\n"))
		wantEvents(t, d, "2024-07-01 17:00 | Alert.", "2024-07-01 17:30 | Paged.", "2024-07-01 17:45 | EU on-call", "2024-07-01 18:00 | Still EU.")
	})
}

func TestImportRefuses(t *testing.T) {
	for name, tt := range map[string]struct {
		src  []byte
		code string
	}{
		"ErrEmpty":      {[]byte(" \n\t\n"), incident.EINVALID},
		"ErrNoTitle":    {[]byte("Just some notes about an outage.\n"), incident.EINVALID},
		"ErrNotUTF8":    {[]byte("# Caf\xe9 outage\n\nThe caf\xe9 was down.\n"), incident.EINVALID},
		"ErrBinary":     {[]byte("# x\n\x00\x01\x02\x03 binary"), incident.EUNSUPPORTED},
		"ErrPNG":        {[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), incident.EUNSUPPORTED},
		"ErrPDF":        {[]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), incident.EUNSUPPORTED},
		"ErrUTF16":      {[]byte("\xff\xfe#\x00 \x00T\x00i\x00t\x00l\x00e\x00"), incident.EUNSUPPORTED},
		"ErrTooLarge":   {[]byte("# Big\n\n" + strings.Repeat("a", MaxImportSize)), incident.ETOOLARGE},
		"ErrControlish": {[]byte("# T\n" + strings.Repeat("\x1b[0m", 50)), incident.EUNSUPPORTED},
		"ErrDeepLists":  {[]byte("# T\n\n" + strings.Repeat("- ", 100000) + "x\n"), incident.EINVALID},
		"ErrDeepQuotes": {[]byte("# T\n\n" + strings.Repeat("> ", 51) + "x\n"), incident.EINVALID},
		"ErrLinkStorm":  {[]byte("# T\n\n" + strings.Repeat("[a](", 1<<16)), incident.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			d, _, err := Import(tt.src, importNow)
			if d != nil || incident.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, %v (code %q), want code %q", d, err, incident.ErrorCode(err), tt.code)
			}
		})
	}
	t.Run("LongTitleIsCut", func(t *testing.T) {
		long := strings.Repeat("word ", 60)
		d, ws := mustImport(t, []byte("# "+long+"\n"))
		if n := len([]rune(d.Title)); n > incident.MaxTitleLen {
			t.Errorf("title of %d characters", n)
		}
		if !strings.Contains(d.Extra, strings.TrimSpace(long)) {
			t.Errorf("the whole title is not kept: %q", d.Extra)
		}
		wantWarning(t, ws, 1, "longer than")
	})
	t.Run("WindowsLineEndings", func(t *testing.T) {
		d, _ := mustImport(t, []byte("\xef\xbb\xbf# CRLF\r\n\r\n## Timeline\r\n\r\n- 2024-01-01 10:00 UTC: Started.\r\n"))
		if d.Title != "CRLF" || len(d.Events) != 1 || strings.ContainsRune(d.Events[0].Text, '\r') {
			t.Errorf("title %q events %+v", d.Title, d.Events)
		}
	})
}

// An import is meant for store.CreateIncident: what it returns passes the
// domain's validation once the store fills its defaults.
func TestImportIsValid(t *testing.T) {
	docs := importDocs(t)
	docs["api-cache-outage"] = readFile(t, fixture("postmortems", "api-cache-outage.md"))
	for _, name := range sortedKeys(docs) {
		d, _ := mustImport(t, docs[name])
		if err := validDetail(d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// validDetail validates d as the store would before writing it.
func validDetail(d *incident.Detail) error {
	inc := d.Incident
	inc.PrepareNew(importNow)
	if err := inc.Validate(); err != nil {
		return err
	}
	for _, e := range d.Events {
		e.Normalize()
		if err := e.Validate(); err != nil {
			return err
		}
	}
	for _, rc := range d.RootCauses {
		rc.Normalize()
		if err := rc.Validate(); err != nil {
			return err
		}
	}
	for _, t := range d.Tasks {
		t.Normalize()
		if err := t.Validate(); err != nil {
			return err
		}
	}
	return nil
}

func TestImportSections(t *testing.T) {
	for heading, want := range map[string]meaning{
		"Issue Summary": meaningSummary, "TL;DR": meaningSummary, "Overview": meaningSummary,
		"Customer Impact": meaningImpact, "Timeline of events": meaningTimeline, "Chronology": meaningTimeline,
		"Root Causes": meaningRootCause, "Contributing Factors": meaningRootCause, "Trigger": meaningTrigger,
		"Root Cause and Resolution": meaningRootCause, "Mitigation": meaningResolution, "Recovery": meaningResolution,
		"Action Items": meaningActions, "Follow-ups": meaningActions, "Corrective and Preventative Measures": meaningActions,
		"Remediation": meaningActions, "Next Steps": meaningActions, "Improvements": meaningActions,
		"Lessons Learned": meaningLessons, "What went well": meaningWentWell, "What went wrong": meaningWentWrong,
		"Conclusion": meaningConclusion, "3. Root cause:": meaningRootCause, "IV. Timeline": meaningTimeline,
		"Appendix: timeline graphs": meaningOther, "Customer Communication": meaningOther,
	} {
		if got := classifyHeading(heading); got != want {
			t.Errorf("%q means %q, want %q", heading, got, want)
		}
	}
}

// A cell of an action-items table that Hindsight cannot read (a priority
// of "Soon", a due date of "Q2") stays in the task's title, with a warning
// that names its line, and the row's other cells still fill their fields.
// Before, such a cell turned the owner into "bob; priority: High; due:
// 2024-02-15" and the due date into the default. A priority of "High"
// reads as P2, as a severity of "high" reads as SEV2.
func TestTaskTableCellNotRead(t *testing.T) {
	doc := "# Postmortem: Cache outage\n\n## Timeline\n\n- **2024-01-25 10:00 UTC:** Start.\n\n## Action Items\n\n" +
		"| Action | Owner | Priority | Due | Status |\n| --- | --- | --- | --- | --- |\n" +
		"| Add alert | ana | P1 | 2024-02-01 | ✅ Done |\n" +
		"| Fix TTL default | bob | Soon | 2024-02-15 | in progress |\n" +
		"| Write runbook | carol | High | Q2 | open |\n\n" +
		"- Rotate the keys (owner: dan, due 2024-03-01)\n- Train the on-call (owner: Eve, Finn)\n"
	d, warnings := mustImport(t, []byte(doc))
	wantTasks(t, d,
		wantTask{"Add alert", incident.TaskTask, incident.TaskDone, "ana", "2024-02-01"},
		wantTask{"Fix TTL default (Priority: Soon)", incident.TaskTask, incident.TaskInProgress, "bob", "2024-02-15"},
		wantTask{"Write runbook (Due: Q2)", incident.TaskTask, incident.TaskOpen, "carol", ""},
		wantTask{"Rotate the keys", incident.TaskTask, incident.TaskOpen, "dan", "2024-03-01"},
		wantTask{"Train the on-call", incident.TaskTask, incident.TaskOpen, "Eve, Finn", ""},
	)
	if d.Tasks[0].Priority != "P1" || d.Tasks[1].Priority != "" || d.Tasks[2].Priority != "P2" {
		t.Errorf("priorities %q %q %q, want P1, none (the default), P2", d.Tasks[0].Priority, d.Tasks[1].Priority, d.Tasks[2].Priority)
	}
	var said []string
	for _, w := range warnings {
		said = append(said, w.String())
	}
	for _, want := range []string{`line 12: Priority "Soon" is not one Hindsight reads`, `line 13: Due "Q2" is not one Hindsight reads`} {
		if !strings.Contains(strings.Join(said, "\n"), want) {
			t.Errorf("warnings %q, want one saying %q", said, want)
		}
	}
}

// A zone given only on the summary's labelled times is the document's:
// the bare times of the timeline are read in it. Read as UTC, the entries
// came two hours late, the resolution before them was left out, and the
// incident was imported as still open.
func TestLabelledTimeZoneSpeaksForTheTimeline(t *testing.T) {
	doc := "# Postmortem: Checkout down\n\n## Summary\n- **Started:** 2024-05-10 08:00 CEST\n" +
		"- **Resolved:** 2024-05-10 09:30 CEST\n\n## Timeline\n- 08:00 Alert fired\n- 08:20 Rolled back\n- 09:30 Recovered\n"
	d, warnings := mustImport(t, []byte(doc))
	wantEvents(t, d, "2024-05-10 06:00 | Alert fired", "2024-05-10 06:20 | Rolled back", "2024-05-10 07:30 | Recovered")
	wantTime(t, "resolved_at", d.ResolvedAt, "2024-05-10 07:30")
	for _, w := range warnings {
		if strings.Contains(w.Message, "zone") {
			t.Errorf("warning %q: the labels name the zone", w)
		}
	}
}

// A line of its own above the timeline that gives the date, with or
// without a zone, dates the entries below it, as a date heading does.
// Before, the date was dropped with the zone, or not read, and the
// entries were dated the day of the import.
func TestDateLineAboveTheTimeline(t *testing.T) {
	for _, line := range []string{"2015-10-21 (all times UTC)", "All times in UTC, 2015-10-21.", "October 21, 2015 (UTC)", "Date: 2015-10-21"} {
		doc := "# Postmortem: Sonnet\n\n## Timeline\n\n" + line + "\n\n- 14:51 News reports\n- 16:07 Outage ends\n"
		d, warnings := mustImport(t, []byte(doc))
		wantEvents(t, d, "2015-10-21 14:51 | News reports", "2015-10-21 16:07 | Outage ends")
		for _, w := range warnings {
			if strings.Contains(w.Message, "gives no date") {
				t.Errorf("%q: warning %q", line, w)
			}
		}
	}
}

// A timeline written newest first is not taken past midnight: its entries
// stay on the day of the Duration, within it or not.
func TestNewestFirstTimeline(t *testing.T) {
	for _, summary := range []string{"- **Duration:** The outage occurred on January 25, 2024, from 10:00 AM to 2:00 PM (UTC).\n", "- **Date:** January 25, 2024\n"} {
		doc := "# Postmortem: Newest first\n\n## Issue Summary\n" + summary + "\n## Timeline\n" +
			"- **2:00 PM (UTC):** Service fully restored.\n- **1:00 PM:** Rollback initiated.\n" +
			"- **12:00 PM:** Root cause identified.\n- **10:00 AM:** Issue detected.\n"
		d, _ := mustImport(t, []byte(doc))
		wantEvents(t, d, "2024-01-25 10:00 | Issue detected.", "2024-01-25 12:00 | Root cause identified.",
			"2024-01-25 13:00 | Rollback initiated.", "2024-01-25 14:00 | Service fully restored.")
	}
}

// When nothing else dates or zones the document, the summary's prose does
// ("On January 25, 2024, between 10:00 and 14:00 UTC, ..."), with a
// warning that says so, rather than the day of the import.
func TestSummaryProseDatesTheTimeline(t *testing.T) {
	doc := "# Postmortem: Logins failed\n\n## Summary\n\nOn January 25, 2024, between 10:00 and 14:00 CET, about 30% of users could not log in. We rolled back.\n\n" +
		"## Timeline\n\n- 10:00 Alert fired\n- 14:00 Recovered\n"
	d, warnings := mustImport(t, []byte(doc))
	wantEvents(t, d, "2024-01-25 09:00 | Alert fired", "2024-01-25 13:00 | Recovered")
	said := fmt.Sprint(warnings)
	if !strings.Contains(said, "the first date of the summary's text") || !strings.Contains(said, "the zone the summary's text names") {
		t.Errorf("warnings %s do not say where the date and zone came from", said)
	}
}

// Under a Duration of several days, each midnight the timeline passes is
// passed: the Duration holds 00:10 of both days, and the second comes
// after the first.
func TestTimelineOverTwoMidnightsWithinTheDuration(t *testing.T) {
	doc := "# Postmortem: Long outage\n\n## Issue Summary\n" +
		"- **Duration:** The outage occurred from January 25, 2024, 10:00 AM to January 27, 2024, 10:00 AM (UTC).\n\n## Timeline\n" +
		"- **10:00 AM (UTC):** Started.\n- **11:50 PM:** Still down.\n- **12:10 AM:** Past midnight.\n- **11:00 AM:** Next morning.\n" +
		"- **11:50 PM:** Second evening.\n- **12:10 AM:** Second midnight.\n- **2:00 AM:** Recovered.\n"
	d, _ := mustImport(t, []byte(doc))
	wantEvents(t, d, "2024-01-25 10:00 | Started.", "2024-01-25 23:50 | Still down.", "2024-01-26 00:10 | Past midnight.",
		"2024-01-26 11:00 | Next morning.", "2024-01-26 23:50 | Second evening.", "2024-01-27 00:10 | Second midnight.",
		"2024-01-27 02:00 | Recovered.")
}

// An entry or a task the store would refuse is refused at import, naming
// the line of the document it came from, not "events[1].text".
func TestImportRefusalNamesTheLine(t *testing.T) {
	long := strings.Repeat("word ", incident.MaxTextLen/5+1)
	for _, c := range []struct{ doc, field, line string }{
		{"# Postmortem: Outage\n\n## Timeline\n\n- **2024-01-01 10:00 UTC:** ok\n- **2024-01-01 10:05 UTC:** " + long + "\n", "events[1].text", "line 6: "},
		{"# Postmortem: Outage\n\n## Timeline\n\n- **2024-01-01 10:00 UTC:** ok\n\n## Action Items\n\n- Fix it\n- " + long + "\n", "tasks[1].title", "line 10: "},
	} {
		_, _, err := Import([]byte(c.doc), importNow)
		if incident.ErrorField(err) != c.field || !strings.HasPrefix(incident.ErrorMessage(err), c.line) {
			t.Errorf("error %v (field %q), want %s saying %q", err, incident.ErrorField(err), c.field, c.line)
		}
	}
}

// An entry noted out of order, hours before the one above it, stays on its
// day: the timeline went past midnight only when the next day's reading is
// the nearer one.
func TestEntryNotedOutOfOrderStaysOnItsDay(t *testing.T) {
	doc := "# Postmortem: Long outage\n\n## Issue Summary\n" +
		"- **Duration:** The outage occurred from January 25, 2024, 10:00 AM to January 27, 2024, 10:00 AM (UTC).\n\n## Timeline\n" +
		"- **10:00 AM (UTC):** Started.\n- **2:00 PM:** Rolled back.\n- **11:30 AM:** Paged (noted later).\n- **3:00 PM:** Recovered.\n"
	d, _ := mustImport(t, []byte(doc))
	wantEvents(t, d, "2024-01-25 10:00 | Started.", "2024-01-25 11:30 | Paged (noted later).",
		"2024-01-25 14:00 | Rolled back.", "2024-01-25 15:00 | Recovered.")
}
