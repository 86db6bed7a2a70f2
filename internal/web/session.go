package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"hindsight/internal/incident"
)

const (
	sessionCookie = "hindsight_session"
	// sessionTTL is how long a sign-in lasts; a session in use is extended
	// when less than half of it is left, so that nobody is signed out in
	// the middle of an incident.
	sessionTTL = 14 * 24 * time.Hour
	// loginWindow and maxLoginFailures: the 6th failed sign-in for an
	// account within 5 minutes is refused with 429.
	loginWindow      = 5 * time.Minute
	maxLoginFailures = 5
	setupTTL         = 24 * time.Hour
)

// sessionUser is the signed-in user of a page request.
type sessionUser struct {
	incident.User
	secret string
	flash  string
}

const userKey = "hindsight.user"

func currentUser(c *gin.Context) *sessionUser {
	u, _ := c.Get(userKey)
	su, _ := u.(*sessionUser)
	return su
}

// flash is a message shown once on the page a form redirects to. A token
// created on the settings page travels in it, so that its secret is shown
// once and never put in a URL.
type flash struct {
	Message string `json:"message"`
	Error   bool   `json:"error,omitempty"`
	Token   string `json:"token,omitempty"`
	Role    string `json:"role,omitempty"`
}

// setFlash keeps f for the next page the session shows.
func (s *Server) setFlash(c *gin.Context, f flash) {
	u := currentUser(c)
	if u == nil {
		return
	}
	b, _ := json.Marshal(f)
	if err := s.store.SetFlash(c.Request.Context(), u.secret, string(b)); err != nil {
		s.log.Warn("set flash", "err", err)
	}
}

// takeFlash returns the session's flash and clears it.
func (s *Server) takeFlash(c *gin.Context) *flash {
	u := currentUser(c)
	if u == nil || u.flash == "" {
		return nil
	}
	var f flash
	if json.Unmarshal([]byte(u.flash), &f) != nil {
		return nil
	}
	u.flash = ""
	if err := s.store.SetFlash(context.WithoutCancel(c.Request.Context()), u.secret, ""); err != nil {
		s.log.Warn("clear flash", "err", err)
	}
	return &f
}

// isHTTPS reports whether the browser reached us over https, directly or
// through a proxy that says so.
func isHTTPS(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func (s *Server) setSessionCookie(c *gin.Context, secret string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: isHTTPS(c), SameSite: http.SameSiteLaxMode,
	})
}

// loadSession identifies the browser from its session cookie, or returns
// nil.
func (s *Server) loadSession(c *gin.Context) (*sessionUser, error) {
	secret, err := c.Cookie(sessionCookie)
	if err != nil || secret == "" {
		return nil, nil
	}
	sess, err := s.store.SessionBySecret(c.Request.Context(), secret)
	if incident.ErrorCode(err) == incident.EUNAUTHORIZED {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if time.Until(sess.ExpiresAt) < sessionTTL/2 {
		if err := s.store.ExtendSession(c.Request.Context(), secret, s.cfg.Now().Add(sessionTTL)); err == nil {
			s.setSessionCookie(c, secret, int(sessionTTL/time.Second))
		}
	}
	return &sessionUser{User: sess.User, secret: secret, flash: sess.Flash}, nil
}

// requirePage lets signed-in users whose role passes allowed through to
// the pages. Others go to the sign-in page (reads) or are refused
// (writes); a viewer who tries to write is refused with 403.
func (s *Server) requirePage(c *gin.Context) {
	u, err := s.loadSession(c)
	if err != nil {
		s.pageError(c, err)
		return
	}
	if u == nil {
		if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
			c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		s.renderError(c, http.StatusUnauthorized, "Your session has ended. Sign in again, then repeat what you did.")
		return
	}
	c.Set(userKey, u)
	c.Set(principalKey, &principal{Name: u.Email, Role: u.Role})
	c.Request = c.Request.WithContext(incident.WithActor(c.Request.Context(), u.Email))
	allowed := u.Role.CanRead
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		allowed = u.Role.CanWrite
	}
	if !allowed() {
		s.renderError(c, http.StatusForbidden, "Your role ("+string(u.Role)+") may not do this.")
		return
	}
	c.Next()
}

// requireAdminPage refuses non-admins.
func (s *Server) requireAdminPage(c *gin.Context) {
	if u := currentUser(c); u == nil || u.Role != incident.RoleAdmin {
		s.renderError(c, http.StatusForbidden, "Only admins manage users and tokens.")
		return
	}
	c.Next()
}

// refuseCrossOrigin refuses state-changing requests that a browser sent
// from another site, before any handler runs.
func (s *Server) refuseCrossOrigin(c *gin.Context) {
	if err := s.crossOrigin.Check(c.Request); err != nil {
		s.renderError(c, http.StatusForbidden, "This request came from another site and was refused.")
		return
	}
	c.Next()
}

// safeNext returns where to go after signing in: a path on this site, never
// another site. Browsers drop tabs and line breaks from a URL and read a
// backslash as a slash, so "/\t/evil.example" is "//evil.example", another
// site: a path with either is refused whole.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return next
}

