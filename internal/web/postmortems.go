package web

import (
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
)

// rendererPostmortems gives the postmortem page what package postmortem
// makes: the Markdown of a template, its HTML preview and the checks.
type rendererPostmortems struct{ r *postmortem.Renderer }

func (p rendererPostmortems) Templates() []string { return p.r.Names() }

func (p rendererPostmortems) Markdown(d *incident.Detail, name string, loc *time.Location) ([]byte, error) {
	return p.r.Markdown(d, name, loc)
}

func (p rendererPostmortems) HTML(markdown []byte) ([]byte, error) {
	return postmortem.RenderHTML(markdown)
}

func (p rendererPostmortems) Check(d *incident.Detail) []Finding {
	fs := postmortem.Check(d)
	out := make([]Finding, len(fs))
	for i, f := range fs {
		out[i] = Finding{Severity: string(f.Severity), Field: f.Field, Message: f.Message}
	}
	return out
}
