package store

import (
	"regexp"
	"testing"
)

// SQLite prepares a statement again each time the pattern of its LIKE or
// GLOB is bound, in case the pattern lets it use an index, which undoes
// what the cache is for: the writer's statements write their patterns in.
func TestHotQueriesBindNoPattern(t *testing.T) {
	bound := regexp.MustCompile(`(?i)\b(LIKE|GLOB)\s+\?`)
	for _, q := range hotQueries {
		if bound.MatchString(q) {
			t.Errorf("a statement of the cache binds the pattern of its LIKE: %s", q)
		}
	}
}
