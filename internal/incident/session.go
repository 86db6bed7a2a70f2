package incident

import "time"

// Session is a browser signed in as a user. Its secret lives in a cookie;
// only its hash is stored.
type Session struct {
	User      User
	ExpiresAt time.Time
	// Flash is a message for the next page the browser shows, set by the
	// request that redirected to it.
	Flash string
}
