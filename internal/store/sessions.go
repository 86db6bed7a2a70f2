package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

type sessionRow struct {
	TokenHash string
	UserID    int64
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt time.Time
	Flash     string
}

func (sessionRow) TableName() string { return "sessions" }

type setupTokenRow struct {
	TokenHash string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt time.Time
}

func (setupTokenRow) TableName() string { return "setup_tokens" }

// CreateSession signs the user in for ttl and returns the session's secret,
// for the cookie. Expired sessions are swept on the way.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	secret := randomText(32)
	now := s.Now().UTC()
	row := &sessionRow{TokenHash: HashToken(secret), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("expires_at < ?", now).Delete(&sessionRow{}).Error; err != nil {
			return err
		}
		return tx.Create(row).Error
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// SessionBySecret returns the live session with that secret and its user,
// or an EUNAUTHORIZED error.
func (s *Store) SessionBySecret(ctx context.Context, secret string) (*incident.Session, error) {
	if secret == "" {
		return nil, incident.Errorf(incident.EUNAUTHORIZED, "not signed in")
	}
	var row struct {
		ID        int64
		Email     string
		Role      string
		CreatedAt time.Time
		ExpiresAt time.Time
		Flash     string
	}
	var found bool
	err := s.reading(ctx, func(db *gorm.DB) error {
		res := db.Raw(`SELECT u.id, u.email, u.role, u.created_at, s.expires_at, s.flash
			FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = ? AND s.expires_at > ?`, HashToken(secret), s.Now().UTC()).Scan(&row)
		found = res.RowsAffected > 0
		return res.Error
	})
	if err != nil {
		return nil, s.translate(err)
	}
	if !found {
		return nil, incident.Errorf(incident.EUNAUTHORIZED, "not signed in, or the session expired")
	}
	return &incident.Session{
		User:      incident.User{ID: row.ID, Email: row.Email, Role: incident.Role(row.Role), CreatedAt: row.CreatedAt.UTC()},
		ExpiresAt: row.ExpiresAt.UTC(),
		Flash:     row.Flash,
	}, nil
}

// ExtendSession moves the session's expiry to until.
func (s *Store) ExtendSession(ctx context.Context, secret string, until time.Time) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		return tx.Model(&sessionRow{}).Where("token_hash = ?", HashToken(secret)).Update("expires_at", until.UTC()).Error
	})
}

// SetFlash stores a message for the session's next page; "" clears it.
func (s *Store) SetFlash(ctx context.Context, secret, flash string) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		return tx.Model(&sessionRow{}).Where("token_hash = ?", HashToken(secret)).Update("flash", flash).Error
	})
}

// DeleteSession signs the session out.
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		return tx.Where("token_hash = ?", HashToken(secret)).Delete(&sessionRow{}).Error
	})
}

// CountLoginAttempt records a sign-in attempt for email and returns how
// many were made in the current window, which starts with the first attempt
// and lasts window. The count lives in the database, so that every replica
// sees the same one; counting before the password is checked means that
// concurrent guesses cannot slip past the limit together.
func (s *Store) CountLoginAttempt(ctx context.Context, email string, window time.Duration) (int, error) {
	now := s.Now().UTC()
	cutoff := now.Add(-window)
	var n int
	err := s.transact(ctx, func(tx *gorm.DB) error {
		err := scanRow(tx.Raw(`INSERT INTO login_attempts (email, attempts, window_start) VALUES (?, 1, ?)
			ON CONFLICT (email) DO UPDATE SET
				attempts = CASE WHEN login_attempts.window_start < ? THEN 1 ELSE login_attempts.attempts + 1 END,
				window_start = CASE WHEN login_attempts.window_start < ? THEN excluded.window_start ELSE login_attempts.window_start END
			RETURNING attempts`, normalizeEmail(email), now, cutoff, cutoff), &n)
		if err != nil {
			return err
		}
		// Windows long past say nothing any more.
		return tx.Exec("DELETE FROM login_attempts WHERE window_start < ?", now.Add(-window-time.Hour)).Error
	})
	return n, err
}

// ClearLoginAttempts forgets the attempts for email, after a sign-in
// succeeded.
func (s *Store) ClearLoginAttempts(ctx context.Context, email string) error {
	return s.Exec(ctx, "DELETE FROM login_attempts WHERE email = ?", normalizeEmail(email))
}

// CountUsers returns how many users there are.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.reading(ctx, func(db *gorm.DB) error { return db.Model(&userRow{}).Count(&n).Error })
	return n, s.translate(err)
}

