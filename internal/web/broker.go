package web

import "sync"

// Change says that something of an incident changed. It is small on
// purpose: a broker that spans replicas (PostgreSQL NOTIFY) carries it as
// is, and each live view loads what it shows from the database.
type Change struct {
	IncidentID int64  `json:"incident_id"`
	Kind       string `json:"kind"`         // one of the Change* kinds
	ID         int64  `json:"id,omitempty"` // of the event, task or root cause
}

// Kinds of change.
const (
	ChangeIncident  = "incident.updated"
	ChangeEventNew  = "event.created"
	ChangeEventEdit = "event.updated"
	ChangeEventGone = "event.deleted"
	ChangeRootCause = "root_cause.created"
	ChangeTaskNew   = "task.created"
	ChangeTaskEdit  = "task.updated"
	ChangeAlerts    = "alerts.received"
	// ChangeResync tells a subscriber that fell behind that changes were
	// dropped: it must reload what it shows.
	ChangeResync = "resync"
)

// Broker delivers changes to the live views of incidents.
type Broker interface {
	// Publish tells every subscriber of c.IncidentID about c. It never
	// blocks on a slow subscriber.
	Publish(c Change)
	// Subscribe returns the changes of one incident until cancel is
	// called or the broker closes, which closes the channel.
	Subscribe(incidentID int64) (changes <-chan Change, cancel func())
	// Close ends every subscription.
	Close()
}

// memoryBroker delivers changes within this process.
type memoryBroker struct {
	mu     sync.Mutex
	subs   map[int64]map[*subscription]struct{}
	closed bool
}

type subscription struct {
	ch chan Change
}

// NewMemoryBroker returns a broker for one process.
func NewMemoryBroker() Broker {
	return &memoryBroker{subs: map[int64]map[*subscription]struct{}{}}
}

func (b *memoryBroker) Publish(c Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[c.IncidentID] {
		select {
		case sub.ch <- c:
		default:
			// Behind: make room by dropping the oldest change, and say
			// that something was dropped.
			select {
			case <-sub.ch:
			default:
			}
			select {
			case sub.ch <- Change{IncidentID: c.IncidentID, Kind: ChangeResync}:
			default:
			}
		}
	}
}

func (b *memoryBroker) Subscribe(incidentID int64) (<-chan Change, func()) {
	sub := &subscription{ch: make(chan Change, 64)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(sub.ch)
		return sub.ch, func() {}
	}
	if b.subs[incidentID] == nil {
		b.subs[incidentID] = map[*subscription]struct{}{}
	}
	b.subs[incidentID][sub] = struct{}{}
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if _, ok := b.subs[incidentID][sub]; !ok {
				return // closed already
			}
			delete(b.subs[incidentID], sub)
			if len(b.subs[incidentID]) == 0 {
				delete(b.subs, incidentID)
			}
			close(sub.ch)
		})
	}
}

func (b *memoryBroker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for id, subs := range b.subs {
		for sub := range subs {
			close(sub.ch)
		}
		delete(b.subs, id)
	}
}

// notify publishes a change made by a handler, after its commit.
func (s *Server) notify(incidentID int64, kind string, id int64) {
	s.broker.Publish(Change{IncidentID: incidentID, Kind: kind, ID: id})
}

// resyncAll tells every subscriber to reload what it shows.
func (b *memoryBroker) resyncAll() {
	b.mu.Lock()
	ids := make([]int64, 0, len(b.subs))
	for id := range b.subs {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	for _, id := range ids {
		b.Publish(Change{IncidentID: id, Kind: ChangeResync})
	}
}
