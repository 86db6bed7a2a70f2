package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

var ctx = context.Background()

func at(hhmm string) *time.Time {
	t, err := time.Parse(time.RFC3339, "2024-01-25T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return &t
}

// declare stores the example outage of the fixtures, started at 10:00.
func declare(t *testing.T, s *store.Store, title string, mutate ...func(*incident.Incident)) *incident.Incident {
	t.Helper()
	d := &incident.Detail{Incident: incident.Incident{
		Title: title, Severity: incident.SEV2, Commander: "ana",
		Services: []string{"api", "api-cache"}, StartedAt: at("10:00"),
		Impact: "API unavailable for 30% of users",
	}}
	for _, m := range mutate {
		m(&d.Incident)
	}
	if err := s.CreateIncident(ctx, d); err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	return &d.Incident
}

func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	if got := incident.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	if got := incident.ErrorField(err); got != field {
		t.Fatalf("error field = %q, want %q (%v)", got, field, err)
	}
}

func TestCreateIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Run("OK", func(t *testing.T) {
			inc := declare(t, s, "API server overloaded")
			if inc.Ref != "INC-1" || inc.Version != 1 || inc.Status != incident.StatusInvestigating {
				t.Fatalf("got ref %s version %d status %s", inc.Ref, inc.Version, inc.Status)
			}
			got, err := s.IncidentDetail(ctx, "INC-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != "API server overloaded" || got.Severity != incident.SEV2 || got.Commander != "ana" {
				t.Errorf("stored %+v", got.Incident)
			}
			if fmt.Sprint(got.Services) != "[api api-cache]" {
				t.Errorf("services = %v", got.Services)
			}
			if !got.StartedAt.Equal(*at("10:00")) || got.StartedAt.Location() != time.UTC {
				t.Errorf("started_at = %v", got.StartedAt)
			}
			if got.Events == nil || got.Tasks == nil || got.RootCauses == nil || got.Alerts == nil {
				t.Errorf("detail lists must be empty, not nil: %+v", got)
			}
			byID, err := s.Incident(ctx, fmt.Sprint(inc.ID))
			if err != nil || byID.Ref != "INC-1" {
				t.Errorf("by id: %v %v", byID, err)
			}
		})
		t.Run("ErrTitleRequired", func(t *testing.T) {
			err := s.CreateIncident(ctx, &incident.Detail{Incident: incident.Incident{Title: "  "}})
			wantCode(t, err, incident.EINVALID, "title")
		})
		t.Run("ErrMilestonesOutOfOrder", func(t *testing.T) {
			err := s.CreateIncident(ctx, &incident.Detail{Incident: incident.Incident{
				Title: "x", StartedAt: at("12:00"), ResolvedAt: at("11:00")}})
			wantCode(t, err, incident.EUNPROCESSABLE, "resolved_at")
		})
		t.Run("ErrBadEventWritesNothing", func(t *testing.T) {
			_, next, _ := s.ListIncidents(ctx, incident.Filter{})
			before, _, _ := s.ListIncidents(ctx, incident.Filter{Limit: 500})
			err := s.CreateIncident(ctx, &incident.Detail{
				Incident: incident.Incident{Title: "half"},
				Events:   []incident.Event{{At: *at("10:00"), Text: "ok"}, {At: *at("10:05"), Text: ""}},
			})
			wantCode(t, err, incident.EINVALID, "events[1].text")
			after, _, _ := s.ListIncidents(ctx, incident.Filter{Limit: 500})
			if len(after) != len(before) || next != "" {
				t.Fatalf("a refused import stored something: %d -> %d incidents", len(before), len(after))
			}
		})
		t.Run("NotFound", func(t *testing.T) {
			for _, ref := range []string{"INC-999", "999", "nonsense", "INC-x", "-1"} {
				_, err := s.Incident(ctx, ref)
				wantCode(t, err, incident.ENOTFOUND, "")
			}
		})
	})
}

func TestCreateIncidentWithTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		d := &incident.Detail{
			Incident: incident.Incident{Title: "Outage", StartedAt: at("10:00"), ResolvedAt: at("14:00"), Status: incident.StatusResolved},
			Events: []incident.Event{
				{At: *at("10:15"), Text: "Engineering team notified", Kind: incident.KindNotification, Source: incident.SourceImport, Highlight: true},
				{At: *at("10:00"), Text: "Issue detected", Kind: incident.KindDetection, Source: incident.SourceImport, Highlight: true},
			},
			RootCauses: []incident.RootCause{{Description: "Misconfigured cache", Category: incident.CategoryConfiguration, Primary: true}},
			Tasks:      []incident.Task{{Title: "Review caching configuration"}, {Title: "Stricter validation", Kind: incident.TaskImprovement}},
		}
		if err := s.CreateIncident(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, err := s.IncidentDetail(ctx, d.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Events) != 2 || got.Events[0].Text != "Issue detected" {
			t.Fatalf("timeline not in time order: %+v", got.Events)
		}
		if len(got.RootCauses) != 1 || !got.RootCauses[0].Primary || len(got.Tasks) != 2 {
			t.Fatalf("root causes %+v tasks %+v", got.RootCauses, got.Tasks)
		}
		if got.Tasks[0].Status != incident.TaskOpen || got.Tasks[0].Priority != "P3" || got.Tasks[1].Kind != incident.TaskImprovement {
			t.Errorf("task defaults: %+v", got.Tasks)
		}
		if got.ResolvedAt == nil || !got.ResolvedAt.Equal(*at("14:00")) {
			t.Errorf("resolved_at = %v, want the given 14:00", got.ResolvedAt)
		}
	})
}

func TestRefsUniqueUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const n = 40
		refs := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := &incident.Detail{Incident: incident.Incident{Title: fmt.Sprintf("concurrent %d", i)}}
				if err := s.CreateIncident(ctx, d); err != nil {
					t.Error(err)
					return
				}
				refs <- d.Ref
			}()
		}
		wg.Wait()
		close(refs)
		seen := map[string]bool{}
		for r := range refs {
			if seen[r] {
				t.Errorf("ref %s given twice", r)
			}
			seen[r] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct refs, want %d", len(seen), n)
		}
	})
}

func TestListIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for i := range 7 {
			declare(t, s, fmt.Sprintf("Cache outage %d", i), func(inc *incident.Incident) {
				inc.StartedAt = at(fmt.Sprintf("%02d:00", 10+i))
				if i%2 == 0 {
					inc.Severity = incident.SEV1
					inc.Services = []string{"db"}
				}
			})
		}
		declare(t, s, "Disk full", func(inc *incident.Incident) { inc.Impact = "Uploads 100% FAILED"; inc.StartedAt = at("09:00") })

		t.Run("NewestFirstWithCursor", func(t *testing.T) {
			var titles []string
			cursor := ""
			pages := 0
			for {
				items, next, err := s.ListIncidents(ctx, incident.Filter{Limit: 3, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, it := range items {
					titles = append(titles, it.Title)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			want := "[Cache outage 6 Cache outage 5 Cache outage 4 Cache outage 3 Cache outage 2 Cache outage 1 Cache outage 0 Disk full]"
			if fmt.Sprint(titles) != want || pages != 3 {
				t.Fatalf("%d pages: %v", pages, titles)
			}
		})
		t.Run("Filters", func(t *testing.T) {
			count := func(f incident.Filter) int {
				items, _, err := s.ListIncidents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				return len(items)
			}
			if n := count(incident.Filter{Severity: incident.SEV1}); n != 4 {
				t.Errorf("SEV1: %d, want 4", n)
			}
			if n := count(incident.Filter{Service: "db"}); n != 4 {
				t.Errorf("service db: %d, want 4", n)
			}
			if n := count(incident.Filter{Service: "api-cache"}); n != 4 {
				t.Errorf("service api-cache: %d, want 4", n)
			}
			if n := count(incident.Filter{Query: "failed"}); n != 1 {
				t.Errorf("q=failed (in impact, other case): %d, want 1", n)
			}
			if n := count(incident.Filter{Query: "100%"}); n != 1 {
				t.Errorf("q=100%%: %d, want 1", n)
			}
			if n := count(incident.Filter{Query: "_"}); n != 0 {
				t.Errorf("q=_ must match a literal underscore only: %d", n)
			}
			if n := count(incident.Filter{Status: incident.StatusResolved}); n != 0 {
				t.Errorf("resolved: %d, want 0", n)
			}
		})
		t.Run("OpenRefAndServiceCase", func(t *testing.T) {
			declare(t, s, "Recorded later", func(inc *incident.Incident) { inc.StartedAt = at("08:00"); inc.ResolvedAt = at("08:30") })
			titles := func(f incident.Filter) string {
				items, _, err := s.ListIncidents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, it := range items {
					out = append(out, it.Title)
				}
				return strings.Join(out, ", ")
			}
			if got := titles(incident.Filter{Status: incident.StatusAnyOpen, Limit: 100}); strings.Contains(got, "Recorded later") || strings.Count(got, ", ") != 7 {
				t.Errorf("status open lists %s: want the 8 open ones", got)
			}
			if got := titles(incident.Filter{Query: "inc-2"}); got != "Cache outage 1" {
				t.Errorf("q=inc-2 lists %q, want INC-2", got)
			}
			if got := titles(incident.Filter{Service: "DB", Severity: incident.SEV1, Limit: 1}); got != "Cache outage 6" {
				t.Errorf("service DB lists %q, want those of db", got)
			}
		})
		t.Run("ErrBadCursor", func(t *testing.T) {
			_, _, err := s.ListIncidents(ctx, incident.Filter{Cursor: "not-a-cursor"})
			wantCode(t, err, incident.EINVALID, "cursor")
		})
	})
}

func TestUpdateIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		s.Now = func() time.Time { return *at("10:20") }
		inc := declare(t, s, "API down")
		s.Now = time.Now
		v := 1
		t.Run("StatusChange", func(t *testing.T) {
			s.Now = func() time.Time { return *at("11:00") }
			defer func() { s.Now = time.Now }()
			got, err := s.UpdateIncident(incident.WithActor(ctx, "bob"), inc.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusMonitoring)})
			if err != nil {
				t.Fatal(err)
			}
			v = got.Version
			if got.Version != 2 || got.MitigatedAt == nil || !got.MitigatedAt.Equal(*at("11:00")) || got.AcknowledgedAt == nil {
				t.Fatalf("after monitoring: %+v", got)
			}
			d, _ := s.IncidentDetail(ctx, inc.Ref)
			if len(d.Events) != 1 || d.Events[0].Kind != incident.KindStatus || d.Events[0].Author != "bob" || d.Events[0].Highlight {
				t.Fatalf("status event: %+v", d.Events)
			}
		})
		t.Run("ClearAndZeroValues", func(t *testing.T) {
			got, err := s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &v,
				Commander: incident.Some(""), Services: incident.Some([]string{}),
				MitigatedAt: incident.Optional[time.Time]{Set: true, Null: true}})
			if err != nil {
				t.Fatal(err)
			}
			v = got.Version
			re, _ := s.Incident(ctx, inc.Ref)
			if re.Commander != "" || len(re.Services) != 0 || re.MitigatedAt != nil {
				t.Fatalf("zero values not written: %+v", re)
			}
		})
		t.Run("NoChangeKeepsVersion", func(t *testing.T) {
			before, _ := s.Incident(ctx, inc.Ref)
			trail, _ := s.AuditLog(ctx, inc.Ref)
			for _, p := range []*incident.Patch{
				{Version: &v},
				{Version: &v, Status: incident.Some(before.Status), Title: incident.Some(" " + before.Title + " ")},
				{Version: &v, Services: incident.Optional[[]string]{Set: true, Null: true}, Commander: incident.Some("")},
			} {
				got, err := s.UpdateIncident(ctx, inc.Ref, p)
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != v || !got.UpdatedAt.Equal(before.UpdatedAt) {
					t.Fatalf("a patch that changed nothing: version %d (was %d), updated_at %s (was %s)", got.Version, v, got.UpdatedAt, before.UpdatedAt)
				}
			}
			re, _ := s.Incident(ctx, inc.Ref)
			after, _ := s.AuditLog(ctx, inc.Ref)
			if re.Version != v || len(after) != len(trail) {
				t.Fatalf("stored version %d (want %d), audit entries %d (were %d)", re.Version, v, len(after), len(trail))
			}
		})
		t.Run("ErrStaleVersion", func(t *testing.T) {
			stale := 1
			_, err := s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &stale, Title: incident.Some("changed")})
			wantCode(t, err, incident.ECONFLICT, "version")
			re, _ := s.Incident(ctx, inc.Ref)
			if re.Title != "API down" || re.Version != v {
				t.Fatalf("a stale patch changed the incident: %+v", re)
			}
		})
		t.Run("ErrMilestoneOrder", func(t *testing.T) {
			_, err := s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &v, ResolvedAt: incident.Some(*at("09:00"))})
			wantCode(t, err, incident.EUNPROCESSABLE, "resolved_at")
			re, _ := s.Incident(ctx, inc.Ref)
			if re.ResolvedAt != nil || re.Version != v {
				t.Fatalf("a refused patch changed the incident: %+v", re)
			}
		})
	})
}

