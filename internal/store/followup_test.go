package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

func fixedClock(s *store.Store, t time.Time) { s.Now = func() time.Time { return t } }

func addTask(t *testing.T, s *store.Store, ref string, task *incident.Task) *incident.Task {
	t.Helper()
	if err := s.AddTask(ctx, ref, task); err != nil {
		t.Fatalf("add task %q: %v", task.Title, err)
	}
	return task
}

func addRootCause(t *testing.T, s *store.Store, ref, desc string) *incident.RootCause {
	t.Helper()
	rc := &incident.RootCause{Description: desc}
	if err := s.AddRootCause(ctx, ref, rc); err != nil {
		t.Fatal(err)
	}
	return rc
}

// endOfDay is the last second of t's day in UTC: when a default due date
// falls due, as one typed as that day does.
func endOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 23, 59, 59, 0, time.UTC)
}

func TestDefaultDueDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := *at("10:00")
		fixedClock(s, now)
		sev1 := declare(t, s, "Outage", func(i *incident.Incident) { i.Severity = incident.SEV1 })
		sev4 := declare(t, s, "Blip", func(i *incident.Incident) { i.Severity = incident.SEV4 })
		t.Run("BySeverity", func(t *testing.T) {
			a := addTask(t, s, sev1.Ref, &incident.Task{Title: "a"})
			b := addTask(t, s, sev4.Ref, &incident.Task{Title: "b"})
			if a.DueAt == nil || !a.DueAt.Equal(endOfDay(now.AddDate(0, 0, 14))) || b.DueAt == nil || !b.DueAt.Equal(endOfDay(now.AddDate(0, 0, 90))) {
				t.Fatalf("SEV1 due %v, SEV4 due %v", a.DueAt, b.DueAt)
			}
			got, _ := s.Task(ctx, a.ID)
			if !got.DueAt.Equal(*a.DueAt) {
				t.Fatalf("stored due %v", got.DueAt)
			}
		})
		t.Run("GivenDueKept", func(t *testing.T) {
			c := addTask(t, s, sev1.Ref, &incident.Task{Title: "c", DueAt: at("18:00")})
			if !c.DueAt.Equal(*at("18:00")) {
				t.Fatal(c.DueAt)
			}
		})
		t.Run("DoneTaskGetsNone", func(t *testing.T) {
			d := addTask(t, s, sev1.Ref, &incident.Task{Title: "d", Status: incident.TaskDone})
			if d.DueAt != nil {
				t.Fatal(d.DueAt)
			}
		})
		t.Run("Configured", func(t *testing.T) {
			s.TaskDue, _ = incident.ParseDuePolicy("SEV1=3d,SEV4=none")
			defer func() { s.TaskDue = nil }()
			e := addTask(t, s, sev1.Ref, &incident.Task{Title: "e"})
			f := addTask(t, s, sev4.Ref, &incident.Task{Title: "f"})
			if !e.DueAt.Equal(endOfDay(now.AddDate(0, 0, 3))) || f.DueAt != nil {
				t.Fatalf("SEV1=3d gave %v, SEV4=none gave %v", e.DueAt, f.DueAt)
			}
		})
		t.Run("Imported", func(t *testing.T) {
			d := &incident.Detail{Incident: incident.Incident{Title: "Imported", Severity: incident.SEV2},
				Tasks: []incident.Task{{Title: "open one"}, {Title: "done one", Status: incident.TaskDone}}}
			if err := s.CreateIncident(ctx, d); err != nil {
				t.Fatal(err)
			}
			if d.Tasks[0].DueAt == nil || !d.Tasks[0].DueAt.Equal(endOfDay(now.AddDate(0, 0, 30))) || d.Tasks[1].DueAt != nil {
				t.Fatalf("imported tasks due %v and %v", d.Tasks[0].DueAt, d.Tasks[1].DueAt)
			}
		})
	})
}

func TestTaskFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		sev1 := declare(t, s, "Outage", func(i *incident.Incident) { i.Severity = incident.SEV1 })
		sev3 := declare(t, s, "Blip", func(i *incident.Incident) { i.Severity = incident.SEV3 })
		addTask(t, s, sev1.Ref, &incident.Task{Title: "late", DueAt: at("09:00")})
		addTask(t, s, sev1.Ref, &incident.Task{Title: "soon", DueAt: at("12:00"), Status: incident.TaskInProgress})
		addTask(t, s, sev1.Ref, &incident.Task{Title: "done", DueAt: at("09:00"), Status: incident.TaskDone})
		addTask(t, s, sev3.Ref, &incident.Task{Title: "later", DueAt: at("20:00")})
		addTask(t, s, sev3.Ref, &incident.Task{Title: "skipped", DueAt: at("09:00"), Status: incident.TaskWontDo})
		titles := func(f incident.TaskFilter) string {
			t.Helper()
			ts, err := s.ListTasks(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range ts {
				out = append(out, x.Title)
			}
			return fmt.Sprint(out)
		}
		for _, tc := range []struct {
			name string
			f    incident.TaskFilter
			want string
		}{
			{"Severity", incident.TaskFilter{Severity: incident.SEV1}, "[late soon done]"},
			{"SeverityAndStatus", incident.TaskFilter{Severity: incident.SEV3, Status: incident.TaskOpen}, "[later]"},
			{"Incident", incident.TaskFilter{IncidentID: sev3.ID}, "[later skipped]"},
			{"Unfinished", incident.TaskFilter{Unfinished: true}, "[late soon later]"},
			{"DueBefore", incident.TaskFilter{Unfinished: true, DueBefore: *at("13:00")}, "[late soon]"},
			{"OverdueBySeverity", incident.TaskFilter{Overdue: true, Now: *at("10:00"), Severity: incident.SEV1}, "[late]"},
			{"NoMatch", incident.TaskFilter{Severity: incident.SEV2}, "[]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := titles(tc.f); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
	})
}

func TestOpenRisks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := declare(t, s, "A", func(i *incident.Incident) { i.Severity = incident.SEV3 })
		b := declare(t, s, "B", func(i *incident.Incident) { i.Severity = incident.SEV1 })
		fixed := addRootCause(t, s, a.Ref, "fixed")
		wont := addRootCause(t, s, a.Ref, "only a task nobody will do")
		bare := addRootCause(t, s, a.Ref, "no task at all")
		working := addRootCause(t, s, b.Ref, "task in progress")
		addTask(t, s, a.Ref, &incident.Task{Title: "fix", Status: incident.TaskDone, RootCauseID: &fixed.ID})
		addTask(t, s, a.Ref, &incident.Task{Title: "fix too", Status: incident.TaskOpen, RootCauseID: &fixed.ID})
		addTask(t, s, a.Ref, &incident.Task{Title: "skip", Status: incident.TaskWontDo, RootCauseID: &wont.ID})
		addTask(t, s, b.Ref, &incident.Task{Title: "a", Status: incident.TaskInProgress, RootCauseID: &working.ID})
		addTask(t, s, b.Ref, &incident.Task{Title: "b", Status: incident.TaskOpen, RootCauseID: &working.ID})

		risks, err := s.OpenRisks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(risks) != 3 {
			t.Fatalf("open risks %+v, want 3", risks)
		}
		// The SEV1 incident's risk first, then by root cause.
		want := []struct {
			id    int64
			tasks int
		}{{working.ID, 2}, {wont.ID, 0}, {bare.ID, 0}}
		for i, w := range want {
			r := risks[i]
			if r.RootCauseID != w.id || r.OpenTasks != w.tasks {
				t.Errorf("risk %d: %+v, want root cause %d with %d open tasks", i, r, w.id, w.tasks)
			}
		}
		if r := risks[0]; r.IncidentRef != b.Ref || r.IncidentTitle != "B" || r.Severity != incident.SEV1 || r.Description != "task in progress" || r.CreatedAt.IsZero() {
			t.Errorf("risk fields %+v", r)
		}
		// The store's query and the domain's rule agree.
		data, err := s.StatsData(ctx, incident.StatsFilter{To: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if ids := incident.OpenRiskIDs(data.RootCauses, data.Tasks); len(ids) != 3 {
			t.Errorf("domain counts %v", ids)
		}
	})
}

