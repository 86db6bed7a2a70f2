package web

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// principal is who a request acts for.
type principal struct {
	Name string
	Role incident.Role
}

const principalKey = "hindsight.principal"

// bearerToken returns the token of an "Authorization: Bearer" header, or the
// password of basic auth, which is how tools that only know basic auth
// (some Alertmanager set-ups) send a token.
func bearerToken(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	if _, pw, ok := c.Request.BasicAuth(); ok {
		return pw
	}
	return ""
}

// authenticate identifies the caller from its token, refusing with 401.
func (s *Server) authenticate(c *gin.Context) (*principal, error) {
	secret := bearerToken(c)
	if secret == "" {
		return nil, incident.Errorf(incident.EUNAUTHORIZED, "authentication required: send Authorization: Bearer TOKEN")
	}
	tok, err := s.store.TokenBySecret(c.Request.Context(), secret)
	if err != nil {
		return nil, err
	}
	return &principal{Name: "token:" + tok.Name, Role: tok.Role}, nil
}

// require lets through callers whose role passes allowed, refusing others
// with 401 (no or bad credentials) or 403 (not allowed).
func (s *Server) require(allowed func(incident.Role) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.authenticate(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if !allowed(p.Role) {
			s.writeError(c, incident.Errorf(incident.EFORBIDDEN, "role %s may not do this", p.Role))
			return
		}
		c.Set(principalKey, p)
		c.Request = c.Request.WithContext(incident.WithActor(c.Request.Context(), p.Name))
		c.Next()
	}
}

func isAdmin(r incident.Role) bool { return r == incident.RoleAdmin }

// method picks the role check by request method: reads for GET and HEAD,
// writes for the rest.
func byMethod(c *gin.Context) func(incident.Role) bool {
	if c.Request.Method == "GET" || c.Request.Method == "HEAD" {
		return incident.Role.CanRead
	}
	return incident.Role.CanWrite
}

// requireAPI applies the API's rule: viewers read, editors and admins write.
func (s *Server) requireAPI(c *gin.Context) {
	s.require(byMethod(c))(c)
}

// tokenLike matches what looks like a Hindsight token (hst_ and hex).
var tokenLike = regexp.MustCompile(`hst_[0-9A-Za-z]{8,}`)

// logPath is the request's path as logs show it: without the query string,
// where feed tokens travel, and with anything that looks like a token
// blanked, for clients that put theirs in the path by mistake.
func logPath(r *http.Request) string {
	return tokenLike.ReplaceAllString(r.URL.Path, "hst_REDACTED")
}
