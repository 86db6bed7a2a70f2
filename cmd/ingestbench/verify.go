package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // database/sql driver "sqlite3"
)

// The check reads the database with plain SQL rather than through
// Hindsight's store: it should not trust the code it checks.

// check is what the database holds after a run, set against what the
// load was told.
type check struct {
	stored     int // alert rows of the benchmark's groups
	lost       int // acknowledged, not stored
	duplicated int // stored more than once
	unexpected int // stored though refused, failed or never sent
	unknown    int // stored, of requests that got no answer
	incidents  int // incidents opened
	groups     int // groups with an alert stored
	fed        int // groups whose alerts all feed one incident
	fedBy      int // incidents fed by the alerts
	timeline   int // alerts the timeline's collapsed entries count
}

// ok: every group with an alert stored opened one incident, which all its
// alerts feed, and no other.
func (c *check) ok() bool {
	return c.lost == 0 && c.duplicated == 0 && c.unexpected == 0 && c.timeline == c.stored &&
		c.fed == c.groups && c.fedBy == c.groups && c.incidents == c.groups
}

func (c *check) String() string {
	if c.ok() {
		return fmt.Sprintf("ok: %d stored, none lost", c.stored)
	}
	return fmt.Sprintf("FAILED: %d stored, %d lost, %d duplicated, %d stored though refused or never sent, "+
		"%d groups of which %d feed one incident each, %d incidents of which the alerts feed %d, timeline counts %d",
		c.stored, c.lost, c.duplicated, c.unexpected, c.groups, c.fed, c.incidents, c.fedBy, c.timeline)
}

// openDB opens dsn (a SQLite file or a postgres:// URL) with database/sql.
func openDB(dsn string) (*sql.DB, error) {
	if isPostgres(dsn) {
		return sql.Open("pgx", dsn)
	}
	return sql.Open("sqlite3", "file:"+(&url.URL{Path: dsn}).EscapedPath()+"?mode=ro&_busy_timeout=10000")
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// verify compares the alerts stored in dsn with the outcome of the load.
func verify(ctx context.Context, dsn string, o *outcome) (*check, error) {
	db, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// The database is new: every alert in it is the benchmark's.
	rows, err := db.QueryContext(ctx, "SELECT fingerprint FROM alerts WHERE source = 'alertmanager'")
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	stored := map[string]int{}
	c := &check{}
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			return nil, err
		}
		stored[fp]++
		c.stored++
		if stored[fp] == 2 {
			c.duplicated++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sent := make(map[string]bool, len(o.acked)+len(o.unknown))
	for _, fp := range o.acked {
		sent[fp] = true
		if stored[fp] == 0 {
			c.lost++
		}
	}
	for _, fp := range o.unknown {
		sent[fp] = true
		if stored[fp] > 0 {
			c.unknown++
		}
	}
	for fp := range stored {
		if !sent[fp] {
			c.unexpected++ // refused, failed, or never sent at all
		}
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM incidents").Scan(&c.incidents); err != nil {
		return nil, fmt.Errorf("count incidents: %w", err)
	}
	err = db.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN incidents = 1 AND unattached = 0 THEN 1 ELSE 0 END), 0)
		FROM (SELECT count(DISTINCT incident_id) AS incidents, count(*) - count(incident_id) AS unattached
			FROM alerts GROUP BY group_key) AS g`).Scan(&c.groups, &c.fed)
	if err != nil {
		return nil, fmt.Errorf("count groups: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(DISTINCT incident_id) FROM alerts").Scan(&c.fedBy); err != nil {
		return nil, fmt.Errorf("count incidents fed: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(alerts), 0) FROM alert_entries WHERE status = 'firing'").Scan(&c.timeline); err != nil {
		return nil, fmt.Errorf("count timeline alerts: %w", err)
	}
	return c, nil
}

// freshSchema makes a new, empty schema in the PostgreSQL database base,
// and returns a URL that works in it and a function that drops it.
func freshSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("--db: %w", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ingestbench_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		defer db.Close()
		_, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
