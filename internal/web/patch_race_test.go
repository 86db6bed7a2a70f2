package web_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// rendezvousClock makes the first two calls of the store's clock after arm
// wait for each other (at most a second). UpdateTask and UpdateEvent read
// the clock right after loading the row they change, so two PATCHes that
// both get there have both read the row before either writes. Where the
// row is locked as it is read (PostgreSQL), or writes take turns (SQLite),
// the second gets there only once the first has committed, after the first
// has waited its second for it.
func rendezvousClock(st *store.Store) (arm func()) {
	var mu sync.Mutex
	armed, calls := false, 0
	var both chan struct{}
	st.Now = func() time.Time {
		mu.Lock()
		if !armed {
			mu.Unlock()
			return time.Now()
		}
		calls++
		n, ch := calls, both
		if n == 2 {
			close(both)
		}
		mu.Unlock()
		if n <= 2 {
			select {
			case <-ch:
			case <-time.After(time.Second):
			}
		}
		return time.Now()
	}
	return func() {
		mu.Lock()
		armed, calls, both = true, 0, make(chan struct{})
		mu.Unlock()
	}
}

// patchTogether sends two PATCHes at once, each of which must answer 200.
func patchTogether(t *testing.T, e *env, path string, bodies ...string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, body := range bodies {
		wg.Go(func() {
			if w := e.do(incident.RoleEditor, "PATCH", path, body); w.Code != 200 {
				t.Errorf("PATCH %s %s: %d %s", path, body, w.Code, w.Body)
			}
		})
	}
	wg.Wait()
}

// Two people changing different fields of one task or timeline entry at
// once both keep their change: a PATCH writes back the whole row, so one
// that read it before the other wrote would undo the other's change.
func TestConcurrentPatchesKeepBothChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		arm := rendezvousClock(st)
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
		var task incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Add an alert"}`, &task)
		var ev incident.Event
		e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Paged"}`, &ev)

		t.Run("Task", func(t *testing.T) {
			arm()
			patchTogether(t, e, fmt.Sprintf("/api/v1/tasks/%d", task.ID), `{"owner":"ana"}`, `{"status":"done"}`)
			var list struct{ Items []incident.Task }
			e.must(200, "GET", "/api/v1/tasks", "", &list)
			if got := list.Items[0]; got.Owner != "ana" || got.Status != incident.TaskDone {
				t.Fatalf("both PATCHes answered 200, yet the task has owner %q, status %q: one change was lost", got.Owner, got.Status)
			}
		})
		t.Run("Event", func(t *testing.T) {
			arm()
			patchTogether(t, e, fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", ev.ID), `{"text":"Paged the DBA"}`, `{"kind":"escalation"}`)
			var d incident.Detail
			e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
			for _, got := range d.Events {
				if got.ID == ev.ID && (got.Text != "Paged the DBA" || got.Kind != incident.KindEscalation) {
					t.Fatalf("both PATCHes answered 200, yet the event has text %q, kind %q: one change was lost", got.Text, got.Kind)
				}
			}
		})
	})
}
