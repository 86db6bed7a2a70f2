package store_test

import (
	"slices"
	"strings"
	"testing"

	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// another returns a new, empty store on s's kind of database.
func another(t *testing.T, s *store.Store) *store.Store {
	if s.Dialect() == store.SQLite {
		return storetest.SQLite(t)
	}
	return storetest.Postgres(t)
}

// The entry saying that every alert has resolved stands at the moment none
// fired, whether the alert that fired next came in the same transaction
// as the last resolution, in a later one, or before it.
func TestAllResolvedNoteDoesNotDependOnBatching(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	b := firing("fp2", "CacheDown", "cache-1:6379", clock("10:35:00"))
	end := group("g", resolved(a, clock("10:30:00")))
	next := group("g", resolved(a, clock("10:30:00")), b)
	const note = "10:30:00 The alert of this incident has resolved"
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		open := func() *store.Store {
			st := another(t, s)
			ingest(t, st, group("g", a))
			return st
		}
		oneByOne, together, nextFirst := open(), open(), open()
		ingest(t, oneByOne, end)
		ingest(t, oneByOne, next)
		if _, err := together.IngestTogether(ctx, end, next); err != nil {
			t.Fatal(err)
		}
		ingest(t, nextFirst, group("g", a, b))
		ingest(t, nextFirst, next)
		want := timeline(detail(t, oneByOne, "INC-1"))
		if !slices.Contains(want, note) {
			t.Fatalf("one transaction each: no %q:\n%s", note, strings.Join(want, "\n"))
		}
		for name, st := range map[string]*store.Store{"together": together, "the next alert first": nextFirst} {
			if got := timeline(detail(t, st, "INC-1")); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s:\n%s\nwant, as one transaction each:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}

		// The moment is noted once: a re-delivery, or an alert that comes
		// late and had ended by then, does not note it again.
		late := firing("fp3", "APIHighLatency", "api-2:8080", clock("10:05:00"))
		ingest(t, oneByOne, next)
		ingest(t, oneByOne, group("g", resolved(late, clock("10:20:00")), b))
		notes := 0
		for _, e := range timeline(detail(t, oneByOne, "INC-1")) {
			if strings.Contains(e, "resolved") && strings.Contains(e, "of this incident") {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("%d entries say that every alert has resolved, want 1:\n%s", notes, strings.Join(timeline(detail(t, oneByOne, "INC-1")), "\n"))
		}

		// Once the next alert resolves too, that is a moment of its own.
		ingest(t, oneByOne, group("g", resolved(b, clock("10:50:00"))))
		if got := timeline(detail(t, oneByOne, "INC-1")); got[len(got)-1] != "10:50:00 All 3 alerts of this incident have resolved" {
			t.Errorf("after the last alert resolved:\n%s", strings.Join(got, "\n"))
		}
	})
}

// Every moment when none fired is noted, each at the end of its own run
// of overlapping alerts, whichever transactions and in whichever order the
// ends came.
func TestAllResolvedNotesEveryMoment(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	b := firing("fp2", "CacheDown", "cache-1:6379", clock("10:40:00"))
	y := firing("fp3", "DiskFull", "db-1:9100", clock("10:45:00"))
	c := firing("fp4", "QueueStuck", "mq-1:9100", clock("11:00:00"))
	notes := func(st *store.Store) []string {
		var out []string
		for _, e := range timeline(detail(t, st, "INC-1")) {
			if strings.HasSuffix(e, "of this incident has resolved") || strings.HasSuffix(e, "of this incident have resolved") {
				out = append(out, e)
			}
		}
		return out
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		open := func() *store.Store {
			st := another(t, s)
			ingest(t, st, group("g", a))
			return st
		}
		t.Run("TwoMomentsInOneTransaction", func(t *testing.T) {
			first := group("g", resolved(a, clock("10:30:00")))
			second := group("g", resolved(a, clock("10:30:00")), resolved(b, clock("10:50:00")))
			oneByOne, together := open(), open()
			ingest(t, oneByOne, first)
			ingest(t, oneByOne, second)
			if _, err := together.IngestTogether(ctx, first, second); err != nil {
				t.Fatal(err)
			}
			want := []string{"10:30:00 The alert of this incident has resolved", "10:50:00 All 2 alerts of this incident have resolved"}
			for name, st := range map[string]*store.Store{"one by one": oneByOne, "together": together} {
				if got := notes(st); !slices.Equal(got, want) {
					t.Errorf("%s: notes %q, want %q", name, got, want)
				}
			}
		})
		t.Run("EarliestEndLast", func(t *testing.T) {
			// b (10:40-10:55) overlaps y (10:45-11:30), which c follows:
			// only 10:30 to 10:40 had no alert firing.
			rest := group("g", resolved(b, clock("10:55:00")), resolved(y, clock("11:30:00")), c)
			inOrder, late := open(), open()
			ingest(t, inOrder, group("g", resolved(a, clock("10:30:00"))))
			ingest(t, inOrder, rest)
			ingest(t, late, group("g", a, resolved(b, clock("10:55:00")), resolved(y, clock("11:30:00")), c))
			ingest(t, late, group("g", resolved(a, clock("10:30:00")), c))
			want := []string{"10:30:00 The alert of this incident has resolved"}
			for name, st := range map[string]*store.Store{"in order": inOrder, "the earliest end last": late} {
				if got := notes(st); !slices.Equal(got, want) {
					t.Errorf("%s: notes %q, want %q", name, got, want)
				}
			}
		})
	})
}
