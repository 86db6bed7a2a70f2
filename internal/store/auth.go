package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// tokenPrefix marks Hindsight tokens, so that secret scanners and people
// can recognise one that leaked.
const tokenPrefix = "hst_"

// HashToken returns what is stored of a token. Tokens carry 256 random
// bits, so a fast hash is enough: nobody can guess one from its hash, and
// looking a token up stays one indexed query.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates an API token and returns its secret, which is shown
// once and never stored.
func (s *Store) CreateToken(ctx context.Context, name string, role incident.Role) (string, *incident.Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, incident.FieldError(incident.EINVALID, "name", "name is required")
	}
	if len(name) > incident.MaxNameLen {
		return "", nil, incident.FieldError(incident.EINVALID, "name", "name is longer than %d characters", incident.MaxNameLen)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", nil, incident.FieldError(incident.EINVALID, "name", "name contains a NUL character")
	}
	if !role.Valid() {
		return "", nil, incident.FieldError(incident.EINVALID, "role", "role must be one of admin, editor, viewer, webhook, feed")
	}
	secret := tokenPrefix + strings.ToLower(randomText(32))
	row := &tokenRow{Name: name, Role: string(role), TokenHash: HashToken(secret), CreatedAt: s.Now().UTC()}
	err := s.transact(ctx, func(tx *gorm.DB) error { return tx.Create(row).Error })
	if err != nil {
		return "", nil, err
	}
	t := row.toDomain()
	return secret, &t, nil
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand panics rather than return short
	return hex.EncodeToString(b)
}

// TokenBySecret returns the live token whose secret this is. Tokens found
// valid are remembered for TokenCacheTTL (see tokenCache).
func (s *Store) TokenBySecret(ctx context.Context, secret string) (*incident.Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, incident.Errorf(incident.EUNAUTHORIZED, "invalid token")
	}
	hash := HashToken(secret)
	if t, ok := s.tokens.get(hash); ok {
		return &t, nil
	}
	gen := s.tokens.generation()
	row, found, err := readFirst[tokenRow](ctx, s, "token_hash = ? AND revoked_at IS NULL", hash)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, incident.Errorf(incident.EUNAUTHORIZED, "invalid token")
	}
	t := row.toDomain()
	s.tokens.put(hash, t, gen)
	return &t, nil
}

// ListTokens returns every token, newest first, without secrets.
func (s *Store) ListTokens(ctx context.Context) ([]incident.Token, error) {
	var rows []tokenRow
	if err := s.reading(ctx, func(db *gorm.DB) error { return db.Order("id DESC").Find(&rows).Error }); err != nil {
		return nil, s.translate(err)
	}
	out := make([]incident.Token, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// RevokeToken makes a token useless from now on: at once in this process
// and, on PostgreSQL, in the others that listen to Revocations.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	// Forgotten once the revocation has committed; lookups that read the
	// token before then do not cache it (see tokenCache.gen).
	defer s.tokens.forget()
	return s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&tokenRow{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", s.Now().UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return incident.Errorf(incident.ENOTFOUND, "token %d not found or already revoked", id)
		}
		if s.dialect == Postgres {
			// PostgreSQL sends it when the revocation commits.
			return tx.Exec("SELECT pg_notify(?, '')", revocationsChannel).Error
		}
		return nil
	})
}

// revocationsChannel tells the replicas sharing a PostgreSQL database
// that a token was revoked.
const revocationsChannel = "hindsight_token_revoked"

// Revocations is the subscription that makes this process forget the
// tokens it remembers whenever another one revokes a token, so that a
// revoked token stops working on every replica at once rather than within
// TokenCacheTTL. It also forgets them each time listening starts, the
// first time too, since word sent before then was not heard. Pass it to
// Listen.
func (s *Store) Revocations() Subscription {
	return Subscription{Channel: revocationsChannel, Deliver: func(string) { s.tokens.forget() }, Listening: s.tokens.forget}
}

// CreateUser adds a user who signs in with a password; passwordHash is the
// bcrypt hash, never the password.
func (s *Store) CreateUser(ctx context.Context, email string, role incident.Role, passwordHash string) (*incident.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 || strings.IndexByte(email, 0) >= 0 {
		return nil, incident.FieldError(incident.EINVALID, "email", "%q is not an email address", email)
	}
	if !role.ForPeople() {
		return nil, incident.FieldError(incident.EINVALID, "role", "role must be one of admin, editor, viewer")
	}
	row := &userRow{Email: email, Role: string(role), PasswordHash: passwordHash, CreatedAt: s.Now().UTC()}
	err := s.transact(ctx, func(tx *gorm.DB) error { return tx.Create(row).Error })
	if incident.ErrorCode(err) == incident.ECONFLICT {
		return nil, incident.FieldError(incident.ECONFLICT, "email", "a user with email %s exists already", email)
	}
	if err != nil {
		return nil, err
	}
	u := row.toDomain()
	return &u, nil
}

// UserPasswordHash returns the user with that email and the stored hash of
// their password.
func (s *Store) UserPasswordHash(ctx context.Context, email string) (*incident.User, string, error) {
	row, found, err := readFirst[userRow](ctx, s, "email = ?", strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return nil, "", err
	}
	if !found {
		return nil, "", incident.Errorf(incident.ENOTFOUND, "no such user")
	}
	u := row.toDomain()
	return &u, row.PasswordHash, nil
}

// Backup writes a consistent copy of a live SQLite database to path, which
// must not exist. For PostgreSQL, use pg_dump.
//
// The copy is written beside path under a temporary name, flushed to the
// disk and only then renamed to path: SQLite does not fsync what VACUUM
// INTO writes, and a backup cut short (a full disk, a crash, Ctrl-C) must
// not leave a file that looks like a backup.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return incident.Errorf(incident.EINVALID, "backup copies SQLite databases; back up PostgreSQL with pg_dump")
	}
	if _, err := os.Lstat(path); err == nil {
		return incident.Errorf(incident.ECONFLICT, "%s exists already; choose a new file name", path)
	}
	dir := filepath.Dir(path)
	// VACUUM INTO writes into an empty file.
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.partial")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	f.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	// VACUUM INTO reads one snapshot, so writers carry on meanwhile. It
	// needs a connection of its own: the read pool is query-only and the
	// write connection must stay free for writers.
	db, err := gorm.Open(sqlite.Open(s.sqliteDSN), gormConfig())
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer closeDB(db)
	if err := db.WithContext(ctx).Exec("VACUUM INTO ?", tmp).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if _, err := os.Lstat(path); err == nil {
		return incident.Errorf(incident.ECONFLICT, "%s was created while the backup ran; choose a new file name", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	done = true
	// The rename is on disk once the directory is.
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// syncFile flushes a file or a directory to the disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
