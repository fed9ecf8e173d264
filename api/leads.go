package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// The lead loop (问题线索, docs/design.md#lead-loop). Leads are confidential: which parts of
// a lead a caller is shown is decided field group by field group from the
// lead.* objects of policy.csv (lead_views.go); every answer that carries a
// lead's detail is recorded (GET /leads/{id}/reads); the account named as a
// lead's subject never finds it.

type createLeadBody struct {
	Content               string  `json:"content" validate:"required,max=5000"`
	Evidence              string  `json:"evidence" validate:"max=5000"`
	OccurredAt            *string `json:"occurred_at"`
	RegionCode            string  `json:"region_code" validate:"required,max=16"`
	SubjectDepartmentCode string  `json:"subject_department_code" validate:"max=16"`
	SubjectName           string  `json:"subject_name" validate:"max=100"`
	SubjectUsername       string  `json:"subject_username" validate:"max=64"`
	RuleCode              string  `json:"rule_code" validate:"max=16"`
	Anonymous             bool    `json:"anonymous"`
	EnterpriseID          *string `json:"enterprise_id"`
	// FileIDs are uploads (POST /files) to attach.
	FileIDs []string `json:"file_ids"`
}

// createLead files a lead as a station or an enterprise. There is no
// Idempotency-Key: the remembered answer would tie the reporting account to
// the lead, which an anonymous report must never do.
func (s *Server) createLead(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "lead", "create"); err != nil {
		return err
	}
	raw, err := readJSON(c)
	if err != nil {
		return err
	}
	var b createLeadBody
	if err := decodeStrict(raw, &b); err != nil {
		return err
	}
	l, receipt, err := s.fileLead(c.Request.Context(), p, b)
	if err != nil {
		return err
	}
	out := leadCreatedView{leadView: s.leadView(p, l, leadHeader)}
	if receipt != "" {
		out.Receipt = &receipt
	} else {
		c.Header("Location", "/api/v1/leads/"+idString(l.ID))
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

// fileLead files b for p (no gin: the API and the console's report form
// call it). It returns the receipt of an anonymous lead ("" for a named one).
func (s *Server) fileLead(ctx context.Context, p *principal, b createLeadBody) (*model.Lead, string, error) {
	if err := s.mayEver(p, "lead", "create"); err != nil {
		return nil, "", err
	}
	if err := s.valid.check(&b); err != nil {
		return nil, "", err
	}
	ref := s.ref
	var v workflow.ValidationError
	if strings.TrimSpace(b.Content) == "" {
		v.Add("content", "不能为空")
	}
	if _, ok := ref.Regions[b.RegionCode]; !ok {
		v.Add("region_code", "未知的行政区划代码")
	}
	occurred, msg := parseOccurredAt(b.OccurredAt, s.now())
	if msg != "" {
		v.Add("occurred_at", msg)
	}
	if b.SubjectDepartmentCode != "" {
		if _, ok := ref.Departments[b.SubjectDepartmentCode]; !ok {
			v.Add("subject_department_code", "未知的部门代码")
		}
	}
	if strings.TrimSpace(b.SubjectDepartmentCode) == "" && strings.TrimSpace(b.SubjectName) == "" {
		v.Add("subject_name", "须填写涉及的单位（subject_department_code）或人员（subject_name）")
	}
	if b.RuleCode != "" && !s.knownRule(b.RuleCode) {
		v.Add("rule_code", "未知的政商交往清单条目")
	}
	in := model.NewLead{Content: b.Content, Evidence: b.Evidence, OccurredAt: occurred, RegionCode: b.RegionCode,
		SubjectDepartmentCode: b.SubjectDepartmentCode, SubjectName: strings.TrimSpace(b.SubjectName),
		SubjectUsername: b.SubjectUsername, RuleCode: b.RuleCode, Anonymous: b.Anonymous,
		ReporterID: p.account.ID, ReporterRole: p.role(), FileIDs: b.FileIDs}
	addFileIDErrors(&v, b.FileIDs)
	switch p.role() {
	case workflow.RoleEnterprise:
		if b.EnterpriseID != nil {
			v.Add("enterprise_id", "企业账号报告线索时不能填写此字段")
		} else if !b.Anonymous {
			// A named report by an enterprise concerns that enterprise.
			in.EnterpriseID = p.scope.EnterpriseID
		}
	case workflow.RoleStation:
		in.StationID = p.scope.StationID
		if b.EnterpriseID != nil {
			id, ok := parseID(*b.EnterpriseID)
			var err error
			if ok {
				_, err = s.store.FindEnterprise(ctx, p.scope, id)
			}
			if !ok || errors.Is(err, model.ErrNotFound) {
				v.Add("enterprise_id", "企业不存在或不在本站点服务范围内")
			} else if err != nil {
				return nil, "", err
			}
			in.EnterpriseID = id
		}
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if err := s.allow(p, "lead", "create", b.RegionCode); err != nil {
		return nil, "", err
	}
	return s.store.CreateLead(ctx, in)
}

// rfc3339Pattern is a date-time as RFC 3339 writes it. Go's parser alone
// would also take a one-digit hour, which clients and the OpenAPI document
// do not.
var rfc3339Pattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// earliestOccurrence bounds occurred_at from below: older dates are typing
// mistakes, and the databases do not all store year 0.
var earliestOccurrence = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// parseOccurredAt reads occurred_at (nil when absent), or says what is wrong with it.
func parseOccurredAt(raw *string, now time.Time) (*time.Time, string) {
	if raw == nil {
		return nil, ""
	}
	t, err := time.Parse(time.RFC3339, *raw)
	switch {
	case err != nil || !rfc3339Pattern.MatchString(*raw):
		return nil, "须为 RFC 3339 时间，如 2026-11-02T10:30:00+08:00"
	case t.After(now):
		return nil, "发生时间不能晚于当前时间"
	case t.Before(earliestOccurrence):
		return nil, "发生时间不能早于 1970 年"
	}
	t = t.UTC().Truncate(time.Millisecond)
	return &t, ""
}

func (s *Server) knownRule(code string) bool {
	for _, r := range s.ref.Raw.InteractionRules {
		if r.Code == code {
			return true
		}
	}
	return false
}

type lookupLeadBody struct {
	Receipt string `json:"receipt" validate:"required,max=64"`
}

// lookupLead shows the reporter of an anonymous lead its status, given the
// receipt it received at filing. The receipt travels in the body, never in a
// URL that proxies would log. It is not recorded as a read: the answer holds
// nothing but the status, and a record would only add a time at which the
// reporter was active.
func (s *Server) lookupLead(c *gin.Context) error {
	p := principalOf(c)
	// The reporting roles are the ones that may create leads.
	if err := s.mayEver(p, "lead", "create"); err != nil {
		return err
	}
	var b lookupLeadBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	l, err := s.leadByReceipt(c.Request.Context(), p, b.Receipt)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.leadView(p, l, leadHeader))
	return nil
}

// leadByReceipt finds the anonymous lead whose receipt this is. For a
// signed-in reporter (POST /leads/lookup) a receipt used outside the region
// where it could have been filed finds nothing; p nil is the console's
// public lookup page (README "Console"), which holds the receipt alone to
// be the proof and shows the status only.
func (s *Server) leadByReceipt(ctx context.Context, p *principal, receipt string) (*model.Lead, error) {
	var sc model.Scope
	if p != nil {
		sc = p.scope
	}
	l, err := s.store.FindLeadByReceipt(ctx, sc, receipt)
	if err != nil {
		return nil, err
	}
	if p != nil && s.allow(p, "lead", "read", l.RegionCode) != nil {
		return nil, model.ErrNotFound
	}
	return l, nil
}

// leadListParams are the query parameters of the lead list.
var leadListParams = []string{"status", "region_code", "overdue", "disposal"}

func (s *Server) listLeads(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "lead", "list"); err != nil {
		return err
	}
	q := s.query(c, leadListParams...)
	f, err := s.leadFilter(p, q)
	if err != nil {
		return err
	}
	ls, next, err := s.store.ListLeads(c.Request.Context(), p.scope, f)
	if err != nil {
		return err
	}
	out := make([]leadView, len(ls))
	for i := range ls {
		out[i] = s.leadView(p, &ls[i], leadSummary)
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

// leadFilter reads the lead list's filters (leadListParams) from q for p;
// the API's list and the console's share it. A filter on a field p may not
// see is refused (403): it would reveal that field.
func (s *Server) leadFilter(p *principal, q *query) (model.LeadFilter, error) {
	for _, f := range []struct{ param, kind string }{
		{"region_code", "lead.content"}, {"disposal", "lead.investigation"}, {"overdue", "lead.rectification"},
	} {
		if q.values.Has(f.param) && !s.authz.Can(p.account.Role, f.kind, "read") {
			return model.LeadFilter{}, policyForbidden("无权按 " + f.param + " 筛选线索")
		}
	}
	f := model.LeadFilter{RegionCodes: s.regionFilter(q), Overdue: q.boolean("overdue"), Page: q.page()}
	if st := q.values.Get("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			if _, ok := workflow.Lead.State(workflow.Status(x)); !ok {
				q.errs.Add("status", "未知的状态："+x)
			}
			f.Status = append(f.Status, x)
		}
	}
	if d := q.values.Get("disposal"); d != "" {
		for _, x := range strings.Split(d, ",") {
			if _, ok := workflow.DisposalByCode(x); !ok {
				q.errs.Add("disposal", "未知的处置方式："+x)
			}
			f.Disposal = append(f.Disposal, x)
		}
	}
	return f, q.err()
}

