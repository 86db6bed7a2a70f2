package postmortem

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hindsight"
	"hindsight/internal/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// richIncident has every part a postmortem shows: a timeline over
// midnight, entries that are not highlighted, causes, tasks in every
// state, and text kept from an import.
func richIncident() *incident.Detail {
	at := func(day, h, m int) time.Time { return time.Date(2024, 3, day, h, m, 0, 0, time.UTC) }
	p := func(t time.Time) *time.Time { return &t }
	due := time.Date(2024, 3, 22, 0, 0, 0, 0, time.UTC)
	rc := int64(11)
	return &incident.Detail{
		Incident: incident.Incident{
			ID: 7, Ref: "INC-7", Title: "Queue backlog delays notifications", Severity: incident.SEV2,
			Status: incident.StatusResolved, PostmortemStatus: incident.PostmortemInReview,
			Commander: "ana", Services: []string{"notifier", "queue"},
			Impact:     "Email and push notifications arrived up to 90 minutes late for all users.\n\nNo notification was lost.",
			RootCause:  "A consumer deploy halved the queue's throughput.",
			Resolution: "The consumer was rolled back and the backlog drained.",
			Conclusion: "Throughput is now part of the deploy checks.",
			Extra: "**Authors:** Ana Lima\n\n## Trigger\n\nThe 23:00 deploy of consumer 3.4.\n\n" +
				"## What went well\n\n- The backlog alert fired early.\n\n## Appendix\n\nQueue graphs are attached to the ticket.",
			StartedAt: p(at(14, 23, 5)), DetectedAt: p(at(14, 23, 20)), AcknowledgedAt: p(at(14, 23, 25)),
			MitigatedAt: p(at(15, 0, 10)), ResolvedAt: p(at(15, 0, 45)),
		},
		Events: []incident.Event{
			{ID: 1, At: at(14, 23, 5), Kind: incident.KindNote, Text: "Consumer 3.4 deployed.", Source: incident.SourceManual, Highlight: true},
			{ID: 2, At: at(14, 23, 20), Kind: incident.KindAlert, Text: "QueueBacklog firing", Source: incident.SourceWebhook},
			{ID: 3, At: at(14, 23, 20), Kind: incident.KindDetection, Text: "Backlog alert fired.", Source: incident.SourceManual, Highlight: true},
			{ID: 4, At: at(14, 23, 25), Kind: incident.KindStatus, Text: "Status changed from investigating to identified", Source: incident.SourceSystem},
			{ID: 5, At: at(15, 0, 10), Kind: incident.KindMitigation, Text: "Rolled back to 3.3.\n\nThroughput recovered within minutes.", Source: incident.SourceManual, Highlight: true},
			{ID: 6, At: at(15, 0, 45), Kind: incident.KindResolution, Text: "Backlog drained | all queues empty.", Source: incident.SourceManual, Highlight: true},
		},
		RootCauses: []incident.RootCause{
			{ID: rc, Description: "The consumer's new batching halved throughput.", Category: incident.CategoryCode, Primary: true},
			{ID: 12, Description: "Load tests ran with a tenth of production traffic.", Category: incident.CategoryProcess},
		},
		Tasks: []incident.Task{
			{ID: 1, Title: "Add a throughput check to the deploy pipeline.", Kind: incident.TaskImprovement, Priority: "P3", Status: incident.TaskOpen},
			{ID: 2, Title: "Roll back consumer 3.4.", Kind: incident.TaskTask, Owner: "ana", Priority: "P1", Status: incident.TaskDone},
			{ID: 3, Title: "Fix the batching of consumer 3.4.", Kind: incident.TaskTask, Owner: "bob", DueAt: &due, Priority: "P2",
				Status: incident.TaskInProgress, ExternalURL: "https://tracker.example.com/NOTIF-42", RootCauseID: &rc},
			{ID: 4, Title: "Load test with production traffic.", Kind: incident.TaskTask, Priority: "P3", Status: incident.TaskWontDo},
		},
		Alerts: []incident.Alert{},
	}
}

