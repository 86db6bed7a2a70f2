package store

import (
	"context"
	"database/sql"
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
