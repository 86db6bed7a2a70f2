// Package store keeps Hindsight's data in SQLite (the default, one file) or
// PostgreSQL (for several replicas). It is the only package that knows gorm;
// it maps the domain types of package incident onto its own models.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"hindsight/internal/incident"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store is the database. Writes go through one connection on SQLite (the
// database allows a single writer; queueing in Go beats spinning on
// SQLITE_BUSY), reads through a pool.
type Store struct {
	dialect string
	write   *gorm.DB
	read    *gorm.DB
	// writeDB is write's pool of its one connection, readDB read's pool;
	// SQLite only.
	writeDB, readDB *sql.DB
	// sqliteDSN opens the SQLite file with the usual settings, for backups.
	sqliteDSN string
	// postgresDSN opens PostgreSQL connections of their own, for LISTEN.
	postgresDSN string
	poolSize    int // PostgreSQL's pool_max_conns
	// tokens caches the API tokens found valid.
	tokens *tokenCache
	// stmts keeps the alert writer's statements prepared; SQLite only.
	stmts *stmtCache
	// wal makes SQLite's commits durable; nil on PostgreSQL.
	wal *walFlusher

	// Now is the clock; tests replace it.
	Now func() time.Time
	// TaskDue gives tasks created without a due date one, by the severity
	// of their incident; nil means incident.DefaultDuePolicy.
	TaskDue incident.DuePolicy
	// DueZone is the team's zone: default due dates fall at the end of
	// one of its days. UTC when nil.
	DueZone *time.Location
	// OnError is called with every database error other than "not found",
	// for the error counter of /metrics.
	OnError func(error)
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn (a SQLite file path, or a postgres://
// URL), creating it when it does not exist, and applies any pending
// migration.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return open(ctx, dsn, math.MaxInt)
}

// open is Open, migrating up to version upTo only.
func open(ctx context.Context, dsn string, upTo int) (*Store, error) {
	s := &Store{Now: time.Now, tokens: newTokenCache()}
	var err error
	if IsPostgres(dsn) {
		err = s.openPostgres(dsn)
	} else {
		err = s.openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, upTo); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.flushWAL(); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect == SQLite {
		// After the migrations, which create the tables they name.
		wdb, _ := s.write.DB()
		if s.stmts, err = newStmtCache(wdb); err != nil {
			s.Close()
			return nil, fmt.Errorf("open %s: %w", dsn, err)
		}
	}
	return s, nil
}

// gormConfig returns a new configuration for each gorm.Open, which keeps
// its dialector and callbacks in it.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // each service method owns its transaction
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
	}
}

func (s *Store) openSQLite(path string) error {
	if path == "" {
		return incident.Errorf(incident.EINVALID, "no database file given")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create database directory: %w", err)
		}
	}
	s.dialect = SQLite
	// synchronous=NORMAL in WAL mode, and the store syncs the log itself
	// before it answers (see walFlusher): what a 2xx acknowledged survives
	// a power loss too, not only a crash of the process (NORMAL's own
	// promise). The README has the figures.
	params := "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_synchronous=NORMAL&_cache_size=-16000"
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params
	s.sqliteDSN = base
	var err error
	s.write, err = gorm.Open(sqlite.Open(base+"&_txlock=immediate"), gormConfig())
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	wdb, _ := s.write.DB()
	s.writeDB = wdb
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	// The first connection turns WAL on; opening the read pool before it
	// would race on creating the file.
	if err := wdb.Ping(); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	// The log is beside the file SQLite opened, links followed: ask it.
	var seq int
	var name, file string
	if err := wdb.QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil || file == "" {
		return fmt.Errorf("open %s: where is the database file? %v", path, err)
	}
	s.wal = newWALFlusher(file)
	s.read, err = gorm.Open(sqlite.Open(base+"&_query_only=1"), gormConfig())
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	rdb, _ := s.read.DB()
	s.readDB = rdb
	n := max(4, runtime.NumCPU())
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	return nil
}

// DefaultPoolSize is the most connections one process opens to PostgreSQL,
// unless the URL says otherwise with pool_max_conns.
const DefaultPoolSize = 20

func (s *Store) openPostgres(dsn string) error {
	s.dialect = Postgres
	dsn, poolSize, err := poolSizeFromURL(dsn)
	if err != nil {
		return err
	}
	s.postgresDSN, s.poolSize = dsn, poolSize
	db, err := gorm.Open(postgres.Open(dsn), gormConfig())
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(poolSize)
	sqlDB.SetMaxIdleConns(max(1, poolSize/2))
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s.write, s.read = db, db
	return nil
}