func TestStatsData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		jan := declare(t, s, "January", func(i *incident.Incident) { i.StartedAt = ts("2024-01-10T10:00:00Z") })
		feb := declare(t, s, "February", func(i *incident.Incident) {
			i.StartedAt, i.Severity, i.Services = ts("2024-02-10T10:00:00Z"), incident.SEV1, []string{"db"}
		})
		declare(t, s, "March", func(i *incident.Incident) { i.StartedAt = ts("2024-03-01T00:00:00Z") })
		addTask(t, s, jan.Ref, &incident.Task{Title: "jan task"})
		addTask(t, s, feb.Ref, &incident.Task{Title: "feb task"})
		addRootCause(t, s, feb.Ref, "feb cause")

		load := func(f incident.StatsFilter) *incident.StatsData {
			t.Helper()
			d, err := s.StatsData(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		d := load(incident.StatsFilter{From: ts("2024-01-01T00:00:00Z"), To: *ts("2024-03-01T00:00:00Z")})
		if len(d.Incidents) != 2 || d.Incidents[0].Title != "January" || len(d.Tasks) != 2 || len(d.RootCauses) != 1 {
			t.Fatalf("[jan, mar): %d incidents, %d tasks, %d root causes", len(d.Incidents), len(d.Tasks), len(d.RootCauses))
		}
		if got := d.Incidents[1]; got.StartedAt == nil || !got.StartedAt.Equal(*ts("2024-02-10T10:00:00Z")) || got.Severity != incident.SEV1 {
			t.Fatalf("loaded %+v", got)
		}
		d = load(incident.StatsFilter{To: *ts("2025-01-01T00:00:00Z"), Severity: incident.SEV1})
		if len(d.Incidents) != 1 || d.Incidents[0].Ref != feb.Ref || len(d.Tasks) != 1 || d.Tasks[0].Title != "feb task" {
			t.Fatalf("SEV1: %+v", d)
		}
		d = load(incident.StatsFilter{To: *ts("2025-01-01T00:00:00Z"), Service: "db"})
		if len(d.Incidents) != 1 || d.Incidents[0].Ref != feb.Ref {
			t.Fatalf("service db: %+v", d.Incidents)
		}
		d = load(incident.StatsFilter{From: ts("2023-01-01T00:00:00Z"), To: *ts("2023-06-01T00:00:00Z")})
		if len(d.Incidents) != 0 || len(d.Tasks) != 0 || len(d.RootCauses) != 0 {
			t.Fatalf("empty range: %+v", d)
		}
	})
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestClaimDigest(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		// Two replicas on one database.
		r1, r2 := storetest.Open(t, dsn), storetest.Open(t, dsn)
		now := *ts("2024-01-25T09:00:00Z")
		claim := func(s *store.Store, owner, day string, at time.Time) (*incident.Digest, bool) {
			t.Helper()
			d := &incident.Digest{Day: day, Status: incident.DigestClaimed, ClaimedBy: owner, ClaimedAt: at,
				LeaseUntil: at.Add(time.Minute), Text: "from " + owner}
			won, err := s.ClaimDigest(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			return d, won
		}
		t.Run("OneOfManyWins", func(t *testing.T) {
			var wins sync.Map
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					s := r1
					if i%2 == 1 {
						s = r2
					}
					d := &incident.Digest{Day: "2024-01-25", Status: incident.DigestClaimed, ClaimedBy: fmt.Sprint("server-", i),
						ClaimedAt: now, LeaseUntil: now.Add(time.Minute)}
					won, err := s.ClaimDigest(ctx, d)
					if err != nil {
						t.Error(err)
					}
					if won {
						wins.Store(i, true)
					}
				})
			}
			wg.Wait()
			n := 0
			wins.Range(func(any, any) bool { n++; return true })
			if n != 1 {
				t.Fatalf("%d servers claimed one day", n)
			}
		})
		t.Run("LoserCannotWrite", func(t *testing.T) {
			d := &incident.Digest{Day: "2024-01-25", ClaimedBy: "intruder", Status: incident.DigestSent}
			err := r2.UpdateDigest(ctx, d)
			wantCode(t, err, incident.ECONFLICT, "")
		})
		t.Run("TakeOverAfterLeaseWhenNothingWasSent", func(t *testing.T) {
			d, won := claim(r1, "dies", "2024-01-26", now)
			if !won {
				t.Fatal("first claim lost")
			}
			if _, won := claim(r2, "early", "2024-01-26", now.Add(30*time.Second)); won {
				t.Fatal("took over within the lease")
			}
			got, won := claim(r2, "heir", "2024-01-26", now.Add(2*time.Minute))
			if !won || got.ClaimedBy != "heir" || got.Text != "from heir" {
				t.Fatalf("take over after the lease: won %v, %+v", won, got)
			}
			d.Status = incident.DigestSent
			wantCode(t, r1.UpdateDigest(ctx, d), incident.ECONFLICT, "")
		})
		t.Run("NoTakeOverWhileInDoubt", func(t *testing.T) {
			d, _ := claim(r1, "sender", "2024-01-27", now)
			d.Attempts, d.InDoubt = 1, true
			if err := r1.UpdateDigest(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, won := claim(r2, "heir", "2024-01-27", now.Add(time.Hour)); won {
				t.Fatal("a day whose request may have arrived was taken over")
			}
			got, err := r2.Digest(ctx, "2024-01-27")
			if err != nil || got.ClaimedBy != "sender" || !got.InDoubt || got.Attempts != 1 {
				t.Fatalf("%+v %v", got, err)
			}
		})
		t.Run("SentIsFinal", func(t *testing.T) {
			d, _ := claim(r1, "sender", "2024-01-28", now)
			d.Status, d.SentAt = incident.DigestSent, &now
			if err := r1.UpdateDigest(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, won := claim(r2, "heir", "2024-01-28", now.Add(24*time.Hour)); won {
				t.Fatal("a sent day was claimed again")
			}
			list, err := r2.ListDigests(ctx, 10)
			if err != nil || len(list) != 4 || list[0].Day != "2024-01-28" || list[0].Status != incident.DigestSent || !list[0].SentAt.Equal(now) {
				t.Fatalf("%+v %v", list, err)
			}
		})
	})
}
