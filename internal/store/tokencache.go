package store

import (
	"sync"
	"time"

	"hindsight/internal/incident"
)

// TokenCacheTTL is how long a token found valid is believed without asking
// the database again. A token revoked here stops working at once, and so
// does one revoked by another process on PostgreSQL (see
// Store.Revocations); otherwise it works here for at most this long.
const TokenCacheTTL = 10 * time.Second

// tokenCacheLen bounds the cache. Deployments have a handful of tokens;
// when more are in use than this, the cache starts over rather than grow.
const tokenCacheLen = 1024

// tokenCache remembers the tokens found valid recently, by the hash of
// their secret, so that an alert storm does not look the sender's token up
// once per request. Invalid secrets are never cached: they cannot fill it.
type tokenCache struct {
	mu  sync.Mutex
	now func() time.Time // the real clock: Store.Now is for the data
	m   map[string]cachedToken
	// gen counts the times the cache was emptied. A lookup that read the
	// database before a revocation committed must not cache what it read
	// after forget: put takes the generation the lookup started in.
	gen uint64
}

type cachedToken struct {
	token   incident.Token
	expires time.Time
}

func newTokenCache() *tokenCache {
	return &tokenCache{now: time.Now, m: map[string]cachedToken{}}
}

func (c *tokenCache) get(hash string) (incident.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok {
		return incident.Token{}, false
	}
	if !c.now().Before(e.expires) {
		delete(c.m, hash)
		return incident.Token{}, false
	}
	return e.token, true
}

// generation is the generation to pass to put for a lookup starting now.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches t, unless the cache was emptied since gen.
func (c *tokenCache) put(hash string, t incident.Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= tokenCacheLen {
		clear(c.m)
	}
	c.m[hash] = cachedToken{token: t, expires: c.now().Add(TokenCacheTTL)}
}

// forget empties the cache, after a token was revoked: revocations are rare
// enough that rereading every token once costs nothing.
func (c *tokenCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.gen++
}
