package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// Rectification items (整改事项, docs/design.md#rectification-items): the
// 问题整改清单 of a published index under way. 工商联 and 纪检监察 follow
// the items of their region; a department sees its own department's items
// in its region and reports progress; 工商联 closes them (销号).

var rectifyStatusLabels = map[string]string{model.RectifyOpen: "整改中", model.RectifyClosed: "已销号"}

type rectReportView struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Content   string `json:"content"`
	CreatedAt string `json:"created_at"`
}

type rectItemView struct {
	ID             string           `json:"id"`
	RunID          string           `json:"run_id"`
	Period         string           `json:"period"`
	UnitCode       string           `json:"unit_code"`
	UnitName       string           `json:"unit_name"`
	IndicatorCode  string           `json:"indicator_code"`
	IndicatorName  string           `json:"indicator_name"`
	Kind           string           `json:"kind"`
	KindLabel      string           `json:"kind_label"`
	DepartmentCode string           `json:"department_code"`
	DepartmentName string           `json:"department_name"`
	Gap            string           `json:"gap"`
	Status         string           `json:"status"`
	StatusLabel    string           `json:"status_label"`
	DueAt          string           `json:"due_at"`
	Overdue        bool             `json:"overdue"`
	OnTime         *bool            `json:"on_time"`
	ReportCount    int              `json:"report_count"`
	LastReportAt   *string          `json:"last_report_at"`
	ClosedAt       *string          `json:"closed_at"`
	ClosedBy       *string          `json:"closed_by"`
	CloseNote      *string          `json:"close_note"`
	Version        int              `json:"version"`
	CreatedAt      string           `json:"created_at"`
	Reports        []rectReportView `json:"reports,omitempty"`
}

func (s *Server) rectItemView(it *model.RectificationItem) rectItemView {
	v := rectItemView{ID: idString(it.ID), RunID: idString(it.RunID), Period: it.Period, UnitCode: it.UnitCode,
		UnitName: regionName(s.ref, it.UnitCode), IndicatorCode: it.IndicatorCode, IndicatorName: it.IndicatorName, Kind: it.Kind,
		KindLabel: rectifyKindLabels[it.Kind], DepartmentCode: it.DepartmentCode, DepartmentName: deptLabel(s.ref, it.DepartmentCode),
		Gap: it.Gap, Status: it.Status, StatusLabel: rectifyStatusLabels[it.Status], DueAt: s.ts(it.DueAt),
		Overdue: it.Status == model.RectifyOpen && s.clock().After(it.DueAt), OnTime: it.OnTime(), ReportCount: it.ReportCount,
		LastReportAt: s.optTS(it.LastReportAt), ClosedAt: s.optTS(it.ClosedAt), ClosedBy: optID(it.ClosedBy),
		CloseNote: strPtr(it.CloseNote), Version: it.Version, CreatedAt: s.ts(it.CreatedAt)}
	return v
}

// regionName names a region code (the code itself when unknown).
func regionName(ref *model.Reference, code string) string {
	if r, ok := ref.Regions[code]; ok {
		return r.Name
	}
	return code
}

// itemGuard is what p may do with an item for act: 工商联 and 纪检监察
// within their region; a department only with its own department's items
// within its region. Anything else is not found.
func (s *Server) itemGuard(p *principal, act string) model.ItemGuard {
	return func(it *model.RectificationItem) error {
		if !s.authz.Allowed(p.subject(), act, policy.Resource{Kind: "rectification_item", Region: it.UnitCode}) {
			return model.ErrNotFound
		}
		if p.account.Role == string(workflow.RoleDepartment) &&
			(p.account.DepartmentCode == nil || *p.account.DepartmentCode != it.DepartmentCode) {
			return model.ErrNotFound
		}
		return nil
	}
}

