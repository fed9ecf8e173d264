package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Closing the index loop (docs/design.md#index-loop): 工商联 opens a
// period's collection of submitted values, everyone concerned sees who has
// submitted and who is late, and 工商联 confirms the values before a run of
// the period can be published.

var confirmationLabels = map[string]string{
	"":                     "已确认",
	model.NotOpened:        "未发起报送",
	model.NotYetConfirm:    "未确认",
	model.ValuesChanged:    "确认后又有报送，须重新确认",
	model.RunBeforeConfirm: "测算早于数据确认，须重新测算",
}

var submissionStatusLabels = map[string]string{
	"on_time": "按时报送", "late": "逾期报送", "pending": "待报送", "overdue": "逾期未报送",
	"complete": "已按时报齐", "complete_late": "已报齐（有逾期）",
}

type periodView struct {
	Period            string  `json:"period"`
	DueAt             string  `json:"due_at"`
	Overdue           bool    `json:"overdue"`
	OpenedAt          string  `json:"opened_at"`
	OpenedBy          string  `json:"opened_by"`
	Confirmed         bool    `json:"confirmed"`
	Confirmation      string  `json:"confirmation"`
	ConfirmationLabel string  `json:"confirmation_label"`
	ConfirmedAt       *string `json:"confirmed_at"`
	ConfirmedBy       *string `json:"confirmed_by"`
	ConfirmedMissing  *int    `json:"confirmed_missing"`
}

func (s *Server) periodView(ctx context.Context, p *model.IndexPeriod) (periodView, error) {
	state, err := s.store.ConfirmationState(ctx, p.Period)
	if err != nil {
		return periodView{}, err
	}
	v := periodView{Period: p.Period, DueAt: s.ts(p.DueAt), OpenedAt: s.ts(p.OpenedAt), OpenedBy: idString(p.OpenedBy),
		Confirmed: state == "", Confirmation: state, ConfirmationLabel: confirmationLabels[state],
		ConfirmedAt: s.optTS(p.ConfirmedAt), ConfirmedBy: optID(p.ConfirmedBy)}
	v.Overdue = state != "" && !s.clock().Before(p.DueAt)
	if state == "" {
		v.Confirmation = "confirmed"
	}
	if p.ConfirmedAt != nil {
		m := p.ConfirmedMissing
		v.ConfirmedMissing = &m
	}
	return v, nil
}

type openPeriodBody struct {
	Period string  `json:"period" validate:"required,max=8"`
	DueAt  *string `json:"due_at"`
}

// openPeriod opens the collection of a period's values (工商联 at the
// city), due at due_at or, by default, 10 working days after the period
// ends.
func (s *Server) openPeriod(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "index_period", "open"); err != nil {
		return err
	}
	var b openPeriodBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	if msg := s.periodProblem(b.Period); msg != "" {
		return workflow.Invalid("period", msg)
	}
	due, err := parseBodyTime("due_at", b.DueAt)
	if err != nil {
		return err
	}
	if err := s.allow(p, "index_period", "open", ""); err != nil {
		return err
	}
	per, err := model.ParsePeriod(b.Period, s.cal.Location())
	if err != nil {
		return workflow.Invalid("period", err.Error())
	}
	dueAt := s.store.DefaultDue(per)
	if due != nil {
		if !due.After(s.clock()) {
			return workflow.Invalid("due_at", "报送截止时间必须晚于当前时间")
		}
		dueAt = *due
	}
	ctx := c.Request.Context()
	row, err := s.store.OpenPeriod(ctx, per, dueAt, p.account.ID)
	if errors.Is(err, model.ErrConflict) {
		return refuse(err, "该期间已发起报送", workflow.FieldError{Field: "period", Message: "已发起报送"})
	}
	if err != nil {
		return err
	}
	out, err := s.periodView(ctx, row)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/index/periods/"+row.Period+"/submissions")
	c.JSON(http.StatusCreated, out)
	return nil
}

