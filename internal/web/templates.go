package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// pageTemplates holds one template set per page: the page's file parsed
// over the layout and the shared partials. They are parsed once, at start,
// so that a broken template stops the server from starting instead of
// failing a request; with Config.Dev they are parsed again for every
// request, from disk.
type pageTemplates struct {
	byName map[string]*template.Template
	assets *assets
}

// shared are the files every page is parsed with.
var shared = []string{"templates/pages/layout.html", "templates/pages/partials.html"}

func parsePages(files fs.FS, a *assets) (*pageTemplates, error) {
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pt := &pageTemplates{byName: map[string]*template.Template{}, assets: a}
	for _, p := range names {
		if isShared(p) {
			continue
		}
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New(name).Funcs(templateFuncs(a)).ParseFS(files, append(shared[:len(shared):len(shared)], p)...)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("%s defines no \"content\" template", p)
		}
		pt.byName[name] = t
	}
	for _, want := range pageNames {
		if pt.byName[want] == nil {
			return nil, fmt.Errorf("template templates/pages/%s.html is missing", want)
		}
	}
	return pt, nil
}

func isShared(p string) bool {
	for _, s := range shared {
		if s == p {
			return true
		}
	}
	return false
}

// pageNames lists the page templates the handlers render.
var pageNames = []string{"login", "setup", "error", "incidents", "new_incident", "incident", "edit_event",
	"postmortem", "tasks", "settings", "insights"}

// page is the data of one page: its own fields and the shared layout.
type page interface{ layout() *Layout }

// Layout is what every page shows around its content.
type Layout struct {
	Title string
	Nav   string // which item of the navigation is current
	User  *sessionUser
	Flash *flash
	// Zone is the viewer's time zone, from the cookie the script sets;
	// UTC until it is known. Times are shown in it.
	Zone *time.Location
	Now  time.Time // in Zone
	// Stream is the URL of the page's live updates, if it has any.
	Stream string
}

func (l *Layout) layout() *Layout { return l }

// ZoneName names Zone for the page, "UTC" when unknown.
func (l *Layout) ZoneName() string {
	if l.Zone == nil {
		return "UTC"
	}
	return l.Zone.String()
}

// CanWrite reports whether the viewer may change incidents.
func (l *Layout) CanWrite() bool { return l.User != nil && l.User.Role.CanWrite() }

// IsAdmin reports whether the viewer manages users and tokens.
func (l *Layout) IsAdmin() bool { return l.User != nil && l.User.Role == "admin" }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes the named page with data and status. The page is rendered
// into a buffer first, so that a template error becomes a clean 500, not
// half a page.
func (s *Server) render(c *gin.Context, status int, name string, data page) error {
	pt := s.pages
	if s.cfg.Dev {
		var err error
		if pt, err = s.loadPages(); err != nil {
			return err
		}
	}
	t := pt.byName[name]
	if t == nil {
		return fmt.Errorf("no page template %q", name)
	}
	l := data.layout()
	s.fillLayout(c, l)
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.Status(status)
	_, err := c.Writer.Write(buf.Bytes())
	return err
}

func (s *Server) loadPages() (*pageTemplates, error) {
	a, err := loadAssets(s.files)
	if err != nil {
		return nil, err
	}
	return parsePages(s.files, a)
}

// fillLayout sets what the layout needs from the request.
func (s *Server) fillLayout(c *gin.Context, l *Layout) {
	if u := currentUser(c); u != nil && l.User == nil {
		l.User = u
	}
	if l.Zone == nil {
		// A form shown again shows what was typed, in the zone it was.
		l.Zone = formZone(c)
	}
	if l.Now.IsZero() {
		l.Now = s.cfg.Now().In(l.Zone)
	}
	if l.Flash == nil {
		l.Flash = s.takeFlash(c)
	}
}

// viewerZone is the zone the browser's script reported in the tz cookie,
// or UTC.
func viewerZone(c *gin.Context) *time.Location {
	name, _ := c.Cookie("tz")
	return zoneNamed(name)
}

// formZone is the zone the times of a submitted form were shown in: the
// form says it, as the cookie may have changed since it was drawn.
func formZone(c *gin.Context) *time.Location {
	if name := c.PostForm("tz"); name != "" {
		return zoneNamed(name)
	}
	return viewerZone(c)
}

// zoneNamed loads a zone by its IANA name, UTC when it is unknown.
func zoneNamed(name string) *time.Location {
	if name == "" || len(name) > 64 || strings.Contains(name, "..") {
		return time.UTC
	}
	zoneMu.Lock()
	loc, ok := zoneCache[name]
	zoneMu.Unlock()
	if ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	zoneMu.Lock()
	if len(zoneCache) < 1000 {
		zoneCache[name] = loc
	}
	zoneMu.Unlock()
	return loc
}

var (
	zoneMu    sync.Mutex
	zoneCache = map[string]*time.Location{}
)

// errorPage is shown for errors on pages.
type errorPage struct {
	Layout
	Status  int
	Message string
}

// renderError shows err as a page with its status.
func (s *Server) renderError(c *gin.Context, status int, msg string) {
	p := &errorPage{Layout: Layout{Title: http.StatusText(status)}, Status: status, Message: msg}
	if err := s.render(c, status, "error", p); err != nil {
		s.log.Error("render error page", "err", err)
		c.String(status, msg)
	}
	c.Abort()
}
