package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"
)

// On PostgreSQL the statements about many alerts at once, at the end of a
// large group's storm, take their keys as arrays ($1::text[]), one
// argument each, rather than as lists of arguments. A list makes a
// statement of its own for each length, which PostgreSQL plans for the
// values of its first runs and then with a generic plan that compared each
// resolved alert with the whole list: 240 ms a chunk of 500 once an
// incident had 10,000, where the index took 3. And of a list of keys of
// several columns, (source, starts_at, fingerprint) IN (...), only the
// first column was searched by the index: 75 ms a chunk.
const (
	// pgLockEndingSQL is lockEndingSQL on arrays of sources, starts and
	// fingerprints.
	pgLockEndingSQL = `SELECT 1 FROM alerts AS a
	JOIN unnest($1::text[], $2::timestamptz[], $3::text[]) AS k (source, starts_at, fingerprint)
		ON a.source = k.source AND a.starts_at = k.starts_at AND a.fingerprint = k.fingerprint
	ORDER BY a.source COLLATE "C", a.starts_at, a.fingerprint COLLATE "C" FOR NO KEY UPDATE OF a`
	// pgResolveManySQL ends the occurrences of arrays of keys (source,
	// start, fingerprint) at the ends of a fourth, and returns them.
	pgResolveManySQL = `UPDATE alerts SET status = 'resolved', ends_at = k.end_at
	FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::timestamptz[]) AS k (src, start, fp, end_at)
	WHERE source = k.src AND starts_at = k.start AND fingerprint = k.fp AND status <> 'resolved'
	RETURNING ` + alertColumns
	// pgResolvedOccurrencesSQL is resolvedOccurrencesSQL on an array of
	// fingerprints.
	pgResolvedOccurrencesSQL = `SELECT id, fingerprint, starts_at, ends_at FROM alerts
	WHERE incident_id = $1 AND status = 'resolved' AND fingerprint = ANY ($2::text[])`
)

// pgArrayChunk bounds the keys of one statement: large enough that a
// group of 10,000 takes a few, small enough that one statement does not
// hold the connection for long.
const pgArrayChunk = 5000

// pgQuery runs query, written for PostgreSQL ($1...), in tx's transaction
// through database/sql, which hands slices to the driver as arrays: gorm
// would spread them into lists.
func pgQuery(tx *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, errors.New("not in a transaction")
	}
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return sqlTx.QueryContext(ctx, query, args...)
}

// occurrenceKeys are the columns of the keys of alerts, for the arrays of
// the statements above.
type occurrenceKeys struct {
	sources, fingerprints []string
	starts                []time.Time
}

func (k *occurrenceKeys) add(source string, start time.Time, fingerprint string) {
	k.sources = append(k.sources, source)
	k.starts = append(k.starts, start)
	k.fingerprints = append(k.fingerprints, fingerprint)
}

// pgResolvedOccurrences runs pgResolvedOccurrencesSQL.
func pgResolvedOccurrences(tx *gorm.DB, incidentID int64, fps []string) ([]occurrence, error) {
	rows, err := pgQuery(tx, pgResolvedOccurrencesSQL, incidentID, fps)
	if err != nil {
		return nil, err
	}
	var out []occurrence
	for rows.Next() {
		var o occurrence
		if err := rows.Scan(&o.ID, &o.Fingerprint, &o.StartsAt, &o.EndsAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}
