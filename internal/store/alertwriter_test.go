package store_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// storm returns n alerts of one name firing a second apart from 10:00.
func storm(n int) []incident.Alert {
	out := make([]incident.Alert, n)
	for i := range out {
		out[i] = firing(fmt.Sprintf("fp%03d", i), "APIHighLatency", fmt.Sprintf("api-%d:8080", i),
			clock("10:00:00").Add(time.Duration(i)*time.Second))
	}
	return out
}

func closeWriter(t *testing.T, w *store.AlertWriter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
}

// postSnapshots has 50 goroutines post overlapping snapshots of one
// group of 100 alerts at once through ingest, and checks that each alert
// is stored once, in one incident, with one timeline entry.
func postSnapshots(t *testing.T, s *store.Store, ingest func(context.Context, *incident.AlertBatch) (*incident.IngestResult, error)) {
	t.Helper()
	alerts := storm(100)
	var wg sync.WaitGroup
	var added, opened atomic.Int64
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			lo := min(i*2, 70)
			b := group("storm", alerts[lo:lo+30]...)
			if i%5 == 0 {
				b.Alerts = append([]incident.Alert(nil), alerts[:min(i*2+30, 100)]...)
			}
			res, err := ingest(context.Background(), b)
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
				return
			}
			added.Add(int64(res.Added))
			if res.Opened {
				opened.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if added.Load() != 100 || opened.Load() != 1 {
		t.Errorf("added %d alerts and opened %d incidents, want 100 and 1", added.Load(), opened.Load())
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 100 {
		t.Errorf("%d alerts stored, want 100", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM incidents"); n != 1 {
		t.Fatalf("%d incidents, want 1", n)
	}
	wantTimeline(t, detail(t, s, "INC-1"), "10:00:00 APIHighLatency firing on 100 instances")
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts WHERE incident_id IS NULL"); n != 0 {
		t.Errorf("%d alerts left unattached", n)
	}
}

func TestAlertWriterConcurrentSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var batches, biggest atomic.Int64
		w := store.NewAlertWriter(s, store.AlertWriterConfig{OnBatch: func(n int, _ time.Duration) {
			batches.Add(1)
			if int64(n) > biggest.Load() {
				biggest.Store(int64(n))
			}
		}})
		postSnapshots(t, s, w.IngestAlerts)
		// OnBatch runs after the deliveries are passed on to be answered,
		// and may come after their answers; Close waits for it.
		closeWriter(t, w)
		st := w.Stats()
		if st.Deliveries != 50 || st.Failed != 0 || st.Refused != 0 || st.Batches != batches.Load() {
			t.Errorf("stats %+v, %d batches seen", st, batches.Load())
		}
		if st.Received-st.Deduplicated != 100 {
			t.Errorf("received %d, deduplicated %d: want 100 written", st.Received, st.Deduplicated)
		}
		t.Logf("%d deliveries in %d transactions, at most %d in one", st.Deliveries, st.Batches, biggest.Load())
	})
}

// Without the writer, concurrent transactions must agree through the
// database alone (on PostgreSQL they really run at once).
func TestIngestAlertsConcurrentSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		postSnapshots(t, s, s.IngestAlerts)
	})
}

// blockedWriter returns a writer whose goroutine, after its first
// transaction, waits until release is closed.
func blockedWriter(t *testing.T, s *store.Store, queueLen int) (w *store.AlertWriter, release chan struct{}) {
	t.Helper()
	return blockedWriterBatch(t, s, queueLen, 1)
}

func blockedWriterBatch(t *testing.T, s *store.Store, queueLen, maxBatch int) (w *store.AlertWriter, release chan struct{}) {
	t.Helper()
	release = make(chan struct{})
	var once sync.Once
	// One writer, which every delivery queues for.
	w = store.NewAlertWriter(s, store.AlertWriterConfig{Writers: 1, QueueLen: queueLen, MaxBatch: maxBatch, OnBatch: func(int, time.Duration) {
		once.Do(func() { <-release })
	}})
	if _, err := w.IngestAlerts(ctx, group("blocker", storm(1)...)); err != nil {
		t.Fatal(err)
	}
	return w, release
}

