package store

import (
	"context"

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
	if err := s.reader(ctx).Order("id").Find(&rows).Error; err != nil {
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
