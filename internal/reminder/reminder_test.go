package reminder_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/reminder"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

var ctx = context.Background()

// receiver is a chat webhook that answers with the statuses it is given,
// then 200, and keeps what it was sent.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	texts    []string
	requests atomic.Int32
	statuses []int         // answered in order before the 200s
	delay    time.Duration // before answering
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		var body struct{ Text string }
		if req.Header.Get("Content-Type") != "application/json" || json.NewDecoder(req.Body).Decode(&body) != nil || body.Text == "" {
			http.Error(w, "bad payload", 400)
			return
		}
		time.Sleep(r.delay)
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.statuses) > 0 {
			st := r.statuses[0]
			r.statuses = r.statuses[1:]
			http.Error(w, "no", st)
			return
		}
		r.texts = append(r.texts, body.Text)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) delivered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = *ts(s)
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// seed stores one overdue task, one due soon and one due later.
func seed(t *testing.T, st *store.Store) {
	t.Helper()
	d := &incident.Detail{Incident: incident.Incident{Title: "Cache outage", Severity: incident.SEV2, StartedAt: ts("2024-01-01T10:00:00Z")},
		Tasks: []incident.Task{
			{Title: "Validate <cache> & config", Owner: "ana", DueAt: ts("2024-01-20T00:00:00Z")},
			{Title: "Add hit-ratio alert", DueAt: ts("2024-01-27T00:00:00Z"), Status: incident.TaskInProgress},
			{Title: "Rewrite the cache layer", DueAt: ts("2024-03-01T00:00:00Z")},
			{Title: "Done already", DueAt: ts("2024-01-10T00:00:00Z"), Status: incident.TaskDone},
		}}
	if err := st.CreateIncident(ctx, d); err != nil {
		t.Fatal(err)
	}
}