// A patch whose milestones are out of order is refused naming a field it
// sent, not one the status filled in between or one stored before, and
// says the times to the microsecond: to the second, two times that differ
// read as the same.
func TestUpdateIncidentMilestoneOrderNamesWhatWasSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		inc := declare(t, s, "API down")
		v := inc.Version
		_, err := s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved), ResolvedAt: incident.Some(*at("09:00"))})
		wantCode(t, err, incident.EUNPROCESSABLE, "resolved_at")

		ack := at("11:00").Add(500 * time.Millisecond)
		got, err := s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &v, AcknowledgedAt: incident.Some(ack)})
		if err != nil {
			t.Fatal(err)
		}
		v = got.Version
		_, err = s.UpdateIncident(ctx, inc.Ref, &incident.Patch{Version: &v, StartedAt: incident.Some(at("11:00").Add(900 * time.Millisecond))})
		wantCode(t, err, incident.EUNPROCESSABLE, "started_at")
		if want := "started_at (2024-01-25T11:00:00.9Z) is after acknowledged_at (2024-01-25T11:00:00.5Z)"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to say %q", err, want)
		}
		re, _ := s.Incident(ctx, inc.Ref)
		if re.Version != v || !re.StartedAt.Equal(*at("10:00")) || re.ResolvedAt != nil {
			t.Fatalf("a refused patch changed the incident: %+v", re)
		}
	})
}

// An incident recorded after the fact with its resolution is resolved, and
// moving an open incident between open statuses keeps a resolution it was
// given: only reopening clears it. Before, investigating to monitoring
// erased it, and the figures lost the incident's time to resolve.
func TestStatusKeepsAResolutionUnlessReopened(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		after := declare(t, s, "Recorded later", func(inc *incident.Incident) { inc.ResolvedAt = at("14:00") })
		if after.Status != incident.StatusResolved {
			t.Errorf("declared with resolved_at: status %s, want resolved", after.Status)
		}
		open := declare(t, s, "Still open", func(inc *incident.Incident) {
			inc.Status = incident.StatusInvestigating
			inc.ResolvedAt = at("14:00")
		})
		v := open.Version
		got, err := s.UpdateIncident(ctx, open.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusMonitoring)})
		if err != nil {
			t.Fatal(err)
		}
		if got.ResolvedAt == nil || !got.ResolvedAt.Equal(*at("14:00")) {
			t.Errorf("investigating to monitoring: resolved_at %v, want 14:00 kept", got.ResolvedAt)
		}
		v = got.Version
		if got, err = s.UpdateIncident(ctx, open.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		v = got.Version
		if got, err = s.UpdateIncident(ctx, open.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusIdentified)}); err != nil {
			t.Fatal(err)
		}
		if got.ResolvedAt != nil {
			t.Errorf("reopened: resolved_at %v, want it cleared", got.ResolvedAt)
		}
		// Reopened with a mitigation after the resolution it clears.
		v = got.Version
		if got, err = s.UpdateIncident(ctx, open.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved), ResolvedAt: incident.Some(*at("15:00"))}); err != nil {
			t.Fatal(err)
		}
		v = got.Version
		_, err = s.UpdateIncident(ctx, open.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusInvestigating), ResolvedAt: incident.Some(*at("16:00"))})
		wantCode(t, err, incident.EINVALID, "resolved_at") // reopening clears it: not taken and dropped
		if _, err = s.UpdateIncident(ctx, open.Ref, &incident.Patch{Version: &v, Status: incident.Some(incident.StatusInvestigating), MitigatedAt: incident.Some(*at("16:00"))}); err != nil {
			t.Errorf("reopening with a mitigation after the old resolution: %v", err)
		}
	})
}

func TestEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := declare(t, s, "A")
		b := declare(t, s, "B")
		e := &incident.Event{At: *at("10:30"), Text: "Rolled back the cache config", Kind: incident.KindMitigation, Highlight: true}
		if err := s.AddEvent(ctx, a.Ref, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.Source != incident.SourceManual {
			t.Fatalf("event %+v", e)
		}
		t.Run("Update", func(t *testing.T) {
			got, err := s.UpdateEvent(ctx, a.Ref, e.ID, &incident.EventPatch{At: incident.Some(*at("10:45")), Highlight: incident.Some(false)})
			if err != nil {
				t.Fatal(err)
			}
			if !got.At.Equal(*at("10:45")) || got.Highlight || got.Text != e.Text {
				t.Fatalf("updated %+v", got)
			}
		})
		t.Run("ErrOtherIncident", func(t *testing.T) {
			_, err := s.UpdateEvent(ctx, b.Ref, e.ID, &incident.EventPatch{Text: incident.Some("x")})
			wantCode(t, err, incident.ENOTFOUND, "")
			wantCode(t, s.DeleteEvent(ctx, b.Ref, e.ID), incident.ENOTFOUND, "")
		})
		t.Run("ErrInvalidKind", func(t *testing.T) {
			err := s.AddEvent(ctx, a.Ref, &incident.Event{At: *at("10:00"), Text: "x", Kind: "gossip"})
			wantCode(t, err, incident.EINVALID, "kind")
		})
		t.Run("Delete", func(t *testing.T) {
			if err := s.DeleteEvent(ctx, a.Ref, e.ID); err != nil {
				t.Fatal(err)
			}
			d, _ := s.IncidentDetail(ctx, a.Ref)
			if len(d.Events) != 0 {
				t.Fatalf("events left: %+v", d.Events)
			}
		})
	})
}

