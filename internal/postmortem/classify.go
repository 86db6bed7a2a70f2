package postmortem

import (
	"strings"

	"hindsight/internal/incident"
)

// eventKinds maps words of a timeline entry to its kind; the first rule
// that matches wins, so the order matters: "restored after the rollback"
// is the resolution, not a mitigation.
var eventKinds = []struct {
	kind  incident.EventKind
	words []string
}{
	{incident.KindRootCause, []string{"root cause identified", "root cause found", "identified the root cause", "found the root cause", "cause identified", "root cause was identified", "root cause determined"}},
	{incident.KindResolution, []string{"fully restored", "service restored", "restored", "resolved", "recovered", "back to normal", "all clear", "fully operational", "incident closed"}},
	{incident.KindMitigation, []string{"rollback", "rolled back", "roll back", "rolling back", "mitigat", "failover", "failed over", "restart", "scaled", "hotfix", "reverted", "revert", "workaround", "disabled", "drained"}},
	{incident.KindEscalation, []string{"escalat"}},
	{incident.KindNotification, []string{"notified", "paged", "page sent", "acknowledged", "informed", "status page", "statuspage", "posted"}},
	{incident.KindDetection, []string{"detected", "alert fired", "alerted", "alert", "noticed", "reported", "spike", "first report"}},
	{incident.KindInvestigation, []string{"investigat", "looking into", "debug", "analy", "assumption", "checked", "examined", "suspect"}},
}

func classifyEvent(text string) incident.EventKind {
	lower := strings.ToLower(text)
	for _, k := range eventKinds {
		for _, w := range k.words {
			if wordIndex(lower, w) >= 0 {
				return k.kind
			}
		}
	}
	return incident.KindNote
}

// causeCategories maps words of a root cause to its category, first match
// winning.
var causeCategories = []struct {
	cat   incident.Category
	words []string
}{
	{incident.CategoryConfiguration, []string{"misconfigur", "configuration", "config", "setting", "flag", "ttl"}},
	{incident.CategoryDependency, []string{"dependency", "third-party", "third party", "upstream", "vendor", "provider", "dns", "cdn", "aws", "gcp", "azure"}},
	{incident.CategoryCapacity, []string{"capacity", "overload", "exhaust", "out of memory", "oom", "disk full", "resource", "traffic", "saturat", "quota", "limit"}},
	{incident.CategoryCode, []string{"bug", "code", "regression", "deploy", "release", "race condition", "null", "exception", "query"}},
	{incident.CategoryProcess, []string{"process", "runbook", "review", "procedure", "communication", "handoff", "on-call"}},
	{incident.CategoryHuman, []string{"human", "manual", "operator", "typo", "mistake", "accidental"}},
}

func guessCategory(text string) incident.Category {
	lower := strings.ToLower(text)
	for _, c := range causeCategories {
		for _, w := range c.words {
			if wordIndex(lower, w) >= 0 {
				return c.cat
			}
		}
	}
	return incident.CategoryUnknown
}
