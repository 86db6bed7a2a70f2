package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// OpenAtVersion opens dsn migrated up to version only, as an older release
// left it, for tests of the migrations after it.
func OpenAtVersion(ctx context.Context, dsn string, version int) (*Store, error) {
	return open(ctx, dsn, version)
}

// AllAlerts returns every alert, by id.
func (s *Store) AllAlerts(ctx context.Context) ([]incident.Alert, error) {
	var rows []alertRow
	if err := s.reading(ctx, func(db *gorm.DB) error { return db.Order("id").Find(&rows).Error }); err != nil {
		return nil, err
	}
	out := make([]incident.Alert, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// HoldWriteConnection takes the write connection (SQLite's only one) until
// release is called, as a long transaction would.
func (s *Store) HoldWriteConnection(ctx context.Context) (release func(), err error) {
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return func() { conn.Close() }, nil
}

// HoldReadConnections takes every connection of SQLite's read pool until
// release is called, as long reads would.
func (s *Store) HoldReadConnections(ctx context.Context) (release func(), err error) {
	var conns []*sql.Conn
	release = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for range s.readDB.Stats().MaxOpenConnections {
		c, err := s.readDB.Conn(ctx)
		if err != nil {
			release()
			return nil, err
		}
		conns = append(conns, c)
	}
	return release, nil
}

// SetLingerGap sets lingerGap until the test ends.
func SetLingerGap(t interface{ Cleanup(func()) }, d time.Duration) {
	old := lingerGap
	lingerGap = d
	t.Cleanup(func() { lingerGap = old })
}

// IngestTogether ingests the batches in one transaction, as the alert
// writer does with the deliveries it takes together.
func (s *Store) IngestTogether(ctx context.Context, batches ...*incident.AlertBatch) ([]*incident.IngestResult, error) {
	deliveries := make([]delivery, len(batches))
	for i, b := range batches {
		if err := prepareBatch(b, s.Now()); err != nil {
			return nil, err
		}
		deliveries[i] = newDelivery(ctx, b)
	}
	var res []*incident.IngestResult
	err := s.transact(ctx, func(tx *gorm.DB) (err error) {
		res, err = s.ingestBatches(tx, deliveries, s.Now())
		return err
	})
	return res, err
}

// WriteWaits counts the waits for SQLite's write connection so far.
func (s *Store) WriteWaits() int64 { return s.writeDB.Stats().WaitCount }

// WriterOf returns the index of the writer of a group, among w's Writers.
func (w *AlertWriter) WriterOf(source, groupKey string) int { return w.writerOf(source, groupKey) }

// ResolveManySQL is the statement that ends alerts by arrays of their
// keys and ends on PostgreSQL.
const ResolveManySQL = pgResolveManySQL

// Explain returns the plan PostgreSQL makes for query, written with $1...,
// with args, which may be slices for its arrays.
func (s *Store) Explain(ctx context.Context, query string, args ...any) (plan string, err error) {
	err = s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		plan, err = explain(tx, query, args)
		return err
	})
	return plan, err
}

func explain(tx *gorm.DB, query string, args []any) (string, error) {
	rows, err := pgQuery(tx, "EXPLAIN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		plan = append(plan, line)
	}
	return strings.Join(plan, "\n"), rows.Err()
}
