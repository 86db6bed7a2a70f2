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
// forgot. The alerts and entries they brought stay.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.transact(ctx, func(tx *gorm.DB) error {
		r := tx.Exec("DELETE FROM webhook_deliveries WHERE received_at < ?", cutoff.UTC())
		n = r.RowsAffected
		return r.Error
	})
	return n, err
}
