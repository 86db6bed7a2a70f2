package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"hindsight/internal/store"
)

// changesChannel is the PostgreSQL channel replicas tell each other about
// changes on.
const changesChannel = "hindsight_changes"

// postgresBroker spans replicas: it delivers a change to this process's
// views at once and sends it with NOTIFY to the other replicas, whose
// listeners deliver it to theirs.
type postgresBroker struct {
	local  Broker
	store  *store.Store
	origin string // tells this replica's own notifications apart
	out    chan []byte
	cancel context.CancelFunc
	done   chan struct{}
	log    *slog.Logger
}

type notice struct {
	Origin string `json:"o"`
	Change Change `json:"c"`
}

// NewPostgresBroker returns a broker that carries changes between every
// replica on st's PostgreSQL database, until Close. Its listening
// connection also carries the subscriptions in also, the store's other
// channels: one listening connection per process costs PostgreSQL less
// than one per channel (see store.Listen).
func NewPostgresBroker(st *store.Store, log *slog.Logger, also ...store.Subscription) Broker {
	b := make([]byte, 8)
	rand.Read(b)
	ctx, cancel := context.WithCancel(context.Background())
	pb := &postgresBroker{local: NewMemoryBroker(), store: st, origin: hex.EncodeToString(b),
		out: make(chan []byte, 1024), cancel: cancel, done: make(chan struct{}), log: log}
	go pb.send(ctx)
	go func() {
		defer close(pb.done)
		changes := store.Subscription{Channel: changesChannel, Deliver: pb.receive, Listening: pb.resync}
		st.Listen(ctx, log, append([]store.Subscription{changes}, also...)...)
	}()
	return pb
}

func (b *postgresBroker) Publish(c Change) {
	b.local.Publish(c)
	payload, _ := json.Marshal(notice{Origin: b.origin, Change: c}) // plain struct: always encodes
	select {
	case b.out <- payload:
	default:
		// The database is too slow or away: the other replicas' views
		// miss this change until their next reload; writes go on.
		b.log.Warn("change feed full; a change was not sent to other replicas", "incident_id", c.IncidentID)
	}
}

// send notifies the other replicas in order, off the request path.
func (b *postgresBroker) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-b.out:
			nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := b.store.Notify(nctx, changesChannel, string(p)); err != nil && ctx.Err() == nil {
				b.log.Warn("could not send a change to other replicas", "err", err)
			}
			cancel()
		}
	}
}

func (b *postgresBroker) receive(payload string) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.Origin == b.origin {
		return // ours, delivered already, or not one of ours at all
	}
	b.local.Publish(n.Change)
}

// resync tells every view to reload: changes sent before the feed
// listened, or while it was down, are lost.
func (b *postgresBroker) resync() {
	if m, ok := b.local.(*memoryBroker); ok {
		m.resyncAll()
	}
}

func (b *postgresBroker) Subscribe(incidentID int64) (<-chan Change, func()) {
	return b.local.Subscribe(incidentID)
}

func (b *postgresBroker) Close() {
	b.cancel()
	<-b.done
	b.local.Close()
}
