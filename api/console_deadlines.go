package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// The deadline board (期限看板): GET /api/v1/deadlines as a page — the same
// filters read by the same function (deadlineFilter), the same use case
// (deadlines), the counts by state, and the XLSX export of the same
// filters (deadlines_export.go).

// boardRow is one open step as the board and its export show it. A lead
// has no title: its content is confidential.
type boardRow struct {
	Ref, Kind, Title, Path string
	Status, Step           string
	Region, Unit           string
	Supervised             bool
	Deadline               *deadline
}

// boardPath is the console page of a board item: a request's page, a
// lead's page (/leads/{id}).
func boardPath(kind workflow.Kind, id uint64) string {
	if p := casePath(kind, id); p != "" {
		return p
	}
	return "/leads/" + idString(id)
}

// boardRow words a board item, from the fields the API's item carries.
func (cs *console) boardRow(it model.DeadlineItem) boardRow {
	m, prefix, kind := workflow.Request, "QH", "诉求"
	if it.Kind == workflow.KindLead {
		m, prefix, kind = workflow.Lead, "XS", "问题线索"
	}
	st, _ := m.State(workflow.Status(it.Status))
	due := it.DueAt
	return boardRow{Ref: model.RefNo(prefix, it.ID, it.CreatedAt, cs.s.cal.Location()), Kind: kind, Title: it.Title,
		Path: boardPath(it.Kind, it.ID), Status: st.Label, Step: workflow.StepLabel(st.Step), Region: cs.regionName(it.RegionCode),
		Unit: cs.unitName(it.DepartmentCode, it.UnitRegionCode), Supervised: it.Supervised,
		Deadline: cs.deadlineOf(&due, it.DueWorking, it.Overdue)}
}

// boardCount is one state of the board with its count; Path shows its
// items (none for the items neither overdue nor due soon, which the
// board's state filter does not name).
type boardCount struct {
	Label, Mark, Path string
	N                 int64
	Current           bool
}

type boardData struct {
	Counts                                 []boardCount
	Total                                  int64
	States, Kinds, Regions, Departments    []option
	Rows                                   []boardRow
	Next, First, Export, Clear, StateLabel string
	Filtered                               bool
}

// boardValues keeps the board's parameters that are filled in: a form
// sends every field, and an empty one is no filter.
func boardValues(c *gin.Context, paged bool) url.Values {
	values := url.Values{}
	for k, vs := range c.Request.URL.Query() {
		if v := strings.TrimSpace(vs[0]); v != "" && (slices.Contains(deadlineParams, k) || (paged && k == "cursor")) {
			values.Set(k, v)
		}
	}
	return values
}

// deadlineBoard is the board page.
func (cs *console) deadlineBoard(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "deadline", "list"); err != nil {
		return err
	}
	values := boardValues(c, true)
	q := cs.s.queryOf(values, deadlineParams...)
	f := cs.s.deadlineFilter(q, true)
	pg := cs.newPage(c, "期限看板")
	pg.Form = values
	d := boardData{Filtered: len(values) > 1 || (len(values) == 1 && !values.Has("cursor")), Clear: "/deadlines"}
	d.States = options(values.Get("state"), [2]string{"", "全部"}, [2]string{"overdue", "已超期"}, [2]string{"due_soon", "即将到期"})
	if cs.s.authz.Can(p.account.Role, "lead", "list") {
		d.Kinds = options(values.Get("kind"), [2]string{"", "诉求和线索"}, [2]string{"request", "诉求"}, [2]string{"lead", "问题线索"})
	}
	d.Regions = cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), values.Get("region_code"), "全部区划")
	if p.role() != workflow.RoleDepartment {
		d.Departments = []option{{Value: "", Label: "全部部门"}}
		for _, dep := range cs.s.ref.DeptList {
			d.Departments = append(d.Departments, option{Value: dep.Code, Label: dep.Name, Selected: values.Get("department_code") == dep.Code})
		}
	}
	status := http.StatusOK
	if err := q.err(); err != nil {
		pg.Problem = cs.problem(err, boardLabels)
		status = toProblem(err).Status
		pg.Data = d
		cs.render(c, status, "deadlines", pg)
		return nil
	}
	ctx := c.Request.Context()
	items, next, err := cs.s.deadlines(ctx, p, f)
	if err != nil {
		return err
	}
	counts, err := cs.boardCounts(ctx, p, f)
	if err != nil {
		return err
	}
	for _, it := range items {
		d.Rows = append(d.Rows, cs.boardRow(it))
	}
	link := func(state string) string {
		v := cloneValues(values)
		v.Del("cursor")
		v.Del("state")
		if state != "" {
			v.Set("state", state)
		}
		if len(v) == 0 {
			return "/deadlines"
		}
		return "/deadlines?" + v.Encode()
	}
	d.Total = counts.Total()
	d.Counts = []boardCount{
		{Label: "全部", Path: link(""), N: counts.Total(), Current: f.State == "all"},
		{Label: "已超期", Mark: "red", Path: link("overdue"), N: counts.Overdue, Current: f.State == "overdue"},
		{Label: "即将到期", Mark: "amber", Path: link("due_soon"), N: counts.DueSoon, Current: f.State == "due_soon"},
		{Label: "未到期", Mark: "green", N: counts.Others},
	}
	d.StateLabel = map[string]string{"all": "全部", "overdue": "已超期", "due_soon": "即将到期"}[f.State]
	if cur := deadlineCursor(next); cur != nil {
		nv := cloneValues(values)
		nv.Set("cursor", *cur)
		d.Next = "/deadlines?" + nv.Encode()
	}
	if values.Has("cursor") {
		d.First = link(values.Get("state"))
	}
	ev := cloneValues(values)
	ev.Del("cursor")
	d.Export = "/deadlines/export.xlsx"
	if len(ev) > 0 {
		d.Export += "?" + ev.Encode()
	}
	pg.Data = d
	cs.render(c, status, "deadlines", pg)
	return nil
}

// boardLabels name the board's filters in its refusals.
var boardLabels = map[string]string{"state": "期限状态", "kind": "类别", "region_code": "区划",
	"department_code": "部门", "cursor": "分页位置", "page_size": "每页条数"}

// deadlineExport is the board's XLSX export for the console: the filters
// of the page it was linked from, the workbook of GET
// /api/v1/deadlines/export.xlsx.
func (cs *console) deadlineExport(c *gin.Context) error {
	return cs.s.sendDeadlineXLSX(c, principalOf(c), boardValues(c, false))
}

// boardCounts are the board's counts by state, from the figure cache: on a
// large database they count every open case of the scope (0.1–0.3 s for the
// city's 144,000 open requests among a million).
func (cs *console) boardCounts(ctx context.Context, p *principal, f model.DeadlineFilter) (model.BoardCounts, error) {
	f.State, f.After, f.Size = "", nil, 0
	key := fmt.Sprintf("board|%+v|%+v", p.scope, f)
	v, _, err := cs.figures.get(ctx, key, func(ctx context.Context) (any, error) {
		return cs.s.deadlineCounts(ctx, p, f)
	})
	if err != nil {
		return model.BoardCounts{}, err
	}
	return v.(model.BoardCounts), nil
}
