package store

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// Errors of AlertWriter.IngestAlerts that mean "not now": the web layer
// answers 503 with Retry-After, and senders retry. Both carry the code
// EUNAVAILABLE; compare with errors.Is to tell them apart.
var (
	ErrQueueFull = &incident.Error{Code: incident.EUNAVAILABLE,
		Message: "too many alerts are waiting to be written; retry shortly"}
	ErrWriterClosed = &incident.Error{Code: incident.EUNAVAILABLE,
		Message: "the server is shutting down; retry shortly"}
)

// AlertWriterConfig tunes an AlertWriter. Zero values take the defaults.
type AlertWriterConfig struct {
	// QueueLen is how many deliveries may wait, for all writers together;
	// beyond it IngestAlerts refuses with ErrQueueFull rather than let
	// memory grow. Default 4096.
	QueueLen int
	// MaxBatch is how many deliveries one transaction takes at most, which
	// bounds how long other writers wait for the database. Default 256.
	MaxBatch int
	// Linger is how long a transaction waits at most for more deliveries
	// while the writer is busy (the previous transaction held more than
	// one delivery), so that an alert storm is written in fewer, larger
	// transactions. It stops waiting sooner when deliveries stop coming
	// (see lingerGap) and, when it had written all that was queued, once
	// as many have come as it last answered (see run). A delivery that
	// finds the writer idle is written at once. Default 2ms; negative
	// turns it off.
	Linger time.Duration
	// Writers is how many transactions run at once, each for its own share
	// of the alert groups (by a hash of the group key), so that the
	// deliveries of one group are still written one after the other.
	// Default: 1 on SQLite, which writes one transaction at a time anyway;
	// on PostgreSQL, where each transaction spends most of its time
	// waiting for the server's answers, statement after statement,
	// MaxPostgresWriters, or a quarter of the connection pool when that is
	// fewer, which leaves the rest to the pages and the API.
	Writers int
	// OnBatch, when set, is called after each transaction with the number
	// of deliveries it held and how long it took to commit, for the batch
	// size histogram of /metrics. It runs on the writer's goroutine, once the
	// deliveries are passed on to be made durable and answered, and so on
	// several goroutines at once when there are several Writers.
	OnBatch func(deliveries int, took time.Duration)
}

// MaxPostgresWriters is the most Writers of AlertWriterConfig by default
// on PostgreSQL. A storm of 16 groups on a two-core machine
// (BenchmarkIngestAlerts) takes 0.46 ms a delivery with four, against
// 0.58 to 0.77 with one; each uses a connection of the pool while it writes.
const MaxPostgresWriters = 4

// AlertWriterStats are the writer's counters since it started.
type AlertWriterStats struct {
	Received     int64 // alerts in deliveries taken into the queue
	Deduplicated int64 // alerts written that changed nothing
	Refused      int64 // deliveries refused: queue full or shutting down
	Failed       int64 // deliveries whose write failed
	Batches      int64 // transactions committed
	Deliveries   int64 // deliveries committed
}

// AlertWriter writes alert deliveries through one goroutine (or Writers,
// each for its share of the groups) that commits many of them in one
// transaction (group commit); another goroutine makes the commits durable
// and then answers every waiting caller. Under an alert storm this costs
// one commit and one sync of the disk for many requests, where one
// transaction per request would queue them all on SQLite's single writer;
// and the writer commits the next transaction while the disk syncs the
// last.
type AlertWriter struct {
	store *Store
	cfg   AlertWriterConfig

	mu     sync.RWMutex // guards closed against sends on closed queues
	closed bool
	queues []chan *ingestRequest // one a writer
	acks   chan []ingestAck      // committed, to be made durable and answered
	done   chan struct{}

	queued atomic.Int64 // deliveries in the queues, or taken and not yet written

	// inFlight counts the deliveries queued and not yet answered, and
	// peak the most of them lately: see batchLimit.
	inFlight, peak atomic.Int64

	received, deduplicated, refused, failed, batches, deliveries atomic.Int64
}

type ingestRequest struct {
	ctx      context.Context
	delivery delivery
	reply    chan ingestReply // buffered: the writer never waits for a caller
}

type ingestReply struct {
	res *incident.IngestResult
	err error
}

// ingestAck is a committed (or failed) delivery waiting for its answer.
type ingestAck struct {
	req   *ingestRequest
	reply ingestReply
}

