package web

import "hindsight/internal/alerts"

// importRoute takes whole postmortem documents, larger than other bodies.
const importRoute = "/api/v1/postmortems/import"

// routes lists every route of the server.
func (s *Server) routes() {
	r := s.engine
	r.Use(s.observe, s.recoverPanics, securityHeaders, s.limitBody, s.refuseNUL)
	r.NoRoute(s.handle(notFound))
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
	api.GET("/tasks", s.handle(s.listTasks))
	api.PATCH("/tasks/:id", s.handle(s.updateTask))
	api.GET("/open-risks", s.handle(s.listOpenRisks))
	api.GET("/stats", s.handle(s.getStats))
	api.GET("/digests", s.handle(s.listDigests))
	api.GET("/incidents/:ref/postmortem.md", s.handle(s.postmortemMarkdown))
	api.GET("/incidents/:ref/postmortem/checks", s.handle(s.postmortemChecks))
	api.POST("/postmortems/import", s.handle(s.importPostmortem)) // importRoute

	hooks := r.Group("/hooks")
	hooks.POST("/alertmanager", s.requireHook(alerts.SourceAlertmanager, false), s.handle(s.hookAlertmanager))
	hooks.POST("/grafana", s.requireHook(alerts.SourceGrafana, s.cfg.GrafanaSecret != ""), s.handle(s.hookGrafana))
	hooks.POST("/pagerduty", s.requireHook(alerts.SourcePagerDuty, s.cfg.PagerDutySecret != ""), s.handle(s.hookPagerDuty))
	hooks.POST("/generic", s.requireHook(alerts.SourceGeneric, false), s.handle(s.hookGeneric))

	admin := r.Group("/api/v1", s.require(isAdmin))
	admin.GET("/tokens", s.handle(s.listTokens))
	admin.POST("/tokens", s.handle(s.createToken))
	admin.DELETE("/tokens/:id", s.handle(s.revokeToken))
	admin.POST("/users", s.handle(s.createUser))
}
