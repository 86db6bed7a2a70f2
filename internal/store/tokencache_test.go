package store

import (
	"testing"
	"time"

	"hindsight/internal/incident"
)

func TestTokenCache(t *testing.T) {
	now := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	newCache := func() *tokenCache {
		c := newTokenCache()
		c.now = func() time.Time { return now }
		return c
	}
	tok := incident.Token{ID: 1, Name: "am", Role: incident.RoleWebhook}
	t.Run("OK", func(t *testing.T) {
		c := newCache()
		c.put("h", tok, c.generation())
		if got, ok := c.get("h"); !ok || got != tok {
			t.Fatalf("get = %+v, %v", got, ok)
		}
		if _, ok := c.get("other"); ok {
			t.Fatal("found a token never put")
		}
	})
	t.Run("Expires", func(t *testing.T) {
		c := newCache()
		c.put("h", tok, c.generation())
		now = now.Add(TokenCacheTTL)
		if _, ok := c.get("h"); ok {
			t.Fatal("found after its time to live")
		}
	})
	t.Run("Forget", func(t *testing.T) {
		c := newCache()
		c.put("h", tok, c.generation())
		c.forget()
		if _, ok := c.get("h"); ok {
			t.Fatal("found after forget")
		}
	})
	t.Run("LookupAcrossRevocation", func(t *testing.T) {
		c := newCache()
		gen := c.generation() // a lookup reads the token as valid...
		c.forget()            // ...while its revocation commits
		c.put("h", tok, gen)
		if _, ok := c.get("h"); ok {
			t.Fatal("cached a token read before its revocation")
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		c := newCache()
		for i := range tokenCacheLen + 10 {
			c.put(string(rune(i)), tok, c.generation())
		}
		if len(c.m) > tokenCacheLen {
			t.Fatalf("%d entries, at most %d", len(c.m), tokenCacheLen)
		}
	})
}
