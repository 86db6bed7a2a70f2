package web

import (
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/microcosm-cc/bluemonday"

	"hindsight/internal/incident"
)

// Postmortems is what the postmortem page needs from package postmortem:
// the Markdown export, its HTML preview and the completeness checks.
type Postmortems interface {
	// Templates names the templates a postmortem can be rendered with,
	// the default first.
	Templates() []string
	// Markdown renders the incident's postmortem with the named template,
	// its times in loc.
	Markdown(d *incident.Detail, template string, loc *time.Location) ([]byte, error)
	// HTML renders Markdown for the preview. It must pass no raw HTML
	// through; the page sanitizes the result once more.
	HTML(markdown []byte) ([]byte, error)
	// Check lists what the postmortem still lacks.
	Check(d *incident.Detail) []Finding
}

// Finding is one thing a completeness check found.
type Finding struct {
	Severity string // "error" (the postmortem is not complete), "warning" or "info"
	Field    string // the incident field at fault, if one is
	Message  string
}

// previewPolicy keeps what Markdown produces (headings, lists, tables and
// their alignment, links, code, the disabled checkboxes of task lists) and
// drops scripts, styles, event handlers and javascript: links, whatever the
// renderer let through.
var previewPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowElements("input")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	return p
}()

// sanitizeHTML cleans HTML rendered from Markdown before the page marks it
// safe, and moves its headings two levels down: the preview sits under the
// page's h1 and its own h2, and a page has one h1.
func sanitizeHTML(b []byte) template.HTML {
	clean := previewPolicy.SanitizeBytes(b)
	clean = headingTag.ReplaceAllFunc(clean, func(tag []byte) []byte {
		level := min(int(tag[len(tag)-1]-'0')+2, 6)
		out := append([]byte{}, tag[:len(tag)-1]...)
		return append(out, byte('0'+level))
	})
	return template.HTML(clean)
}

var headingTag = regexp.MustCompile(`</?h[1-6]`)

type postmortemPage struct {
	Layout
	Inc       incident.Incident
	Available bool // a renderer is configured
	Templates []string
	Template  string
	Preview   template.HTML
	Markdown  string
	Findings  []Finding
	Errors    int
	States    []incident.PostmortemStatus
	Error     string
}

var postmortemStates = []incident.PostmortemStatus{incident.PostmortemDraft, incident.PostmortemInReview, incident.PostmortemPublished}

func (s *Server) postmortemPage(c *gin.Context) error {
	d, err := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	p := &postmortemPage{Layout: Layout{Title: "Postmortem · " + d.Ref, Nav: "incidents"}, Inc: d.Incident, States: postmortemStates}
	if err := s.fillPostmortem(p, d, c.Query("template"), viewerZone(c)); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "postmortem", p)
}

func (s *Server) fillPostmortem(p *postmortemPage, d *incident.Detail, tmpl string, loc *time.Location) error {
	pm := s.cfg.Postmortems
	if pm == nil {
		return nil
	}
	p.Available = true
	p.Templates = pm.Templates()
	p.Template = tmpl
	if p.Template == "" || !slices.Contains(p.Templates, p.Template) {
		if len(p.Templates) == 0 {
			return incident.Errorf(incident.EINTERNAL, "no postmortem templates")
		}
		p.Template = p.Templates[0]
	}
	md, err := pm.Markdown(d, p.Template, loc)
	if err != nil {
		return err
	}
	p.Markdown = string(md)
	html, err := pm.HTML(md)
	if err != nil {
		return err
	}
	p.Preview = sanitizeHTML(html)
	p.Findings = pm.Check(d)
	for _, f := range p.Findings {
		if f.Severity == "error" {
			p.Errors++
		}
	}
	return nil
}

// postmortemDownload is the Markdown file, for the browser's session; the
// API has its own route for tokens.
func (s *Server) postmortemDownload(c *gin.Context) error {
	pm := s.cfg.Postmortems
	if pm == nil {
		return incident.Errorf(incident.ENOTFOUND, "postmortem export is not available in this build")
	}
	d, err := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	tmpl := c.Query("template")
	if !slices.Contains(pm.Templates(), tmpl) {
		tmpl = pm.Templates()[0]
	}
	md, err := pm.Markdown(d, tmpl, viewerZone(c))
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+d.Ref+`-postmortem.md"`)
	c.Data(http.StatusOK, "text/markdown; charset=utf-8", md)
	return nil
}

func (s *Server) setPostmortemStatus(c *gin.Context) error {
	version, _ := strconv.Atoi(c.PostForm("version"))
	st := incident.PostmortemStatus(c.PostForm("postmortem_status"))
	inc, err := s.store.UpdateIncident(c.Request.Context(), c.Param("ref"), &incident.Patch{Version: &version, PostmortemStatus: incident.Some(st)})
	if err != nil {
		if !isInputError(err) {
			return err
		}
		d, lerr := s.store.IncidentDetail(c.Request.Context(), c.Param("ref"))
		if lerr != nil {
			return lerr
		}
		p := &postmortemPage{Layout: Layout{Title: "Postmortem · " + d.Ref, Nav: "incidents"}, Inc: d.Incident, States: postmortemStates,
			Error: incident.ErrorMessage(err)}
		if ferr := s.fillPostmortem(p, d, c.PostForm("template"), viewerZone(c)); ferr != nil {
			return ferr
		}
		return s.render(c, statusFor(err), "postmortem", p)
	}
	s.notify(inc.ID, ChangeIncident, 0)
	s.setFlash(c, flash{Message: "Postmortem is now " + humanize(inc.PostmortemStatus) + "."})
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Ref+"/postmortem")
	return nil
}
