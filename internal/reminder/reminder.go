// Package reminder sends the daily digest of overdue and soon-due tasks to
// a chat webhook (Slack's {"text": ...} shape, which Mattermost, Rocket.Chat
// and Teams relays accept too).
//
// Each day goes out at most once, however many servers run and however
// often they restart: a server claims the day in the database before it
// sends (see store.ClaimDigest), records every attempt, and never sends a
// day again once a request may have reached the receiver. A digest can be
// lost that way (a server dies mid-request); it is never doubled.
package reminder

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
)

// Config says where, when and how persistently to send.
type Config struct {
	// URL is the incoming webhook. It holds a secret: never log it.
	URL string
	// Hour of the day (0-23, in Location) from which the day's digest is
	// sent. A server that starts later in the day sends it then.
	Hour     int
	Location *time.Location
	// Soon is how far ahead a task counts as due soon (default 7 days).
	Soon time.Duration

	// Attempts per day (default 5), waiting Backoff (default 30s) after
	// the first failure, doubling up to MaxBackoff (default 10m).
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Lease is how long a claim holds without news from its holder
	// (default 15m); it must outlast a request and the longest wait.
	Lease time.Duration
	// Poll is how often the loop looks whether a digest is due (default 1m).
	Poll time.Duration

	Client   *http.Client // default: 30 s timeout
	Logger   *slog.Logger
	Now      func() time.Time
	Instance string // names this server in the record; default host-pid-random
}

// Sender sends the daily digests.
type Sender struct {
	store *store.Store
	cfg   Config
	log   *slog.Logger
}

// CheckURL refuses a webhook URL that is not http(s), without repeating it:
// it holds a secret.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return incident.Errorf(incident.EINVALID, "the digest URL must be an http or https URL")
	}
	return nil
}

