package postmortem

import (
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// The export writes the title in its heading as it is; the import reads it
// back as written, not as the text a reader sees ("Cache ttl set to 0"),
// and a title ending in " #" keeps it: a heading would drop it as its
// closing sequence.
func TestTitleComesBackAsWritten(t *testing.T) {
	for _, title := range []string{"Cache `ttl` set to 0", "2*3*4 requests failed", "Disk full on <tmp> and /var",
		"Slow builds in C #", "Release ##", "#", "Issue #42", `Fix C \#`, "tab\t#", `a \\##`} {
		d := fixtureDetail(t)
		d.Title = title
		again, out := roundTrip(t, d, "", nil)
		if again.Title != title {
			t.Errorf("title %q came back %q\nfirst line: %s", title, again.Title, strings.SplitN(out, "\n", 2)[0])
		}
	}
}

// An outage over several days across a change of daylight saving time
// names the zone of each end; with only the end's zone the start came
// back an hour off.
func TestDurationAcrossDaysAndDaylightSaving(t *testing.T) {
	berlin, err := LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 3, 30, 20, 0, 0, 0, time.UTC) // 21:00 CET
	end := time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC)     // 04:00 CEST
	d := &incident.Detail{Incident: incident.Incident{Title: "Weekend outage", Severity: incident.SEV2,
		Status: incident.StatusResolved, StartedAt: &start, ResolvedAt: &end}}
	for _, at := range []time.Time{start, end} {
		d.Events = append(d.Events, incident.Event{At: at, Kind: incident.KindNote, Text: "entry", Highlight: true})
	}
	again, out := roundTrip(t, d, "", berlin)
	if !strings.Contains(out, "from March 30, 2024, 9:00 PM (CET) to April 1, 2024, 4:00 AM (CEST).") {
		t.Errorf("the Duration sentence does not name both zones:\n%s", out)
	}
	if again.StartedAt == nil || !again.StartedAt.Equal(start) {
		t.Errorf("started_at came back %v, want %v", again.StartedAt, start)
	}
	if again.ResolvedAt == nil || !again.ResolvedAt.Equal(end) {
		t.Errorf("resolved_at came back %v, want %v", again.ResolvedAt, end)
	}
}

// A pipe in a table cell is written "\|"; the entry and the task it is
// read into hold the pipe, not the backslash a code span would show.
func TestTableCellPipeComesBackBare(t *testing.T) {
	text := "Ran `grep -c miss | sort` on the cache logs."
	d := fixtureDetail(t)
	d.Events[2].Text = text
	d.Tasks[4].Title = text
	again, out := roundTrip(t, d, "sre", nil)
	if !strings.Contains(out, `miss \| sort`) {
		t.Fatalf("the sre template did not escape the pipe in its tables:\n%s", out)
	}
	if again.Events[2].Text != text {
		t.Errorf("entry came back %q, want %q", again.Events[2].Text, text)
	}
	found := false
	for _, tk := range again.Tasks {
		found = found || tk.Title == text
	}
	if !found {
		t.Errorf("no task titled %q came back", text)
	}
}

// A heading with a link, as other tools write them, gives its text as the
// title, not its Markdown with the URL.
func TestLinkedTitleIsItsText(t *testing.T) {
	d, _, err := Import([]byte("# Postmortem: [JIRA-123](https://jira.example.com/browse/JIRA-123) API outage\n\n## Summary\n\nDown.\n"), importNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "JIRA-123 API outage" {
		t.Errorf("title %q", d.Title)
	}
}

// A task whose title reads as the start of a block ("1. Add an alert",
// "+ plus") is written on its marker's line, escaped, and comes back as
// one task with its title. Written below a bare marker, the first of them
// began its item with a blank line, which cannot interrupt the paragraph
// "**Improvements/Fixes:**": the import made one task of several and the
// next export differed from the first.
func TestTaskTitleThatReadsAsABlock(t *testing.T) {
	titles := []string{"1. Add alert for TTL", "2024. Plan the year", "+ plus leading", "- dash leading", "## hash leading", "> quote leading", "| pipe leading"}
	for _, kind := range []incident.TaskKind{incident.TaskImprovement, incident.TaskTask} {
		d := fixtureDetail(t)
		d.Tasks = nil
		for _, title := range titles {
			d.Tasks = append(d.Tasks, incident.Task{Title: title, Kind: kind, Priority: "P3", Status: incident.TaskOpen})
		}
		again, out := roundTrip(t, d, "", nil)
		var got []string
		for _, tk := range again.Tasks {
			got = append(got, tk.Title)
		}
		if strings.Join(got, "\n") != strings.Join(titles, "\n") {
			t.Errorf("%s titles came back as\n%q\nwant\n%q\n%s", kind, got, titles, out)
		}
		if twice := render(t, newTestRenderer(t), again, "", nil); twice != out {
			t.Errorf("%s: a second export differs from the first:\n%s\n----\n%s", kind, out, twice)
		}
	}
}

// The sre template's Detection sentence is written from the detection
// time, and read back as that time, not kept as text: kept, it stayed as
// it was when the detection moved or another zone was asked for, and the
// default template gained a Detection section.
func TestDetectionSentenceComesBackAsTheTime(t *testing.T) {
	d := fixtureDetail(t)
	detected := d.StartedAt.Add(37 * time.Minute)
	d.DetectedAt = &detected
	again, out := roundTrip(t, d, "sre", nil)
	if !strings.Contains(out, "The incident was detected at 10:37 AM (UTC), 37 minutes after it began.") {
		t.Fatalf("no Detection sentence in the export:\n%s", out)
	}
	if again.DetectedAt == nil || !again.DetectedAt.Equal(detected) {
		t.Errorf("detected_at came back %v, want %v", again.DetectedAt, detected)
	}
	if strings.Contains(again.Extra, "detected") {
		t.Errorf("the sentence was kept as text: %q", again.Extra)
	}
	moved := detected.Add(time.Hour)
	again.DetectedAt = &moved
	if out := render(t, newTestRenderer(t), again, "sre", nil); !strings.Contains(out, "detected at 11:37 AM (UTC), 1 hour 37 minutes after") {
		t.Errorf("the sentence does not follow the detection:\n%s", out)
	}
}

// A Detection section the team wrote is kept as written, even when it
// begins as the export's sentence does.
func TestDetectionOfTheTeamsOwnIsKept(t *testing.T) {
	own := "The incident was detected by a customer complaint to support at 10:40 AM UTC."
	d, _ := mustImport(t, []byte("# Postmortem: Outage\n\n## Timeline\n\n- **10:00 AM (UTC):** Started.\n\n## Detection\n\n"+own+"\n"))
	if !strings.Contains(d.Extra, own) {
		t.Errorf("the team's Detection sentence was not kept: extra %q", d.Extra)
	}
}
