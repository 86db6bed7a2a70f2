package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DigestStatus is where the daily reminder of one day stands.
type DigestStatus string

const (
	// DigestClaimed: a server has taken the day and is sending, or will.
	DigestClaimed DigestStatus = "claimed"
	// DigestSent: the receiver accepted the digest.
	DigestSent DigestStatus = "sent"
	// DigestEmpty: nothing was overdue or due soon, so nothing was sent.
	DigestEmpty DigestStatus = "empty"
	// DigestFailed: the receiver refused it, or every retry failed.
	DigestFailed DigestStatus = "failed"
	// DigestUnknown: the request went out but no answer came back, so
	// nobody knows whether it arrived; sending it again could post it twice.
	DigestUnknown DigestStatus = "unknown"
)

// Digest is the record of one day's reminder: what was (or was to be)
// sent, and how that went. There is at most one per day.
type Digest struct {
	Day        string       `json:"day"` // 2024-01-25, in the digest's time zone
	Status     DigestStatus `json:"status"`
	ClaimedBy  string       `json:"claimed_by"`
	ClaimedAt  time.Time    `json:"claimed_at"`
	LeaseUntil time.Time    `json:"lease_until"`
	Attempts   int          `json:"attempts"`
	// InDoubt is true from the start of a request to its answer: if the
	// sender dies meanwhile, the digest may have arrived, and no other
	// server may send it again.
	InDoubt   bool       `json:"in_doubt"`
	LastError string     `json:"last_error"`
	SentAt    *time.Time `json:"sent_at"`
	Overdue   int        `json:"overdue"`
	DueSoon   int        `json:"due_soon"`
	Text      string     `json:"text"`
}

// MaxDigestLines bounds each section of a digest; chat messages have limits.
const MaxDigestLines = 25

// DigestContent is what a day's reminder says.
type DigestContent struct {
	Overdue []Task
	DueSoon []Task
	Text    string // Slack-compatible mrkdwn
}

// BuildDigest sorts the unfinished tasks into those overdue at now and
// those due within soon, each oldest due date first, and writes the
// message, with dates in loc.
func BuildDigest(tasks []Task, now time.Time, soon time.Duration, loc *time.Location) DigestContent {
	var c DigestContent
	for _, t := range tasks {
		switch {
		case t.Status.Finished() || t.DueAt == nil:
		case t.DueAt.Before(now):
			c.Overdue = append(c.Overdue, t)
		case t.DueAt.Before(now.Add(soon)):
			c.DueSoon = append(c.DueSoon, t)
		}
	}
	byDue := func(a, b Task) int {
		if n := a.DueAt.Compare(*b.DueAt); n != 0 {
			return n
		}
		return int(a.ID - b.ID)
	}
	slices.SortFunc(c.Overdue, byDue)
	slices.SortFunc(c.DueSoon, byDue)
	if len(c.Overdue)+len(c.DueSoon) == 0 {
		return c
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Hindsight follow-ups: %s overdue, %s due in the next %s*\n",
		plural(len(c.Overdue), "task"), plural(len(c.DueSoon), "task"), plural(int(soon.Hours()/24), "day"))
	section := func(title string, ts []Task, overdue bool) {
		if len(ts) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n*%s*\n", title)
		for i, t := range ts {
			if i == MaxDigestLines {
				fmt.Fprintf(&b, "• …and %d more\n", len(ts)-i)
				break
			}
			owner := t.Owner
			if owner == "" {
				owner = "no owner"
			}
			fmt.Fprintf(&b, "• %s %s (%s, %s) due %s", t.IncidentRef, slackEscape(oneLine(t.Title)), slackEscape(owner), t.Priority,
				t.DueAt.In(loc).Format("Mon 2 Jan 2006"))
			if days := int(now.Sub(*t.DueAt).Hours() / 24); overdue && days > 0 {
				fmt.Fprintf(&b, ", %s late", plural(days, "day"))
			}
			b.WriteString("\n")
		}
	}
	section("Overdue", c.Overdue, true)
	section("Due soon", c.DueSoon, false)
	c.Text = strings.TrimRight(b.String(), "\n")
	return c
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// slackEscape escapes the three characters Slack reads as markup
// (<https://...|links>, <@mentions>): a task title cannot ping anyone.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}