// NewAlertWriter starts a writer on s. Close it to commit what is queued.
func NewAlertWriter(s *Store, cfg AlertWriterConfig) *AlertWriter {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.Linger == 0 {
		// Rather than 1 ms: 32 senders of a storm make transactions of
		// about 22 deliveries instead of 13, for 5 to 8% more alerts/s and
		// 12 to 18% less CPU a request; 8 and 128 senders lose nothing.
		cfg.Linger = 2 * time.Millisecond
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 1
		if s.dialect == Postgres {
			cfg.Writers = min(MaxPostgresWriters, max(1, s.poolSize/4))
		}
	}
	w := &AlertWriter{store: s, cfg: cfg, acks: make(chan []ingestAck, ackQueueLen), done: make(chan struct{})}
	var running sync.WaitGroup
	for range cfg.Writers {
		// Room for all on each: queued keeps the total.
		q := make(chan *ingestRequest, cfg.QueueLen)
		w.queues = append(w.queues, q)
		running.Go(func() { w.run(q) })
	}
	go func() {
		running.Wait()
		close(w.acks)
	}()
	go w.acknowledge()
	return w
}

// IngestAlerts queues the delivery and waits until it is committed: a nil
// error means the alerts are durably stored. It refuses with ErrQueueFull
// when the queue is full and ErrWriterClosed after Close, storing nothing.
// When ctx ends first it returns ctx.Err(), and the delivery may or may not
// be written; a retry is harmless because ingest is idempotent.
func (w *AlertWriter) IngestAlerts(ctx context.Context, b *incident.AlertBatch) (*incident.IngestResult, error) {
	if err := prepareBatch(b, w.store.Now()); err != nil {
		return nil, err
	}
	req := &ingestRequest{ctx: ctx, delivery: newDelivery(ctx, b), reply: make(chan ingestReply, 1)}
	if err := w.enqueue(req); err != nil {
		w.refused.Add(1)
		return nil, err
	}
	w.received.Add(int64(b.Size()))
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *AlertWriter) enqueue(req *ingestRequest) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrWriterClosed
	}
	if w.queued.Add(1) > int64(w.cfg.QueueLen) {
		w.queued.Add(-1)
		return ErrQueueFull
	}
	w.raisePeak(w.inFlight.Add(1))
	w.queues[w.writerOf(req.delivery.batch.Source, req.delivery.batch.GroupKey)] <- req
	return nil
}

// raisePeak makes peak n deliveries in flight when that is more.
func (w *AlertWriter) raisePeak(n int64) {
	for peak := w.peak.Load(); n > peak; peak = w.peak.Load() {
		if w.peak.CompareAndSwap(peak, n) {
			return
		}
	}
}

// writerOf returns the index of the writer of a group.
func (w *AlertWriter) writerOf(source, groupKey string) int {
	if len(w.queues) == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(groupKey))
	return int(h.Sum32() % uint32(len(w.queues)))
}

// QueueDepth is the number of deliveries waiting to be written.
func (w *AlertWriter) QueueDepth() int { return int(w.queued.Load()) }

// QueueCapacity is the QueueLen in effect.
func (w *AlertWriter) QueueCapacity() int { return w.cfg.QueueLen }

// Stats returns the counters.
func (w *AlertWriter) Stats() AlertWriterStats {
	return AlertWriterStats{
		Received: w.received.Load(), Deduplicated: w.deduplicated.Load(), Refused: w.refused.Load(),
		Failed: w.failed.Load(), Batches: w.batches.Load(), Deliveries: w.deliveries.Load(),
	}
}

// Close refuses new deliveries, commits those already queued and returns
// when they are written or when ctx ends, whichever comes first.
func (w *AlertWriter) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		for _, q := range w.queues {
			close(q)
		}
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run writes the deliveries of queue.
func (w *AlertWriter) run(queue chan *ingestRequest) {
	// A delivery waits while the previous transaction runs; whatever
	// queued up meanwhile becomes the next transaction. Under a storm the
	// writer also lingers a little for more: every transaction costs the
	// same few statements and commit whatever it holds, and the requests
	// that arrive meanwhile get the CPU to be parsed.
	//
	// When the writer has caught up, nothing having queued while it wrote
	// its last transaction, the senders it answered are the ones it waits
	// for, and it stops lingering once as many deliveries as it answered
	// have come. Timers cannot tell when they have: an idle Go process
	// sleeps in epoll_wait, whose timeout is in milliseconds, so lingerGap
	// waited a millisecond at a light load, the whole Linger of then (8
	// senders got 3,400 alerts/s instead of 5,300). While it is behind,
	// deliveries queue during each transaction, and lingering makes the
	// larger transactions that a short CPU needs (128 senders: 12% more
	// alerts/s than stopping early).
	busy, last, caughtUp := false, 0, true
	l := &linger{max: time.NewTimer(time.Hour), gap: time.NewTimer(time.Hour)}
	l.max.Stop()
	l.gap.Stop()
	for first := range queue {
		limit := w.batchLimit()
		reqs, open := w.drain(queue, []*ingestRequest{first}, limit)
		if busy && open && w.cfg.Linger > 0 && len(reqs) < limit {
			back := 0 // no count of deliveries ends the wait
			if caughtUp {
				back = last
			}
			reqs = l.wait(w, queue, reqs, last, back, limit)
		}
		busy, last = len(reqs) > 1, len(reqs)
		caughtUp = w.write(reqs, queue)
	}
}

