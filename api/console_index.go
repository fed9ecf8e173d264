package api

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// The 亲清健康指数 in the console (docs/index-method.md): for 工商联, the
// runs of the index (测算, 审核, 发布) and the questionnaire's returns;
// for departments, the upload of their submitted values; for every role,
// the indicator tree in force. Each page calls the use case of the API
// route it stands for (computeRun, publish, storeValues, findRun,
// runDetail, regionReport), so the console allows what the API allows and
// refuses with the API's problem.

// indexRunRow is a run in the list.
type indexRunRow struct {
	ID, Period, Status, Method, Tree, AsOf, Created, Published string
	Version                                                    int
	Draft, Provisional                                         bool
}

type indexHomeData struct {
	Periods []optGroup
	Runs    []indexRunRow
	Next    string
}

func (cs *console) runRow(r *model.IndexRun) indexRunRow {
	row := indexRunRow{ID: idString(r.ID), Period: periodLabel(r.Period), Version: r.Version, Status: runStatusLabels[r.Status],
		Method: methodLabels[r.Method], Tree: r.TreeVersion, AsOf: cs.datetime(r.AsOf), Created: cs.datetime(r.CreatedAt),
		Draft: r.Status == model.RunDraft, Provisional: r.Provisional}
	if r.PublishedAt != nil {
		row.Published = cs.datetime(*r.PublishedAt)
	}
	return row
}

// defaultPeriod is the current quarter, the period a form proposes.
func (cs *console) defaultPeriod() string {
	now := cs.s.now().In(cs.s.cal.Location())
	return strconv.Itoa(now.Year()) + "-Q" + strconv.Itoa((int(now.Month())-1)/3+1)
}

// indexHome lists the runs (newest first) with the form that computes a
// new one: GET /index/runs and POST /index/runs.
func (cs *console) indexHome(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "index_run", "read"); err != nil {
		return err
	}
	q := cs.s.queryOf(c.Request.URL.Query(), "done")
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	if err := cs.s.allow(p, "index_run", "read", ""); err != nil {
		return err
	}
	return cs.renderIndexHome(c, page, nil)
}

func (cs *console) renderIndexHome(c *gin.Context, page model.Page, failed error) error {
	runs, next, err := cs.s.store.ListRuns(c.Request.Context(), "", "", page)
	if err != nil {
		return err
	}
	pg := cs.newPage(c, "亲清指数测算")
	period := cs.defaultPeriod()
	status := http.StatusOK
	if failed != nil {
		pg.Problem = cs.problem(failed, map[string]string{"period": "测算期间"})
		pg.Form = formValues(c)
		period = pg.Form.Get("period")
		status = toProblem(failed).Status
	}
	d := indexHomeData{Periods: cs.periodOptions(cs.s.now().In(cs.s.cal.Location()), period)}
	for i := range runs {
		d.Runs = append(d.Runs, cs.runRow(&runs[i]))
	}
	if next != 0 {
		d.Next = "/index?cursor=" + url.QueryEscape(*cursorString(next))
	}
	pg.Data = d
	cs.render(c, status, "index_runs", pg)
	return nil
}

// indexCompute computes a run of the period chosen (POST /index/runs) and
// shows it for review.
func (cs *console) indexCompute(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "index_run", "create"); err != nil {
		return err
	}
	run, err := cs.s.computeRun(c.Request.Context(), p, strings.TrimSpace(c.PostForm("period")))
	if err != nil {
		if toProblem(err).Status != http.StatusBadRequest {
			return err
		}
		return cs.renderIndexHome(c, model.Page{Size: 20}, err)
	}
	redirect(c, "/index/runs/"+idString(run.ID)+"?done=computed")
	return nil
}

