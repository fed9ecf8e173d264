package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"qinqing/model"
)

// routes lists every route. Middleware order: request id → recover →
// security headers → metrics → timeout → body limit, then for the
// authenticated group auth → rate limit. Authorization happens in each
// handler, against the object it touches.
func (s *Server) routes() error {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	if err := e.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		return err
	}
	e.Use(s.requestID, s.recoverer, securityHeaders, s.observe, s.timeout, s.bodyLimit)
	// Unknown paths answer problem+json under /api/ and the console's
	// page elsewhere (console.go).
	e.NoRoute(s.noRoute)
	e.NoMethod(s.noMethod)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.h(s.readyz))
	e.GET("/metrics", s.metricsAccess, gin.WrapH(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))

	pub := e.Group("/api/v1")
	pub.GET("/openapi.json", s.openapi)
	pub.POST("/auth/login", s.loginLimit, s.h(s.login))
	// The published 亲清健康指数 needs no login (docs/design.md#api-conventions).
	pub.GET("/index/:period", s.h(s.getIndex))
	pub.GET("/index/:period/regions/:code", s.h(s.getIndexRegion))
	pub.GET("/index/:period/export.csv", s.h(s.exportCSV))
	pub.GET("/index/:period/export.xlsx", s.h(s.exportXLSX))
	pub.POST("/auth/refresh", s.loginLimit, s.h(s.refresh))

	v1 := e.Group("/api/v1", s.authenticate, s.rateLimit)
	v1.GET("/me", s.h(s.me))
	v1.POST("/me/password", s.h(s.changePassword))
	v1.POST("/auth/logout", s.h(s.logout))
	v1.GET("/me/notices", s.h(s.listNotices))
	v1.GET("/me/notify-settings", s.h(s.getNotifySettings))
	v1.PUT("/me/notify-settings", s.h(s.putNotifySettings))
	v1.POST("/me/notices/read-all", s.h(s.readAllNotices))
	v1.POST("/me/notices/:id/read", s.h(s.readNotice))

	v1.GET("/regions", s.h(s.listRegions))
	v1.GET("/departments", s.h(s.listDepartments))
	v1.GET("/categories", s.h(s.listCategories))
	v1.GET("/stations", s.h(s.listStations))
	v1.POST("/stations", s.h(s.createStation))

	v1.GET("/enterprises", s.h(s.listEnterprises))
	v1.POST("/enterprises", s.h(s.createEnterprise))
	v1.GET("/enterprises/:id", s.h(s.getEnterprise))

	v1.GET("/users", s.h(s.listUsers))
	v1.POST("/users", s.h(s.createUser))
	v1.PATCH("/users/:id", s.h(s.updateUser))
	v1.POST("/users/:id/password-reset", s.h(s.resetUserPassword))
	v1.GET("/api-keys", s.h(s.listAPIKeys))
	v1.POST("/api-keys", s.h(s.createAPIKey))
	v1.DELETE("/api-keys/:id", s.h(s.revokeAPIKey))
	v1.GET("/audit/verify", s.h(s.verifyAudit))

	v1.POST("/requests", s.h(s.createRequest))
	v1.GET("/requests", s.h(s.listRequests))
	v1.GET("/requests/export.xlsx", s.h(s.exportRequests))
	v1.GET("/requests/:id", s.h(s.getRequest))
	v1.GET("/requests/:id/transitions", s.h(s.requestTransitions))
	v1.POST("/requests/:id/transitions", s.h(s.transitionRequest))
	v1.GET("/requests/:id/events", s.h(s.requestEvents))
	v1.GET("/requests/:id/similar", s.h(s.similarRequests))

	v1.GET("/interaction-rules", s.h(s.listInteractionRules))
	v1.POST("/leads", s.h(s.createLead))
	v1.GET("/leads", s.h(s.listLeads))
	v1.POST("/leads/lookup", s.h(s.lookupLead))
	v1.GET("/leads/export.xlsx", s.h(s.exportLeads))
	v1.GET("/leads/:id", s.h(s.getLead))
	v1.GET("/leads/:id/transitions", s.h(s.leadTransitions))
	v1.POST("/leads/:id/transitions", s.h(s.transitionLead))
	v1.GET("/leads/:id/events", s.h(s.leadEvents))
	v1.GET("/leads/:id/reads", s.h(s.leadReads))

	v1.POST("/files", s.h(s.uploadFile))
	v1.GET("/files/:id", s.h(s.downloadFile))
	v1.POST("/exemptions", s.h(s.createExemption))
	v1.GET("/exemptions", s.h(s.listExemptions))
	v1.GET("/exemptions/:id", s.h(s.getExemption))
	v1.GET("/exemptions/:id/transitions", s.h(s.exemptionTransitions))
	v1.POST("/exemptions/:id/transitions", s.h(s.transitionExemption))
	v1.GET("/exemptions/:id/events", s.h(s.exemptionEvents))

	v1.POST("/consultations", s.h(s.createConsultation))
	v1.GET("/consultations", s.h(s.listConsultations))
	v1.GET("/consultations/:id", s.h(s.getConsultation))
	v1.GET("/consultations/:id/transitions", s.h(s.consultationTransitions))
	v1.POST("/consultations/:id/transitions", s.h(s.transitionConsultation))
	v1.GET("/consultations/:id/events", s.h(s.consultationEvents))
	v1.POST("/consultations/:id/issues", s.h(s.raiseIssue))
	v1.GET("/consultations/:id/common-issues", s.h(s.commonIssues))

	v1.GET("/deadlines", s.h(s.listDeadlines))
	v1.GET("/deadlines/export.xlsx", s.h(s.exportDeadlines))
	v1.GET("/stats", s.h(s.getStats))
	v1.GET("/stats/units", s.h(s.getUnitStats))
	v1.GET("/stats/units/export.xlsx", s.h(s.exportUnitStats))

	v1.GET("/indicators", s.h(s.getIndicators))
	v1.PUT("/indicators", s.h(s.replaceIndicators))
	v1.POST("/indicator-values", s.h(s.submitValues))
	v1.POST("/surveys/:period/responses", s.h(s.answerSurvey))
	v1.GET("/index/runs", s.h(s.listRuns))
	v1.POST("/index/runs", s.h(s.createRun))
	v1.GET("/index/runs/:id", s.h(s.getRun))
	v1.GET("/index/runs/:id/regions/:code", s.h(s.getRunRegion))
	v1.POST("/index/runs/:id/publish", s.h(s.publishRun))
	v1.POST("/index/periods", s.h(s.openPeriod))
	v1.GET("/index/periods/:period/submissions", s.h(s.listSubmissions))
	v1.POST("/index/periods/:period/confirm", s.h(s.confirmPeriod))
	v1.GET("/rectification-items", s.h(s.listRectificationItems))
	v1.GET("/rectification-items/:id", s.h(s.getRectificationItem))
	v1.POST("/rectification-items/:id/reports", s.h(s.reportRectification))
	v1.POST("/rectification-items/:id/close", s.h(s.closeRectification))

	// The web console (console.go): HTML pages at /, outside /api/v1.
	s.consoleRoutes(e)

	s.engine = e
	return nil
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := model.Ping(ctx, s.store.DB()); err != nil {
		s.log.Warn("数据库未就绪", "err", err)
		return errNotReady
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}

// loginLimit rate-limits login attempts per client address, before any
// account is known.
func (s *Server) loginLimit(c *gin.Context) {
	s.rateLimit(c)
}
