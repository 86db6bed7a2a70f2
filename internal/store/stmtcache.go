package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// stmtCache keeps statements prepared on SQLite's single write connection
// from one transaction to the next. The alert writer runs the same few
// statements in every transaction of a storm, and SQLite takes longer to
// prepare them than to run them. PostgreSQL needs no such cache: pgx keeps
// the statements it prepared on each connection.
type stmtCache struct {
	stmts map[string]*sql.Stmt
}

// hotQueries are the statements the cache prepares: the alert writer's,
// and the audit trail's, which every change writes.
var hotQueries = []string{
	findGroupSQL, insertGroupSQL, insertAlertSQL, resolveOccurrenceSQL,
	joinAlertEntrySQLite, updateEntryEventSQL, anyResolvedSQL, noteFromSQL,
	insertAuditSQL,
}

// newStmtCache prepares the hot queries on db. It must run before any
// transaction: a transaction holds the only connection, and preparing on
// db would wait for it.
func newStmtCache(db *sql.DB) (*stmtCache, error) {
	c := &stmtCache{stmts: make(map[string]*sql.Stmt, len(hotQueries))}
	for _, q := range hotQueries {
		stmt, err := db.Prepare(q)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare %q: %w", q, err), c.close())
		}
		c.stmts[q] = stmt
	}
	return c, nil
}

// in returns the statement for query bound to tx. database/sql finds it
// already prepared on the connection tx holds, the only write connection
// (or prepares it again there, after a reconnect). A query not in the
// cache is prepared for this transaction alone.
func (c *stmtCache) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if stmt, ok := c.stmts[query]; ok {
		return tx.StmtContext(ctx, stmt), nil
	}
	return tx.PrepareContext(ctx, query)
}

func (c *stmtCache) close() error {
	var errs []error
	for q, stmt := range c.stmts {
		errs = append(errs, stmt.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// hotTx runs the statements of the alert writer, written with ? for their
// arguments and never with lists: on SQLite through the statement cache,
// on PostgreSQL through gorm, which numbers the arguments.
type hotTx struct {
	ctx   context.Context
	gorm  *gorm.DB
	sql   *sql.Tx // nil on PostgreSQL
	cache *stmtCache
}

func (s *Store) hot(tx *gorm.DB) hotTx {
	h := hotTx{ctx: tx.Statement.Context, gorm: tx}
	if sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx); ok && s.stmts != nil {
		h.sql, h.cache = sqlTx, s.stmts
	}
	if h.ctx == nil {
		h.ctx = context.Background()
	}
	return h
}

// exec runs a statement.
func (h hotTx) exec(query string, args ...any) error {
	if h.sql == nil {
		return h.gorm.Exec(query, args...).Error
	}
	stmt, err := h.cache.in(h.ctx, h.sql, query)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(h.ctx, args...)
	return err
}

// scanOne runs a query and scans its first row into dest; it reports
// whether there was one.
func (h hotTx) scanOne(query string, args []any, dest ...any) (bool, error) {
	var rows *sql.Rows
	var err error
	if h.sql == nil {
		rows, err = h.gorm.Raw(query, args...).Rows()
	} else {
		var stmt *sql.Stmt
		if stmt, err = h.cache.in(h.ctx, h.sql, query); err == nil {
			rows, err = stmt.QueryContext(h.ctx, args...)
		}
	}
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	if err := rows.Scan(dest...); err != nil {
		return false, err
	}
	return true, rows.Close()
}