// ListUsers returns every user, by email.
func (s *Store) ListUsers(ctx context.Context) ([]incident.User, error) {
	var rows []userRow
	if err := s.reading(ctx, func(db *gorm.DB) error { return db.Order("email").Find(&rows).Error }); err != nil {
		return nil, s.translate(err)
	}
	out := make([]incident.User, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// SetUserRole changes a user's role. The last admin keeps theirs, so that
// somebody can still manage users.
func (s *Store) SetUserRole(ctx context.Context, id int64, role incident.Role) error {
	if !role.ForPeople() {
		return incident.FieldError(incident.EINVALID, "role", "role must be one of admin, editor, viewer")
	}
	return s.transact(ctx, func(tx *gorm.DB) error {
		var row userRow
		res := tx.Where("id = ?", id).Limit(1).Find(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return incident.Errorf(incident.ENOTFOUND, "user %d not found", id)
		}
		if row.Role == string(incident.RoleAdmin) && role != incident.RoleAdmin {
			var admins int64
			if err := tx.Model(&userRow{}).Where("role = ?", incident.RoleAdmin).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return incident.FieldError(incident.EUNPROCESSABLE, "role", "%s is the last admin; make another user admin first", row.Email)
			}
		}
		return tx.Model(&userRow{}).Where("id = ?", id).Update("role", string(role)).Error
	})
}

// DeleteUser removes a user and signs out every session of theirs at once:
// someone who leaves the team keeps no way in. The last admin stays, so
// that somebody can still manage users. It returns the removed user.
func (s *Store) DeleteUser(ctx context.Context, id int64) (*incident.User, error) {
	var row userRow
	err := s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Limit(1).Find(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return incident.Errorf(incident.ENOTFOUND, "user %d not found", id)
		}
		if row.Role == string(incident.RoleAdmin) {
			var admins int64
			if err := tx.Model(&userRow{}).Where("role = ?", incident.RoleAdmin).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return incident.Errorf(incident.EUNPROCESSABLE, "%s is the last admin; make another user admin first", row.Email)
			}
		}
		// The foreign key cascades too; deleting first does not depend on it.
		if err := tx.Where("user_id = ?", id).Delete(&sessionRow{}).Error; err != nil {
			return err
		}
		return tx.Where("id = ?", id).Delete(&userRow{}).Error
	})
	if err != nil {
		return nil, err
	}
	u := row.toDomain()
	return &u, nil
}

// CreateSetupToken returns the secret of a one-time link that creates the
// first admin, valid for ttl, or "" when a user exists already.
func (s *Store) CreateSetupToken(ctx context.Context, ttl time.Duration) (string, error) {
	secret := randomText(32)
	now := s.Now().UTC()
	created := false
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&userRow{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := tx.Where("expires_at < ?", now).Delete(&setupTokenRow{}).Error; err != nil {
			return err
		}
		created = true
		return tx.Create(&setupTokenRow{TokenHash: HashToken(secret), CreatedAt: now, ExpiresAt: now.Add(ttl)}).Error
	})
	if err != nil || !created {
		return "", err
	}
	return secret, nil
}

var errSetupUsed = incident.Errorf(incident.ENOTFOUND, "this set-up link has been used or has expired: sign in, or restart the server for a new link")

func checkSetupToken(tx *gorm.DB, secret string, now time.Time) error {
	var n int64
	if err := tx.Model(&userRow{}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return errSetupUsed
	}
	var live int64
	if err := tx.Model(&setupTokenRow{}).Where("token_hash = ? AND expires_at > ?", HashToken(secret), now).Count(&live).Error; err != nil {
		return err
	}
	if live == 0 {
		return errSetupUsed
	}
	return nil
}

// CheckSetupToken says whether secret is a live set-up link.
func (s *Store) CheckSetupToken(ctx context.Context, secret string) error {
	return s.translate(s.reading(ctx, func(db *gorm.DB) error { return checkSetupToken(db, secret, s.Now().UTC()) }))
}

// CreateFirstAdmin creates the first user, an admin, with the set-up
// link's secret, which it uses up: one transaction checks that the link is
// live and that no user exists, so two people cannot both become admin.
func (s *Store) CreateFirstAdmin(ctx context.Context, secret, email, passwordHash string) (*incident.User, error) {
	email = normalizeEmail(email)
	if err := checkEmail(email); err != nil {
		return nil, err
	}
	var u incident.User
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := checkSetupToken(tx, secret, s.Now().UTC()); err != nil {
			return err
		}
		row := &userRow{Email: email, Role: string(incident.RoleAdmin), PasswordHash: passwordHash, CreatedAt: s.Now().UTC()}
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		u = row.toDomain()
		return tx.Where("1 = 1").Delete(&setupTokenRow{}).Error
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// Event returns one timeline entry of the incident with that id.
func (s *Store) Event(ctx context.Context, incidentID, eventID int64) (*incident.Event, error) {
	row, found, err := readFirst[eventRow](ctx, s, "id = ? AND incident_id = ?", eventID, incidentID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, incident.Errorf(incident.ENOTFOUND, "event %d not found", eventID)
	}
	e := row.toDomain()
	return &e, nil
}

func normalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(email string) error {
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 {
		return incident.FieldError(incident.EINVALID, "email", "%q is not an email address", email)
	}
	return nil
}
