package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
)

// Grafana lets each contact point name its timestamp header; these are the
// names its documentation and provisioning examples use.
var grafanaTimestampHeaders = []string{"X-Grafana-Alerting-Signature-Timestamp", "X-Grafana-Alerting-Timestamp"}

// firstHeader returns the first of the named request headers that is set,
// the configured name (when not empty) before the defaults.
func firstHeader(c *gin.Context, configured string, defaults ...string) string {
	for _, name := range append([]string{configured}, defaults...) {
		if v := c.GetHeader(name); name != "" && v != "" {
			return v
		}
	}
	return ""
}

// requireHook authenticates a webhook: a token of role webhook or admin, by
// Bearer or as the basic auth password. When signed says the sender signs
// its requests with a configured secret, a request without credentials is
// let through to the handler, which refuses it unless the signature over
// the body is valid; credentials, when sent, must still be good.
func (s *Server) requireHook(source string, signed bool) gin.HandlerFunc {
	token := s.require(incident.Role.CanPostAlerts)
	return func(c *gin.Context) {
		if signed && bearerToken(c) == "" {
			c.Request = c.Request.WithContext(incident.WithActor(c.Request.Context(), "signed:"+source))
			c.Next()
			return
		}
		token(c)
	}
}

// hookBody reads the payload of a webhook, which must be JSON.
func hookBody(c *gin.Context) ([]byte, error) {
	if err := requireContentType(c, "application/json"); err != nil {
		return nil, err
	}
	return readBody(c)
}

func (s *Server) hookAlertmanager(c *gin.Context) error {
	body, err := hookBody(c)
	if err != nil {
		return err
	}
	b, err := alerts.ParseAlertmanager(body, s.rules)
	if err != nil {
		return err
	}
	return s.ingestAlerts(c, b)
}

func (s *Server) hookGrafana(c *gin.Context) error {
	body, err := hookBody(c)
	if err != nil {
		return err
	}
	if secret := s.cfg.GrafanaSecret; secret != "" {
		stamp := firstHeader(c, s.cfg.GrafanaTimestampHeader, grafanaTimestampHeaders...)
		sig := firstHeader(c, s.cfg.GrafanaSignatureHeader, alerts.GrafanaSignatureHeader, alerts.GrafanaSignatureHeaderAlt)
		err := alerts.VerifyGrafanaSignature(secret, body, sig, stamp, s.cfg.Now())
		if err != nil {
			return err
		}
	}
	b, err := alerts.ParseGrafana(body, s.rules)
	if err != nil {
		return err
	}
	return s.ingestAlerts(c, b)
}

func (s *Server) hookPagerDuty(c *gin.Context) error {
	body, err := hookBody(c)
	if err != nil {
		return err
	}
	if secret := s.cfg.PagerDutySecret; secret != "" {
		if err := alerts.VerifyPagerDutySignature(secret, body, c.GetHeader(alerts.PagerDutySignatureHeader)); err != nil {
			return err
		}
	}
	b, err := alerts.ParsePagerDuty(body, c.GetHeader(alerts.PagerDutyWebhookIDHeader), s.rules)
	if err != nil {
		return err
	}
	return s.ingestAlerts(c, b)
}

func (s *Server) hookGeneric(c *gin.Context) error {
	body, err := hookBody(c)
	if err != nil {
		return err
	}
	b, err := alerts.ParseGeneric(body, s.cfg.Now(), s.rules)
	if err != nil {
		return err
	}
	return s.ingestAlerts(c, b)
}

// ingestAlerts answers once the alerts are committed: a 2xx tells the
// sender it need not send them again. A full queue answers 503 with
// Retry-After (see writeError), which Alertmanager and PagerDuty retry.
func (s *Server) ingestAlerts(c *gin.Context, b *incident.AlertBatch) error {
	res, err := s.alerts.IngestAlerts(c.Request.Context(), b)
	if err != nil {
		return err
	}
	if res.IncidentID != 0 && (res.Added > 0 || res.Resolved > 0) {
		// Open pages of the incident show the new alert entries. The id
		// comes with the result: looking the incident up again cost a
		// third of the CPU of a webhook request during a storm.
		s.notify(res.IncidentID, ChangeAlerts, 0)
	}
	c.JSON(http.StatusOK, res)
	return nil
}
