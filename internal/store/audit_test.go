package store_test

import (
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

func TestAuditTrail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		actx := incident.WithActor(ctx, "ana")
		d := &incident.Detail{Incident: incident.Incident{Title: "Cache outage", StartedAt: at("10:00")}}
		if err := s.CreateIncident(actx, d); err != nil {
			t.Fatal(err)
		}
		v := 1
		if _, err := s.UpdateIncident(incident.WithActor(ctx, "bob"), d.Ref, &incident.Patch{Version: &v, Severity: incident.Some(incident.SEV1)}); err != nil {
			t.Fatal(err)
		}
		ev := &incident.Event{At: *at("10:15"), Text: "Paged the on-call"}
		if err := s.AddEvent(actx, d.Ref, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateEvent(actx, d.Ref, ev.ID, &incident.EventPatch{Text: incident.Some("Paged the API on-call")}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteEvent(actx, d.Ref, ev.ID); err != nil {
			t.Fatal(err)
		}
		task := &incident.Task{Title: "Validate config"}
		if err := s.AddTask(actx, d.Ref, task); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateTask(ctx, task.ID, &incident.TaskPatch{Owner: incident.Some("carol")}); err != nil {
			t.Fatal(err)
		}
		// A refused change leaves no trace.
		stale := 1
		if _, err := s.UpdateIncident(actx, d.Ref, &incident.Patch{Version: &stale, Title: incident.Some("x")}); err == nil {
			t.Fatal("stale patch accepted")
		}

		log, err := s.AuditLog(ctx, d.Ref)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ actor, entity, action string }{
			{"ana", "incident", "create"}, {"bob", "incident", "update"}, {"ana", "event", "create"},
			{"ana", "event", "update"}, {"ana", "event", "delete"}, {"ana", "task", "create"}, {"system", "task", "update"},
		}
		if len(log) != len(want) {
			t.Fatalf("%d entries, want %d: %+v", len(log), len(want), log)
		}
		for i, w := range want {
			if log[i].Actor != w.actor || log[i].Entity != w.entity || log[i].Action != w.action {
				t.Errorf("entry %d = %s %s %s, want %+v", i, log[i].Actor, log[i].Entity, log[i].Action, w)
			}
		}
		sev := log[1].Changes["severity"]
		if sev.Old != "SEV3" || sev.New != "SEV1" || len(log[1].Changes) != 1 {
			t.Errorf("severity change = %+v (all: %+v)", sev, log[1].Changes)
		}
		text := log[3].Changes["text"]
		if text.Old != "Paged the on-call" || text.New != "Paged the API on-call" {
			t.Errorf("event text change = %+v", text)
		}
		if log[4].Changes["text"].Old != "Paged the API on-call" || log[4].Changes["text"].New != nil {
			t.Errorf("deletion keeps the old values: %+v", log[4].Changes)
		}
		if log[6].Changes["owner"].New != "carol" {
			t.Errorf("task owner change = %+v", log[6].Changes)
		}
	})
}