// minHalf is the fewest deliveries that batchLimit holds a transaction
// to: below it, the statements and commit that every transaction costs
// whatever it holds would outweigh writing while the last one is synced
// (8 senders in transactions of 4: 31% more CPU a request, for 6% more
// alerts/s, within the noise).
const minHalf = 8

// batchLimit returns how many deliveries the next transaction may take.
//
// Where the log is synced after the commit (SQLite), that is half the
// deliveries in flight at the busiest moment lately, so that the senders
// go in two waves: while one wave's transaction is synced and answered,
// and its senders send again, the writer writes the other's. In one
// transaction for all, the writer would wait for the senders it answered,
// who wait for the sync, and the disk for the writer: each delivery
// waited for a whole transaction's write, then its sync (32 senders: 6 to
// 17% more alerts/s in halves, p50 2.0 ms instead of 2.3; 128 senders
// 11%). The peak fades by one a transaction, and by a 64th more when it
// is high, to follow the senders when they become fewer: after a burst of
// 500 senders, within about 140 transactions. On PostgreSQL the commit is
// the sync, and halves would only make more transactions (15% fewer
// alerts/s).
func (w *AlertWriter) batchLimit() int {
	if w.store.wal == nil { // PostgreSQL: the commit is the sync
		return w.cfg.MaxBatch
	}
	peak := w.peak.Load()
	w.peak.CompareAndSwap(peak, max(w.inFlight.Load(), peak-1-peak/64))
	return min(w.cfg.MaxBatch, max(minHalf, int(peak+1)/2))
}

// drain adds to reqs what is queued, up to limit, without waiting, and
// reports whether the queue is still open.
func (w *AlertWriter) drain(queue chan *ingestRequest, reqs []*ingestRequest, limit int) ([]*ingestRequest, bool) {
	for len(reqs) < limit {
		select {
		case r, ok := <-queue:
			if !ok {
				return reqs, false
			}
			reqs = append(reqs, r)
		default:
			return reqs, true
		}
	}
	return reqs, true
}

// lingerGap ends a linger early: when no delivery has come for this long
// and the batch holds at least half as many as the last one, the senders
// that were coming have come, and waiting longer only idles the writer.
// On a machine short of CPU deliveries come further apart, and the writer
// waits for the half, or Linger. A variable for tests.
var lingerGap = 100 * time.Microsecond

// linger holds the writer's timers, reused from one transaction to the
// next.
type linger struct{ max, gap *time.Timer }

// wait adds to reqs what arrives within the writer's Linger, stopping
// early after lingerGap without news once reqs holds half of last, as soon
// as it holds back (when back > 0) and what is queued then, and at once
// when the batch holds limit or the queue closes.
func (l *linger) wait(w *AlertWriter, queue chan *ingestRequest, reqs []*ingestRequest, last, back, limit int) []*ingestRequest {
	l.max.Reset(w.cfg.Linger)
	l.gap.Reset(lingerGap)
	defer l.max.Stop()
	defer l.gap.Stop()
	for len(reqs) < limit {
		if back > 0 && len(reqs) >= back {
			reqs, _ = w.drain(queue, reqs, limit)
			return reqs
		}
		select {
		case r, ok := <-queue:
			if !ok {
				return reqs
			}
			reqs = append(reqs, r)
			l.gap.Reset(lingerGap)
		case <-l.gap.C:
			if 2*len(reqs) >= last {
				return reqs
			}
		case <-l.max.C:
			return reqs
		}
	}
	return reqs
}