func TestRootCausesAndTasks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := declare(t, s, "A")
		b := declare(t, s, "B")
		ev := &incident.Event{At: *at("12:00"), Text: "Root cause identified", Kind: incident.KindRootCause}
		if err := s.AddEvent(ctx, a.Ref, ev); err != nil {
			t.Fatal(err)
		}
		rc := &incident.RootCause{Description: "Cache misconfiguration", Category: incident.CategoryConfiguration, Primary: true, Evidence: []int64{ev.ID}}
		if err := s.AddRootCause(ctx, a.Ref, rc); err != nil {
			t.Fatal(err)
		}
		t.Run("ErrEvidenceOfOtherIncident", func(t *testing.T) {
			err := s.AddRootCause(ctx, b.Ref, &incident.RootCause{Description: "x", Evidence: []int64{ev.ID}})
			wantCode(t, err, incident.EINVALID, "evidence")
		})
		due := at("09:00")
		task := &incident.Task{Title: "Validate cache config in CI", Owner: "ana", DueAt: due, RootCauseID: &rc.ID}
		if err := s.AddTask(ctx, a.Ref, task); err != nil {
			t.Fatal(err)
		}
		t.Run("ErrRootCauseOfOtherIncident", func(t *testing.T) {
			err := s.AddTask(ctx, b.Ref, &incident.Task{Title: "x", RootCauseID: &rc.ID})
			wantCode(t, err, incident.EINVALID, "root_cause_id")
		})
		t.Run("Overdue", func(t *testing.T) {
			ts, err := s.ListTasks(ctx, incident.TaskFilter{Overdue: true, Now: *at("10:00")})
			if err != nil || len(ts) != 1 || ts[0].IncidentRef != a.Ref {
				t.Fatalf("overdue: %+v %v", ts, err)
			}
			ts, _ = s.ListTasks(ctx, incident.TaskFilter{Overdue: true, Now: *at("08:00")})
			if len(ts) != 0 {
				t.Fatalf("not yet due but listed overdue: %+v", ts)
			}
		})
		t.Run("DoneThenReopened", func(t *testing.T) {
			got, err := s.UpdateTask(ctx, task.ID, &incident.TaskPatch{Status: incident.Some(incident.TaskDone)})
			if err != nil || got.CompletedAt == nil {
				t.Fatalf("done: %+v %v", got, err)
			}
			ts, _ := s.ListTasks(ctx, incident.TaskFilter{Overdue: true, Now: *at("10:00")})
			if len(ts) != 0 {
				t.Fatalf("a done task is listed overdue")
			}
			got, err = s.UpdateTask(ctx, task.ID, &incident.TaskPatch{Status: incident.Some(incident.TaskInProgress)})
			if err != nil || got.CompletedAt != nil {
				t.Fatalf("reopened: %+v %v", got, err)
			}
		})
		t.Run("Filters", func(t *testing.T) {
			ts, _ := s.ListTasks(ctx, incident.TaskFilter{Owner: "ana", Status: incident.TaskInProgress})
			if len(ts) != 1 {
				t.Fatalf("owner+status: %+v", ts)
			}
			ts, _ = s.ListTasks(ctx, incident.TaskFilter{Owner: "bob"})
			if len(ts) != 0 {
				t.Fatalf("owner bob: %+v", ts)
			}
		})
		t.Run("ErrUnknownTask", func(t *testing.T) {
			_, err := s.UpdateTask(ctx, 9999, &incident.TaskPatch{Title: incident.Some("x")})
			wantCode(t, err, incident.ENOTFOUND, "")
		})
		t.Run("DetailHasAll", func(t *testing.T) {
			d, err := s.IncidentDetail(ctx, a.Ref)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.RootCauses) != 1 || fmt.Sprint(d.RootCauses[0].Evidence) != fmt.Sprint([]int64{ev.ID}) || len(d.Tasks) != 1 {
				t.Fatalf("detail: %+v", d)
			}
		})
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		secret, tok, err := s.CreateToken(ctx, "ci", incident.RoleEditor)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.TokenBySecret(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Role != incident.RoleEditor {
			t.Fatalf("lookup: %+v %v", got, err)
		}
		_, err = s.TokenBySecret(ctx, secret+"x")
		wantCode(t, err, incident.EUNAUTHORIZED, "")
		if err := s.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.TokenBySecret(ctx, secret)
		wantCode(t, err, incident.EUNAUTHORIZED, "")
		_, _, err = s.CreateToken(ctx, "x", "root")
		wantCode(t, err, incident.EINVALID, "role")
	})
}

