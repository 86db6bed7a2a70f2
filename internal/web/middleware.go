package web

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
)

// observe logs every request once and counts it for /metrics. The query
// string is left out of the log: feed tokens may travel there.
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
	s.log.Info("request", "method", c.Request.Method, "path", c.Request.URL.Path, "route", route,
		"status", status, "duration_ms", float64(elapsed.Microseconds())/1000, "bytes", c.Writer.Size(),
		"remote", c.ClientIP())
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
func (s *Server) limitBody(c *gin.Context) {
	limit := s.cfg.MaxBodyBytes
	if c.FullPath() == importRoute {
		limit = max(limit, int64(postmortem.MaxImportSize))
	}
	if c.Request.ContentLength > limit {
		s.writeError(c, incident.Errorf(incident.ETOOLARGE, "request body is larger than %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
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
