package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

type deadlineView struct {
	Kind             string  `json:"kind"`
	ID               string  `json:"id"`
	RefNo            string  `json:"ref_no"`
	Title            *string `json:"title"`
	Status           string  `json:"status"`
	StatusLabel      string  `json:"status_label"`
	Step             string  `json:"step"`
	RegionCode       string  `json:"region_code"`
	DepartmentCode   *string `json:"department_code"`
	UnitRegionCode   *string `json:"unit_region_code"`
	DueAt            string  `json:"due_at"`
	Remaining        string  `json:"remaining"`
	RemainingSeconds int64   `json:"remaining_seconds"`
	Overdue          bool    `json:"overdue"`
	Supervised       bool    `json:"supervised"`
}

func (s *Server) deadlineView(it model.DeadlineItem) deadlineView {
	m, prefix := workflow.Request, "QH"
	if it.Kind == workflow.KindLead {
		m, prefix = workflow.Lead, "XS"
	}
	st, _ := m.State(workflow.Status(it.Status))
	rem := s.cal.Remaining(s.now(), it.DueAt, it.DueWorking)
	v := deadlineView{Kind: string(it.Kind), ID: idString(it.ID),
		RefNo:  model.RefNo(prefix, it.ID, it.CreatedAt, s.cal.Location()),
		Status: it.Status, StatusLabel: st.Label, Step: st.Step, RegionCode: it.RegionCode,
		DepartmentCode: it.DepartmentCode, UnitRegionCode: it.UnitRegionCode, DueAt: s.ts(it.DueAt),
		Remaining: remainingWords(rem, dayBasis(it.DueWorking)), RemainingSeconds: int64(rem / time.Second), Overdue: it.Overdue, Supervised: it.Supervised}
	if it.Title != "" {
		v.Title = &it.Title
	}
	return v
}

func deadlineCursor(c *model.DeadlineCursor) *string {
	if c == nil {
		return nil
	}
	raw := fmt.Sprintf("d1:%d:%s:%d", c.DueAt.UnixMilli(), c.Kind, c.ID)
	out := base64.RawURLEncoding.EncodeToString([]byte(raw))
	return &out
}

func parseDeadlineCursor(s string) (*model.DeadlineCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "d1" {
		return nil, false
	}
	ms, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, ok := parseID(parts[3])
	kind := workflow.Kind(parts[2])
	if err1 != nil || !ok || (kind != workflow.KindRequest && kind != workflow.KindLead) {
		return nil, false
	}
	return &model.DeadlineCursor{DueAt: time.UnixMilli(ms).UTC(), Kind: kind, ID: id}, true
}

// deadlineParams are the query parameters of the deadline board (besides
// page_size and cursor), for GET /deadlines, its export and the console.
var deadlineParams = []string{"state", "kind", "region_code", "department_code"}

// deadlineFilter reads the board's filters from q (its errors go to q);
// paged reads page_size and cursor too.
func (s *Server) deadlineFilter(q *query, paged bool) model.DeadlineFilter {
	f := model.DeadlineFilter{State: q.values.Get("state"), Kind: workflow.Kind(q.values.Get("kind")),
		RegionCodes: s.regionFilter(q), DepartmentCode: q.values.Get("department_code")}
	switch f.State {
	case "":
		f.State = "all"
	case "all", "overdue", "due_soon":
	default:
		q.errs.Add("state", "必须是 overdue、due_soon 或 all")
	}
	switch f.Kind {
	case "", workflow.KindRequest, workflow.KindLead:
	default:
		q.errs.Add("kind", "必须是 request 或 lead")
	}
	if f.DepartmentCode != "" {
		if _, ok := s.ref.Departments[f.DepartmentCode]; !ok {
			q.errs.Add("department_code", "未知的部门代码")
		}
	}
	if !paged {
		for _, k := range []string{"page_size", "cursor"} {
			if q.values.Has(k) {
				q.errs.Add(k, "导出不分页")
			}
		}
		return f
	}
	f.Size = 20
	if v := q.values.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			q.errs.Add("page_size", "必须是 1 到 100 之间的整数")
		} else {
			f.Size = min(n, 100)
		}
	}
	if cur := q.values.Get("cursor"); cur != "" {
		after, ok := parseDeadlineCursor(cur)
		if !ok {
			q.errs.Add("cursor", "游标无效")
		}
		f.After = after
	}
	return f
}

// deadlines is the board's use case, gin-free: the open steps p may see
// under f, a page at a time (the API and the console call it).
func (s *Server) deadlines(ctx context.Context, p *principal, f model.DeadlineFilter) ([]model.DeadlineItem, *model.DeadlineCursor, error) {
	if err := s.allow(p, "deadline", "list", p.account.RegionCode); err != nil {
		return nil, nil, err
	}
	return s.store.ListDeadlines(ctx, p.scope, f)
}

// deadlineCounts counts the board of p under f by state (f.State and the
// cursor aside): the console's board and the export show them.
func (s *Server) deadlineCounts(ctx context.Context, p *principal, f model.DeadlineFilter) (model.BoardCounts, error) {
	if err := s.allow(p, "deadline", "list", p.account.RegionCode); err != nil {
		return model.BoardCounts{}, err
	}
	return s.store.CountDeadlinesByState(ctx, p.scope, f)
}

// listDeadlines is the deadline board: open steps of requests and leads the
// caller may see, most urgent first. Lead items carry no confidential field.
func (s *Server) listDeadlines(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "deadline", "list"); err != nil {
		return err
	}
	q := s.query(c, deadlineParams...)
	f := s.deadlineFilter(q, true)
	if err := q.err(); err != nil {
		return err
	}
	items, next, err := s.deadlines(c.Request.Context(), p, f)
	if err != nil {
		return err
	}
	out := make([]deadlineView, len(items))
	for i := range items {
		out[i] = s.deadlineView(items[i])
	}
	c.JSON(http.StatusOK, listView[deadlineView]{Items: out, NextCursor: deadlineCursor(next)})
	return nil
}
