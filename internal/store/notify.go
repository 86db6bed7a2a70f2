package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notify sends payload to every listener of channel on the PostgreSQL
// database, in this process and in every other replica.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.dialect != Postgres {
		return errors.New("notify needs PostgreSQL")
	}
	return s.translate(s.write.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", channel, payload).Error)
}

// Listen calls deliver with the payload of every notification on channel
// until ctx ends. It holds a connection of its own, and when that breaks it
// reconnects with backoff and calls resumed, since notifications sent
// meanwhile are lost.
func (s *Store) Listen(ctx context.Context, channel string, deliver func(payload string), resumed func(), log *slog.Logger) {
	if s.dialect != Postgres {
		return
	}
	backoff := 100 * time.Millisecond
	for first := true; ctx.Err() == nil; first = false {
		err := s.listenOnce(ctx, channel, deliver, func() {
			backoff = 100 * time.Millisecond
			if !first {
				log.Info("listening for changes again", "channel", channel)
				resumed()
			}
		})
		if ctx.Err() != nil {
			return
		}
		log.Warn("lost the change feed; reconnecting", "channel", channel, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, channel string, deliver func(string), listening func()) error {
	conn, err := pgx.Connect(ctx, s.postgresDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		deliver(n.Payload)
	}
}
