// Package storetest opens real, empty databases for tests: a SQLite file in
// the test's temporary directory and, when HINDSIGHT_TEST_POSTGRES holds a
// URL, a fresh schema in that PostgreSQL database.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"hindsight/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL URL for tests.
const PostgresEnv = "HINDSIGHT_TEST_POSTGRES"

// SQLite opens a new database file in t.TempDir().
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "hindsight.db"))
}

// PostgresURL returns the URL of a new, empty schema in the test PostgreSQL
// database, dropped when the test ends, or skips the test, saying why, when
// none is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests need %s=postgres://... (a database the tests may create schemas in)", PostgresEnv)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	admin := open(t, base)
	if err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a store on a fresh schema (see PostgresURL).
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	return open(t, PostgresURL(t))
}

// Each runs fn once per database this machine has: SQLite always,
// PostgreSQL when configured (otherwise that subtest says it is skipped).
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachDSN runs fn once per database this machine has, like Each, with the
// name of a fresh database rather than an open store, for tests that open
// several stores on one database, as several replicas or a restarted
// process do. Open them with Open.
func EachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "hindsight.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// Open opens a store on dsn, closed when the test ends.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	return open(t, dsn)
}

func open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
