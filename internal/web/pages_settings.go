package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// settingsPage is /settings: users and tokens for admins, and the webhook
// configuration that points Alertmanager and Grafana at this server.
type settingsPage struct {
	Layout
	Users        []incident.User
	Tokens       []incident.Token
	UserForm     userForm
	TokenForm    tokenForm
	Errors       map[string]string
	BaseURL      string
	Alertmanager string
	Grafana      string
	UserRoles    []incident.Role
	TokenRoles   []incident.Role
}

type userForm struct{ Email, Role string }

type tokenForm struct{ Name, Role string }

// baseURL is how browsers reach this server, for the configuration
// snippets.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if isHTTPS(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

func (s *Server) settingsData(c *gin.Context) (*settingsPage, error) {
	p := &settingsPage{Layout: Layout{Title: "Settings", Nav: "settings"}, Errors: map[string]string{},
		UserForm: userForm{Role: string(incident.RoleEditor)}, TokenForm: tokenForm{Role: string(incident.RoleWebhook)},
		UserRoles:  []incident.Role{incident.RoleViewer, incident.RoleEditor, incident.RoleAdmin},
		TokenRoles: []incident.Role{incident.RoleWebhook, incident.RoleViewer, incident.RoleEditor, incident.RoleAdmin},
		BaseURL:    baseURL(c)}
	s.fillLayout(c, &p.Layout)
	if p.IsAdmin() {
		var err error
		ctx := c.Request.Context()
		if p.Users, err = s.store.ListUsers(ctx); err != nil {
			return nil, err
		}
		if p.Tokens, err = s.store.ListTokens(ctx); err != nil {
			return nil, err
		}
	}
	token := "PASTE_A_WEBHOOK_TOKEN_HERE"
	if p.Flash != nil && p.Flash.Token != "" && (p.Flash.Role == string(incident.RoleWebhook) || p.Flash.Role == string(incident.RoleAdmin)) {
		token = p.Flash.Token
	}
	p.Alertmanager = alertmanagerConfig(p.BaseURL, token)
	p.Grafana = grafanaConfig(p.BaseURL, token)
	return p, nil
}

func alertmanagerConfig(base, token string) string {
	return fmt.Sprintf(`# alertmanager.yml
route:
  receiver: hindsight
receivers:
  - name: hindsight
    webhook_configs:
      - url: %s/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, base, token)
}

func grafanaConfig(base, token string) string {
	return fmt.Sprintf(`# provisioning/alerting/hindsight.yaml
apiVersion: 1
contactPoints:
  - orgId: 1
    name: hindsight
    receivers:
      - uid: hindsight
        type: webhook
        settings:
          url: %s/hooks/grafana
          httpMethod: POST
          authorization_scheme: Bearer
          authorization_credentials: %s
`, base, token)
}

func (s *Server) settingsPage(c *gin.Context) error {
	p, err := s.settingsData(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "settings", p)
}

func (s *Server) settingsError(c *gin.Context, err error, fill func(p *settingsPage)) error {
	p, lerr := s.settingsData(c)
	if lerr != nil {
		return lerr
	}
	fill(p)
	fieldErrors(err, p.Errors, "email")
	return s.render(c, statusFor(err), "settings", p)
}

func (s *Server) addUser(c *gin.Context) error {
	f := userForm{Email: strings.TrimSpace(c.PostForm("email")), Role: c.PostForm("role")}
	hash, err := HashPassword(c.PostForm("password"))
	if err == nil {
		var u *incident.User
		if u, err = s.store.CreateUser(c.Request.Context(), f.Email, incident.Role(f.Role), hash); err == nil {
			s.setFlash(c, flash{Message: fmt.Sprintf("Added %s as %s.", u.Email, u.Role)})
			c.Redirect(http.StatusSeeOther, "/settings#users")
			return nil
		}
	}
	if !isInputError(err) {
		return err
	}
	return s.settingsError(c, err, func(p *settingsPage) { p.UserForm = f })
}

func (s *Server) setUserRole(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.SetUserRole(c.Request.Context(), id, incident.Role(c.PostForm("role"))); err != nil {
		if !isInputError(err) {
			return err
		}
		s.setFlash(c, flash{Message: incident.ErrorMessage(err), Error: true})
	} else {
		s.setFlash(c, flash{Message: "Role changed."})
	}
	c.Redirect(http.StatusSeeOther, "/settings#users")
	return nil
}

func (s *Server) removeUser(c *gin.Context) error {
	if err := requireSure(c); err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	u, err := s.store.DeleteUser(c.Request.Context(), id)
	if err != nil {
		if !isInputError(err) {
			return err
		}
		s.setFlash(c, flash{Message: incident.ErrorMessage(err), Error: true})
	} else {
		s.setFlash(c, flash{Message: fmt.Sprintf("Removed %s and signed them out.", u.Email)})
	}
	c.Redirect(http.StatusSeeOther, "/settings#users")
	return nil
}

func (s *Server) addToken(c *gin.Context) error {
	f := tokenForm{Name: c.PostForm("name"), Role: c.PostForm("role")}
	secret, tok, err := s.store.CreateToken(c.Request.Context(), f.Name, incident.Role(f.Role))
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.settingsError(c, err, func(p *settingsPage) {
			p.TokenForm = f
			if field := incident.ErrorField(err); field != "" {
				delete(p.Errors, field)
				p.Errors["token."+field] = incident.ErrorMessage(err)
			}
		})
	}
	s.setFlash(c, flash{Message: fmt.Sprintf("Created the %s token “%s”. Copy it now: it is shown only once.", tok.Role, tok.Name),
		Token: secret, Role: string(tok.Role)})
	c.Redirect(http.StatusSeeOther, "/settings#tokens")
	return nil
}

func (s *Server) revokeTokenPage(c *gin.Context) error {
	if err := requireSure(c); err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.RevokeToken(c.Request.Context(), id); err != nil {
		return err
	}
	s.setFlash(c, flash{Message: "Token revoked."})
	c.Redirect(http.StatusSeeOther, "/settings#tokens")
	return nil
}
