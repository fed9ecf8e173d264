package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// 政企协商会 (docs/design.md#consultations): 工商联 plans a meeting on a theme
// in a region on a day, invites enterprises and departments, gathers 共性问题
// into the agenda, publishes it the configured days ahead and records that
// the meeting was held; the issues raised (by 工商联 for an invited
// enterprise, or by the enterprise itself) become requests with channel
// consultation, whose handling the meeting's figures follow.

type createConsultationBody struct {
	Theme                  string   `json:"theme" validate:"required,max=200"`
	RegionCode             string   `json:"region_code" validate:"required,max=16"`
	HeldOn                 string   `json:"held_on" validate:"required,max=10"`
	Venue                  string   `json:"venue" validate:"max=200"`
	Agenda                 string   `json:"agenda" validate:"max=5000"`
	InvitedEnterpriseIDs   []string `json:"invited_enterprise_ids" validate:"required,min=1,max=200"`
	InvitedDepartmentCodes []string `json:"invited_department_codes" validate:"required,min=1,max=50"`
}

type agendaItemView struct {
	Category      string   `json:"category"`
	CategoryLabel string   `json:"category_label"`
	Title         string   `json:"title"`
	Enterprises   int      `json:"enterprises"`
	RequestIDs    []string `json:"request_ids"`
}

