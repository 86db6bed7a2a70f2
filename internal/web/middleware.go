package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
)

// observe logs every request once and counts it for /metrics: at debug
// level for webhook deliveries taken, at info for everything else. The
// query string is left out of the log: feed tokens may travel there.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(route, c.Request.Method).Observe(elapsed.Seconds())
	level := slog.LevelInfo
	if status < http.StatusBadRequest && strings.HasPrefix(route, "/hooks/") {
		// An alert storm sends thousands of deliveries a minute: /metrics
		// counts those taken, and the log shows those refused.
		level = slog.LevelDebug
	}
	if !s.log.Enabled(c, level) {
		return
	}
	s.log.LogAttrs(c, level, "request", slog.String("method", c.Request.Method), slog.String("path", logPath(c.Request)),
		slog.String("route", route), slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.Int("bytes", c.Writer.Size()),
		slog.String("remote", c.ClientIP()))
}

// recoverPanics turns a panic into a logged internal error, so that one bad
// request cannot take the server down.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.writeError(c, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}
	}()
	c.Next()
}

// limitBody refuses bodies over the limit with 413 before reading them when
// their length is declared, and stops reading them at the limit otherwise.
// Webhook bodies may be larger, within the budget of the server's hooks.
func (s *Server) limitBody(c *gin.Context) {
	limit := s.cfg.MaxBodyBytes
	path := c.FullPath()
	hook := strings.HasPrefix(path, hooksPrefix)
	switch {
	case path == importRoute:
		limit = max(limit, int64(postmortem.MaxImportSize))
	case hook:
		limit = max(limit, s.cfg.MaxHookBodyBytes)
	}
	if c.Request.ContentLength > limit {
		s.writeError(c, incident.Errorf(incident.ETOOLARGE, "request body is larger than %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	// A declared length within the free bytes is all the server reads.
	if n := c.Request.ContentLength; hook && limit > s.hookBudget.free && (n < 0 || n > s.hookBudget.free) {
		r := &budgetReader{ReadCloser: c.Request.Body, budget: s.hookBudget}
		defer r.release() // the body, read, lives until the request ends
		c.Request.Body = r
	}
	c.Next()
}

// securityHeaders go on every response. The pages load scripts and styles
// from this origin only, never inline.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.Next()
}

// refuseBadQuery refuses query parameters that hold a NUL character or
// are not valid UTF-8, which no filter means and PostgreSQL's text cannot
// hold: a 400 rather than a database error.
func (s *Server) refuseBadQuery(c *gin.Context) {
	if raw := c.Request.URL.RawQuery; strings.Contains(raw, "%") || !utf8.ValidString(raw) {
		for name, values := range c.Request.URL.Query() {
			field := strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "\uFFFD")
			for _, v := range append(values, name) {
				if strings.IndexByte(v, 0) >= 0 {
					s.writeError(c, incident.FieldError(incident.EINVALID, field, "%s contains a NUL character", field))
					return
				}
				if !utf8.ValidString(v) {
					s.writeError(c, incident.FieldError(incident.EINVALID, field, "%s is not valid UTF-8", field))
					return
				}
			}
		}
	}
	c.Next()
}
