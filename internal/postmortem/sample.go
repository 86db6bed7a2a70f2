package postmortem

import (
	"time"

	"hindsight/internal/incident"
)

// sampleIncident is an incident with every part a template can show. Each
// template is executed on it when it is loaded, so that a mistake in a
// template stops the start instead of failing a request.
func sampleIncident() *incident.Detail {
	at := func(h, m int) time.Time { return time.Date(2024, 1, 25, h, m, 0, 0, time.UTC) }
	t := func(h, m int) *time.Time { v := at(h, m); return &v }
	due := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	rc := int64(1)
	return &incident.Detail{
		Incident: incident.Incident{
			ID: 1, Ref: "INC-1", Title: "Sample outage", Severity: incident.SEV2, Status: incident.StatusResolved,
			Impact: "Some users saw errors.", RootCause: "A bad setting.", Resolution: "The setting was reverted.",
			Conclusion: "It is fixed.", Extra: "Authors: ana\n\n## Trigger\n\nA deploy.\n\n## Appendix\n\nGraphs.",
			Commander: "ana", Services: []string{"api"}, PostmortemStatus: incident.PostmortemDraft,
			StartedAt: t(10, 0), DetectedAt: t(10, 5), AcknowledgedAt: t(10, 10), MitigatedAt: t(11, 0), ResolvedAt: t(12, 0),
		},
		Events: []incident.Event{
			{ID: 1, At: at(10, 5), Kind: incident.KindDetection, Text: "Alert fired.", Source: incident.SourceManual, Highlight: true},
			{ID: 2, At: at(10, 6), Kind: incident.KindAlert, Text: "APIHighLatency firing", Source: incident.SourceWebhook},
			{ID: 3, At: at(12, 0), Kind: incident.KindResolution, Text: "Service restored.", Source: incident.SourceManual, Highlight: true},
		},
		RootCauses: []incident.RootCause{
			{ID: rc, Description: "A bad setting.", Category: incident.CategoryConfiguration, Primary: true},
			{ID: 2, Description: "No review of settings.", Category: incident.CategoryProcess},
		},
		Tasks: []incident.Task{
			{ID: 1, Title: "Validate settings.", Kind: incident.TaskImprovement, Priority: "P3", Status: incident.TaskOpen},
			{ID: 2, Title: "Revert the setting.", Kind: incident.TaskTask, Owner: "ana", DueAt: &due, Priority: "P1",
				Status: incident.TaskDone, ExternalURL: "https://example.com/T-1", RootCauseID: &rc},
		},
		Alerts: []incident.Alert{},
	}
}