type submissionItemView struct {
	IndicatorCode    string  `json:"indicator_code"`
	IndicatorName    string  `json:"indicator_name"`
	DepartmentCode   string  `json:"department_code"`
	UnitCode         string  `json:"unit_code"`
	UnitName         string  `json:"unit_name"`
	Status           string  `json:"status"`
	StatusLabel      string  `json:"status_label"`
	FirstSubmittedAt *string `json:"first_submitted_at"`
	LastSubmittedAt  *string `json:"last_submitted_at"`
	Submissions      int     `json:"submissions"`
}

type submissionCounts struct {
	Expected int `json:"expected"`
	OnTime   int `json:"on_time"`
	Late     int `json:"late"`
	Pending  int `json:"pending"`
	Overdue  int `json:"overdue"`
}

type departmentSubmissionView struct {
	DepartmentCode string `json:"department_code"`
	DepartmentName string `json:"department_name"`
	submissionCounts
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
}

type submissionsView struct {
	periodView
	TreeVersion string                     `json:"tree_version"`
	Summary     submissionCounts           `json:"summary"`
	Departments []departmentSubmissionView `json:"departments"`
	Items       []submissionItemView       `json:"items"`
}

func (c *submissionCounts) add(status string) {
	c.Expected++
	switch status {
	case "on_time":
		c.OnTime++
	case "late":
		c.Late++
	case "pending":
		c.Pending++
	case "overdue":
		c.Overdue++
	}
}

// status of the department's values: overdue while one is overdue,
// pending while one is awaited, else complete (late when one came late).
func (c submissionCounts) status() string {
	switch {
	case c.Overdue > 0:
		return "overdue"
	case c.Pending > 0:
		return "pending"
	case c.Late > 0:
		return "complete_late"
	}
	return "complete"
}

// listSubmissions answers who has submitted the values of an opened
// period and who is late: 工商联 at the city sees every department; a
// department account sees its own department's values for the units in
// its region. Filter department_code (工商联).
func (s *Server) listSubmissions(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "index_period", "read"); err != nil {
		return err
	}
	q := s.query(c, "department_code")
	dept := q.str("department_code", 16)
	if dept != "" {
		if _, ok := s.ref.Departments[dept]; !ok {
			q.errs.Add("department_code", "未知的部门代码")
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	var scope model.RegionSet
	switch {
	case p.account.Role == string(workflow.RoleDepartment) && p.account.DepartmentCode != nil:
		if dept != "" && dept != *p.account.DepartmentCode {
			return model.ErrForbidden
		}
		dept, scope = *p.account.DepartmentCode, s.grant(p, "index_period", "read")
	default:
		if err := s.allow(p, "index_period", "read", ""); err != nil {
			return err
		}
		scope = model.AllRegions()
	}
	ctx := c.Request.Context()
	name := c.Param("period")
	if _, err := model.ParsePeriod(name, s.cal.Location()); err != nil {
		return model.ErrNotFound
	}
	row, err := s.store.FindPeriod(ctx, name)
	if err != nil {
		return err
	}
	exp, tree, err := s.store.Submissions(ctx, name)
	if err != nil {
		return err
	}
	pv, err := s.periodView(ctx, row)
	if err != nil {
		return err
	}
	out := submissionsView{periodView: pv, TreeVersion: tree.Version, Departments: []departmentSubmissionView{},
		Items: []submissionItemView{}}
	now := s.clock()
	byDept := map[string]*departmentSubmissionView{}
	var order []string
	for _, e := range exp {
		if (dept != "" && e.Owner != dept) || !scope.Has(e.UnitCode) {
			continue
		}
		st := "pending"
		switch {
		case e.Submitted() && e.FirstAt.After(row.DueAt):
			st = "late"
		case e.Submitted():
			st = "on_time"
		case !now.Before(row.DueAt):
			st = "overdue"
		}
		out.Items = append(out.Items, submissionItemView{IndicatorCode: e.IndicatorCode, IndicatorName: e.IndicatorName,
			DepartmentCode: e.Owner, UnitCode: e.UnitCode, UnitName: e.UnitName, Status: st, StatusLabel: submissionStatusLabels[st],
			FirstSubmittedAt: s.optTS(e.FirstAt), LastSubmittedAt: s.optTS(e.LastAt), Submissions: e.Submissions})
		out.Summary.add(st)
		d := byDept[e.Owner]
		if d == nil {
			d = &departmentSubmissionView{DepartmentCode: e.Owner, DepartmentName: deptLabel(s.ref, e.Owner)}
			byDept[e.Owner] = d
			order = append(order, e.Owner)
		}
		d.add(st)
	}
	for _, code := range order {
		d := byDept[code]
		d.Status = d.status()
		d.StatusLabel = submissionStatusLabels[d.Status]
		out.Departments = append(out.Departments, *d)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

type confirmBody struct {
	AcceptMissing bool `json:"accept_missing"`
}

// confirmPeriod records 工商联's confirmation that an opened period's
// values are complete; with values missing only when accept_missing.
func (s *Server) confirmPeriod(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "index_period", "confirm"); err != nil {
		return err
	}
	var b confirmBody
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "" {
		if err := decodeStrict(body, &b); err != nil {
			return err
		}
	}
	name := c.Param("period")
	if _, err := model.ParsePeriod(name, s.cal.Location()); err != nil {
		return model.ErrNotFound
	}
	ctx := c.Request.Context()
	if err := s.confirm(ctx, p, name, b.AcceptMissing, false); err != nil {
		return err
	}
	row, err := s.store.FindPeriod(ctx, name)
	if err != nil {
		return err
	}
	out, err := s.periodView(ctx, row)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// confirm confirms period's values as p (the caller has passed mayEver):
// the use case of POST /index/periods/{period}/confirm and of the
// console's 确认数据 form, which also opens the period (open) when it is
// not open yet.
func (s *Server) confirm(ctx context.Context, p *principal, period string, acceptMissing, open bool) error {
	if err := s.allow(p, "index_period", "confirm", ""); err != nil {
		return err
	}
	if open {
		if msg := s.periodProblem(period); msg != "" {
			return workflow.Invalid("period", msg)
		}
		per, err := model.ParsePeriod(period, s.cal.Location())
		if err != nil {
			return workflow.Invalid("period", err.Error())
		}
		if _, err := s.store.OpenPeriod(ctx, per, s.store.DefaultDue(per), p.account.ID); err != nil && !errors.Is(err, model.ErrConflict) {
			return err
		}
	}
	_, err := s.store.ConfirmPeriod(ctx, period, p.account.ID, acceptMissing)
	var inc *model.IncompleteError
	if errors.As(err, &inc) {
		return refuse(err, fmt.Sprintf("该期间尚有 %d 项指标值未报送；如确认在缺失的情况下测算发布（缺失值按规则处理，不计为零），请明确接受缺失后再确认（接口参数 accept_missing: true；工作台勾选“接受缺失”）", inc.Missing))
	}
	return err
}

// notConfirmedDetail words why a run may not be published.
func notConfirmedDetail(err error) error {
	var nc *model.NotConfirmedError
	if !errors.As(err, &nc) {
		return err
	}
	switch nc.Why {
	case model.NotOpened:
		return refuse(err, "该期间尚未发起报送、也未经工商联确认数据，不能发布；请先发起报送并确认数据")
	case model.NotYetConfirm:
		return refuse(err, "该期间的指标数据尚未经工商联确认完整，不能发布")
	case model.ValuesChanged:
		return refuse(err, "确认数据后又有部门报送了新值；请重新确认数据并重新测算后发布")
	}
	return refuse(err, "该测算早于数据确认，未必使用已确认的数据；请重新测算后发布")
}
