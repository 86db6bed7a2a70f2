package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// DeliveryMemory is how long the id of a delivery (PagerDuty's
// X-Webhook-Id) is remembered to recognise a re-delivery. Senders retry a
// failed delivery for minutes or hours, not days.
const DeliveryMemory = 7 * 24 * time.Hour

// PruneDeliveries forgets the ids of deliveries received before cutoff,
// so that the table does not grow for ever, and returns how many it
// forgot. The alerts and entries they brought stay, but for entries kept
// for an incident their group never opened (a PagerDuty note of an
// incident below the open-at severity).
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.transact(ctx, func(tx *gorm.DB) error {
		r := tx.Exec("DELETE FROM webhook_deliveries WHERE received_at < ?", cutoff.UTC())
		if r.Error != nil {
			return r.Error
		}
		n = r.RowsAffected
		return tx.Exec("DELETE FROM pending_entries WHERE received_at < ?", cutoff.UTC()).Error
	})
	return n, err
}
