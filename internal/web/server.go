// Package web serves Hindsight over HTTP with gin: the JSON API, the
// webhook endpoints, the browser pages and the operational endpoints.
// Handlers return errors; one wrapper turns them into responses.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight"
	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
	"hindsight/internal/store"
)

// Config holds what the server needs beyond the store.
type Config struct {
	// MaxBodyBytes limits request bodies; larger ones get 413.
	MaxBodyBytes int64
	// MaxHookBodyBytes limits webhook bodies instead, when larger; 16 MiB
	// by default (see defaultMaxHookBodyBytes).
	MaxHookBodyBytes int64
	Logger           *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Dev reads templates and static files from the working directory
	// for every request, so that edits show on reload.
	Dev bool
	// Files holds templates/ and static/; the embedded ones by default.
	Files fs.FS
	// Broker carries the changes of incidents to the live views; an
	// in-process one by default.
	Broker Broker
	// Postmortems renders and checks postmortems for the postmortem page;
	// by default package postmortem with Renderer.
	Postmortems Postmortems
	// Renderer renders postmortems; nil means the built-in templates only.
	Renderer *postmortem.Renderer

	// OpenAt is the least severe alert severity that opens an incident
	// (serve --open-at); empty means alerts.DefaultOpenAt.
	OpenAt incident.Severity
	// GrafanaSecret and PagerDutySecret, when set, make the signature of
	// those senders required, and enough to authenticate their requests.
	GrafanaSecret   string
	PagerDutySecret string
	// GrafanaSignatureHeader and GrafanaTimestampHeader name the headers
	// of Grafana's signature and its timestamp when the contact point
	// names its own; the names Grafana gives them by default are read too.
	GrafanaSignatureHeader, GrafanaTimestampHeader string
	// AlertWriter writes webhook alerts; nil starts one with defaults. The
	// server closes it in Close.
	AlertWriter *store.AlertWriter
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For is believed (serve --trusted-proxies). Without
	// them the client's address is the peer's: anyone can send the header.
	TrustedProxies []string
}

// Server holds the dependencies every handler uses.
type Server struct {
	store       *store.Store
	alerts      *store.AlertWriter
	rules       alerts.Rules
	cfg         Config
	log         *slog.Logger
	metrics     *metrics
	engine      *gin.Engine
	renderer    *postmortem.Renderer
	files       fs.FS
	pages       *pageTemplates
	broker      Broker
	crossOrigin *http.CrossOriginProtection
	hookBudget  *bodyBudget
}

// New returns a server over st, with its routes registered. The page
// templates are parsed here: the embedded ones are checked by the tests, so
// a failure means a broken build and New panics with the template's error.
func New(st *store.Store, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxHookBodyBytes <= 0 {
		cfg.MaxHookBodyBytes = defaultMaxHookBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	gin.SetMode(gin.ReleaseMode)
	if cfg.Files == nil {
		cfg.Files = defaultFiles()
		if cfg.Dev {
			cfg.Files = os.DirFS(".")
		}
	}
	if cfg.Broker == nil {
		cfg.Broker = NewMemoryBroker()
	}
	s := &Server{store: st, cfg: cfg, log: cfg.Logger, metrics: newMetrics(), rules: alerts.Rules{OpenAt: cfg.OpenAt},
		files: cfg.Files, broker: cfg.Broker, crossOrigin: http.NewCrossOriginProtection(),
		hookBudget: &bodyBudget{free: cfg.MaxBodyBytes, limit: hookBudgetBodies * cfg.MaxHookBodyBytes}}
	var err error
	if s.pages, err = s.loadPages(); err != nil {
		panic(fmt.Sprintf("web: %v", err))
	}
	st.OnError = func(error) { s.metrics.dbErrors.Inc() }
	s.alerts = cfg.AlertWriter
	if s.alerts == nil {
		s.alerts = store.NewAlertWriter(st, store.AlertWriterConfig{OnBatch: s.metrics.observeAlertBatch})
	}
	s.metrics.watchAlertWriter(s.alerts)
	s.metrics.watchLogSyncs(st)
	s.renderer = cfg.Renderer
	if s.renderer == nil {
		r, err := postmortem.NewRenderer(hindsight.Files, "")
		if err != nil {
			panic("built-in postmortem templates: " + err.Error()) // caught by the tests of every build
		}
		s.renderer = r
	}
	if s.cfg.Postmortems == nil {
		s.cfg.Postmortems = rendererPostmortems{s.renderer}
	}
	s.engine = gin.New()
	s.engine.ContextWithFallback = true // c.Done() and c.Value() follow the request
	// gin believes X-Forwarded-For from any peer unless told otherwise.
	if err := s.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		s.log.Error("trusted proxies ignored", "err", err)
		s.engine.SetTrustedProxies(nil)
	}
	s.engine.HandleMethodNotAllowed = true
	s.routes()
	return s
}