// meetingStatsView are a meeting's figures: rates in percent, null without
// a denominator.
type meetingStatsView struct {
	Issues           int64    `json:"issues"`
	Assigned         int64    `json:"assigned"`
	AssignRate       *float64 `json:"assign_rate"`
	Responded        int64    `json:"responded"`
	RespondedOnTime  int64    `json:"responded_on_time"`
	OnTimeRate       *float64 `json:"on_time_rate"`
	Evaluated        int64    `json:"evaluated"`
	Satisfied        int64    `json:"satisfied"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
}

type consultationView struct {
	ID                     string            `json:"id"`
	RefNo                  string            `json:"ref_no"`
	Theme                  string            `json:"theme"`
	RegionCode             string            `json:"region_code"`
	HeldOn                 string            `json:"held_on"`
	Venue                  string            `json:"venue"`
	OrganiserID            string            `json:"organiser_id"`
	Status                 string            `json:"status"`
	StatusLabel            string            `json:"status_label"`
	Agenda                 string            `json:"agenda"`
	AgendaItems            []agendaItemView  `json:"agenda_items"`
	AgendaDueAt            string            `json:"agenda_due_at"`
	AgendaPublishedAt      *string           `json:"agenda_published_at"`
	Minutes                string            `json:"minutes"`
	HeldAt                 *string           `json:"held_at"`
	CancelReason           string            `json:"cancel_reason"`
	InvitedEnterpriseIDs   []string          `json:"invited_enterprise_ids,omitempty"`
	InvitedDepartmentCodes []string          `json:"invited_department_codes,omitempty"`
	Stats                  *meetingStatsView `json:"stats,omitempty"`
	Version                int               `json:"version"`
	CreatedAt              string            `json:"created_at"`
	UpdatedAt              string            `json:"updated_at"`
}

// consultationView is the meeting as every reader sees it; detail adds
// the invitees and the figures.
func (s *Server) consultationView(m *model.Consultation) consultationView {
	v := consultationView{ID: idString(m.ID), RefNo: model.RefNo("XS", m.ID, m.CreatedAt, s.cal.Location()), Theme: m.Theme,
		RegionCode: m.RegionCode, HeldOn: m.HeldOn.In(s.cal.Location()).Format(time.DateOnly), Venue: m.Venue,
		OrganiserID: idString(m.OrganiserID), Status: m.Status, StatusLabel: workflow.Consultation.Label(workflow.Status(m.Status)),
		Agenda: m.Agenda, AgendaItems: []agendaItemView{}, AgendaDueAt: s.ts(s.ref.Raw.Consultations.AgendaDeadline(m.HeldOn)),
		AgendaPublishedAt: s.optTS(m.AgendaPublishedAt), Minutes: m.Minutes, HeldAt: s.optTS(m.HeldAt),
		CancelReason: m.CancelReason, Version: m.Version, CreatedAt: s.ts(m.CreatedAt), UpdatedAt: s.ts(m.UpdatedAt)}
	for _, it := range m.Items() {
		iv := agendaItemView{Category: it.Category, CategoryLabel: s.ref.Categories[it.Category].Name, Title: it.Title,
			Enterprises: it.Enterprises, RequestIDs: []string{}}
		for _, id := range it.RequestIDs {
			iv.RequestIDs = append(iv.RequestIDs, idString(id))
		}
		v.AgendaItems = append(v.AgendaItems, iv)
	}
	return v
}

func (s *Server) consultationDetail(ctx context.Context, m *model.Consultation) (consultationView, error) {
	v := s.consultationView(m)
	ents, depts, err := s.store.Invitees(ctx, m.ID)
	if err != nil {
		return v, err
	}
	v.InvitedEnterpriseIDs, v.InvitedDepartmentCodes = []string{}, depts
	for _, id := range ents {
		v.InvitedEnterpriseIDs = append(v.InvitedEnterpriseIDs, idString(id))
	}
	st, err := s.store.ConsultationStats(ctx, m.ID)
	if err != nil {
		return v, err
	}
	pct := func(n, d int64) *float64 {
		if d == 0 {
			return nil
		}
		x := float64(n) / float64(d) * 100
		return &x
	}
	v.Stats = &meetingStatsView{Issues: st.Issues, Assigned: st.Assigned, AssignRate: pct(st.Assigned, st.Issues),
		Responded: st.Responded, RespondedOnTime: st.RespondedOnTime, OnTimeRate: pct(st.RespondedOnTime, st.Responded),
		Evaluated: st.Evaluated, Satisfied: st.Satisfied, SatisfactionRate: pct(st.Satisfied, st.Evaluated)}
	return v, nil
}

// createConsultation plans a meeting (工商联).
func (s *Server) createConsultation(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "consultation", "create"); err != nil {
		return err
	}
	var b createConsultationBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request.Context()
	var v workflow.ValidationError
	if strings.TrimSpace(b.Theme) == "" {
		v.Add("theme", "不能为空")
	}
	if _, ok := s.ref.Regions[b.RegionCode]; !ok {
		v.Add("region_code", "未知的行政区划代码")
	}
	loc := s.cal.Location()
	day, err := time.ParseInLocation(time.DateOnly, b.HeldOn, loc)
	today := s.now().In(loc)
	switch {
	case err != nil:
		v.Add("held_on", "须为日期，如 2026-12-18")
	case day.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)):
		v.Add("held_on", "会议日期不能早于今天")
	}
	in := model.NewConsultation{Theme: strings.TrimSpace(b.Theme), RegionCode: b.RegionCode, Venue: b.Venue, Agenda: b.Agenda,
		HeldOn: day, OrganiserID: p.account.ID}
	for i, raw := range b.InvitedEnterpriseIDs {
		e, err := findNamed(ctx, p, raw, s.store.FindEnterprise)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("invited_enterprise_ids["+strconv.Itoa(i)+"]", "企业不存在或不在本辖区")
		case err != nil:
			return err
		case slices.Contains(in.EnterpriseIDs, e.ID):
			v.Add("invited_enterprise_ids["+strconv.Itoa(i)+"]", "企业重复")
		default:
			in.EnterpriseIDs = append(in.EnterpriseIDs, e.ID)
		}
	}
	for i, code := range b.InvitedDepartmentCodes {
		switch _, ok := s.ref.Departments[code]; {
		case !ok:
			v.Add("invited_department_codes["+strconv.Itoa(i)+"]", "未知的部门代码")
		case slices.Contains(in.DepartmentCodes, code):
			v.Add("invited_department_codes["+strconv.Itoa(i)+"]", "部门重复")
		default:
			in.DepartmentCodes = append(in.DepartmentCodes, code)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.allow(p, "consultation", "create", b.RegionCode); err != nil {
		return err
	}
	m, err := s.store.CreateConsultation(ctx, in)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/consultations/"+idString(m.ID))
	return s.writeConsultation(c, http.StatusCreated, m)
}

// writeConsultation answers the meeting's detail with status.
func (s *Server) writeConsultation(c *gin.Context, status int, m *model.Consultation) error {
	out, err := s.consultationDetail(c.Request.Context(), m)
	if err != nil {
		return err
	}
	c.JSON(status, out)
	return nil
}

// consultationListParams are the query parameters of the list.
var consultationListParams = []string{"status", "region_code"}

func (s *Server) listConsultations(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, meetingKind(p), "list"); err != nil {
		return err
	}
	q := s.query(c, consultationListParams...)
	f := model.ConsultationFilter{RegionCodes: s.regionFilter(q), Page: q.page()}
	if st := q.values.Get("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			if _, ok := workflow.Consultation.State(workflow.Status(x)); !ok {
				q.errs.Add("status", "未知的状态："+x)
			}
			f.Status = append(f.Status, x)
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	ms, next, err := s.store.ListConsultations(c.Request.Context(), p.scope, f)
	if err != nil {
		return err
	}
	out := make([]consultationView, len(ms))
	for i := range ms {
		out[i] = s.consultationView(&ms[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

// meetingKind is the policy object p acts on a meeting through: an
// enterprise holds an invitation, which it may have from any region (the
// store lets it see only the meetings it is invited to).
func meetingKind(p *principal) string {
	if p.role() == workflow.RoleEnterprise {
		return "consultation.invitation"
	}
	return "consultation"
}

// findConsultation finds the meeting with path id rawID for act.
func (s *Server) findConsultation(ctx context.Context, p *principal, rawID, act string) (*model.Consultation, error) {
	return findCase(s, ctx, p, meetingKind(p), rawID, act, s.store.FindConsultation, func(m *model.Consultation) string { return m.RegionCode })
}

func (s *Server) getConsultation(c *gin.Context) error {
	p := principalOf(c)
	m, err := s.findConsultation(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	return s.writeConsultation(c, http.StatusOK, m)
}

func (s *Server) consultationTransitions(c *gin.Context) error {
	p := principalOf(c)
	m, err := s.findConsultation(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	avail := workflow.Consultation.Available(workflow.Item{Status: workflow.Status(m.Status)}, workflow.Actor{Role: p.role()})
	c.JSON(http.StatusOK, gin.H{"items": s.actionItems(p, "consultation", m.RegionCode, workflow.Consultation, avail)})
	return nil
}

type commonIssueView struct {
	Category      string `json:"category"`
	CategoryLabel string `json:"category_label"`
	Requests      int64  `json:"requests"`
	Enterprises   int64  `json:"enterprises"`
	Qualifies     bool   `json:"qualifies"`
	OnAgenda      bool   `json:"on_agenda"`
}

// commonIssues shows 工商联 what it may gather into the meeting's agenda:
// the open requests of the meeting's region and below by category, with
// the enterprises they come from, whether that makes a 共性问题 and whether
// it is on the agenda already.
func (s *Server) commonIssues(c *gin.Context) error {
	p := principalOf(c)
	ctx := c.Request.Context()
	m, err := s.findConsultation(ctx, p, c.Param("id"), string(workflow.MeetingGather))
	if err != nil {
		return err
	}
	counts, err := s.store.OpenByCategory(ctx, s.authz.Descendants(m.RegionCode))
	if err != nil {
		return err
	}
	rules := s.ref.Raw.Consultations
	out := []commonIssueView{}
	for _, n := range counts {
		on := slices.ContainsFunc(m.Items(), func(it model.AgendaItem) bool { return it.Category == n.Category })
		out = append(out, commonIssueView{Category: n.Category, CategoryLabel: s.ref.Categories[n.Category].Name,
			Requests: n.Requests, Enterprises: n.Enterprises, Qualifies: rules.CommonIssue(int(n.Enterprises)), OnAgenda: on})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

type consultationBody struct {
	Action          string `json:"action"`
	ExpectedVersion *int   `json:"expected_version"`
	Category        string `json:"category"`
	Title           string `json:"title"`
	Agenda          string `json:"agenda"`
	Minutes         string `json:"minutes"`
	Reason          string `json:"reason"`
}

// transitionConsultation takes a step, refusing in the order of the other
// transitions.
func (s *Server) transitionConsultation(c *gin.Context) error {
	p := principalOf(c)
	var b consultationBody
	present, id, err := s.decodeStep(c, p, "consultation", workflow.Consultation, &b, func() string { return b.Action })
	if err != nil {
		return err
	}
	cmd := workflow.ConsultationCommand{Action: workflow.Action(b.Action), Present: present, Category: b.Category,
		Title: strings.TrimSpace(b.Title), Agenda: b.Agenda, Minutes: b.Minutes, Reason: b.Reason}
	m, err := s.store.TransitionConsultation(c.Request.Context(), p.scope, p.actor(), id, cmd, b.ExpectedVersion,
		s.grant(p, "consultation", b.Action), s.authz.Descendants)
	if err != nil {
		return err
	}
	return s.writeConsultation(c, http.StatusOK, m)
}

func (s *Server) consultationEvents(c *gin.Context) error {
	p := principalOf(c)
	m, err := s.findConsultation(c.Request.Context(), p, c.Param("id"), "events")
	if err != nil {
		return err
	}
	return s.writeEvents(c, workflow.KindConsultation, m.ID, nil)
}

type raiseIssueBody struct {
	Title        string  `json:"title" validate:"required,max=200"`
	Content      string  `json:"content" validate:"required,max=5000"`
	Category     string  `json:"category" validate:"required,max=32"`
	EnterpriseID *string `json:"enterprise_id"`
}

// raiseIssue files an issue raised at a meeting as a request (channel
// consultation): by 工商联 for an invited enterprise, or by an invited
// enterprise for itself, while the agenda is published or after the
// meeting was held.
func (s *Server) raiseIssue(c *gin.Context) error {
	p := principalOf(c)
	ctx := c.Request.Context()
	m, err := s.findConsultation(ctx, p, c.Param("id"), "raise_issue")
	if err != nil {
		return err
	}
	var b raiseIssueBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	var v workflow.ValidationError
	if strings.TrimSpace(b.Title) == "" {
		v.Add("title", "不能为空")
	}
	if strings.TrimSpace(b.Content) == "" {
		v.Add("content", "不能为空")
	}
	if _, ok := s.ref.Categories[b.Category]; !ok {
		v.Add("category", "未知的诉求类别")
	}
	var ent uint64
	switch p.role() {
	case workflow.RoleEnterprise:
		if b.EnterpriseID != nil {
			v.Add("enterprise_id", "企业账号只能为本企业提出问题，不能填写此字段")
		}
		ent = p.scope.EnterpriseID
	default:
		if b.EnterpriseID == nil {
			v.Add("enterprise_id", "为必填字段")
			break
		}
		ent, _ = parseID(*b.EnterpriseID)
		invited, err := s.store.IsInvited(ctx, m.ID, ent)
		if err != nil {
			return err
		}
		if !invited {
			v.Add("enterprise_id", "该企业未受邀参加本次协商会")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	e, err := s.store.GetEnterprise(ctx, ent)
	if err != nil {
		return err
	}
	r, _, err := s.store.CreateRequest(ctx, model.NewRequest{Title: b.Title, Content: b.Content, Category: b.Category,
		EnterpriseID: e.ID, RegionCode: e.RegionCode, FiledBy: p.account.ID, FilerRole: p.role(), ConsultationID: m.ID}, nil, nil)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/requests/"+idString(r.ID))
	c.JSON(http.StatusCreated, s.requestView(r))
	return nil
}