// indexConfirm confirms the chosen period's values (POST
// /index/periods/{period}/confirm), opening its collection first when
// 工商联 never did (POST /index/periods, default due date), so that a run
// computed afterwards may be published.
func (cs *console) indexConfirm(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "index_period", "confirm"); err != nil {
		return err
	}
	err := cs.s.confirm(c.Request.Context(), p, strings.TrimSpace(c.PostForm("period")), c.PostForm("accept_missing") == "on", true)
	if err != nil {
		if st := toProblem(err).Status; st != http.StatusBadRequest && st != http.StatusConflict {
			return err
		}
		return cs.renderIndexHome(c, model.Page{Size: 20}, err)
	}
	redirect(c, "/index?done=confirmed")
	return nil
}

// indexRunData is a run under review: its ranking per peer group, each
// unit linking to its report.
type indexRunData struct {
	Run        indexRunRow
	Indicators []nodeRefView
	Groups     []groupView
	Missing    int
	Leaves     int
	Publish    bool
	Base       string
}

// indexRun shows a run for review (GET /index/runs/{id}), with the 发布
// button while it is a draft.
func (cs *console) indexRun(c *gin.Context) error {
	lr, err := cs.s.loadPathRun(c)
	if err != nil {
		return err
	}
	run := lr.run
	det, err := cs.s.runDetail(lr)
	if err != nil {
		return err
	}
	row := cs.runRow(run)
	pg := cs.newPage(c, row.Period+" 第 "+strconv.Itoa(row.Version)+" 版", crumb{"亲清指数测算", "/index"})
	d := indexRunData{Run: row, Indicators: det.Indicators, Groups: det.Groups, Base: "/index/runs/" + row.ID,
		Publish: row.Draft && cs.s.authz.Can(principalOf(c).account.Role, "index_run", "publish")}
	for _, l := range det.Values {
		d.Leaves++
		for _, u := range l.Units {
			if u.Missing {
				d.Missing++
				break
			}
		}
	}
	pg.Data = d
	cs.render(c, http.StatusOK, "index_run", pg)
	return nil
}

// indexPublish publishes the run (POST /index/runs/{id}/publish).
func (cs *console) indexPublish(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "index_run", "publish"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	if _, err := cs.s.publish(c.Request.Context(), p, id); err != nil {
		return err
	}
	redirect(c, "/index/runs/"+idString(id)+"?done=published")
	return nil
}

// indexRunRegion is a unit's report in a run, drafts included (GET
// /index/runs/{id}/regions/{code}): what the public page will show once
// the run is published.
func (cs *console) indexRunRegion(c *gin.Context) error {
	lr, err := cs.s.loadPathRun(c)
	if err != nil {
		return err
	}
	run := lr.run
	rep, err := cs.s.regionReport(lr, c.Param("code"))
	if err != nil {
		return err
	}
	row := cs.runRow(run)
	base := "/index/runs/" + row.ID
	pg := cs.newPage(c, rep.Region.Name, crumb{"亲清指数测算", "/index"},
		crumb{row.Period + " 第 " + strconv.Itoa(row.Version) + " 版", base})
	pg.Data = cs.reportData(rep, base, !row.Draft)
	cs.render(c, http.StatusOK, "index_report", pg)
	return nil
}

// The indicator tree.

type treeRow struct {
	Code, Name, Source, Unit, Owner, Direction string
	Weight                                     string
	Level                                      int
	Leaf                                       bool
}

type treeData struct {
	Version, Method string
	MinCases        int
	MinResponses    []string
	Rows            []treeRow
}

