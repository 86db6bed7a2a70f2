package web

import (
	"testing"
	"time"
)

func TestMemoryBroker(t *testing.T) {
	b := NewMemoryBroker()
	one, cancelOne := b.Subscribe(1)
	two, cancelTwo := b.Subscribe(2)
	defer cancelTwo()
	b.Publish(Change{IncidentID: 1, Kind: ChangeEventNew, ID: 7})
	select {
	case c := <-one:
		if c.Kind != ChangeEventNew || c.ID != 7 {
			t.Fatalf("got %+v", c)
		}
	case <-time.After(time.Second):
		t.Fatal("the subscriber got nothing")
	}
	select {
	case c := <-two:
		t.Fatalf("another incident's subscriber got %+v", c)
	default:
	}
	t.Run("SlowSubscriberResyncs", func(t *testing.T) {
		for i := range 200 { // more than the buffer holds; Publish must not block
			b.Publish(Change{IncidentID: 1, Kind: ChangeEventNew, ID: int64(i)})
		}
		var last Change
		for range len(one) {
			last = <-one
		}
		if last.Kind != ChangeResync {
			t.Fatalf("a subscriber that fell behind last got %+v, not a resync", last)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		cancelOne()
		cancelOne()
		if _, ok := <-one; ok {
			t.Fatal("channel open after cancel")
		}
		b.Publish(Change{IncidentID: 1, Kind: ChangeIncident}) // nobody listens: no panic
	})
	t.Run("Close", func(t *testing.T) {
		b.Close()
		if _, ok := <-two; ok {
			t.Fatal("channel open after Close")
		}
		late, cancel := b.Subscribe(3)
		defer cancel()
		if _, ok := <-late; ok {
			t.Fatal("a subscription after Close is open")
		}
	})
}