// listRectificationItems lists the items the caller may see, newest
// first; filters period, region_code (the evaluated unit), department_code,
// status, overdue.
func (s *Server) listRectificationItems(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "rectification_item", "list"); err != nil {
		return err
	}
	q := s.query(c, "period", "region_code", "department_code", "status", "overdue")
	f := model.ItemFilter{Scope: s.grant(p, "rectification_item", "list"), Period: q.str("period", 8),
		UnitCode: q.str("region_code", 16), Department: q.str("department_code", 16), Status: q.str("status", 16),
		Overdue: q.boolean("overdue")}
	if f.Period != "" {
		if _, err := model.ParsePeriod(f.Period, s.cal.Location()); err != nil {
			q.errs.Add("period", "期间格式应为 2026、2026-Q3 或 2026-11")
		}
	}
	if _, ok := s.ref.Regions[f.UnitCode]; f.UnitCode != "" && !ok {
		q.errs.Add("region_code", "未知的行政区划代码")
	}
	if _, ok := s.ref.Departments[f.Department]; f.Department != "" && !ok {
		q.errs.Add("department_code", "未知的部门代码")
	}
	if f.Status != "" && f.Status != model.RectifyOpen && f.Status != model.RectifyClosed {
		q.errs.Add("status", "应为 open 或 closed")
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	if p.account.Role == string(workflow.RoleDepartment) {
		if p.account.DepartmentCode == nil || (f.Department != "" && f.Department != *p.account.DepartmentCode) {
			return policy.ErrForbidden
		}
		f.Department = *p.account.DepartmentCode
	}
	items, next, err := s.store.ListRectificationItems(c.Request.Context(), f, page)
	if err != nil {
		return err
	}
	out := make([]rectItemView, len(items))
	for i := range items {
		out[i] = s.rectItemView(&items[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

// getRectificationItem answers an item with its progress reports.
func (s *Server) getRectificationItem(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "rectification_item", "read"); err != nil {
		return err
	}
	if err := s.query(c).err(); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	it, reps, err := s.store.GetRectificationItem(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if err := s.itemGuard(p, "read")(it); err != nil {
		return err
	}
	out := s.rectItemView(it)
	out.Reports = make([]rectReportView, len(reps))
	for i, r := range reps {
		out.Reports[i] = rectReportView{ID: idString(r.ID), AccountID: idString(r.AccountID), Content: r.Content, CreatedAt: s.ts(r.CreatedAt)}
	}
	c.JSON(http.StatusOK, out)
	return nil
}

type rectReportBody struct {
	Content         string `json:"content" validate:"required,max=5000"`
	ExpectedVersion int    `json:"expected_version" validate:"min=0"`
}

type rectCloseBody struct {
	Note            string `json:"note" validate:"required,max=2000"`
	ExpectedVersion int    `json:"expected_version" validate:"min=0"`
}

// reportRectification adds the owner unit's progress report.
func (s *Server) reportRectification(c *gin.Context) error {
	var b rectReportBody
	return s.itemAction(c, "report", &b, "content", &b.Content, http.StatusCreated,
		func(ctx context.Context, p *principal, id uint64, guard model.ItemGuard) (*model.RectificationItem, error) {
			return s.store.ReportRectification(ctx, id, p.account.ID, b.Content, b.ExpectedVersion, guard)
		})
}

// closeRectification closes (销号) an item: 工商联 of its region accepts
// the rectification.
func (s *Server) closeRectification(c *gin.Context) error {
	var b rectCloseBody
	return s.itemAction(c, "close", &b, "note", &b.Note, http.StatusOK,
		func(ctx context.Context, p *principal, id uint64, guard model.ItemGuard) (*model.RectificationItem, error) {
			return s.store.CloseRectification(ctx, id, p.account.ID, b.Note, b.ExpectedVersion, guard)
		})
}

// itemAction is an action on the item of the path: the role may take act,
// the body decodes into b and its text field is not blank, then run
// changes the item under the guard of act, answered with status.
func (s *Server) itemAction(c *gin.Context, act string, b any, field string, text *string, status int,
	run func(ctx context.Context, p *principal, id uint64, guard model.ItemGuard) (*model.RectificationItem, error)) error {
	p := principalOf(c)
	if err := s.mayEver(p, "rectification_item", act); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.decode(c, b); err != nil {
		return err
	}
	if strings.TrimSpace(*text) == "" {
		return workflow.Invalid(field, "不能为空")
	}
	it, err := run(c.Request.Context(), p, id, s.itemGuard(p, act))
	if err != nil {
		return itemRefusal(err)
	}
	c.JSON(status, s.rectItemView(it))
	return nil
}

// itemRefusal words the state refusals of an item.
func itemRefusal(err error) error {
	switch {
	case errors.Is(err, model.ErrItemClosed):
		return refuse(workflow.ErrInvalidTransition, "该整改事项已销号，不再接受进展报告或销号")
	case errors.Is(err, model.ErrNoReport):
		return refuse(workflow.ErrInvalidTransition, "责任单位尚未报送整改进展，不能销号")
	}
	return err
}