// indicatorTree shows the tree in force (GET /indicators), level by level.
func (cs *console) indicatorTree(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "indicator", "read"); err != nil {
		return err
	}
	if err := cs.s.allow(p, "indicator", "read", ""); err != nil {
		return err
	}
	tree, _, err := cs.s.store.ActiveTree(c.Request.Context())
	if err != nil {
		return err
	}
	d := treeData{Version: tree.Version, Method: methodLabels[tree.Method], MinCases: tree.MinCases}
	for _, g := range groupOrder {
		if n, ok := tree.MinResponses[g]; ok {
			d.MinResponses = append(d.MinResponses, fmt.Sprintf("%s %d 份", groupLabels[g], n))
		}
	}
	for _, n := range flatten(tree) {
		r := treeRow{Code: n.Code, Name: n.Name, Weight: strconv.FormatFloat(n.Weight, 'f', -1, 64), Level: n.level, Leaf: n.IsLeaf()}
		if r.Leaf {
			r.Source, r.Unit = sourceLabel(n.Source), n.Unit
			if n.Owner != "" {
				r.Owner = deptLabel(cs.s.ref, n.Owner)
			}
			r.Direction = map[string]string{"higher": "越高越好", "lower": "越低越好"}[n.Direction]
		}
		d.Rows = append(d.Rows, r)
	}
	pg := cs.newPage(c, "指标体系")
	pg.Data = d
	cs.render(c, http.StatusOK, "index_tree", pg)
	return nil
}

// Submitted values.

// maxValuesUpload bounds the uploaded CSV file (10 000 rows fit easily).
const maxValuesUpload = 2 << 20

type valuesData struct {
	Department string
	Leaves     []treeRow
	Result     *submissionView
}

// valuesPage is a department's upload form (POST /indicator-values with
// a CSV file), listing the indicators the department submits.
func (cs *console) valuesPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "indicator_value", "submit"); err != nil {
		return err
	}
	if p.account.DepartmentCode == nil {
		return policy.ErrForbidden
	}
	return cs.renderValues(c, p, http.StatusOK, nil, nil)
}

func (cs *console) renderValues(c *gin.Context, p *principal, status int, result *submissionView, failed error) error {
	tree, _, err := cs.s.store.ActiveTree(c.Request.Context())
	if err != nil {
		return err
	}
	dept := *p.account.DepartmentCode
	d := valuesData{Department: deptLabel(cs.s.ref, dept), Result: result}
	for _, n := range flatten(tree) {
		if n.IsLeaf() && n.Source == configs.SourceSubmitted && n.Owner == dept {
			lo, hi := n.ValueRange()
			d.Leaves = append(d.Leaves, treeRow{Code: n.Code, Name: n.Name, Unit: n.Unit,
				Weight: fmtNum(lo) + " – " + fmtNum(hi)})
		}
	}
	pg := cs.newPage(c, "指标值报送")
	if failed != nil {
		pg.Problem = cs.problem(failed, nil)
		// The API's detail says the whole file was refused.
		pg.Problem.Detail = toProblem(failed).Detail
		for i, f := range pg.Problem.Fields {
			pg.Problem.Fields[i].Label = valueFieldLabel(f.Field)
		}
	}
	pg.Data = d
	cs.render(c, status, "index_values", pg)
	return nil
}

var rowField = regexp.MustCompile(`^rows\[(\d+)\](?:\.(\w+))?$`)

// valueFieldLabel names a field of a submission's problem: 第 3 行 · 数值.
func valueFieldLabel(field string) string {
	m := rowField.FindStringSubmatch(field)
	if m == nil {
		return map[string]string{"body": "文件", "header": "表头", "file": "文件"}[field] + ""
	}
	label := "第 " + m[1] + " 行"
	if col := map[string]string{"indicator_code": "指标代码", "region_code": "区划代码", "period": "期间", "value": "数值"}[m[2]]; col != "" {
		label += " · " + col
	} else if m[2] != "" {
		label += " · " + m[2]
	}
	return label
}

// valuesUpload stores the uploaded CSV file's values, or shows every bad
// row as the API names it.
func (cs *console) valuesUpload(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "indicator_value", "submit"); err != nil {
		return err
	}
	if p.account.DepartmentCode == nil {
		return policy.ErrForbidden
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return cs.renderValues(c, p, http.StatusBadRequest, nil, workflow.Invalid("file", "请选择要上传的 CSV 文件"))
	}
	if fh.Size > maxValuesUpload {
		return cs.renderValues(c, p, http.StatusBadRequest, nil, workflow.Invalid("file", "文件不能超过 2 MB"))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	in := &valueInput{}
	if err := readValuesCSV(io.LimitReader(f, maxValuesUpload), in); err != nil {
		return cs.renderValues(c, p, toProblem(err).Status, nil, err)
	}
	out, err := cs.s.storeValues(c.Request.Context(), p, in)
	if err != nil {
		if toProblem(err).Status != http.StatusBadRequest {
			return err
		}
		return cs.renderValues(c, p, http.StatusBadRequest, nil, err)
	}
	return cs.renderValues(c, p, http.StatusOK, &out, nil)
}