// TestGolden compares the export of richIncident with the files of
// testdata/golden; go test -update rewrites them after a deliberate change.
func TestGolden(t *testing.T) {
	berlin, err := LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	r := newTestRenderer(t)
	for _, tt := range []struct {
		file, tmpl string
		loc        *time.Location
	}{
		{"default.md", "default", nil},
		{"default-berlin.md", "default", berlin},
		{"sre.md", "sre", nil},
	} {
		t.Run(tt.file, func(t *testing.T) {
			got := render(t, r, richIncident(), tt.tmpl, tt.loc)
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := string(readFile(t, path))
			if got != want {
				t.Errorf("export differs from %s (go test -update rewrites it):\n%s", path, lineDiff(want, got))
			}
		})
	}
}

func TestRender(t *testing.T) {
	r := newTestRenderer(t)
	t.Run("DurationAndTimelineInUTC", func(t *testing.T) {
		out := render(t, r, richIncident(), "", nil)
		for _, want := range []string{
			"- **Duration:** The outage occurred from March 14, 2024, 11:05 PM to March 15, 2024, 12:45 AM (UTC).",
			"- **March 14, 2024, 11:05 PM (UTC):** Consumer 3.4 deployed.",
			"- **11:20 PM:** Backlog alert fired.",
			"- **March 15, 2024, 12:10 AM:** Rolled back to 3.3.",
		} {
			if !strings.Contains(out, want+"\n") {
				t.Errorf("export lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "QueueBacklog firing") || strings.Contains(out, "Status changed") {
			t.Errorf("entries that are not highlighted are in the postmortem:\n%s", out)
		}
	})
	t.Run("AnotherZoneSaysWhich", func(t *testing.T) {
		ny, _ := LoadLocation("America/New_York")
		out := render(t, r, richIncident(), "", ny)
		for _, want := range []string{
			"The outage occurred on March 14, 2024, from 7:05 PM to 8:45 PM (EDT).",
			"- **7:05 PM (EDT):** Consumer 3.4 deployed.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("export lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("SameDayHasNoDates", func(t *testing.T) {
		d, _ := mustImport(t, readFile(t, fixture("postmortems", "api-cache-outage.md")))
		out := render(t, r, d, "", nil)
		if strings.Contains(out, "**January 25") {
			t.Errorf("dates on a one-day timeline:\n%s", out)
		}
	})
	t.Run("OngoingIncident", func(t *testing.T) {
		d := richIncident()
		d.ResolvedAt = nil
		out := render(t, r, d, "", nil)
		if !strings.Contains(out, "The outage began on March 14, 2024, at 11:05 PM (UTC) and is not resolved yet.") {
			t.Errorf("export:\n%s", out)
		}
	})
	t.Run("EmptyIncident", func(t *testing.T) {
		out := render(t, r, &incident.Detail{Incident: incident.Incident{Title: "Nothing yet"}}, "sre", nil)
		if !strings.HasPrefix(out, "# Postmortem: Nothing yet\n\n## Summary\n") {
			t.Errorf("export:\n%s", out)
		}
	})
	t.Run("ErrUnknownTemplate", func(t *testing.T) {
		var buf bytes.Buffer
		err := r.Render(&buf, richIncident(), "nope", nil)
		if incident.ErrorCode(err) != incident.EINVALID || incident.ErrorField(err) != "template" || buf.Len() != 0 {
			t.Fatalf("err = %v, wrote %d bytes", err, buf.Len())
		}
		if !strings.Contains(err.Error(), "known are default, sre") {
			t.Errorf("the error does not list the templates: %v", err)
		}
	})
	t.Run("Markdown", func(t *testing.T) {
		b, err := r.Markdown(richIncident(), "sre", nil)
		if err != nil || string(b) != render(t, r, richIncident(), "sre", nil) {
			t.Fatalf("Markdown = %q, %v", b, err)
		}
	})
	t.Run("FileName", func(t *testing.T) {
		if got := FileName(richIncident()); got != "INC-7-postmortem.md" {
			t.Errorf("file name %q", got)
		}
	})
}

func TestUserTemplates(t *testing.T) {
	write := func(t *testing.T, dir, name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "brief.md.tmpl", "# {{.Ref}}: {{.Title}}\n\n{{.Duration}}\n")
		write(t, dir, "default.md.tmpl", "# Ours: {{.Title}}\n")
		write(t, dir, "notes.txt", "not a template {{")
		r, err := NewRenderer(hindsight.Files, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(r.Names(), ","); got != "default,brief,sre" {
			t.Errorf("templates %s", got)
		}
		if out := render(t, r, richIncident(), "brief", nil); !strings.HasPrefix(out, "# INC-7: Queue backlog delays notifications\n\nThe outage occurred") {
			t.Errorf("brief:\n%s", out)
		}
		if out := render(t, r, richIncident(), "", nil); out != "# Ours: Queue backlog delays notifications\n" {
			t.Errorf("a user template named default does not replace the built-in one:\n%s", out)
		}
	})
	t.Run("ErrParseNamesFileAndLine", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "broken.md.tmpl", "# {{.Title}}\n\n{{range .Timeline}}\n- {{.Text}}\n")
		_, err := NewRenderer(hindsight.Files, dir)
		var te *TemplateError
		if !errors.As(err, &te) || te.File != filepath.Join(dir, "broken.md.tmpl") || te.Line == 0 {
			t.Fatalf("err = %v", err)
		}
		if !strings.HasPrefix(err.Error(), filepath.Join(dir, "broken.md.tmpl")+":") {
			t.Errorf("message %q does not start with the file", err)
		}
	})
	t.Run("ErrUnknownFieldAtStart", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "typo.md.tmpl", "# {{.Title}}\n\n{{.Impcat}}\n")
		_, err := NewRenderer(hindsight.Files, dir)
		var te *TemplateError
		if !errors.As(err, &te) || te.Line != 3 || !strings.Contains(err.Error(), "Impcat") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrMissingDir", func(t *testing.T) {
		if _, err := NewRenderer(hindsight.Files, filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Fatal("a missing template directory is accepted")
		}
	})
}

