package incident

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits on what one webhook delivery may hold, within the 16 MiB of a
// webhook body: the alerts of a large group, and no single alert filling a
// row.
const (
	MaxAlertsPerBatch = 10_000
	MaxFingerprintLen = 200
	MaxGroupKeyLen    = 2_000
	MaxLabelsLen      = 16 * 1024 // labels or annotations of one alert, as JSON
)

// AlertBatch is what one webhook delivery says: the alerts of one group as
// the sender sees them now, and what should happen to the incident the
// group feeds. Adapters build it from a payload; the store applies it in
// one transaction.
type AlertBatch struct {
	Source   string // "alertmanager", "grafana", "pagerduty", "generic"
	GroupKey string // alerts of one group feed one incident while it is open

	// DeliveryID identifies the delivery when the sender does (PagerDuty's
	// X-Webhook-Id): a delivery seen before is ignored whole.
	DeliveryID string
	// EventID identifies the event the delivery carries, when the sender
	// does (PagerDuty's event.id). PagerDuty delivers an event to every
	// subscription that wants it, each delivery with its own DeliveryID:
	// an event seen before is ignored whole too.
	EventID string

	// Alerts are occurrences, each (Source, Fingerprint, StartsAt). A new
	// one is stored; a known firing one that arrives resolved is marked
	// resolved; anything else is a repeat and changes nothing.
	Alerts []Alert

	// FireOnce is for senders that repeat a firing alert with a new start
	// time (scripts posting "now", PagerDuty events of an incident without
	// its creation time): while an occurrence of the fingerprint is firing
	// in the group, a firing alert is a repeat. These senders make the
	// fingerprint the group key.
	FireOnce bool

	// Resolve ends every firing occurrence of a fingerprint in the group,
	// for senders that say an alert stopped without saying when it
	// started. These senders make the fingerprint the group key.
	Resolve []AlertEnd

	// Open is the incident to declare when newly firing alerts find the
	// group without an open incident: title, severity and services. Nil
	// when the alerts are below the open-at threshold: they are stored
	// unattached, for someone to attach by hand.
	Open *Incident

	// OpenResolved lets a new alert that is resolved already open the
	// incident too, for senders whose alert is an incident of their own
	// (PagerDuty): its resolution may come before its triggering, and
	// delivery in order would have opened one.
	OpenResolved bool

	// OpenFor, when set, gives the incident to declare from the alerts
	// the batch newly adds that fire, in place of Open, which describes
	// the whole snapshot: a snapshot repeats alerts that fed an earlier
	// incident of the group, since resolved by its commander, and only the
	// new ones may open another. Nil when they are below the threshold.
	OpenFor func(firing []Alert) *Incident `json:"-"`

	// AcknowledgedAt, when set, acknowledges the incident the group fed
	// last, open or not (as Entries go to it).
	AcknowledgedAt *time.Time

	// Entries are timeline entries the sender reports beyond alerts
	// (PagerDuty acknowledgements and notes), added to the incident the
	// group fed last, even when its commander has resolved it: the sender
	// tells of that incident. They are only idempotent with a DeliveryID.
	Entries []Event

	// Truncated counts alerts the sender left out of the snapshot
	// (Alertmanager's max_alerts); they are not resolved by their absence.
	Truncated int

	// PayloadField, when set, names a field of the batch as the payload
	// it was made of does: Validate refuses a batch naming the field the
	// sender must fix ("alerts[1].startsAt"), not the batch's own
	// ("alerts[1].starts_at"). It returns "" for a field the payload has
	// no name for, which keeps the batch's.
	PayloadField func(field string) string `json:"-"`
}

// AlertEnd says that an alert stopped firing at At.
type AlertEnd struct {
	Fingerprint string
	At          time.Time
	// OnlyStarted ends only the occurrences that had started by At, for
	// senders whose times all come from one clock: one that started
	// later fired again after this end, which came late. Without it, such
	// an occurrence ends at its start: the generic webhook's callers may
	// date a resolution by a clock behind the one that dated the firing.
	OnlyStarted bool
}