// poolSizeFromURL takes the pool_max_conns parameter (the name pgx's own
// pool uses) out of a PostgreSQL URL: the server would refuse it as an
// unknown setting.
func poolSizeFromURL(dsn string) (string, int, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, incident.Errorf(incident.EINVALID, "the PostgreSQL URL does not parse: %v", err)
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return dsn, DefaultPoolSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, incident.Errorf(incident.EINVALID, "pool_max_conns must be a whole number of at least 1, not %q", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}

// Dialect returns SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// Close closes every connection.
func (s *Store) Close() error {
	var err error
	if s.stmts != nil {
		err = s.stmts.close()
	}
	err = errors.Join(err, closeDB(s.write))
	if s.wal != nil {
		err = errors.Join(err, s.wal.close())
	}
	if s.read != s.write {
		err = errors.Join(err, closeDB(s.read))
	}
	return err
}

func closeDB(db *gorm.DB) error {
	if db == nil {
		return nil
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers a query and can still take
// writes.
func (s *Store) Ping(ctx context.Context) error {
	if s.wal != nil && s.wal.broken() {
		return ErrDiskFailed
	}
	var one int
	return s.read.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error
}

// transact runs fn in one write transaction and returns once it is
// durable.
func (s *Store) transact(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := s.transactUnflushed(ctx, fn); err != nil {
		return err
	}
	return s.flushWAL()
}

// transactUnflushed runs fn in one write transaction, committed but, on
// SQLite, durable only after the next flushWAL.
func (s *Store) transactUnflushed(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.wal != nil && s.wal.broken() {
		return &incident.Error{Code: incident.EUNAVAILABLE, Message: "the database's disk failed; nothing is written until Hindsight restarts"}
	}
	if s.dialect != SQLite {
		return s.translate(s.write.WithContext(ctx).Transaction(fn))
	}
	// Once begun, the transaction runs to its end (see pinned). One whose
	// context ended would be rolled back by database/sql, which then
	// closes the connection: go-sqlite3 cannot tell it is fit for reuse.
	// That would be the one write connection, whose closing can take the
	// write-ahead log that walFlusher syncs.
	db, release, err := pinned(ctx, s.write, s.writeDB)
	if err != nil {
		return s.translate(err)
	}
	defer release()
	return s.translate(db.Transaction(fn))
}

// flushWAL makes every commit so far durable. PostgreSQL's commits are
// durable by themselves.
func (s *Store) flushWAL() error {
	if s.wal == nil {
		return nil
	}
	if err := s.wal.flush(); err != nil {
		// Committed, perhaps not durable: not a 503, which would invite a
		// retry that may write it twice.
		return &incident.Error{Code: incident.EINTERNAL, Message: "the change was written but the disk did not confirm it", Cause: err}
	}
	return nil
}

// LogSyncs returns the syncs of the write-ahead log so far, and false on
// PostgreSQL, whose commits are synced by the server.
func (s *Store) LogSyncs() (LogSyncStats, bool) {
	if s.wal == nil {
		return LogSyncStats{}, false
	}
	return s.wal.stats(), true
}

// reading runs fn with the read pool, its statements bound to ctx. On
// SQLite fn's statements share one connection of the pool (see pinned),
// taken before fn runs: fn must not call reading itself, which could wait
// for a second one held by a caller like it.
func (s *Store) reading(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.dialect != SQLite {
		return fn(s.read.WithContext(ctx))
	}
	db, release, err := pinned(ctx, s.read, s.readDB)
	if err != nil {
		return err
	}
	defer release()
	return fn(db)
}

// readFirst reads the first row of T's table that the condition selects,
// and whether there is one.
func readFirst[T any](ctx context.Context, s *Store, cond string, args ...any) (T, bool, error) {
	var row T
	var found bool
	err := s.reading(ctx, func(db *gorm.DB) error {
		res := db.Where(cond, args...).Limit(1).Find(&row)
		found = res.RowsAffected > 0
		return res.Error
	})
	return row, found, s.translate(err)
}

// pinned takes a connection of pool, SQLite's pool of db, waiting for it
// no longer than ctx lasts, and returns db bound to that connection with
// ctx without its end, and the connection's release. go-sqlite3 runs each
// statement, and fetches each row, on a new goroutine when the context can
// end, so as to interrupt it then. That made reading an incident of 5,000
// entries 80% slower, and cost the alert writer a goroutine and two
// switches per statement. The statements here take milliseconds, and an
// interrupt would not end a write the disk holds up: what ctx ends is the
// wait for a connection. PostgreSQL's driver ends statements with their
// context at no such cost, and they keep it.
func pinned(ctx context.Context, db *gorm.DB, pool *sql.DB) (*gorm.DB, func() error, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	bound := db.WithContext(context.WithoutCancel(ctx))
	bound.Statement.ConnPool = conn
	return bound, conn.Close, nil
}

// translate turns database errors into domain errors where they mean
// something to the user, and reports the others.
func (s *Store) translate(err error) error {
	if err == nil {
		return nil
	}
	var de *incident.Error
	if errors.As(err, &de) {
		return err
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return incident.Errorf(incident.ENOTFOUND, "not found")
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return incident.Errorf(incident.ECONFLICT, "already exists")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	if s.OnError != nil {
		s.OnError(err)
	}
	if isUnavailable(err) {
		return &incident.Error{Code: incident.EUNAVAILABLE, Cause: err,
			Message: "the database cannot take writes right now; try again shortly"}
	}
	return err
}

// isUnavailable reports errors that pass when the operator fixes the
// machine (disk full, read-only file, lock held too long), as opposed to bugs.
func isUnavailable(err error) bool {
	msg := err.Error()
	for _, s := range []string{"database or disk is full", "readonly database", "database is locked", "disk I/O error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Exec runs one statement outside the model, for tests and maintenance.
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	if err := s.write.WithContext(ctx).Exec(sql, args...).Error; err != nil {
		return s.translate(err)
	}
	return s.flushWAL()
}

// QueryRow runs a query returning one value into dest, for tests and
// maintenance (PRAGMA integrity_check).
func (s *Store) QueryRow(ctx context.Context, sql string, dest any, args ...any) error {
	return s.translate(scanRow(s.read.WithContext(ctx).Raw(sql, args...), dest))
}

// scanRow scans the one row q returns into dest. gorm's Row returns nil,
// not a row holding the error, when the statement fails.
func scanRow(q *gorm.DB, dest ...any) error {
	row := q.Row()
	if row == nil {
		if q.Error != nil {
			return q.Error
		}
		return errors.New("query returned no row")
	}
	return row.Scan(dest...)
}