type outcome struct {
	res *incident.IngestResult
	err error
}

// queueInOrder queues the batches behind a blocked writer, one after the
// other, releases it, so that they go into one transaction, and returns
// what each caller got and how many transactions committed.
func queueInOrder(t *testing.T, s *store.Store, batches ...*incident.AlertBatch) ([]outcome, int64) {
	t.Helper()
	w, release := blockedWriterBatch(t, s, len(batches), len(batches))
	defer closeWriter(t, w)
	out := make([]outcome, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		wg.Go(func() {
			res, err := w.IngestAlerts(ctx, b)
			out[i] = outcome{res, err}
		})
		waitQueued(t, w, i+1)
	}
	before := w.Stats().Batches
	close(release)
	wg.Wait()
	return out, w.Stats().Batches - before
}

func TestAlertWriterFailureIsolated(t *testing.T) {
	s := storetest.SQLite(t)
	// A database error no validation foresees, for one delivery only.
	if err := s.Exec(ctx, `CREATE TRIGGER explode BEFORE INSERT ON alerts WHEN NEW.fingerprint = 'explode'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	bad := firing("explode", "Bad", "x", clock("10:00:00"))
	out, txs := queueInOrder(t, s,
		group("g1", firing("a", "A", "x", clock("10:00:00"))),
		group("g2", bad),
		group("g3", firing("c", "C", "x", clock("10:00:00"))))
	if txs != 2 {
		t.Errorf("%d transactions committed, want the 2 good deliveries written alone", txs)
	}
	if out[0].err != nil || out[2].err != nil || out[0].res.Added != 1 || out[2].res.Added != 1 {
		t.Fatalf("good deliveries: %+v %+v", out[0], out[2])
	}
	if incident.ErrorCode(out[1].err) != incident.EINTERNAL {
		t.Fatalf("bad delivery: %+v", out[1])
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alert_groups WHERE group_key = 'g2'"); n != 0 {
		t.Errorf("the failed delivery left its group behind")
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM incidents"); n != 3 { // blocker, g1, g3
		t.Errorf("%d incidents, want 3", n)
	}
}

// Deliveries of one group merged into one transaction must end as they
// would one after the other.
func TestAlertWriterMergedLikeSequential(t *testing.T) {
	deliveries := func() []*incident.AlertBatch {
		w := firing("w", "Warn", "db-1", clock("10:00:00"))
		w.Labels["severity"] = "warning"
		c := firing("c", "Crit", "db-1", clock("10:01:00"))
		d := firing("d", "Down", "db-2", clock("10:02:00"))
		below := group("g", w)
		below.Open = nil
		return []*incident.AlertBatch{
			below,            // stored unattached
			group("g", w, c), // c opens the incident, w joins it
			group("g", w, d, resolved(c, clock("10:30:00"))), // d joins it, c resolves
			group("g", w, c, d), // an older snapshot, late: nothing
			group("g", resolved(w, clock("10:40:00")), resolved(d, clock("10:41:00"))),
		}
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		seq := storetest.SQLite(t)
		var want []string
		for _, b := range deliveries() {
			res := ingest(t, seq, b)
			want = append(want, fmt.Sprintf("%+v", *res))
		}
		var got []string
		outs, txs := queueInOrder(t, s, deliveries()...)
		if txs != 1 {
			t.Errorf("%d transactions, want 1", txs)
		}
		for _, o := range outs {
			if o.err != nil {
				t.Fatal(o.err)
			}
			// queueInOrder's blocker opened INC-1.
			r := *o.res
			if r.IncidentRef == "INC-2" {
				r.IncidentRef, r.IncidentID = "INC-1", 1
			}
			got = append(got, fmt.Sprintf("%+v", r))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("merged:\n%s\none by one:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		wantLines := timeline(detail(t, seq, "INC-1"))
		wantTimeline(t, detail(t, s, "INC-2"), wantLines...)
		if len(wantLines) != 7 {
			t.Errorf("timeline:\n%s", strings.Join(wantLines, "\n"))
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM alerts WHERE incident_id IS NULL"); n != 0 {
			t.Errorf("%d unattached alerts, want none", n)
		}
	})
}

func waitQueued(t *testing.T, w *store.AlertWriter, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); w.QueueDepth() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("queue depth %d, want %d", w.QueueDepth(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAlertWriterQueueFull(t *testing.T) {
	s := storetest.SQLite(t)
	w, release := blockedWriter(t, s, 1)
	defer closeWriter(t, w)
	alerts := storm(3)
	queued := make(chan error, 1)
	go func() {
		_, err := w.IngestAlerts(ctx, group("g", alerts[1]))
		queued <- err
	}()
	waitQueued(t, w, 1)

	_, err := w.IngestAlerts(ctx, group("g", alerts[2]))
	if !errors.Is(err, store.ErrQueueFull) || incident.ErrorCode(err) != incident.EUNAVAILABLE {
		t.Fatalf("error %v, want ErrQueueFull", err)
	}
	if st := w.Stats(); st.Refused != 1 {
		t.Errorf("refused %d", st.Refused)
	}
	close(release)
	if err := <-queued; err != nil {
		t.Fatalf("queued delivery: %v", err)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts WHERE fingerprint = ?", "fp002"); n != 0 {
		t.Errorf("the refused delivery was stored")
	}
}

// With several writers, the queue's room is theirs together: the
// deliveries of one group, which all wait for one writer, may fill it.
func TestAlertWriterQueueShared(t *testing.T) {
	s := storetest.SQLite(t)
	release := make(chan struct{})
	var once sync.Once
	w := store.NewAlertWriter(s, store.AlertWriterConfig{Writers: 4, QueueLen: 4, MaxBatch: 1, OnBatch: func(int, time.Duration) {
		once.Do(func() { <-release })
	}})
	defer closeWriter(t, w)
	alerts := storm(6)
	if _, err := w.IngestAlerts(ctx, group("g", alerts[0])); err != nil {
		t.Fatal(err)
	} // g's writer now waits
	queued := make(chan error, 4)
	for i := 1; i <= 4; i++ {
		go func() {
			_, err := w.IngestAlerts(ctx, group("g", alerts[i]))
			queued <- err
		}()
		waitQueued(t, w, i)
	}
	if _, err := w.IngestAlerts(ctx, group("g", alerts[5])); !errors.Is(err, store.ErrQueueFull) {
		t.Errorf("a fifth delivery waiting: %v, want ErrQueueFull", err)
	}
	if got := w.QueueCapacity(); got != 4 {
		t.Errorf("capacity %d, want 4", got)
	}
	close(release)
	for range 4 {
		if err := <-queued; err != nil {
			t.Errorf("queued delivery: %v", err)
		}
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 5 {
		t.Errorf("%d alerts stored, want the 5 answered", n)
	}
}

func TestAlertWriterCloseCommitsQueue(t *testing.T) {
	s := storetest.SQLite(t)
	w, release := blockedWriter(t, s, 2)
	alerts := storm(4)
	errs := make(chan error, 2)
	for _, a := range alerts[1:3] {
		go func() {
			_, err := w.IngestAlerts(ctx, group("g", a))
			errs <- err
		}()
	}
	waitQueued(t, w, 2)
	closed := make(chan error, 1)
	go func() { closed <- w.Close(context.Background()) }()
	for {
		_, err := w.IngestAlerts(ctx, group("g", alerts[3]))
		if errors.Is(err, store.ErrWriterClosed) {
			break
		}
		if !errors.Is(err, store.ErrQueueFull) && err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // Close has not run yet
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("queued delivery: %v", err)
		}
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 3 {
		t.Errorf("%d alerts stored, want the 3 accepted", n)
	}
}

func TestAlertWriterCallerGone(t *testing.T) {
	s := storetest.SQLite(t)
	w, release := blockedWriter(t, s, 4)
	defer closeWriter(t, w)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := w.IngestAlerts(cctx, group("g", storm(2)[1]))
		done <- err
	}()
	waitQueued(t, w, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	close(release)
	if _, err := w.IngestAlerts(ctx, group("g", storm(1)...)); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 1 {
		t.Errorf("%d alerts stored; the abandoned delivery should have been skipped", n)
	}
}

func TestAlertWriterInvalidBatch(t *testing.T) {
	s := storetest.SQLite(t)
	w := store.NewAlertWriter(s, store.AlertWriterConfig{})
	defer closeWriter(t, w)
	b := group("g", incident.Alert{Name: "x", Status: incident.AlertFiring, StartsAt: clock("10:00:00")})
	_, err := w.IngestAlerts(ctx, b)
	wantCode(t, err, incident.EINVALID, "alerts[0].fingerprint")
	if st := w.Stats(); st.Received != 0 || st.Refused != 0 {
		t.Errorf("stats %+v", st)
	}
}

// benchmarkIngest posts one new alert per delivery, all in one group, from
// many goroutines: the shape of an alert storm.
func benchmarkIngest(b *testing.B, groups int, ingest func(context.Context, *incident.AlertBatch) (*incident.IngestResult, error)) {
	var n atomic.Int64
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent requests
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			instance := fmt.Sprintf("api-%d", i)
			a := firing(hashFingerprint(instance), "APIHighLatency", instance, clock("10:00:00").Add(time.Duration(i)*time.Millisecond))
			if _, err := ingest(context.Background(), group(fmt.Sprintf("storm-%d", i%int64(groups)), a)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// hashFingerprint is a fingerprint as Alertmanager makes them, a hash of
// the labels: a storm's fingerprints come in no order.
func hashFingerprint(labels string) string {
	h := fnv.New64a()
	h.Write([]byte(labels))
	return fmt.Sprintf("%016x", h.Sum64())
}

// benchDatabases are the databases the store's benchmarks run on; the
// PostgreSQL one is skipped, saying so, without HINDSIGHT_TEST_POSTGRES.
var benchDatabases = []struct {
	name string
	open func(testing.TB) *store.Store
}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}

// BenchmarkIngestAlerts measures ingest through the group-commit writer
// and with a transaction per delivery.
func BenchmarkIngestAlerts(b *testing.B) {
	for _, db := range benchDatabases {
		b.Run(db.name, func(b *testing.B) {
			// One group, as the storm of make bench-ingest; and sixteen,
			// as when an outage fires the alerts of many services at once.
			for _, groups := range []int{1, 16} {
				b.Run(fmt.Sprintf("Writer/groups=%d", groups), func(b *testing.B) {
					s := db.open(b)
					w := store.NewAlertWriter(s, store.AlertWriterConfig{})
					defer w.Close(context.Background())
					benchmarkIngest(b, groups, w.IngestAlerts)
					if st := w.Stats(); st.Batches > 0 {
						b.ReportMetric(float64(st.Deliveries)/float64(st.Batches), "deliveries/txn")
					}
				})
			}
			b.Run("TransactionEach", func(b *testing.B) { benchmarkIngest(b, 1, db.open(b).IngestAlerts) })
		})
	}
}

// busyWriter returns a writer that lingers for an hour, whose last
// transaction held n deliveries, written together.
func busyWriter(t *testing.T, s *store.Store, n int) *store.AlertWriter {
	t.Helper()
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	w := store.NewAlertWriter(s, store.AlertWriterConfig{MaxBatch: 64, Linger: time.Hour, OnBatch: func(int, time.Duration) {
		once.Do(func() { close(blocked); <-release })
	}})
	var wg sync.WaitGroup
	post := func(fp string) {
		if _, err := w.IngestAlerts(ctx, group("busy", firing(fp, "A", "x", clock("10:00:00")))); err != nil {
			t.Error(err)
		}
	}
	wg.Go(func() { post(fmt.Sprintf("first%d", n)) })
	<-blocked
	for i := range n {
		wg.Go(func() { post(fmt.Sprintf("busy%d-%d", n, i)) })
		waitQueued(t, w, i+1)
	}
	close(release)
	wg.Wait()
	return w
}

// A writer that lingers for more deliveries does so only while busy: a
// lone delivery to an idle writer is written at once. While busy, it stops
// waiting when deliveries stop coming and the batch holds half the last
// one, and Close ends any wait.
func TestAlertWriterLinger(t *testing.T) {
	s := storetest.SQLite(t)
	lone := func(w *store.AlertWriter, fp string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := w.IngestAlerts(ctx, group("busy", firing(fp, "A", "x", clock("10:00:00"))))
			done <- err
		}()
		return done
	}
	t.Run("IdleWritesAtOnce", func(t *testing.T) {
		w := store.NewAlertWriter(s, store.AlertWriterConfig{MaxBatch: 8, Linger: time.Hour})
		defer closeWriter(t, w)
		for i := range 3 {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := w.IngestAlerts(ctx, group("idle", firing(fmt.Sprintf("idle%d", i), "A", "x", clock("10:00:00"))))
			cancel()
			if err != nil {
				t.Fatalf("delivery %d: %v", i, err)
			}
		}
	})
	t.Run("QuietEndsTheWait", func(t *testing.T) {
		w := busyWriter(t, s, 2)
		defer closeWriter(t, w)
		select {
		case err := <-lone(w, "quiet"):
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("one delivery after a transaction of two waited for more although none came")
		}
	})
	t.Run("ReturnedSendersEndTheWait", func(t *testing.T) {
		// Without lingerGap: only the count of deliveries can end the wait.
		store.SetLingerGap(t, time.Hour)
		w := busyWriter(t, s, 3)
		defer closeWriter(t, w)
		// The writer has written all it was sent: the three senders of its
		// last transaction are back, and it writes their deliveries at once.
		var done []chan error
		for i := range 3 {
			done = append(done, lone(w, fmt.Sprintf("back%d", i)))
		}
		for i, d := range done {
			select {
			case err := <-d:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("delivery %d of three, after a transaction of three, still waits for more", i)
			}
		}
	})
	t.Run("BehindKeepsWaiting", func(t *testing.T) {
		store.SetLingerGap(t, time.Hour)
		w := busyWriter(t, s, 2)
		// Two deliveries come back and are taken together; while their
		// transaction waits for the database, two more queue: the writer
		// is behind, and lingers for more, however many it has.
		release, err := s.HoldWriteConnection(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waits := s.WriteWaits()
		var written, behind []chan error
		for i := range 2 {
			written = append(written, lone(w, fmt.Sprintf("taken%d", i)))
		}
		for deadline := time.Now().Add(5 * time.Second); s.WriteWaits() == waits; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the writer never waited for the database with the two deliveries")
			}
		}
		for i := range 2 {
			behind = append(behind, lone(w, fmt.Sprintf("behind%d", i)))
			waitQueued(t, w, i+1)
		}
		release()
		for _, d := range written {
			if err := <-d; err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range behind {
			select {
			case err := <-d:
				t.Fatalf("a writer that was behind stopped lingering at two deliveries: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
		}
		closeWriter(t, w)
		for _, d := range behind {
			if err := <-d; err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("CloseEndsTheWait", func(t *testing.T) {
		w := busyWriter(t, s, 4)
		done := lone(w, "lone")
		select {
		case err := <-done:
			t.Fatalf("one delivery after a transaction of four did not wait for more: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		closeWriter(t, w)
		if err := <-done; err != nil {
			t.Fatalf("lingering delivery at Close: %v", err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM alerts WHERE fingerprint = 'lone'"); n != 1 {
			t.Fatalf("lingering delivery stored %d times", n)
		}
	})
}

// On SQLite, whose log is synced after the commit, a transaction takes at
// most half the deliveries in flight, so that the writer writes one half
// while the other is synced and answered. On PostgreSQL the commit is the
// sync, and a transaction takes all that are queued.
func TestAlertWriterWritesInTwoWaves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		release := make(chan struct{})
		var mu sync.Mutex
		var sizes []int
		w := store.NewAlertWriter(s, store.AlertWriterConfig{Writers: 1, OnBatch: func(n int, _ time.Duration) {
			mu.Lock()
			sizes = append(sizes, n)
			first := len(sizes) == 1
			mu.Unlock()
			if first {
				<-release
			}
		}})
		defer closeWriter(t, w)
		var released sync.Once
		unblock := func() { released.Do(func() { close(release) }) }
		defer unblock() // before closeWriter, should the test end early
		var wg sync.WaitGroup
		post := func(fp string) {
			if _, err := w.IngestAlerts(ctx, group("waves", firing(fp, "A", "x", clock("10:00:00")))); err != nil {
				t.Error(err)
			}
		}
		wg.Go(func() { post("first") })
		waitWritten(t, &mu, &sizes, 1)
		const n = 20
		for i := range n {
			wg.Go(func() { post(fmt.Sprintf("wave%02d", i)) })
			waitQueued(t, w, i+1)
		}
		unblock()
		wg.Wait()
		// OnBatch runs after the deliveries are passed on to be answered,
		// and may come after their answers; Close waits for it.
		closeWriter(t, w)
		mu.Lock()
		defer mu.Unlock()
		if s.Dialect() != store.SQLite {
			if len(sizes) != 2 || sizes[1] != n {
				t.Fatalf("transactions of %v, want 1 and then all %d queued", sizes, n)
			}
			return
		}
		// 21 in flight at most: the first may not have been answered yet.
		if len(sizes) < 3 || slices.Max(sizes[1:]) > (n+2)/2 {
			t.Fatalf("transactions of %v, want the %d queued in two or more of at most %d", sizes, n, (n+2)/2)
		}
	})
}

// waitWritten waits until OnBatch, which appends the size of each
// transaction to sizes, has seen n deliveries.
func waitWritten(t *testing.T, mu *sync.Mutex, sizes *[]int, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		got := 0
		for _, size := range *sizes {
			got += size
		}
		mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("transactions of %d deliveries, want %d", got, n)
		}
	}
}

// On PostgreSQL the writer writes groups of different writers at once: a
// group whose row another transaction holds keeps the others waiting only
// when they share its writer.
func TestAlertWriterGroupsWriteAtOnce(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	w := store.NewAlertWriter(s, store.AlertWriterConfig{Writers: store.MaxPostgresWriters})
	defer closeWriter(t, w)
	free := ""
	for i := 0; free == "" && i < 100; i++ {
		if k := fmt.Sprintf("free-%d", i); w.WriterOf("alertmanager", k) != w.WriterOf("alertmanager", "held") {
			free = k
		}
	}
	if free == "" {
		t.Fatal("every group goes to the writer of group held: one writer on PostgreSQL?")
	}
	other, otx := holdGroup(t, dsn, "held")
	held := make(chan error, 1)
	go func() {
		_, err := w.IngestAlerts(ctx, group("held", firing("h1", "DiskFull", "db-1", clock("10:00:00"))))
		held <- err
	}()
	waitBlockedBy(t, other, "the delivery of group held")
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := w.IngestAlerts(fctx, group(free, firing("f1", "APIHighLatency", "api-1", clock("10:00:00")))); err != nil {
		t.Fatalf("group %s, while group held waits: %v", free, err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-held; err != nil {
		t.Fatalf("group held: %v", err)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM incidents"); n != 2 {
		t.Errorf("%d incidents, want one for each group", n)
	}
}

// A delivery whose transaction PostgreSQL ends to break a deadlock is
// written again, even alone in its transaction, instead of failing.
func TestAlertWriterRetriesDeadlockVictim(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	w := store.NewAlertWriter(s, store.AlertWriterConfig{})
	defer closeWriter(t, w)
	at := clock("10:00:00")
	// Another replica writes alert y, the same alert routed to a group of
	// its own, and would write x next; it looks for deadlocks late, so that
	// the writer's transaction is the one PostgreSQL ends.
	other, otx := holdGroup(t, dsn, "other")
	if _, err := otx.Exec(ctx, "SET LOCAL deadlock_timeout = '10s'"); err != nil {
		t.Fatal(err)
	}
	if err := insertOtherAlert(ctx, otx, "other", "y", at); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := w.IngestAlerts(ctx, group("a", firing("x", "NodeDown", "node-x", at), firing("y", "NodeDown", "node-y", at)))
		done <- err
	}()
	waitBlockedBy(t, other, "the delivery of x and y") // x written, waiting for y
	if err := insertOtherAlert(ctx, otx, "other", "x", at); err != nil {
		t.Fatalf("the other replica writes x: %v", err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the delivery of x and y: %v", err)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 2 {
		t.Errorf("%d alerts stored, want x and y once each", n)
	}
}