// Size is the number of alerts the batch reports on: an alert that Resolve
// ends by its fingerprint and Alerts lists as well (PagerDuty's
// resolutions) counts once.
func (b *AlertBatch) Size() int {
	n := len(b.Alerts)
	for _, r := range b.Resolve {
		if !slices.ContainsFunc(b.Alerts, func(a Alert) bool { return a.Fingerprint == r.Fingerprint }) {
			n++
		}
	}
	return n
}

// Empty reports whether the batch asks for nothing at all (a PagerDuty
// event type Hindsight does not follow, a test ping).
func (b *AlertBatch) Empty() bool {
	return b.Size() == 0 && len(b.Entries) == 0 && b.AcknowledgedAt == nil
}

// Normalize puts every time in UTC at the precision the databases keep,
// fills empty maps, and fixes what senders get wrong without meaning
// anything by it: an alert that ends before it starts ends when it starts,
// a firing alert has no end. A resolved alert without an end ends at now.
func (b *AlertBatch) Normalize(now time.Time) {
	now = now.UTC().Truncate(time.Microsecond)
	b.Source = strings.TrimSpace(b.Source)
	for i := range b.Alerts {
		a := &b.Alerts[i]
		a.Source = b.Source
		a.GroupKey = b.GroupKey
		a.StartsAt = a.StartsAt.UTC().Truncate(time.Microsecond)
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		if a.Name == "" {
			a.Name = a.Labels["alertname"]
		}
		a.Name = Clip(a.Name, MaxNameLen)
		fitValues(a.Labels, MaxLabelsLen)
		fitValues(a.Annotations, MaxLabelsLen)
		switch a.Status {
		case AlertFiring:
			a.EndsAt = nil
		case AlertResolved:
			a.EndsAt = UTC(a.EndsAt)
			if a.EndsAt == nil {
				a.EndsAt = &now
			}
			if a.EndsAt.Before(a.StartsAt) {
				s := a.StartsAt
				a.EndsAt = &s
			}
		}
	}
	for i := range b.Resolve {
		r := &b.Resolve[i]
		r.At = r.At.UTC().Truncate(time.Microsecond)
		if r.At.IsZero() {
			r.At = now
		}
	}
	b.AcknowledgedAt = UTC(b.AcknowledgedAt)
	if b.Open != nil {
		b.Open.foldSent()
	}
	for i := range b.Entries {
		e := &b.Entries[i]
		if e.Source == "" {
			e.Source = SourceWebhook
		}
		e.Text = dropNUL(e.Text)
		e.Normalize()
	}
}

// Opening returns the incident that the alerts b newly added open, or nil
// when they open none.
func (b *AlertBatch) Opening(added []Alert) *Incident {
	if b.Open == nil || b.OpenFor == nil {
		return b.Open
	}
	var firing []Alert
	for _, a := range added {
		if a.Status == AlertFiring {
			firing = append(firing, a)
		}
	}
	inc := b.OpenFor(firing)
	if inc != nil {
		inc.foldSent()
	}
	return inc
}

// foldSent makes the title and services of an incident a sender opens one
// line each, and the title free of NUL: they come from annotations and
// labels, which may carry anything. (A service with NUL is refused, naming
// the label.)
func (inc *Incident) foldSent() {
	inc.Title = OneLine(dropNUL(inc.Title))
	inc.Services = NormalizeNames(inc.Services)
}

// MergeRepeats keeps one copy of each occurrence the sender listed more
// than once, the resolved one if any copy is: the state the copies reach.
// Applied apart, the firing copy was stored and the resolution left to the
// next delivery of the same payload, which then changed something.
func (b *AlertBatch) MergeRepeats() { b.Alerts = mergeRepeats(b.Alerts) }