// findLead finds the lead with path id rawID for act (see findCase); the
// subject of a lead never sees it.
func (s *Server) findLead(ctx context.Context, p *principal, rawID, act string) (*model.Lead, error) {
	return findCase(s, ctx, p, "lead", rawID, act, s.store.FindLead, func(l *model.Lead) string { return l.RegionCode })
}

// getLead answers the lead as the caller may see it, after recording the read.
func (s *Server) getLead(c *gin.Context) error {
	p := principalOf(c)
	l, err := s.findLead(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	if err := s.store.RecordLeadRead(c.Request.Context(), p.actor(), l.ID, model.ReadDetail); err != nil {
		return err
	}
	v, err := s.leadDetail(c.Request.Context(), p, l)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (s *Server) leadEvents(c *gin.Context) error {
	p := principalOf(c)
	l, err := s.findLead(c.Request.Context(), p, c.Param("id"), "events")
	if err != nil {
		return err
	}
	return s.writeEvents(c, workflow.KindLead, l.ID, func() error {
		return s.store.RecordLeadRead(c.Request.Context(), p.actor(), l.ID, model.ReadEvents)
	})
}

type leadReadView struct {
	ID          string `json:"id"`
	AccountID   string `json:"account_id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	What        string `json:"what"`
	At          string `json:"at"`
}

// leadReads lists who was shown the lead, newest first (inspectors).
func (s *Server) leadReads(c *gin.Context) error {
	p := principalOf(c)
	l, err := s.findLead(c.Request.Context(), p, c.Param("id"), "reads")
	if err != nil {
		return err
	}
	q := s.query(c)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	rows, next, err := s.store.ListLeadReads(c.Request.Context(), l.ID, page)
	if err != nil {
		return err
	}
	out := make([]leadReadView, len(rows))
	for i, r := range rows {
		out[i] = leadReadView{ID: idString(r.ID), AccountID: idString(r.AccountID), Username: r.Username,
			DisplayName: r.DisplayName, Role: r.Role, What: r.What, At: s.ts(r.At)}
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

type interactionRuleView struct {
	Code      string `json:"code"`
	List      string `json:"list"`
	ListLabel string `json:"list_label"`
	Title     string `json:"title"`
}

// listInteractionRules serves the 亲清政商交往 lists a lead may cite.
func (s *Server) listInteractionRules(c *gin.Context) error {
	rules := s.ref.Raw.InteractionRules
	out := make([]interactionRuleView, len(rules))
	for i, r := range rules {
		out[i] = interactionRuleView{Code: r.Code, List: r.List, ListLabel: interactionListLabels[r.List], Title: r.Title}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}