func sender(st *store.Store, r *receiver, c *clock, name string) *reminder.Sender {
	return reminder.New(st, reminder.Config{URL: r.srv.URL + "/hooks/T000/secret", Hour: 9, Now: c.Now, Instance: name,
		Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Lease: time.Minute, Poll: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func digest(t *testing.T, st *store.Store, day string) *incident.Digest {
	t.Helper()
	d, err := st.Digest(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOncePerDay(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		st := storetest.Open(t, dsn)
		seed(t, st)
		r := newReceiver(t)
		c := &clock{}
		c.set("2024-01-25T08:59:00Z")
		s := sender(st, r, c, "first")
		if d, err := s.RunOnce(ctx); d != nil || err != nil || r.requests.Load() != 0 {
			t.Fatalf("before the hour: %v %v, %d requests", d, err, r.requests.Load())
		}
		c.set("2024-01-25T09:00:00Z")
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got := r.delivered()
		if len(got) != 1 {
			t.Fatalf("%d digests", len(got))
		}
		text := got[0]
		for _, want := range []string{"1 task overdue, 1 task due in the next 7 days", "*Overdue*", "INC-1 Validate &lt;cache&gt; &amp; config (ana, P3) due Sat 20 Jan 2024, 5 days late",
			"*Due soon*", "Add hit-ratio alert (no owner, P3) due Sat 27 Jan 2024"} {
			if !strings.Contains(text, want) {
				t.Errorf("digest lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Rewrite") || strings.Contains(text, "Done already") {
			t.Errorf("digest lists tasks neither overdue nor due soon:\n%s", text)
		}
		rec := digest(t, st, "2024-01-25")
		if rec.Status != incident.DigestSent || rec.Attempts != 1 || rec.InDoubt || rec.Text != text || rec.Overdue != 1 || rec.DueSoon != 1 || rec.SentAt == nil {
			t.Errorf("record %+v", rec)
		}

		c.set("2024-01-25T17:00:00Z")
		s.RunOnce(ctx)
		// The process restarts: a new store and a new sender on the same database.
		st.Close()
		st2 := storetest.Open(t, dsn)
		s2 := sender(st2, r, c, "restarted")
		if d, err := s2.RunOnce(ctx); d != nil || err != nil {
			t.Fatalf("after a restart: %+v %v", d, err)
		}
		if n := len(r.delivered()); n != 1 {
			t.Fatalf("%d digests on one day across a restart", n)
		}
		c.set("2024-01-26T09:30:00Z")
		s2.RunOnce(ctx)
		s2.RunOnce(ctx)
		if n := len(r.delivered()); n != 2 {
			t.Fatalf("%d digests after the second day", n)
		}
	})
}

func TestReplicasRace(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)
		seed(t, a)
		r := newReceiver(t)
		c := &clock{}
		c.set("2024-01-25T10:00:00Z")
		// Two loops on each of two replicas, all polling at once.
		loopCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i, st := range []*store.Store{a, b, a, b} {
			s := sender(st, r, c, "replica-"+string(rune('a'+i)))
			wg.Go(func() { s.Run(loopCtx) })
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(r.delivered()) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // many more polls
		stop()
		wg.Wait()
		if n := r.requests.Load(); n != 1 {
			t.Fatalf("%d requests from racing replicas, want 1", n)
		}
	})
}

func TestRetries(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		st := storetest.Open(t, dsn)
		seed(t, st)
		c := &clock{}
		c.set("2024-01-25T09:00:00Z")
		t.Run("ThenDelivered", func(t *testing.T) {
			r := newReceiver(t, 503, 429, 500)
			d, err := sender(st, r, c, "s").RunOnce(ctx)
			if err != nil || d == nil {
				t.Fatal(d, err)
			}
			rec := digest(t, st, "2024-01-25")
			if len(r.delivered()) != 1 || r.requests.Load() != 4 || rec.Status != incident.DigestSent || rec.Attempts != 4 || rec.LastError != "" {
				t.Fatalf("%d requests, %d delivered, record %+v", r.requests.Load(), len(r.delivered()), rec)
			}
		})
		t.Run("GivesUp", func(t *testing.T) {
			c.set("2024-01-26T09:00:00Z")
			r := newReceiver(t, 500, 500, 500, 500, 500, 500, 500)
			sender(st, r, c, "s").RunOnce(ctx)
			rec := digest(t, st, "2024-01-26")
			if r.requests.Load() != 5 || rec.Status != incident.DigestFailed || rec.Attempts != 5 || !strings.Contains(rec.LastError, "500") {
				t.Fatalf("%d requests, record %+v", r.requests.Load(), rec)
			}
			sender(st, r, c, "other").RunOnce(ctx)
			if r.requests.Load() != 5 {
				t.Fatal("a failed day was tried again")
			}
		})
		t.Run("RejectedIsNotRetried", func(t *testing.T) {
			c.set("2024-01-27T09:00:00Z")
			r := newReceiver(t, 404)
			sender(st, r, c, "s").RunOnce(ctx)
			rec := digest(t, st, "2024-01-27")
			if r.requests.Load() != 1 || rec.Status != incident.DigestFailed || strings.Contains(rec.LastError, "secret") {
				t.Fatalf("%d requests, record %+v", r.requests.Load(), rec)
			}
		})
		t.Run("ConnectionRefusedIsRetried", func(t *testing.T) {
			c.set("2024-01-28T09:00:00Z")
			r := newReceiver(t)
			url := r.srv.URL
			r.srv.Close()
			s := reminder.New(st, reminder.Config{URL: url + "/hooks/secret", Hour: 9, Now: c.Now, Attempts: 2,
				Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			s.RunOnce(ctx)
			rec := digest(t, st, "2024-01-28")
			if rec.Status != incident.DigestFailed || rec.Attempts != 2 || rec.InDoubt || strings.Contains(rec.LastError, "secret") {
				t.Fatalf("record %+v", rec)
			}
		})
		t.Run("NoAnswerIsNeverResent", func(t *testing.T) {
			c.set("2024-01-29T09:00:00Z")
			r := newReceiver(t)
			r.delay = 300 * time.Millisecond
			s := reminder.New(st, reminder.Config{URL: r.srv.URL + "/hooks/secret", Hour: 9, Now: c.Now, Lease: time.Minute,
				Client: &http.Client{Timeout: 50 * time.Millisecond}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			s.RunOnce(ctx)
			rec := digest(t, st, "2024-01-29")
			if rec.Status != incident.DigestUnknown || !rec.InDoubt || rec.Attempts != 1 || strings.Contains(rec.LastError, "secret") {
				t.Fatalf("record %+v", rec)
			}
			c.set("2024-01-29T23:00:00Z") // long after the lease
			sender(st, r, c, "other").RunOnce(ctx)
			time.Sleep(400 * time.Millisecond)
			if n := r.requests.Load(); n != 1 {
				t.Fatalf("%d requests for a day in doubt", n)
			}
		})
	})
}

func TestStopDuringBackoffHandsOver(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		st := storetest.Open(t, dsn)
		seed(t, st)
		c := &clock{}
		c.set("2024-01-25T09:00:00Z")
		r := newReceiver(t, 503)
		s := reminder.New(st, reminder.Config{URL: r.srv.URL, Hour: 9, Now: c.Now, Instance: "stopping",
			Backoff: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		stopCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { s.RunOnce(stopCtx); close(done) }()
		for r.requests.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		stop()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the sender did not stop while waiting to retry")
		}
		rec := digest(t, st, "2024-01-25")
		if rec.Status != incident.DigestClaimed || rec.InDoubt || rec.Attempts != 1 {
			t.Fatalf("record %+v", rec)
		}
		// The next start carries on at once, and the day is sent once.
		c.set("2024-01-25T09:01:00Z")
		if _, err := sender(storetest.Open(t, dsn), r, c, "next").RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		rec = digest(t, st, "2024-01-25")
		if len(r.delivered()) != 1 || rec.Status != incident.DigestSent || rec.Attempts != 2 || rec.ClaimedBy != "next" {
			t.Fatalf("%d delivered, record %+v", len(r.delivered()), rec)
		}
	})
}

func TestNothingDue(t *testing.T) {
	st := storetest.SQLite(t)
	r := newReceiver(t)
	c := &clock{}
	c.set("2024-01-25T09:00:00Z")
	sender(st, r, c, "s").RunOnce(ctx)
	if rec := digest(t, st, "2024-01-25"); rec.Status != incident.DigestEmpty || r.requests.Load() != 0 {
		t.Fatalf("record %+v, %d requests", rec, r.requests.Load())
	}
}

func TestTimeZone(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	r := newReceiver(t)
	c := &clock{}
	tz := time.FixedZone("UTC+10", 10*3600)
	s := reminder.New(st, reminder.Config{URL: r.srv.URL, Hour: 9, Location: tz, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	c.set("2024-01-24T22:30:00Z") // 08:30 on the 25th there
	s.RunOnce(ctx)
	c.set("2024-01-24T23:00:00Z") // 09:00 on the 25th there
	s.RunOnce(ctx)
	if _, err := st.Digest(ctx, "2024-01-25"); err != nil || len(r.delivered()) != 1 {
		t.Fatalf("%v, %d delivered", err, len(r.delivered()))
	}
}

func TestCheckURL(t *testing.T) {
	for u, ok := range map[string]bool{"https://hooks.example/T/B/x": true, "http://127.0.0.1:9/x": true, "ftp://x/y": false, "hooks.example/x": false, "": false} {
		if err := reminder.CheckURL(u); (err == nil) != ok {
			t.Errorf("%q: %v", u, err)
		}
	}
}