func mergeRepeats(alerts []Alert) []Alert {
	if len(alerts) < 2 {
		return alerts
	}
	type occurrence struct {
		fingerprint string
		start       time.Time
	}
	seen := make(map[occurrence]int, len(alerts)) // index in out
	out := alerts[:0]
	for _, a := range alerts {
		k := occurrence{a.Fingerprint, a.StartsAt}
		if i, ok := seen[k]; ok {
			if a.Status == AlertResolved {
				out[i] = a
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, a)
	}
	return out
}

// Validate checks a normalized batch. Adapters build valid batches from
// any well-formed payload; this guards the store against the others.
func (b *AlertBatch) Validate() error {
	err := b.validate()
	if err != nil && b.PayloadField != nil {
		return RenameField(err, b.PayloadField)
	}
	return err
}

// MaxClockAhead is how far past the server's clock a sender's times may
// be. Clocks of machines drift by seconds; a time further ahead comes from
// a clock set wrong (or a time zone given as UTC), and would date the
// incident, and its time to detect, in the future.
const MaxClockAhead = time.Hour

// CheckClock refuses a normalized batch whose times are more than
// MaxClockAhead past now, naming the first such field.
func (b *AlertBatch) CheckClock(now time.Time) error {
	err := b.checkClock(now)
	if err != nil && b.PayloadField != nil {
		return RenameField(err, b.PayloadField)
	}
	return err
}

func (b *AlertBatch) checkClock(now time.Time) error {
	ahead := func(field string, t *time.Time) error {
		if t == nil || !t.After(now.Add(MaxClockAhead)) {
			return nil
		}
		return FieldError(EINVALID, field, "%s is %s ahead of this server's clock (%s UTC); check the sender's clock",
			field, aheadBy(*t, now), now.UTC().Format(time.DateTime))
	}
	for i := range b.Alerts {
		a := &b.Alerts[i]
		if err := cmp.Or(ahead("starts_at", &a.StartsAt), ahead("ends_at", a.EndsAt)); err != nil {
			return prefix(err, fmt.Sprintf("alerts[%d].", i))
		}
	}
	for i := range b.Resolve {
		if err := ahead("at", &b.Resolve[i].At); err != nil {
			return prefix(err, fmt.Sprintf("resolve[%d].", i))
		}
	}
	for i := range b.Entries {
		if err := ahead("at", &b.Entries[i].At); err != nil {
			return prefix(err, fmt.Sprintf("entries[%d].", i))
		}
	}
	return ahead("acknowledged_at", b.AcknowledgedAt)
}

// aheadBy says how far t is past now: a duration up to two days, days
// beyond (from Unix seconds: a time.Duration stops at 292 years).
func aheadBy(t, now time.Time) string {
	if d := t.Sub(now); d < 48*time.Hour {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%d days", (t.Unix()-now.Unix())/86400)
}

func (b *AlertBatch) validate() error {
	if b.Source == "" {
		return FieldError(EINVALID, "source", "source is required")
	}
	if err := checkLen("group_key", b.GroupKey, MaxGroupKeyLen); err != nil {
		return err
	}
	if err := checkLen("delivery_id", b.DeliveryID, MaxNameLen); err != nil {
		return err
	}
	if err := checkLen("event_id", b.EventID, MaxNameLen); err != nil {
		return err
	}
	if n := b.Size(); n > MaxAlertsPerBatch {
		return FieldError(EINVALID, "alerts", "%d alerts in one delivery, at most %d are allowed", n, MaxAlertsPerBatch)
	}
	if len(b.Entries) > 0 && b.DeliveryID == "" && b.EventID == "" {
		return FieldError(EINVALID, "delivery_id", "timeline entries need a delivery id, so that a re-delivery does not repeat them")
	}
	for i := range b.Alerts {
		if err := b.Alerts[i].validate(); err != nil {
			return prefix(err, fmt.Sprintf("alerts[%d].", i))
		}
	}
	for i, r := range b.Resolve {
		if err := checkFingerprint(r.Fingerprint); err != nil {
			return prefix(err, fmt.Sprintf("resolve[%d].", i))
		}
		if err := CheckTime("at", r.At); err != nil {
			return prefix(err, fmt.Sprintf("resolve[%d].", i))
		}
	}
	if b.AcknowledgedAt != nil {
		if err := CheckTime("acknowledged_at", *b.AcknowledgedAt); err != nil {
			return err
		}
	}
	for i := range b.Entries {
		if err := b.Entries[i].Validate(); err != nil {
			return prefix(err, fmt.Sprintf("entries[%d].", i))
		}
	}
	if b.Open != nil {
		if b.Open.Title == "" {
			return FieldError(EINVALID, "title", "the incident to open needs a title")
		}
		if err := checkLen("title", b.Open.Title, MaxTitleLen); err != nil {
			return err
		}
		if !b.Open.Severity.Valid() {
			return FieldError(EINVALID, "severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")
		}
		if len(b.Open.Services) > MaxServices {
			return FieldError(EINVALID, "services", "at most %d services", MaxServices)
		}
		for _, s := range b.Open.Services {
			if err := checkLen("services", s, MaxNameLen); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Alert) validate() error {
	if err := checkFingerprint(a.Fingerprint); err != nil {
		return err
	}
	if a.StartsAt.IsZero() {
		return FieldError(EINVALID, "starts_at", "starts_at is required")
	}
	if err := CheckTime("starts_at", a.StartsAt); err != nil {
		return err
	}
	if a.EndsAt != nil {
		if err := CheckTime("ends_at", *a.EndsAt); err != nil {
			return err
		}
	}
	if a.Status != AlertFiring && a.Status != AlertResolved {
		return FieldError(EINVALID, "status", "status must be firing or resolved")
	}
	if err := checkLen("name", a.Name, MaxNameLen); err != nil {
		return err
	}
	n := 0
	for k, v := range a.Labels {
		n += len(k) + len(v)
	}
	if n > MaxLabelsLen {
		return FieldError(EINVALID, "labels", "labels are longer than %d bytes", MaxLabelsLen)
	}
	n = 0
	for k, v := range a.Annotations {
		n += len(k) + len(v)
	}
	if n > MaxLabelsLen {
		return FieldError(EINVALID, "annotations", "annotations are longer than %d bytes", MaxLabelsLen)
	}
	return nil
}

func checkFingerprint(fp string) error {
	if fp == "" {
		return FieldError(EINVALID, "fingerprint", "fingerprint is required")
	}
	return checkLen("fingerprint", fp, MaxFingerprintLen)
}

func prefix(err error, p string) error {
	return RenameField(err, func(field string) string { return p + field })
}

// IngestResult says what a delivery changed.
type IngestResult struct {
	Received    int    `json:"received"`           // alerts in the delivery
	Added       int    `json:"added"`              // occurrences seen for the first time
	Resolved    int    `json:"resolved"`           // known occurrences that resolved now
	Duplicates  int    `json:"duplicates"`         // alerts that changed nothing
	IncidentRef string `json:"incident,omitempty"` // the open incident the group feeds
	IncidentID  int64  `json:"-"`                  // its id, for live views
	Opened      bool   `json:"opened"`             // this delivery opened it
	Repeated    bool   `json:"repeated"`           // the delivery id was seen before
}

// AlertEntryText is the timeline text for n alerts named name that started
// firing or resolved together. One alert says where it fires and why; many
// say how many, because the summaries of many differ only by instance.
func AlertEntryText(name string, status AlertStatus, n int, sample *Alert) string {
	return dropNUL(alertEntryText(name, status, n, sample))
}

func alertEntryText(name string, status AlertStatus, n int, sample *Alert) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(" ")
	b.WriteString(string(status))
	if n > 1 {
		fmt.Fprintf(&b, " on %d instances", n)
		return b.String()
	}
	if sample == nil {
		return b.String()
	}
	if where := alertWhere(sample.Labels); where != "" && where != name {
		b.WriteString(" on ")
		b.WriteString(where)
	}
	if s := strings.TrimSpace(sample.Annotations["summary"]); s != "" && s != name && status == AlertFiring {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

// alertWhere names the thing an alert is about, from the labels that
// usually say so.
func alertWhere(labels map[string]string) string {
	for _, k := range []string{"instance", "pod", "host", "service", "job"} {
		if v := strings.TrimSpace(labels[k]); v != "" {
			return v
		}
	}
	return ""
}

// AllAlertsResolvedText is the timeline text saying that none of the n
// alerts of an incident fires any more. The incident stays open: only its
// commander knows whether the problem is gone.
func AllAlertsResolvedText(n int) string {
	if n == 1 {
		return "The alert of this incident has resolved"
	}
	return fmt.Sprintf("All %d alerts of this incident have resolved", n)
}

// dropNUL removes NUL characters, which JSON can carry and PostgreSQL's
// text cannot, from text made of what senders sent.
func dropNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }
