package postmortem

import (
	"testing"
	"time"

	"hindsight/internal/incident"
)

// fixtureDetail imports the reference postmortem: a realistic incident to
// change one field of.
func fixtureDetail(t *testing.T) *incident.Detail {
	t.Helper()
	d, _ := mustImport(t, readFile(t, fixture("postmortems", "api-cache-outage.md")))
	return d
}

// roundTrip exports d with template tmpl in loc and imports the result.
func roundTrip(t *testing.T, d *incident.Detail, tmpl string, loc *time.Location) (*incident.Detail, string) {
	t.Helper()
	out := render(t, newTestRenderer(t), d, tmpl, loc)
	again, _, err := Import([]byte(out), importNow)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, out)
	}
	return again, out
}

// An entry's text may start with punctuation: it is not part of the
// separator after "**10:30 AM:**" ("-5%" did not come back "5%").
func TestEntryTextKeepsLeadingPunctuation(t *testing.T) {
	for _, text := range []string{"-5% drop in checkout traffic.", ".NET workers restarted.", "...and the cache filled again."} {
		d := fixtureDetail(t)
		d.Events[2].Text = text
		again, out := roundTrip(t, d, "", nil)
		if len(again.Events) != len(d.Events) || again.Events[2].Text != text {
			t.Errorf("entry %q came back %q\n%s", text, again.Events[2].Text, out)
		}
	}
}

// The lines of an entry, typed with Shift+Enter and shown apart on the
// page, come back apart, as do Markdown's hard breaks.
func TestEntryTextKeepsLineBreaks(t *testing.T) {
	for _, text := range []string{"Rolled back the config.\nRestarted the API servers.",
		"Rolled back the config.\\\nRestarted the API servers.", "Rolled back the config.  \nRestarted the API servers."} {
		d := fixtureDetail(t)
		d.Events[2].Text = text
		again, out := roundTrip(t, d, "", nil)
		if again.Events[2].Text != text {
			t.Errorf("entry %q came back %q\n%s", text, again.Events[2].Text, out)
		}
	}
}

// A task whose text starts with a block (a quote, a table row) stays a
// task: below a bare "2." with a blank line between, CommonMark ended the
// item empty and the task fell out of the list.
func TestTaskStartingWithBlock(t *testing.T) {
	for _, title := range []string{"> 5% error rate must page the on-call", "| alert | threshold | to be added"} {
		d := fixtureDetail(t)
		d.Tasks[4].Title = title
		again, out := roundTrip(t, d, "", nil)
		if len(again.Tasks) != len(d.Tasks) {
			t.Fatalf("%d tasks came back, want %d; extra: %q\n%s", len(again.Tasks), len(d.Tasks), again.Extra, out)
		}
		if again.Tasks[4].Title != title {
			t.Errorf("task %q came back %q", title, again.Tasks[4].Title)
		}
	}
}

// A task title that ends in a parenthesis keeps it: written bare, an open
// task "Update the runbook (done)" read back as done.
func TestTaskTitleEndingInParenthesis(t *testing.T) {
	for _, title := range []string{"Update the runbook (done)", "Add retries to the client (@ana)", "Migrate the cache cluster (P1)"} {
		d := fixtureDetail(t)
		d.Tasks[4].Title, d.Tasks[4].Owner, d.Tasks[4].Status, d.Tasks[4].Priority = title, "", incident.TaskOpen, "P3"
		again, _ := roundTrip(t, d, "", nil)
		g := again.Tasks[4]
		if g.Title != title || g.Owner != "" || g.Status != incident.TaskOpen || (g.Priority != "" && g.Priority != "P3") {
			t.Errorf("task %q came back title=%q owner=%q status=%q priority=%q", title, g.Title, g.Owner, g.Status, g.Priority)
		}
	}
}

// An owner or a link may hold a comma: "_(owner: Ana, Bob)_" was split
// at it, read as no fields, and left in the title.
func TestTaskFieldsWithComma(t *testing.T) {
	for _, tc := range []struct{ owner, link string }{
		{"Ana, Bob", ""},
		{"", "https://jira.example.com/issues/?jql=key%20in%20(OPS-1,OPS-2)"},
	} {
		d := fixtureDetail(t)
		d.Tasks[4].Owner, d.Tasks[4].ExternalURL = tc.owner, tc.link
		again, _ := roundTrip(t, d, "", nil)
		g := again.Tasks[4]
		if g.Title != d.Tasks[4].Title || g.Owner != tc.owner || g.ExternalURL != tc.link {
			t.Errorf("owner %q, link %q came back title=%q owner=%q link=%q", tc.owner, tc.link, g.Title, g.Owner, g.ExternalURL)
		}
	}
}
