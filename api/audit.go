package api

import (
	"net/http"
	"qinqing/model"

	"github.com/gin-gonic/gin"
)

// The audit chain: GET /audit/verify walks every timeline's hash chain
// (model/audit.go), and the CLI (`qinqing audit verify`) prints the same view.

type auditBreakView struct {
	CaseKind string `json:"case_kind"`
	CaseID   string `json:"case_id"`
	EventID  string `json:"event_id"`
	Reason   string `json:"reason"`
}

type auditView struct {
	OK            bool            `json:"ok"`
	EventsChecked int64           `json:"events_checked"`
	CasesChecked  int64           `json:"cases_checked"`
	BrokenEvents  int64           `json:"broken_events"`
	FirstBroken   *auditBreakView `json:"first_broken"`
}

// AuditView renders a verification report as the API and the CLI show it.
func AuditView(r model.AuditReport) any {
	v := auditView{OK: r.OK, EventsChecked: r.EventsChecked, CasesChecked: r.CasesChecked, BrokenEvents: r.BrokenEvents}
	if b := r.FirstBroken; b != nil {
		v.FirstBroken = &auditBreakView{CaseKind: b.CaseKind, CaseID: idString(b.CaseID), EventID: idString(b.EventID), Reason: b.Reason}
	}
	return v
}

// verifyAudit walks every timeline's hash chain. The chain is city-wide
// (policy resource region ""): inspectors and admins of the root region only.
func (s *Server) verifyAudit(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "audit", "verify"); err != nil {
		return err
	}
	if err := s.allow(p, "audit", "verify", ""); err != nil {
		return err
	}
	if err := s.query(c).err(); err != nil {
		return err
	}
	rep, err := s.store.VerifyAudit(c.Request.Context())
	if err != nil {
		return err
	}
	if !rep.OK {
		s.log.Warn("审计哈希链断裂", "request_id", c.GetString(ctxRequestID), "first", rep.FirstBroken, "broken", rep.BrokenEvents)
	}
	c.JSON(http.StatusOK, AuditView(rep))
	return nil
}
