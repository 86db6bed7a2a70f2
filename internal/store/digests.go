package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"hindsight/internal/incident"
)

type digestRow struct {
	Day        string `gorm:"primaryKey"`
	Status     string
	ClaimedBy  string
	ClaimedAt  time.Time
	LeaseUntil time.Time
	Attempts   int
	InDoubt    bool
	LastError  string
	SentAt     *time.Time
	Overdue    int
	DueSoon    int
	Text       string
}

func (digestRow) TableName() string { return "digests" }

// digestColumns are what the sender of a day changes as it goes.
var digestColumns = []string{"status", "lease_until", "attempts", "in_doubt", "last_error", "sent_at", "overdue", "due_soon", "text"}

func toDigestRow(d *incident.Digest) *digestRow {
	return &digestRow{Day: d.Day, Status: string(d.Status), ClaimedBy: d.ClaimedBy, ClaimedAt: d.ClaimedAt.UTC(),
		LeaseUntil: d.LeaseUntil.UTC(), Attempts: d.Attempts, InDoubt: d.InDoubt, LastError: d.LastError,
		SentAt: incident.UTC(d.SentAt), Overdue: d.Overdue, DueSoon: d.DueSoon, Text: d.Text}
}

func (r *digestRow) toDomain() incident.Digest {
	return incident.Digest{Day: r.Day, Status: incident.DigestStatus(r.Status), ClaimedBy: r.ClaimedBy,
		ClaimedAt: r.ClaimedAt.UTC(), LeaseUntil: r.LeaseUntil.UTC(), Attempts: r.Attempts, InDoubt: r.InDoubt,
		LastError: r.LastError, SentAt: utcPtr(r.SentAt), Overdue: r.Overdue, DueSoon: r.DueSoon, Text: r.Text}
}

// ClaimDigest takes d.Day for d.ClaimedBy, so that it alone sends that
// day's digest, and reports whether it got it. A day nobody has claimed is
// taken by inserting its row: of several servers racing, the database lets
// one insert win. A day already claimed is taken over only when its
// claimer's lease ran out before it began a request (it died, or stopped
// between retries): once a request may have reached the receiver, the day
// is never sent again.
func (s *Store) ClaimDigest(ctx context.Context, d *incident.Digest) (bool, error) {
	won := false
	err := s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(toDigestRow(d))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			won = true
			return nil
		}
		res = tx.Model(&digestRow{}).
			Where("day = ? AND status = ? AND in_doubt = ? AND lease_until < ?", d.Day, string(incident.DigestClaimed), false, d.ClaimedAt.UTC()).
			Select("claimed_by", "claimed_at", "lease_until", "overdue", "due_soon", "text").
			Updates(toDigestRow(d))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			// Keep the attempts and errors of the one taken over.
			won = true
			var row digestRow
			if err := tx.Where("day = ?", d.Day).Take(&row).Error; err != nil {
				return err
			}
			*d = row.toDomain()
		}
		return nil
	})
	return won, err
}

// UpdateDigest writes the sender's progress on its day. It fails with
// ECONFLICT when the day is no longer d.ClaimedBy's, so that a sender that
// lost its claim (its lease ran out and another took over) stops.
func (s *Store) UpdateDigest(ctx context.Context, d *incident.Digest) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&digestRow{}).Select(digestColumns).
			Where("day = ? AND claimed_by = ?", d.Day, d.ClaimedBy).Updates(toDigestRow(d))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return incident.Errorf(incident.ECONFLICT, "the digest of %s is no longer %s's to send", d.Day, d.ClaimedBy)
		}
		return nil
	})
}

// Digest returns the record of one day's digest.
func (s *Store) Digest(ctx context.Context, day string) (*incident.Digest, error) {
	row, found, err := readFirst[digestRow](ctx, s, "day = ?", day)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, incident.Errorf(incident.ENOTFOUND, "no digest for %s", day)
	}
	d := row.toDomain()
	return &d, nil
}

// ListDigests returns the records of the latest digests, newest first.
func (s *Store) ListDigests(ctx context.Context, limit int) ([]incident.Digest, error) {
	var rows []digestRow
	if err := s.reading(ctx, func(db *gorm.DB) error { return db.Order("day DESC").Limit(limit).Find(&rows).Error }); err != nil {
		return nil, s.translate(err)
	}
	out := make([]incident.Digest, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