// New returns a sender over st with cfg's gaps filled by the defaults.
func New(st *store.Store, cfg Config) *Sender {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Soon <= 0 {
		cfg.Soon = 7 * 24 * time.Hour
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 15 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Minute
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Instance == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Instance = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return &Sender{store: st, cfg: cfg, log: cfg.Logger.With("component", "digest")}
}

// Run sends each day's digest until ctx is done.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("daily digest", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce sends today's digest if it is time, nobody sent it yet and this
// server wins the claim. It returns the day's record when it handled the
// day, nil otherwise.
func (s *Sender) RunOnce(ctx context.Context) (*incident.Digest, error) {
	now := s.cfg.Now()
	local := now.In(s.cfg.Location)
	if local.Hour() < s.cfg.Hour {
		return nil, nil
	}
	day := local.Format("2006-01-02")
	// Most polls find the day done: answer those without building a digest.
	if d, err := s.store.Digest(ctx, day); err == nil && !claimable(d, now) {
		return nil, nil
	} else if err != nil && incident.ErrorCode(err) != incident.ENOTFOUND {
		return nil, err
	}
	tasks, err := s.store.ListTasks(ctx, incident.TaskFilter{Unfinished: true, DueBefore: now.Add(s.cfg.Soon)})
	if err != nil {
		return nil, err
	}
	content := incident.BuildDigest(tasks, now, s.cfg.Soon, s.cfg.Location)
	d := &incident.Digest{Day: day, Status: incident.DigestClaimed, ClaimedBy: s.cfg.Instance, ClaimedAt: now,
		LeaseUntil: now.Add(s.cfg.Lease), Overdue: len(content.Overdue), DueSoon: len(content.DueSoon), Text: content.Text}
	won, err := s.store.ClaimDigest(ctx, d)
	if err != nil || !won {
		return nil, err
	}
	if d.Text == "" {
		d.Status = incident.DigestEmpty
		s.log.Info("nothing overdue or due soon: no digest today", "day", day)
		return d, s.store.UpdateDigest(ctx, d)
	}
	return d, s.send(ctx, d)
}

// claimable mirrors the store's rule for taking a day over, to save work.
func claimable(d *incident.Digest, now time.Time) bool {
	return d.Status == incident.DigestClaimed && !d.InDoubt && d.LeaseUntil.Before(now)
}

// outcome is what one request taught about the digest's delivery.
type outcome int

const (
	delivered outcome = iota // the receiver accepted it
	refused                  // it certainly did not arrive; retrying may help
	rejected                 // it certainly did not arrive; retrying will not help
	inDoubt                  // it may have arrived
)

func (s *Sender) send(ctx context.Context, d *incident.Digest) error {
	wait := s.cfg.Backoff
	for d.Attempts < s.cfg.Attempts {
		d.Attempts++
		d.InDoubt = true
		d.LeaseUntil = s.cfg.Now().Add(s.cfg.Lease)
		// Recorded before the request: if this server dies during it,
		// nobody sends the day again.
		if err := s.store.UpdateDigest(ctx, d); err != nil {
			return fmt.Errorf("record attempt %d of %s: %w", d.Attempts, d.Day, err)
		}
		res, retryAfter, detail := s.post(ctx, d.Text)
		log := s.log.With("day", d.Day, "attempt", d.Attempts)
		switch res {
		case delivered:
			now := s.cfg.Now().UTC()
			d.Status, d.SentAt, d.InDoubt, d.LastError = incident.DigestSent, &now, false, ""
			log.Info("sent the daily digest", "overdue", d.Overdue, "due_soon", d.DueSoon)
			return s.finish(d)
		case inDoubt:
			d.Status, d.LastError = incident.DigestUnknown, detail
			log.Warn("daily digest: no answer; not sending it again, as it may have arrived", "err", detail)
			return s.finish(d)
		case rejected:
			d.Status, d.InDoubt, d.LastError = incident.DigestFailed, false, detail
			log.Error("daily digest refused by the receiver", "err", detail)
			return s.finish(d)
		}
		d.InDoubt, d.LastError = false, detail
		if d.Attempts >= s.cfg.Attempts {
			d.Status = incident.DigestFailed
			log.Error("daily digest failed; giving up for today", "err", detail)
			return s.finish(d)
		}
		pause := max(wait, retryAfter)
		pause = min(pause, s.cfg.MaxBackoff)
		wait = min(2*wait, s.cfg.MaxBackoff)
		if ctx.Err() != nil {
			// Stopping: hand the day over at once, to this server's next
			// start or another replica. Nothing is in doubt.
			d.LeaseUntil = s.cfg.Now()
			return s.finish(d)
		}
		// The lease covers the pause, so that no other server takes the
		// day over while this one waits.
		d.LeaseUntil = s.cfg.Now().Add(pause + s.cfg.Lease)
		if err := s.finish(d); err != nil {
			return err
		}
		log.Warn("daily digest failed; will retry", "err", detail, "in", pause.String())
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			d.LeaseUntil = s.cfg.Now()
			return s.finish(d)
		}
	}
	return nil
}

// finish records what a request did, even when the loop's context is done:
// the record must say what happened.
func (s *Sender) finish(d *incident.Digest) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.store.UpdateDigest(ctx, d)
}

// post sends text and sorts the answer into an outcome, with the wait the
// receiver asked for (Retry-After) and a description of any failure.
func (s *Sender) post(ctx context.Context, text string) (outcome, time.Duration, string) {
	body, _ := json.Marshal(map[string]string{"text": text}) // a string always encodes
	// A request under way finishes even when the server is stopping:
	// cutting it off would leave the day in doubt.
	ctx = context.WithoutCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return rejected, 0, "the digest URL is not valid"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hindsight-digest")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			// No connection, so nothing was sent.
			return refused, 0, "cannot connect to the receiver: " + op.Err.Error()
		}
		return inDoubt, 0, "no answer from the receiver: " + describe(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	detail := fmt.Sprintf("receiver answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return delivered, 0, ""
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return refused, retryAfter(resp.Header.Get("Retry-After")), detail
	}
	return rejected, 0, detail
}

// describe says what went wrong without the URL, which net/http puts in
// its errors and which holds the webhook's secret.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}
