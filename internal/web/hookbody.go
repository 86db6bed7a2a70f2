package web

import (
	"io"
	"sync/atomic"

	"hindsight/internal/incident"
)

// defaultMaxHookBodyBytes is the default limit of a webhook body. An alert
// storm is when groups are largest: Alertmanager and Grafana send every
// alert of a group in each notification, up to incident.MaxAlertsPerBatch
// of a kilobyte or so, and neither sends a notification again after a 413.
const defaultMaxHookBodyBytes = 16 << 20

// hookBudgetBodies is how many webhook bodies of the largest size may be
// read at once: the bytes of webhook bodies beyond MaxBodyBytes are counted
// against this many times MaxHookBodyBytes. More waits for a retry (503 and
// Retry-After, which the senders honour), so that a storm of large groups
// cannot take memory without bound.
const hookBudgetBodies = 4

// errHookBudget refuses a webhook body while others hold the budget.
var errHookBudget = &incident.Error{Code: incident.EUNAVAILABLE,
	Message: "too many large webhook bodies are being read; retry shortly"}

// bodyBudget counts the bytes that the webhook bodies being read hold
// beyond the first free bytes of each.
type bodyBudget struct {
	free, limit int64
	used        atomic.Int64
}

// budgetReader reads a body, taking from its budget what it reads beyond
// the budget's free bytes; release gives it back.
type budgetReader struct {
	io.ReadCloser
	budget      *bodyBudget
	read, taken int64
}

func (r *budgetReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.read += int64(n)
	if more := r.read - r.budget.free - r.taken; more > 0 {
		if r.budget.used.Add(more) > r.budget.limit {
			r.budget.used.Add(-more)
			return n, errHookBudget
		}
		r.taken += more
	}
	return n, err
}

func (r *budgetReader) release() {
	r.budget.used.Add(-r.taken)
	r.taken = 0
}
