package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// 容错免责 as its own procedure (docs/design.md#tolerance): an application
// about one lead or one request, filed by the unit concerned, by 工商联 on an
// enterprise's behalf, or registered by an inspector; then 受理, 核实, 集体认定,
// the written decision and 报备 by 纪检监察. The lead or request it concerns
// is never changed by it.

type createExemptionBody struct {
	LeadID         *string `json:"lead_id"`
	RequestID      *string `json:"request_id"`
	Circumstances  string  `json:"circumstances" validate:"required,max=5000"`
	OfficialName   string  `json:"official_name" validate:"max=100"`
	EnterpriseID   *string `json:"enterprise_id"`
	DepartmentCode string  `json:"department_code" validate:"max=16"`
	UnitRegionCode string  `json:"unit_region_code" validate:"max=16"`
}

// exemptionView is an application as the caller may see it. The applicant's
// side (the unit, 工商联, the enterprise) sees the application, a refusal's
// reason and, once issued, the written decision; the steps in between (the
// findings, the determination's members and opinion, where it was filed)
// are 纪检监察's.
type exemptionView struct {
	ID             string  `json:"id"`
	RefNo          string  `json:"ref_no"`
	Status         string  `json:"status"`
	StatusLabel    string  `json:"status_label"`
	RegionCode     string  `json:"region_code"`
	ApplicantRole  string  `json:"applicant_role"`
	DepartmentCode *string `json:"department_code"`
	UnitRegionCode *string `json:"unit_region_code"`
	EnterpriseID   *string `json:"enterprise_id"`
	OfficialName   string  `json:"official_name"`
	LeadID         *string `json:"lead_id"`
	RequestID      *string `json:"request_id"`
	Circumstances  string  `json:"circumstances"`
	RejectReason   *string `json:"reject_reason,omitempty"`
	Outcome        *string `json:"outcome,omitempty"`
	OutcomeLabel   *string `json:"outcome_label,omitempty"`
	DecisionNo     *string `json:"decision_no,omitempty"`
	DecisionText   *string `json:"decision_text,omitempty"`
	DecidedAt      *string `json:"decided_at,omitempty"`
	FiledAt        *string `json:"filed_at,omitempty"`
	Version        int     `json:"version"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
	ClosedAt       *string `json:"closed_at"`

	Review *exemptionReview `json:"review,omitempty"`
}

// exemptionReview is what 纪检监察 recorded, shown to inspectors only.
type exemptionReview struct {
	ApplicantID string   `json:"applicant_id"`
	AcceptedAt  *string  `json:"accepted_at"`
	AcceptNote  string   `json:"accept_note"`
	Findings    string   `json:"findings"`
	Outcome     *string  `json:"outcome"`
	Members     []string `json:"members"`
	MeetingAt   *string  `json:"meeting_at"`
	Opinion     string   `json:"opinion"`
	FiledWith   string   `json:"filed_with"`
	FileNote    string   `json:"file_note"`
}

func (s *Server) exemptionView(p *principal, e *model.Exemption) exemptionView {
	v := exemptionView{ID: idString(e.ID), RefNo: model.RefNo("RM", e.ID, e.CreatedAt, s.cal.Location()), Status: e.Status,
		StatusLabel: workflow.Exemption.Label(workflow.Status(e.Status)), RegionCode: e.RegionCode,
		ApplicantRole: e.ApplicantRole, DepartmentCode: e.DepartmentCode, UnitRegionCode: e.UnitRegionCode,
		EnterpriseID: optID(e.EnterpriseID), OfficialName: e.OfficialName, LeadID: optID(e.LeadID), RequestID: optID(e.RequestID),
		Circumstances: e.Circumstances, Version: e.Version, CreatedAt: s.ts(e.CreatedAt), UpdatedAt: s.ts(e.UpdatedAt),
		ClosedAt: s.optTS(e.ClosedAt), FiledAt: s.optTS(e.FiledAt)}
	if e.Status == string(workflow.ExemptRejected) {
		v.RejectReason = &e.RejectReason
	}
	if e.DecidedAt != nil && e.Outcome != nil {
		label := workflow.ExemptionOutcomeLabel(*e.Outcome)
		v.Outcome, v.OutcomeLabel = e.Outcome, &label
		v.DecisionNo, v.DecisionText, v.DecidedAt = &e.DecisionNo, &e.DecisionText, s.optTS(e.DecidedAt)
	}
	if p.role() == workflow.RoleInspector {
		members := e.MemberList()
		if members == nil {
			members = []string{}
		}
		v.Review = &exemptionReview{ApplicantID: idString(e.ApplicantID), AcceptedAt: s.optTS(e.AcceptedAt), AcceptNote: e.AcceptNote,
			Findings: e.Findings, Outcome: e.Outcome, Members: members, MeetingAt: s.optTS(e.MeetingAt), Opinion: e.Opinion,
			FiledWith: e.FiledWith, FileNote: e.FileNote}
	}
	return v
}

// createExemption files an application.
func (s *Server) createExemption(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "exemption", "create"); err != nil {
		return err
	}
	var b createExemptionBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	e, err := s.fileExemption(c.Request.Context(), p, b)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/exemptions/"+idString(e.ID))
	c.JSON(http.StatusCreated, s.exemptionView(p, e))
	return nil
}

// fileExemption checks b for p and files it. Who applies for whom:
//   - a department for its own unit (the unit is the caller's);
//   - 工商联 on behalf of an enterprise (enterprise_id), about one of that
//     enterprise's requests;
//   - an inspector registers an application received in writing, naming
//     the unit concerned.
//
// The lead or request must be one the caller sees (else the field is
// invalid, as if it did not exist).
func (s *Server) fileExemption(ctx context.Context, p *principal, b createExemptionBody) (*model.Exemption, error) {
	var v workflow.ValidationError
	if strings.TrimSpace(b.Circumstances) == "" {
		v.Add("circumstances", "不能为空")
	}
	in := model.NewExemption{ApplicantID: p.account.ID, ApplicantRole: p.role(), OfficialName: strings.TrimSpace(b.OfficialName),
		Circumstances: b.Circumstances}
	switch {
	case (b.LeadID == nil) == (b.RequestID == nil):
		v.Add("lead_id", "须且只能填写所涉线索（lead_id）或诉求（request_id）之一")
	case b.LeadID != nil:
		l, err := findNamed(ctx, p, *b.LeadID, s.store.FindLead)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("lead_id", "线索不存在或无权查看")
		case err != nil:
			return nil, err
		default:
			in.LeadID, in.RegionCode = l.ID, l.RegionCode
		}
	default:
		r, err := findNamed(ctx, p, *b.RequestID, s.store.FindRequest)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("request_id", "诉求不存在或无权查看")
		case err != nil:
			return nil, err
		default:
			in.RequestID, in.RegionCode = r.ID, r.RegionCode
			if p.role() == workflow.RoleACFIC {
				in.EnterpriseID = r.EnterpriseID
			}
		}
	}
	unitFields := b.DepartmentCode != "" || b.UnitRegionCode != ""
	switch p.role() {
	case workflow.RoleDepartment:
		// the unit applies for itself
		if unitFields {
			v.Add("department_code", "部门账号只能为本单位申请，不填写此字段")
		}
		if b.EnterpriseID != nil {
			v.Add("enterprise_id", "部门账号为本单位申请，不填写此字段")
		}
		in.DepartmentCode, in.UnitRegionCode, in.RegionCode = p.scope.DepartmentCode, p.scope.HomeRegion, p.scope.HomeRegion
	case workflow.RoleACFIC:
		// on an enterprise's behalf: the enterprise of the request
		if unitFields {
			v.Add("department_code", "工商联代企业申请，不填写涉及单位")
		}
		if b.LeadID != nil {
			v.Add("lead_id", "工商联代企业申请，只能关联该企业的诉求")
		}
		switch {
		case b.EnterpriseID == nil:
			v.Add("enterprise_id", "为必填字段")
		case in.EnterpriseID != 0 && idString(in.EnterpriseID) != *b.EnterpriseID:
			v.Add("enterprise_id", "须为所涉诉求的企业")
		}
	case workflow.RoleInspector:
		// registers an application received in writing, naming the unit
		if b.EnterpriseID != nil {
			v.Add("enterprise_id", "纪检监察登记的申请须填写涉及单位，不填写企业")
		}
		if _, ok := s.ref.Departments[b.DepartmentCode]; !ok {
			v.Add("department_code", "未知的部门代码")
		}
		if _, ok := s.ref.Regions[b.UnitRegionCode]; !ok {
			v.Add("unit_region_code", "未知的行政区划代码")
		}
		// the application lies with the unit, as a department's own does
		in.DepartmentCode, in.UnitRegionCode, in.RegionCode = b.DepartmentCode, b.UnitRegionCode, b.UnitRegionCode
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.allow(p, "exemption", "create", in.RegionCode); err != nil {
		return nil, err
	}
	return s.store.CreateExemption(ctx, in)
}

// findNamed finds the case a body names by id raw, as p sees it
// (model.ErrNotFound for a malformed id too).
func findNamed[T any](ctx context.Context, p *principal, raw string, find func(context.Context, model.Scope, uint64) (*T, error)) (*T, error) {
	id, ok := parseID(raw)
	if !ok {
		return nil, model.ErrNotFound
	}
	return find(ctx, p.scope, id)
}

// decodeStep reads the body of a step on a case of kind (table m) into
// dst strictly, and refuses in the order of the other transitions: an
// unknown action (400), a role that never takes it (403), then the path id
// (404). It returns the fields sent and the case's id.
func (s *Server) decodeStep(c *gin.Context, p *principal, kind string, m *workflow.Machine, dst any, action func() string) ([]string, uint64, error) {
	raw, err := readJSON(c)
	if err != nil {
		return nil, 0, err
	}
	if err := decodeStrict(raw, dst); err != nil {
		return nil, 0, err
	}
	present, err := presentFields(raw)
	if err != nil {
		return nil, 0, err
	}
	if _, ok := m.Transition(workflow.Action(action())); !ok {
		return nil, 0, workflow.Invalid("action", "未知的操作")
	}
	if err := s.mayEver(p, kind, action()); err != nil {
		return nil, 0, err
	}
	id, err := parsePathID(c.Param("id"))
	return present, id, err
}

// exemptionListParams are the query parameters of the list.
var exemptionListParams = []string{"status", "region_code", "lead_id", "request_id"}

func (s *Server) listExemptions(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "exemption", "list"); err != nil {
		return err
	}
	q := s.query(c, exemptionListParams...)
	f := model.ExemptionFilter{RegionCodes: s.regionFilter(q), Page: q.page()}
	if st := q.values.Get("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			if _, ok := workflow.Exemption.State(workflow.Status(x)); !ok {
				q.errs.Add("status", "未知的状态："+x)
			}
			f.Status = append(f.Status, x)
		}
	}
	for _, x := range []struct {
		param string
		into  *uint64
	}{{"lead_id", &f.LeadID}, {"request_id", &f.RequestID}} {
		if raw := q.values.Get(x.param); raw != "" {
			id, ok := parseID(raw)
			if !ok {
				q.errs.Add(x.param, "须为编号")
			}
			*x.into = id
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	es, next, err := s.store.ListExemptions(c.Request.Context(), p.scope, f)
	if err != nil {
		return err
	}
	out := make([]exemptionView, len(es))
	for i := range es {
		out[i] = s.exemptionView(p, &es[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

func (s *Server) findExemption(ctx context.Context, p *principal, rawID, act string) (*model.Exemption, error) {
	return findCase(s, ctx, p, "exemption", rawID, act, s.store.FindExemption, func(e *model.Exemption) string { return e.RegionCode })
}

func (s *Server) getExemption(c *gin.Context) error {
	p := principalOf(c)
	e, err := s.findExemption(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.exemptionView(p, e))
	return nil
}

// exemptionTransitions lists the steps the caller may take now.
func (s *Server) exemptionTransitions(c *gin.Context) error {
	p := principalOf(c)
	e, err := s.findExemption(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	avail := workflow.Exemption.Available(workflow.Item{Status: workflow.Status(e.Status)}, workflow.Actor{Role: p.role()})
	c.JSON(http.StatusOK, gin.H{"items": s.actionItems(p, "exemption", e.RegionCode, workflow.Exemption, avail)})
	return nil
}

// exemptionBody holds every field a step of the procedure takes.
type exemptionBody struct {
	Action          string   `json:"action"`
	ExpectedVersion *int     `json:"expected_version"`
	Note            string   `json:"note"`
	Reason          string   `json:"reason"`
	Findings        string   `json:"findings"`
	Outcome         string   `json:"outcome"`
	Members         []string `json:"members"`
	MeetingAt       *string  `json:"meeting_at"`
	Opinion         string   `json:"opinion"`
	DecisionNo      string   `json:"decision_no"`
	DecisionText    string   `json:"decision_text"`
	FiledWith       string   `json:"filed_with"`
}

// transitionExemption takes one step, refusing in the contract's order: an
// unknown action (400), a role that never takes it (403), an application
// out of sight (404), outside the grant (403), a stale version or the state
// (409), the fields (400).
func (s *Server) transitionExemption(c *gin.Context) error {
	p := principalOf(c)
	var b exemptionBody
	present, id, err := s.decodeStep(c, p, "exemption", workflow.Exemption, &b, func() string { return b.Action })
	if err != nil {
		return err
	}
	at, err := parseBodyTime("meeting_at", b.MeetingAt)
	if err != nil {
		return err
	}
	cmd := workflow.ExemptionCommand{Action: workflow.Action(b.Action), Present: present, Note: b.Note, Reason: b.Reason,
		Findings: b.Findings, Outcome: b.Outcome, Members: b.Members, MeetingAt: at, Opinion: b.Opinion,
		DecisionNo: b.DecisionNo, DecisionText: b.DecisionText, FiledWith: b.FiledWith}
	e, err := s.store.TransitionExemption(c.Request.Context(), p.scope, p.actor(), id, cmd, b.ExpectedVersion,
		s.grant(p, "exemption", b.Action))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.exemptionView(p, e))
	return nil
}

func (s *Server) exemptionEvents(c *gin.Context) error {
	p := principalOf(c)
	e, err := s.findExemption(c.Request.Context(), p, c.Param("id"), "events")
	if err != nil {
		return err
	}
	return s.writeEvents(c, workflow.KindExemption, e.ID, nil)
}
