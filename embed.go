// Package hindsight holds the files compiled into the binary: the page and
// postmortem templates and the static assets.
package hindsight

import "embed"

// Files holds templates/ and static/.
//
//go:embed templates static
var Files embed.FS
