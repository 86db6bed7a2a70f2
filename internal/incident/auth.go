package incident

import (
	"context"
	"time"
)

// Role says what a user or token may do.
type Role string

const (
	RoleViewer  Role = "viewer"  // reads
	RoleEditor  Role = "editor"  // also writes incidents
	RoleAdmin   Role = "admin"   // also manages users and tokens
	RoleWebhook Role = "webhook" // may only post alerts to /hooks
	// RoleFeed may only read the task calendar feed. Calendar apps cannot
	// send headers, so its token travels in the feed's URL, where it is
	// more easily seen than a header: it opens nothing else.
	RoleFeed Role = "feed"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleViewer || r == RoleEditor || r == RoleAdmin || r == RoleWebhook || r == RoleFeed
}

// CanReadFeed reports whether r may read the task calendar feed.
func (r Role) CanReadFeed() bool { return r.CanRead() || r == RoleFeed }

// ForPeople reports whether users (who sign in with a password) may have r;
// webhook and feed roles are for tokens only.
func (r Role) ForPeople() bool { return r == RoleViewer || r == RoleEditor || r == RoleAdmin }

// CanRead reports whether r may read incidents.
func (r Role) CanRead() bool { return r == RoleViewer || r == RoleEditor || r == RoleAdmin }

// CanWrite reports whether r may change incidents.
func (r Role) CanWrite() bool { return r == RoleEditor || r == RoleAdmin }

// CanPostAlerts reports whether r may post to the webhook endpoints.
func (r Role) CanPostAlerts() bool { return r == RoleWebhook || r == RoleAdmin }

// Token is an API token. Its secret is shown once, at creation; only its
// hash is stored.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// User is a person who signs in to the browser pages.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

type actorKey struct{}

// WithActor returns a context that says who is making the changes done
// under it, for timeline entries and the audit trail.
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// ActorFrom returns the name stored by WithActor, or "".
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}