func TestLoadLocation(t *testing.T) {
	for _, name := range []string{"", "UTC", "Europe/Berlin", "PST", "america/new_york"} {
		if name == "america/new_york" {
			continue // zone names are case-sensitive, as in the tz database
		}
		if _, err := LoadLocation(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	for _, name := range []string{"Mars/Olympus", "../../etc/passwd", "Local", "/etc/localtime"} {
		if _, err := LoadLocation(name); incident.ErrorCode(err) != incident.EINVALID || incident.ErrorField(err) != "tz" {
			t.Errorf("%q: err = %v, want an invalid tz", name, err)
		}
	}
}

// The example of docs/templates.md works as a user template.
func TestDocumentedExample(t *testing.T) {
	doc := string(readFile(t, filepath.Join("..", "..", "docs", "templates.md")))
	_, after, ok := strings.Cut(doc, "## Example\n\n```text\n")
	example, _, ok2 := strings.Cut(after, "```\n")
	if !ok || !ok2 {
		t.Fatal("docs/templates.md has no example")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.md.tmpl"), []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(hindsight.Files, dir)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, r, richIncident(), "example", nil)
	for _, want := range []string{"# INC-7: Queue backlog delays notifications\n", "- [x] Roll back consumer 3.4.\n",
		"- [ ] Fix the batching", "- **March 14, 2024, 11:05 PM (UTC):** Consumer 3.4 deployed.", "## Appendix"} {
		if !strings.Contains(out, want) {
			t.Errorf("example output lacks %q:\n%s", want, out)
		}
	}
}

// An export in any zone imports back to the same instants: the zone the
// export writes is one the importer reads.
func TestExportInZoneImportsBack(t *testing.T) {
	r := newTestRenderer(t)
	for _, name := range []string{"UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Dubai", "Australia/Adelaide", "Pacific/Chatham"} {
		t.Run(name, func(t *testing.T) {
			loc, err := LoadLocation(name)
			if err != nil {
				t.Fatal(err)
			}
			want := richIncident()
			for _, tmpl := range []string{"default", "sre"} {
				got, _ := mustImport(t, []byte(render(t, r, want, tmpl, loc)))
				if !got.StartedAt.Equal(*want.StartedAt) || !got.ResolvedAt.Equal(*want.ResolvedAt) {
					t.Errorf("%s: started %v resolved %v, want %v %v", tmpl, got.StartedAt, got.ResolvedAt, want.StartedAt, want.ResolvedAt)
				}
				var highlighted []incident.Event
				for _, e := range want.Events {
					if e.Highlight {
						highlighted = append(highlighted, e)
					}
				}
				if len(got.Events) != len(highlighted) {
					t.Fatalf("%s: %d entries, want %d", tmpl, len(got.Events), len(highlighted))
				}
				for i, e := range highlighted {
					if !got.Events[i].At.Equal(e.At) {
						t.Errorf("%s: entry %d at %v, want %v", tmpl, i, got.Events[i].At, e.At)
					}
				}
			}
		})
	}
}

func TestDaylightSavingChange(t *testing.T) {
	berlin, _ := LoadLocation("Europe/Berlin")
	// Clocks went from 2:00 CET to 3:00 CEST on March 31, 2024.
	start := time.Date(2024, 3, 31, 0, 30, 0, 0, time.UTC) // 1:30 AM CET
	end := time.Date(2024, 3, 31, 2, 0, 0, 0, time.UTC)    // 4:00 AM CEST
	d := &incident.Detail{Incident: incident.Incident{Title: "DST", StartedAt: &start, ResolvedAt: &end},
		Events: []incident.Event{
			{At: start, Text: "Started.", Highlight: true},
			{At: end, Text: "Resolved.", Highlight: true},
		}}
	out := render(t, newTestRenderer(t), d, "", berlin)
	for _, want := range []string{
		"The outage occurred on March 31, 2024, from 1:30 AM (CET) to 4:00 AM (CEST).",
		"- **1:30 AM (CET):** Started.",
		"- **4:00 AM (CEST):** Resolved.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
}

// Renderer, Import and RenderHTML are used by concurrent requests.
func TestConcurrentUse(t *testing.T) {
	r := newTestRenderer(t)
	src := readFile(t, fixture("postmortems", "api-cache-outage.md"))
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			d, _, err := Import(src, importNow)
			if err == nil {
				var buf bytes.Buffer
				err = r.Render(&buf, d, []string{"default", "sre"}[i%2], nil)
				if err == nil {
					_, err = RenderHTML(buf.Bytes())
				}
			}
			done <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// Entry texts of any shape come back from an export as they were.
func TestEntryTextsImportBack(t *testing.T) {
	r := newTestRenderer(t)
	texts := []string{
		"- first point\n- second point",
		"#123 deployed to production.",
		"## Not a heading of the postmortem",
		"2024. A year to remember.",
		"Paged the on-call.\n\n```\nERROR disk full\n```",
		"Pipes | in | text and a `code | span`.",
		"> Quoted from the status page.",
	}
	d := richIncident()
	d.Events = nil
	for i, text := range texts {
		d.Events = append(d.Events, incident.Event{At: d.StartedAt.Add(time.Duration(i) * time.Minute), Text: text, Highlight: true})
	}
	for _, tmpl := range []string{"default", "sre"} {
		out := render(t, r, d, tmpl, nil)
		got, _ := mustImport(t, []byte(out))
		if len(got.Events) != len(texts) {
			t.Fatalf("%s: %d entries back, want %d:\n%s", tmpl, len(got.Events), len(texts), out)
		}
		if tmpl == "sre" {
			continue // a table cell holds one line: the words come back, not the blocks
		}
		for i, want := range texts {
			if got.Events[i].Text != want {
				t.Errorf("%s: entry %d = %q, want %q", tmpl, i, got.Events[i].Text, want)
			}
		}
	}
}