func defaultFiles() fs.FS { return hindsight.Files }

// CloseStreams ends the live streams, so that a graceful shutdown does not
// wait for them: register it with http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() { s.broker.Close() }

// Close ends the live streams and stops the alert writer after it has
// committed what is queued. Call it once the HTTP server has shut down,
// before closing the store.
func (s *Server) Close(ctx context.Context) error {
	s.broker.Close()
	return s.alerts.Close(ctx)
}

// Routes lists every route the server registered, for tests that must
// cover each one (the access table).
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// handler is what every endpoint implements: it writes its response and
// returns nil, or returns the error for handle to answer.
type handler func(c *gin.Context) error

// handle adapts a handler to gin, answering its error.
func (s *Server) handle(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
		}
	}
}

// statusOf maps each domain error code to its HTTP status.
var statusOf = map[string]int{
	incident.EINVALID:       http.StatusBadRequest,
	incident.EUNAUTHORIZED:  http.StatusUnauthorized,
	incident.EFORBIDDEN:     http.StatusForbidden,
	incident.ENOTFOUND:      http.StatusNotFound,
	incident.ECONFLICT:      http.StatusConflict,
	incident.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	incident.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	incident.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	incident.ERATELIMITED:   http.StatusTooManyRequests,
	incident.EUNAVAILABLE:   http.StatusServiceUnavailable,
	incident.EINTERNAL:      http.StatusInternalServerError,
	codeMethodNotAllowed:    http.StatusMethodNotAllowed,
}

// codeMethodNotAllowed is a routing error only the web layer makes.
const codeMethodNotAllowed = "method_not_allowed"

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError answers err as JSON. Only internal errors are logged with
// their detail; the user sees "internal error".
func (s *Server) writeError(c *gin.Context, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = incident.Errorf(incident.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	}
	code := incident.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if cause := errors.Unwrap(err); code == incident.EUNAVAILABLE && cause != nil {
		s.log.Error("storage unavailable", "method", c.Request.Method, "path", logPath(c.Request), "err", cause)
	}
	if code == incident.EINTERNAL {
		if c.Request.Context().Err() != nil {
			// The client went away; nobody is left to answer.
			c.Abort()
			return
		}
		s.log.Error("internal error", "method", c.Request.Method, "path", logPath(c.Request), "err", err)
	}
	switch status {
	case http.StatusUnauthorized:
		c.Header("WWW-Authenticate", `Bearer realm="hindsight"`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		c.Header("Retry-After", "5")
	}
	c.AbortWithStatusJSON(status, errorBody{errorDetail{
		Code: code, Message: incident.ErrorMessage(err), Field: incident.ErrorField(err),
	}})
}

// page adapts a page handler to gin, answering its error with an HTML
// page: pages are read by people, not programs.
func (s *Server) page(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.pageError(c, err)
		}
	}
}

func (s *Server) pageError(c *gin.Context, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = incident.Errorf(incident.ETOOLARGE, "the form is larger than %d bytes", mbe.Limit)
	}
	code := incident.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == incident.EINTERNAL {
		if c.Request.Context().Err() != nil {
			c.Abort()
			return
		}
		s.log.Error("internal error", "method", c.Request.Method, "path", logPath(c.Request), "err", err)
	}
	msg := incident.ErrorMessage(err)
	if code == incident.EINTERNAL {
		msg = "Something went wrong on our side. Try again; if it keeps failing, the server log says why."
	}
	s.renderError(c, status, msg)
}

// notFoundAny answers unknown paths: a page for browsers, JSON for programs.
func (s *Server) notFoundAny(c *gin.Context) {
	if wantsHTML(c) {
		s.renderError(c, http.StatusNotFound, "There is no page at "+c.Request.URL.Path+".")
		return
	}
	s.writeError(c, incident.Errorf(incident.ENOTFOUND, "no such page: %s", c.Request.URL.Path))
}

func wantsHTML(c *gin.Context) bool {
	p := c.Request.URL.Path
	if len(p) >= 4 && (p[:4] == "/api" || p[:4] == "/hoo") {
		return false
	}
	return c.Request.Method == http.MethodGet && c.NegotiateFormat(gin.MIMEHTML, gin.MIMEJSON) == gin.MIMEHTML
}

func methodNotAllowed(c *gin.Context) error {
	return &incident.Error{Code: codeMethodNotAllowed, Message: c.Request.Method + " is not allowed here"}
}