type loginForm struct {
	Email    string
	Password string
	Next     string
}

type loginPage struct {
	Layout
	Form  loginForm
	Error string
}

func (s *Server) loginPage(c *gin.Context) error {
	if u, err := s.loadSession(c); err == nil && u != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return nil
	}
	return s.render(c, http.StatusOK, "login", &loginPage{Layout: Layout{Title: "Sign in"}, Form: loginForm{Next: c.Query("next")}})
}

var (
	dummyHashOnce sync.Once
	dummyHash     []byte
)

// checkPassword compares in the time a real check takes, also for unknown
// accounts, so that timing does not tell which emails have one.
func checkPassword(hash, pw string) bool {
	if hash == "" {
		dummyHashOnce.Do(func() {
			dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password at all"), bcrypt.DefaultCost)
		})
		bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

func (s *Server) login(c *gin.Context) error {
	form := loginForm{Email: strings.TrimSpace(c.PostForm("email")), Password: c.PostForm("password"), Next: c.PostForm("next")}
	p := &loginPage{Layout: Layout{Title: "Sign in"}, Form: form}
	p.Form.Password = ""
	if form.Email == "" || form.Password == "" {
		p.Error = "Enter your email and your password."
		return s.render(c, http.StatusBadRequest, "login", p)
	}
	ctx := c.Request.Context()
	n, err := s.store.CountLoginAttempt(ctx, form.Email, loginWindow)
	if err != nil {
		return err
	}
	if n > maxLoginFailures {
		c.Header("Retry-After", "300")
		p.Error = "Too many failed sign-ins for this account. Wait five minutes, then try again."
		return s.render(c, http.StatusTooManyRequests, "login", p)
	}
	u, hash, err := s.store.UserPasswordHash(ctx, form.Email)
	if err != nil && incident.ErrorCode(err) != incident.ENOTFOUND {
		return err
	}
	if !checkPassword(hash, form.Password) {
		p.Error = "Wrong email or password."
		return s.render(c, http.StatusUnauthorized, "login", p)
	}
	if err := s.store.ClearLoginAttempts(ctx, form.Email); err != nil {
		return err
	}
	return s.startSession(c, u.ID, safeNext(form.Next))
}

func (s *Server) startSession(c *gin.Context, userID int64, next string) error {
	secret, err := s.store.CreateSession(c.Request.Context(), userID, sessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, secret, int(sessionTTL/time.Second))
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

func (s *Server) logout(c *gin.Context) error {
	if secret, err := c.Cookie(sessionCookie); err == nil && secret != "" {
		if err := s.store.DeleteSession(c.Request.Context(), secret); err != nil {
			return err
		}
	}
	s.setSessionCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
	return nil
}

type setupForm struct {
	Token    string
	Email    string
	Password string
	Confirm  string
}

type setupPage struct {
	Layout
	Form   setupForm
	Errors map[string]string
}

func (s *Server) setupPage(c *gin.Context) error {
	token := c.Query("token")
	if err := s.store.CheckSetupToken(c.Request.Context(), token); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "setup", &setupPage{Layout: Layout{Title: "Set up Hindsight"}, Form: setupForm{Token: token}})
}

func (s *Server) setup(c *gin.Context) error {
	f := setupForm{Token: c.PostForm("token"), Email: strings.TrimSpace(c.PostForm("email")),
		Password: c.PostForm("password"), Confirm: c.PostForm("confirm")}
	ctx := c.Request.Context()
	if err := s.store.CheckSetupToken(ctx, f.Token); err != nil {
		return err
	}
	p := &setupPage{Layout: Layout{Title: "Set up Hindsight"}, Form: setupForm{Token: f.Token, Email: f.Email}, Errors: map[string]string{}}
	hash, err := HashPassword(f.Password)
	switch {
	case err != nil:
		p.Errors["password"] = incident.ErrorMessage(err)
	case f.Password != f.Confirm:
		p.Errors["confirm"] = "The two passwords differ."
	}
	if len(p.Errors) > 0 {
		return s.render(c, http.StatusBadRequest, "setup", p)
	}
	u, err := s.store.CreateFirstAdmin(ctx, f.Token, f.Email, hash)
	if incident.ErrorField(err) == "email" {
		p.Errors["email"] = incident.ErrorMessage(err)
		return s.render(c, http.StatusBadRequest, "setup", p)
	}
	if err != nil {
		return err
	}
	s.log.Info("created the first admin", "email", u.Email)
	return s.startSession(c, u.ID, "/")
}

// SetupLink returns the one-time link that creates the first admin, for the
// log of a server that has no user yet, or "" when users exist.
func (s *Server) SetupLink(ctx context.Context, baseURL string) (string, error) {
	secret, err := s.store.CreateSetupToken(ctx, setupTTL)
	if err != nil || secret == "" {
		return "", err
	}
	return strings.TrimRight(baseURL, "/") + "/setup?token=" + secret, nil
}