// writeTimeout bounds the wait for the database and, on PostgreSQL, one
// transaction, so that a stuck database answers callers with an error
// instead of holding them forever. (SQLite's transactions run to their end
// once begun; see Store.transactUnflushed.)
const writeTimeout = 30 * time.Second

// write commits reqs in one transaction and passes them on to be
// answered once durable, and reports whether nothing was queued meanwhile
// (in queue, where they came from).
// When the transaction fails, it writes them again
// one transaction each, so that a delivery that cannot be written fails
// alone; failures are rare enough that this beats a savepoint per
// delivery.
func (w *AlertWriter) write(reqs []*ingestRequest, queue chan *ingestRequest) (caughtUp bool) {
	w.queued.Add(-int64(len(reqs)))
	start := time.Now()
	acks := make([]ingestAck, 0, len(reqs))
	live := reqs[:0:0]
	for _, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			w.inFlight.Add(-1)
			r.reply <- ingestReply{err: err} // the caller has gone; nothing to write for it
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return len(queue) == 0
	}
	batches := make([]delivery, len(live))
	for i, r := range live {
		batches[i] = r.delivery
	}
	results, err := w.commit(batches)
	// A database that refuses writes or hangs fails the deliveries one by
	// one just the same; anything else may be one delivery's fault.
	retry := err != nil && len(live) > 1 && incident.ErrorCode(err) != incident.EUNAVAILABLE &&
		!errors.Is(err, context.DeadlineExceeded)
	for i, r := range live {
		var reply ingestReply
		switch {
		case retry:
			var res []*incident.IngestResult
			if res, reply.err = w.commit(batches[i : i+1]); reply.err == nil {
				reply.res = res[0]
			}
		case err != nil:
			reply.err = err
		default:
			reply.res = results[i]
		}
		acks = append(acks, ingestAck{req: r, reply: reply})
	}
	took := time.Since(start)
	// Before these senders are answered, so that none of them can have
	// sent again.
	caughtUp = len(queue) == 0
	w.acks <- acks
	if w.cfg.OnBatch != nil {
		w.cfg.OnBatch(len(live), took)
	}
	return caughtUp
}

// ackQueueLen bounds the transactions committed and not yet answered: the
// writer waits for the disk when it is this far ahead of it.
const ackQueueLen = 16

// acknowledge makes committed deliveries durable and answers them. One
// sync covers every transaction committed before it, so it takes all that
// are waiting.
func (w *AlertWriter) acknowledge() {
	defer close(w.done)
	for acks := range w.acks {
	more:
		for {
			select {
			case next, ok := <-w.acks:
				if !ok {
					break more
				}
				acks = append(acks, next...)
			default:
				break more
			}
		}
		flushErr := w.store.flushWAL()
		for _, a := range acks {
			if a.reply.err == nil && flushErr != nil {
				a.reply = ingestReply{err: flushErr}
			}
			w.answer(a.req, a.reply.res, a.reply.err)
		}
	}
}

// yieldPause is how long a transaction that PostgreSQL ended for
// another's sake waits before it is written again: long enough for the
// other to take the rows it waited for. Written again at once, it could
// insert an alert the other was about to insert, first, and make the same
// cycle (it did in CI, under the race detector).
const yieldPause = 20 * time.Millisecond

// commit writes batches in one transaction. One that PostgreSQL ended to
// break a deadlock (see ingestBatches) or a conflict of serialization is
// written once more, after yieldPause: the transaction it yielded to has
// gone on meanwhile.
func (w *AlertWriter) commit(batches []delivery) ([]*incident.IngestResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	var results []*incident.IngestResult
	var err error
	for try := 0; try < 2; try++ {
		if try > 0 {
			time.Sleep(yieldPause)
		}
		err = w.store.transactUnflushed(ctx, func(tx *gorm.DB) error {
			var err error
			results, err = w.store.ingestBatches(tx, batches, w.store.Now())
			return err
		})
		if !yielded(err) {
			break
		}
	}
	if err == nil {
		w.batches.Add(1)
	}
	return results, err
}

// yielded reports whether PostgreSQL ended a transaction for another's
// sake: to break a deadlock (40P01) or a conflict of serialization (40001).
func yielded(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

func (w *AlertWriter) answer(r *ingestRequest, res *incident.IngestResult, err error) {
	if err != nil {
		w.failed.Add(1)
	} else {
		w.deliveries.Add(1)
		w.deduplicated.Add(int64(res.Duplicates))
	}
	w.inFlight.Add(-1)
	r.reply <- ingestReply{res: res, err: err}
}
