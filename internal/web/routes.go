package web

import (
	"github.com/gin-gonic/gin"

	"hindsight/internal/alerts"
)

// importRoute takes whole postmortem documents, larger than other bodies.
const importRoute = "/api/v1/postmortems/import"

// hooksPrefix begins the webhook routes, whose bodies may be larger still.
const hooksPrefix = "/hooks/"

// routes lists every route of the server.
func (s *Server) routes() {
	r := s.engine
	r.Use(s.observe, s.recoverPanics, securityHeaders, compress, s.limitBody, s.refuseBadQuery)
	r.NoRoute(s.notFoundAny)
	r.NoMethod(s.handle(methodNotAllowed))

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.handle(s.readyz))
	r.GET("/metrics", s.metricsHandler())

	// Before the API group: feed tokens may read this and nothing else.
	r.GET("/api/v1/tasks.ics", s.requireFeed, s.handle(s.taskFeed))

	api := r.Group("/api/v1", s.requireAPI)
	api.GET("/incidents", s.handle(s.listIncidents))
	api.POST("/incidents", s.handle(s.createIncident))
	api.GET("/incidents/:ref", s.handle(s.getIncident))
	api.PATCH("/incidents/:ref", s.handle(s.updateIncident))
	api.GET("/incidents/:ref/audit", s.handle(s.auditLog))
	api.POST("/incidents/:ref/events", s.handle(s.createEvent))
	api.PATCH("/incidents/:ref/events/:id", s.handle(s.updateEvent))
	api.DELETE("/incidents/:ref/events/:id", s.handle(s.deleteEvent))
	api.POST("/incidents/:ref/root-causes", s.handle(s.createRootCause))
	api.POST("/incidents/:ref/tasks", s.handle(s.createTask))
	api.POST("/incidents/:ref/alerts", s.handle(s.attachAlerts))
	api.GET("/alerts/unattached", s.handle(s.listUnattachedAlerts))
	api.GET("/tasks", s.handle(s.listTasks))
	api.PATCH("/tasks/:id", s.handle(s.updateTask))
	api.GET("/open-risks", s.handle(s.listOpenRisks))
	api.GET("/stats", s.handle(s.getStats))
	api.GET("/digests", s.handle(s.listDigests))
	api.GET("/incidents/:ref/postmortem.md", s.handle(s.postmortemMarkdown))
	api.GET("/incidents/:ref/postmortem/checks", s.handle(s.postmortemChecks))
	api.POST("/postmortems/import", s.handle(s.importPostmortem)) // importRoute
	// Live views: programs send a token, the pages their session cookie.
	r.GET("/api/v1/incidents/:ref/stream", s.requireReader, s.handle(s.apiStream))

	hooks := r.Group(hooksPrefix)
	hooks.POST("/alertmanager", s.requireHook(alerts.SourceAlertmanager, false), s.handle(s.hookAlertmanager))
	grafana := []gin.HandlerFunc{s.requireHook(alerts.SourceGrafana, s.cfg.GrafanaSecret != ""), s.handle(s.hookGrafana)}
	hooks.POST("/grafana", grafana...)
	hooks.PUT("/grafana", grafana...) // a contact point's HTTP method may be PUT
	hooks.POST("/pagerduty", s.requireHook(alerts.SourcePagerDuty, s.cfg.PagerDutySecret != ""), s.handle(s.hookPagerDuty))
	hooks.POST("/generic", s.requireHook(alerts.SourceGeneric, false), s.handle(s.hookGeneric))

	admin := r.Group("/api/v1", s.require(isAdmin))
	admin.GET("/tokens", s.handle(s.listTokens))
	admin.POST("/tokens", s.handle(s.createToken))
	admin.DELETE("/tokens/:id", s.handle(s.revokeToken))
	admin.POST("/users", s.handle(s.createUser))
	admin.DELETE("/users/:id", s.handle(s.deleteUser))

	// Browser pages. Every state change is a POST refused when it comes
	// from another site; GETs change nothing.
	r.GET("/static/*file", s.serveStatic)
	r.HEAD("/static/*file", s.serveStatic)
	r.GET("/favicon.ico", s.serveFavicon)

	open := r.Group("", s.refuseCrossOrigin)
	open.GET("/login", s.page(s.loginPage))
	open.POST("/login", s.page(s.login))
	open.POST("/logout", s.page(s.logout))
	open.GET("/setup", s.page(s.setupPage))
	open.POST("/setup", s.page(s.setup))

	pages := r.Group("", s.refuseCrossOrigin, s.requirePage)
	pages.GET("/", s.page(s.incidentsPage))
	pages.GET("/incidents/new", s.page(s.newIncidentPage))
	pages.POST("/incidents", s.page(s.declareIncident))
	pages.GET("/incidents/:ref", s.page(s.incidentPage))
	pages.POST("/incidents/:ref", s.page(s.editIncident))
	pages.GET("/incidents/:ref/stream", s.page(s.pageStream))
	pages.POST("/incidents/:ref/status", s.page(s.changeStatus))
	pages.POST("/incidents/:ref/events", s.page(s.addEntry))
	pages.GET("/incidents/:ref/events/:id", s.page(s.editEventPage))
	pages.POST("/incidents/:ref/events/:id", s.page(s.editEvent))
	pages.POST("/incidents/:ref/events/:id/delete", s.page(s.deleteEntry))
	pages.POST("/incidents/:ref/root-causes", s.page(s.addRootCause))
	pages.POST("/incidents/:ref/tasks", s.page(s.addTask))
	pages.POST("/incidents/:ref/alerts", s.page(s.attachAlertsForm))
	pages.GET("/incidents/:ref/postmortem", s.page(s.postmortemPage))
	pages.POST("/incidents/:ref/postmortem", s.page(s.setPostmortemStatus))
	pages.GET("/incidents/:ref/postmortem.md", s.page(s.postmortemDownload))
	pages.GET("/tasks", s.page(s.tasksPage))
	pages.GET("/insights", s.page(s.insightsPage))
	pages.POST("/tasks/:id", s.page(s.updateTaskStatus))
	pages.GET("/settings", s.page(s.settingsPage))
	admins := pages.Group("/settings", s.requireAdminPage)
	admins.POST("/users", s.page(s.addUser))
	admins.POST("/users/:id", s.page(s.setUserRole))
	admins.POST("/users/:id/delete", s.page(s.removeUser))
	admins.POST("/tokens", s.page(s.addToken))
	admins.POST("/tokens/:id/revoke", s.page(s.revokeTokenPage))
}