// The questionnaire's returns.

type surveyRow struct {
	Unit, Group string
	N, Min      int
	Enough      bool
}

type surveyData struct {
	Periods []optGroup
	Period  string
	Rows    []surveyRow
	Enough  int
}

// surveyStatus counts the questionnaire's responses of a period per
// evaluated unit against the tree's minimum for its peer group (below it
// the unit's survey indicators are missing in a run): 工商联, as the runs.
func (cs *console) surveyStatus(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "index_run", "read"); err != nil {
		return err
	}
	q := cs.s.queryOf(c.Request.URL.Query(), "period")
	period := q.str("period", 8)
	if period == "" {
		period = cs.defaultPeriod()
	} else if _, err := model.ParsePeriod(period, cs.s.cal.Location()); err != nil {
		q.errs.Add("period", "期间格式应为 2026、2026-Q3 或 2026-11")
	}
	if err := q.err(); err != nil {
		return err
	}
	if err := cs.s.allow(p, "index_run", "read", ""); err != nil {
		return err
	}
	ctx := c.Request.Context()
	tree, _, err := cs.s.store.ActiveTree(ctx)
	if err != nil {
		return err
	}
	counts, err := cs.s.store.SurveyResponseCounts(ctx, period)
	if err != nil {
		return err
	}
	d := surveyData{Periods: cs.periodOptions(cs.s.now().In(cs.s.cal.Location()), period), Period: periodLabel(period)}
	for _, u := range cs.s.store.EvaluatedUnits() {
		r := surveyRow{Unit: u.Name, Group: groupLabels[u.Group], Min: tree.MinResponses[u.Group]}
		for _, code := range u.Scope {
			r.N += counts[code]
		}
		r.Enough = r.N >= r.Min
		if r.Enough {
			d.Enough++
		}
		d.Rows = append(d.Rows, r)
	}
	pg := cs.newPage(c, "问卷回收情况", crumb{"亲清指数测算", "/index"})
	pg.Data = d
	cs.render(c, http.StatusOK, "index_surveys", pg)
	return nil
}

// The region report, shared by the review and the public pages.

type reportData struct {
	R      regionReportView
	Chart  template.HTML
	Base   string
	Draft  bool
	Level1 []nodeScoreView
	Public bool
	CSV    string
	XLSX   string
	Period string
	AsOf   string
}

// reportData prepares a unit's report: its level-1 scores drawn as bars
// (missing ones as missing), every node in the table.
func (cs *console) reportData(rep regionReportView, base string, published bool) reportData {
	d := reportData{R: rep, Base: base, Draft: !published, Period: periodLabel(rep.Period), AsOf: rep.AsOf}
	if t, err := time.Parse(time.RFC3339Nano, rep.AsOf); err == nil {
		d.AsOf = cs.datetime(t)
	}
	chart := barChart{ID: "level1", Title: rep.Region.Name + " 一级指标得分", Unit: "分", Horizontal: true,
		Desc: "各一级指标得分（百分制）及其在" + rep.Region.GroupLabel + "中的位次"}
	for _, s := range rep.Scores {
		if s.Level != 1 {
			continue
		}
		d.Level1 = append(d.Level1, s)
		b := chartBar{Label: s.Name, Value: s.Score}
		if s.Rank != nil {
			b.Note = fmt.Sprintf("第 %d 名 / %d", *s.Rank, s.N)
		}
		chart.Bars = append(chart.Bars, b)
	}
	if len(chart.Bars) > 0 {
		d.Chart = chart.SVG()
	}
	return d
}