// TestRevocationsReachReplicas revokes tokens through one store while
// another, on the same PostgreSQL database, remembers them as valid: once
// listening, the other forgets them at once rather than after
// TokenCacheTTL, including a token revoked before it began to listen.
func TestRevocationsReachReplicas(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	revoker, replica := storetest.Open(t, dsn), storetest.Open(t, dsn)
	remembered := func(name string) string {
		t.Helper()
		secret, tok, err := revoker.CreateToken(ctx, name, incident.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := replica.TokenBySecret(ctx, secret); err != nil {
			t.Fatalf("replica looks up %s: %v", name, err)
		}
		if err := revoker.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	refusedSoon := func(name, secret string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			_, err := replica.TokenBySecret(ctx, secret)
			if incident.ErrorCode(err) == incident.EUNAUTHORIZED {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica still takes %s, revoked 2s ago: %v", name, err)
			}
		}
	}

	early := remembered("revoked before the replica listens")
	lctx, stop := context.WithCancel(ctx)
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		replica.Listen(lctx, slog.New(slog.DiscardHandler), replica.Revocations())
	}()
	t.Cleanup(func() { stop(); <-listening })
	refusedSoon("a token revoked before the replica listened", early)
	// Listening now: this revocation is heard.
	refusedSoon("a token revoked while the replica listens", remembered("revoked while it listens"))
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if _, err := s.CreateUser(ctx, "Ana@Example.com", incident.RoleAdmin, "$2a$hash"); err != nil {
			t.Fatal(err)
		}
		_, err := s.CreateUser(ctx, "ana@example.com", incident.RoleViewer, "$2a$hash")
		wantCode(t, err, incident.ECONFLICT, "email")
		u, hash, err := s.UserPasswordHash(ctx, "ANA@example.com")
		if err != nil || u.Role != incident.RoleAdmin || hash != "$2a$hash" {
			t.Fatalf("%+v %q %v", u, hash, err)
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	declare(t, s, "persisted")
	s.Close()
	s, err = store.Open(ctx, path) // migrations already applied: none runs again
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inc := declare(t, s, "second")
	if inc.Ref != "INC-2" {
		t.Fatalf("ref after reopen = %s, want INC-2", inc.Ref)
	}
}

func TestBackupDuringWrites(t *testing.T) {
	s := storetest.SQLite(t)
	declare(t, s, "before backup")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d := &incident.Detail{Incident: incident.Incident{Title: fmt.Sprintf("during %d", i)}}
			if err := s.CreateIncident(ctx, d); err != nil {
				t.Errorf("write during backup: %v", err)
				return
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "backup.db")
	err := s.Backup(ctx, out)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Incident(ctx, "INC-1"); err != nil {
		t.Fatalf("backup lacks INC-1: %v", err)
	}
	var ok string
	if err := b.QueryRow(ctx, "PRAGMA integrity_check", &ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
}

func TestPoolSizeFromURL(t *testing.T) {
	dsn := storetest.PostgresURL(t) + "&pool_max_conns=3"
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("pool_max_conns must not reach the server: %v", err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(ctx, storetest.PostgresURL(t)+"&pool_max_conns=lots")
	wantCode(t, err, incident.EINVALID, "")
}

// A write gives up when its context ends before it begins, waiting for
// SQLite's one write connection, and stores nothing.
func TestWriteWaitEndsWithContext(t *testing.T) {
	s := storetest.SQLite(t)
	release, err := s.HoldWriteConnection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = s.CreateIncident(wctx, &incident.Detail{Incident: incident.Incident{Title: "waits"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write while the connection is held: %v, want context.DeadlineExceeded", err)
	}
	release()
	declare(t, s, "after") // the connection serves writes again
	list, _, err := s.ListIncidents(ctx, incident.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Title != "after" {
		t.Fatalf("incidents %+v, want only the one written after", list)
	}
}

// TestBackupLeavesNothingBehind: a backup refused or cut short leaves no
// file that could be taken for a backup.
func TestBackupLeavesNothingBehind(t *testing.T) {
	s := storetest.SQLite(t)
	declare(t, s, "to back up")
	dir := t.TempDir()
	t.Run("ErrExists", func(t *testing.T) {
		out := filepath.Join(dir, "exists.db")
		if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.Backup(ctx, out), incident.ECONFLICT, "")
		if b, _ := os.ReadFile(out); string(b) != "keep me" {
			t.Fatalf("existing file changed: %q", b)
		}
		os.Remove(out)
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Backup(cctx, filepath.Join(dir, "canceled.db")); err == nil {
			t.Fatal("backup with a canceled context succeeded")
		}
	})
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
	t.Run("OK", func(t *testing.T) {
		out := filepath.Join(dir, "ok.db")
		if err := s.Backup(ctx, out); err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != "ok.db" {
			t.Fatalf("directory after backup: %v", entries)
		}
	})
}

// A read gives up when its context ends while every connection of SQLite's
// read pool is busy, as a client that left would want.
func TestReadWaitEndsWithContext(t *testing.T) {
	s := storetest.SQLite(t)
	declare(t, s, "read")
	release, err := s.HoldReadConnections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Incident(rctx, "INC-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read while the pool is busy: %v, want context.DeadlineExceeded", err)
	}
	release()
	if inc, err := s.Incident(ctx, "INC-1"); err != nil || inc.Title != "read" {
		t.Fatalf("read once the pool is free: %+v %v", inc, err)
	}
}
