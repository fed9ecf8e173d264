package api

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Request pages: the list (the API's filters and cursor), the detail with
// its timeline and the forms of the actions requestActions offers, and the
// filing form of enterprises and stations.

// option is one choice of a select or a set of radio buttons.
type option struct {
	Value, Label string
	Selected     bool
}

func options(current string, pairs ...[2]string) []option {
	out := make([]option, len(pairs))
	for i, p := range pairs {
		out[i] = option{Value: p[0], Label: p[1], Selected: p[0] == current}
	}
	return out
}

// requestListData is the request list page.
type requestListData struct {
	Items                         []requestRow
	Statuses, Regions, Categories []option
	Overdue                       []option
	// Next is the next page's URL ("" on the last), First the first page's
	// (set on a later page).
	Next, First string
	Filtered    bool
	// Export is the ledger of the list's filters (台账).
	Export string
}

type requestRow struct {
	workItem
	Category, Created string
}

// requestList is GET /api/v1/requests as a page: the same filters, parsed
// by the same function, and the same pages.
func (cs *console) requestList(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "request", "list"); err != nil {
		return err
	}
	// A form sends every field, filled in or not: an empty one is no filter.
	values := url.Values{}
	for k, vs := range c.Request.URL.Query() {
		if v := strings.TrimSpace(vs[0]); v != "" && (slices.Contains(requestListParams, k) || k == "cursor") {
			values.Set(k, v)
		}
	}
	q := cs.s.queryOf(values, requestListParams...)
	f := cs.s.requestFilter(q)
	pg := cs.newPage(c, "诉求")
	pg.Form = values
	d := requestListData{Filtered: len(values) > 1 || (len(values) == 1 && !values.Has("cursor")),
		Export: ledgerURL("/requests/export.xlsx", values)}
	d.Statuses = cs.statusOptions(workflow.Request, values.Get("status"))
	d.Categories = []option{{Value: "", Label: "全部类别"}}
	for _, cat := range cs.s.ref.CatList {
		d.Categories = append(d.Categories, option{Value: cat.Code, Label: cat.Name, Selected: values.Get("category") == cat.Code})
	}
	d.Overdue = options(values.Get("overdue"), [2]string{"", "不限"}, [2]string{"true", "已超期"}, [2]string{"false", "未超期"})
	if p.role() != workflow.RoleEnterprise && p.role() != workflow.RoleStation {
		d.Regions = cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), values.Get("region_code"), "全部区划")
	}
	status := http.StatusOK
	if err := q.err(); err != nil {
		pg.Problem = cs.problem(err, nil)
		status = toProblem(err).Status
	} else {
		rs, next, err := cs.s.store.ListRequests(c.Request.Context(), p.scope, f)
		if err != nil {
			return err
		}
		items, err := cs.requestItems(c.Request.Context(), p, rs)
		if err != nil {
			return err
		}
		for i := range rs {
			d.Items = append(d.Items, requestRow{workItem: items[i], Category: cs.categoryName(rs[i].Category),
				Created: cs.datetime(rs[i].CreatedAt)})
		}
		if c := cursorString(next); c != nil {
			nv := cloneValues(values)
			nv.Set("cursor", *c)
			d.Next = "/requests?" + nv.Encode()
		}
		if values.Has("cursor") {
			fv := cloneValues(values)
			fv.Del("cursor")
			d.First = "/requests?" + fv.Encode()
		}
	}
	pg.Data = d
	cs.render(c, status, "requests", pg)
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// statusOptions are the states of m to filter by; a combination of
// several (from a link of 我的待办) is offered as it is.
func (cs *console) statusOptions(m *workflow.Machine, current string) []option {
	out := []option{{Value: "", Label: "全部状态"}}
	found := current == ""
	for _, st := range m.States {
		sel := string(st.Status) == current
		found = found || sel
		out = append(out, option{Value: string(st.Status), Label: st.Label, Selected: sel})
	}
	if !found {
		var labels []string
		for _, s := range strings.Split(current, ",") {
			labels = append(labels, m.Label(workflow.Status(s)))
		}
		out = append(out, option{Value: current, Label: strings.Join(labels, "、"), Selected: true})
	}
	return out
}

// regionOptions offers codes (in the reference order, indented by level),
// after a first choice named none ("" for no first choice).
func (cs *console) regionOptions(codes []string, current, none string) []option {
	var out []option
	if none != "" {
		out = append(out, option{Value: "", Label: none})
	}
	for _, r := range cs.s.ref.RegionList {
		if !slices.Contains(codes, r.Code) {
			continue
		}
		indent := ""
		switch r.Level {
		case "county", "zone":
			indent = "　"
		case "town":
			indent = "　　"
		}
		out = append(out, option{Value: r.Code, Label: indent + r.Name, Selected: r.Code == current})
	}
	return out
}

// requestDetailData is the request page.
type requestDetailData struct {
	ID, Ref, Title, Content, Status, StatusCode string
	Enterprise, Category, Region, Unit          string
	Created, Closed                             string
	Deadline                                    *deadline
	Step                                        string
	Supervised                                  bool
	ReopenCount, ReturnCount, PendingExtension  int
	Response                                    string
	Evaluation                                  *evaluationView
	Events                                      []eventRow
	Actions                                     []actionForm
	// MergedInto links the request this one was merged into.
	MergedInto *similarRow
	// Similar are the possible repeats, shown to whoever may merge; Version
	// is the request's, for their merge buttons.
	Similar []similarRow
	Version int
}

// similarRow is a possible repeat on a request's page.
type similarRow struct {
	ID, Ref, Title, Status, Created, Score string
	SameEnterprise, Mergeable              bool
}

// eventRow is one entry of the timeline.
type eventRow struct {
	Action, Actor, At string
	Details           []detail
	// Files are the attachments the event attached, to download.
	Files []fileLink
}

type fileLink struct{ Name, Path, Size string }

type detail struct{ Label, Value string }

// requestDetail shows a request to whoever may read it (findRequest: 404
// when out of sight, as GET /api/v1/requests/{id}).
func (cs *console) requestDetail(c *gin.Context) error {
	p := principalOf(c)
	r, err := cs.s.findRequest(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	pg, err := cs.requestPage(c, p, r, nil, nil, "")
	if err != nil {
		return err
	}
	cs.render(c, http.StatusOK, "request", pg)
	return nil
}

// requestPage builds the request page; after a refused action, open names
// that action's form, filled with form and showing problem.
func (cs *console) requestPage(c *gin.Context, p *principal, r *model.Request, problem *formProblem, form url.Values, open workflow.Action) (*page, error) {
	ctx := c.Request.Context()
	ref := model.RefNo("QH", r.ID, r.CreatedAt, cs.s.cal.Location())
	pg := cs.newPage(c, ref, crumb{"诉求", "/requests"})
	st, _ := workflow.Request.State(workflow.Status(r.Status))
	d := requestDetailData{ID: idString(r.ID), Ref: ref, Title: r.Title, Content: r.Content, Status: st.Label,
		StatusCode: r.Status, Category: cs.categoryName(r.Category), Region: cs.regionName(r.RegionCode),
		Unit: cs.unitName(r.DepartmentCode, r.UnitRegionCode), Created: cs.datetime(r.CreatedAt),
		Supervised: r.Supervised, ReopenCount: r.ReopenCount, ReturnCount: r.ReturnCount,
		PendingExtension: r.PendingExtensionDays, Response: r.Response}
	if r.ClosedAt != nil {
		d.Closed = cs.datetime(*r.ClosedAt)
	}
	if st.Open {
		d.Deadline = cs.deadlineOf(r.DueAt, r.DueWorking, r.IsOverdue(cs.s.now()))
		d.Step = workflow.StepLabel(st.Step)
	}
	if r.EvaluationScore != nil && r.EvaluatedAt != nil {
		d.Evaluation = &evaluationView{Score: *r.EvaluationScore, ScoreLabel: scoreLabels[*r.EvaluationScore],
			Comment: r.EvaluationComment, At: cs.datetime(*r.EvaluatedAt)}
	}
	names, err := cs.s.store.EnterpriseNames(ctx, p.scope, r.EnterpriseID)
	if err != nil {
		return nil, err
	}
	d.Enterprise = names[r.EnterpriseID]
	evs, _, err := cs.s.store.ListEvents(ctx, workflow.KindRequest, r.ID, 0, 500)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		d.Events = append(d.Events, cs.eventRow(&evs[i]))
	}
	mayMerge := false
	for _, it := range cs.s.requestActions(p, r) {
		f := cs.actionForm(p, r.RegionCode, r.Version, it, workflow.Request)
		if workflow.Action(it.Action) == open {
			f.refill(problem, form)
		}
		d.Actions = append(d.Actions, f)
		mayMerge = mayMerge || it.Action == string(workflow.Merge)
	}
	d.Version = r.Version
	if r.MergedInto != nil {
		d.MergedInto = &similarRow{ID: idString(*r.MergedInto)}
		if t, err := cs.s.findRequest(ctx, p, idString(*r.MergedInto), "read"); err == nil {
			d.MergedInto.Ref, d.MergedInto.Title = model.RefNo("QH", t.ID, t.CreatedAt, cs.s.cal.Location()), t.Title
		}
	}
	if mayMerge {
		sims, err := cs.s.similar(ctx, p, r)
		if err != nil {
			return nil, err
		}
		for _, x := range sims {
			d.Similar = append(d.Similar, similarRow{ID: x.ID, Ref: x.RefNo, Title: x.Title, Status: x.StatusLabel,
				Created: x.CreatedAt, Score: strconv.FormatFloat(x.Score, 'f', 2, 64), SameEnterprise: x.SameEnterprise, Mergeable: x.Mergeable})
		}
	}
	pg.Data = d
	return pg, nil
}

// eventLabels name the fields of event payloads on the timeline; payloadOrder
// is the order they are shown in.
var eventLabels = map[string]string{
	"department_code": "承办部门", "region_code": "承办单位所在区划", "score": "评分", "comment": "评价意见",
	"response": "答复内容", "content": "补充内容", "reason": "理由", "note": "意见", "days": "延期",
	"due_at": "办理期限", "step": "环节",
	"notes": "调查核实情况", "assessment": "评估意见", "disposal": "处置方式", "transfer_to": "移送机关",
	"grounds": "容错免责依据", "report": "整改情况报告", "accepted": "回访结论", "result": "回访结果",
	"letter": "函询函内容", "reply": "函询回复", "conclusion": "了结方式", "method": "反馈方式", "feedback_at": "反馈时间",
	"target_id": "合并至诉求", "source_id": "并入的重复诉求", "dispatch": "派单方式",
	"co_units": "协办单位", "opinion": "协办意见",
}

var payloadOrder = []string{"department_code", "region_code", "score", "comment", "response", "content", "reason",
	"note", "notes", "assessment", "disposal", "transfer_to", "grounds", "letter", "reply", "conclusion", "method", "feedback_at",
	"report", "accepted", "result", "days", "step", "due_at", "target_id", "source_id", "dispatch", "co_units", "opinion"}

func (cs *console) eventRow(e *model.Event) eventRow {
	row := eventRow{Action: workflow.ActionLabel(workflow.Action(e.Action)), At: cs.datetime(e.At)}
	switch e.ActorRole {
	case string(workflow.RoleSystem):
		row.Actor = "系统"
	case model.AnonymousRole:
		row.Actor = "匿名报告人"
	default:
		row.Actor = roleLabels[e.ActorRole]
	}
	var payload map[string]any
	if json.Unmarshal([]byte(e.Payload), &payload) != nil {
		return row
	}
	if fs, ok := payload["files"].([]any); ok {
		for _, x := range fs {
			m, _ := x.(map[string]any)
			id, _ := m["id"].(string)
			name, _ := m["name"].(string)
			size, _ := m["size"].(float64)
			if id != "" {
				row.Files = append(row.Files, fileLink{Name: name, Path: "/files/" + id, Size: sizeText(int64(size))})
			}
		}
	}
	// A unit is a department and a region: one line.
	if d, ok := payload["department_code"].(string); ok {
		for _, rk := range []string{"region_code", "unit_region_code"} {
			if r, ok := payload[rk].(string); ok {
				label := "承办单位"
				if rk == "unit_region_code" {
					label = "整改单位"
				}
				row.Details = append(row.Details, detail{Label: label, Value: cs.unitName(&d, &r)})
				delete(payload, "department_code")
				delete(payload, rk)
			}
		}
	}
	for _, k := range payloadOrder {
		v, ok := payload[k]
		if !ok {
			continue
		}
		s := cs.payloadValue(k, v)
		label := eventLabels[k]
		if k == "days" && e.CaseKind == string(workflow.KindLead) {
			label = "整改期限"
		}
		if k == "result" && workflow.Action(e.Action) == workflow.LeadConcludeInquiry {
			label = "了结意见"
		}
		if s != "" {
			row.Details = append(row.Details, detail{Label: label, Value: s})
		}
	}
	return row
}

func (cs *console) payloadValue(k string, v any) string {
	switch x := v.(type) {
	case []any: // co_units: the units, named
		var names []string
		for _, u := range x {
			m, _ := u.(map[string]any)
			d, _ := m["department_code"].(string)
			r, _ := m["region_code"].(string)
			names = append(names, cs.unitName(&d, &r))
		}
		return strings.Join(names, "、")
	case string:
		switch k {
		case "department_code":
			return deptLabel(cs.s.ref, x)
		case "region_code":
			return cs.regionName(x)
		case "step":
			return workflow.StepLabel(x)
		case "conclusion":
			if l := workflow.InquiryConclusionLabel(x); l != "" {
				return l
			}
		case "method":
			if l := workflow.FeedbackMethodLabel(x); l != "" {
				return l
			}
		case "feedback_at":
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				return cs.datetime(t)
			}
		case "disposal":
			if d, ok := workflow.DisposalByCode(x); ok {
				return d.Label
			}
		case "dispatch":
			if l, ok := dispatchLabels[x]; ok {
				return l
			}
		case "due_at":
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				return cs.datetime(t)
			}
		}
		return x
	case float64:
		n := int(x)
		switch k {
		case "score":
			return strconv.Itoa(n) + " 星（" + scoreLabels[n] + "）"
		case "days":
			return strconv.Itoa(n) + " 个工作日"
		}
		return strconv.Itoa(n)
	case bool:
		if k == "accepted" {
			if x {
				return "整改到位，予以办结"
			}
			return "整改未到位，重新整改"
		}
	}
	return ""
}

// actionForm is the form of one action the caller may take now.
type actionForm struct {
	Action, Label string
	Fields        []actionField
	// Multipart: the form sends a file (enctype multipart/form-data).
	Multipart bool
	// Confirm asks before sending (an action that cannot be undone).
	Confirm string
	// Open: shown unfolded, after it was refused (Problem).
	Open    bool
	Problem *formProblem
	Version int
}

// refill opens f after it was refused with problem, filled with form.
func (f *actionForm) refill(problem *formProblem, form url.Values) {
	f.Open, f.Problem = true, problem
	for i := range f.Fields {
		fl := &f.Fields[i]
		fl.Value = form.Get(fl.Name)
		fl.Error = problem.For(fl.Name)
		for j := range fl.Options {
			fl.Options[j].Selected = fl.Options[j].Value == fl.Value
		}
	}
}

// actionField is one input of an action form.
type actionField struct {
	Name, Label, Input, Hint string
	Required                 bool
	Max                      int
	Value, Error             string
	Options                  []option
	// ShowWhen ("field=value1,value2") shows the field only while another
	// field of the form has one of those values (console.js); When says so
	// in words for a browser without the script. Needed: while shown, the
	// field must be filled in (it is not marked optional).
	ShowWhen, When string
	Needed         bool
}

// fieldSpec says how a body field is asked for: its label, its input
// (text, textarea, department, unit_region, select, radio, stars, days,
// datetime), a hint and the longest text (for days: the most days). Which fields an action takes is its
// workflow row's (Require, Optional); this only words them.
type fieldSpec struct {
	Label, Input, Hint string
	Max                int
}

var actionFieldSpecs = map[string]fieldSpec{
	"department_code": {Label: "承办部门", Input: "department"},
	"region_code":     {Label: "承办单位所在区划", Input: "unit_region", Hint: "企业所在地或其上级区划"},
	"note":            {Label: "意见", Input: "textarea", Max: 5000},
	"reason":          {Label: "理由", Input: "textarea", Max: 5000},
	"response":        {Label: "答复内容", Input: "textarea", Max: 5000},
	"comment":         {Label: "评价意见", Input: "textarea", Max: 5000},
	"content":         {Label: "补充内容", Input: "textarea", Max: 5000},
	"score":           {Label: "满意度", Input: "stars", Hint: "3 星及以上办结；1–2 星退回原单位重办"},
	"days":            {Label: "延期天数（工作日）", Input: "days", Hint: "1–30 个工作日", Max: workflow.MaxExtensionDays},
	"due_at":          {Label: "新的办理期限", Input: "datetime", Hint: "北京时间，须晚于现在；不填则不改期限"},
	// Lead actions (console_leads.go words them further per action).
	"notes":            {Label: "调查核实情况", Input: "textarea", Max: 5000, Hint: "每次提交追加一条调查记录"},
	"assessment":       {Label: "评估意见", Input: "textarea", Max: 5000},
	"disposal":         {Label: "处置方式", Input: "select"},
	"unit_region_code": {Label: "整改单位所在区划", Input: "unit_region", Hint: "线索发生地或其上级区划"},
	"transfer_to":      {Label: "移送机关", Input: "text", Max: 200, Hint: "接收线索的机关，如：区纪委监委第二审查调查室"},
	"grounds":          {Label: "容错免责依据", Input: "textarea", Max: 5000},
	"report":           {Label: "整改情况报告", Input: "textarea", Max: 5000},
	"accepted":         {Label: "回访结论", Input: "radio"},
	"result":           {Label: "回访结果", Input: "textarea", Max: 5000},
	"subject_username": {Label: "涉及人员的平台账号", Input: "text", Max: 64},
	"letter":           {Label: "函询函内容", Input: "textarea", Max: 5000, Hint: "发往被函询单位，要求其在规定期限内书面说明"},
	"reply":            {Label: "函询回复内容", Input: "textarea", Max: 5000, Hint: "被函询单位的书面回复；逾期未回复的如实登记"},
	"conclusion":       {Label: "了结方式", Input: "radio"},
	"method":           {Label: "反馈方式", Input: "select"},
	"feedback_at":      {Label: "反馈时间", Input: "datetime", Hint: "北京时间，不晚于现在、不早于办结"},
	"file_ids":         {Label: "附件", Input: "file", Hint: "一个文件：PDF、JPG、PNG、OFD、DOCX 或 XLSX"},
	"opinion":          {Label: "协办意见", Input: "textarea", Max: 5000, Hint: "供主办单位参考；答复仍由主办单位作出"},
	"co_units":         {Label: "协办单位", Input: "text", Max: 200, Hint: "部门代码@区划代码，多个用分号分隔，如 sw@330203;zjj@330200"},
	"target_id":        {Label: "合并至诉求（系统ID）", Input: "text", Max: 20, Hint: "同一企业的另一件诉求；本诉求将以“已合并”办结，由该诉求继续办理"},
}

// decisionLabels word the fields of a decision, taken or proposed.
var decisionLabels = map[string]string{"department_code": "整改或函询单位（部门）", "unit_region_code": "整改或函询单位所在区划",
	"days": "整改期限（工作日）"}

// actionLabels word a field for one action where the general label would
// be vague.
var actionLabels = map[workflow.Action]map[string]string{
	workflow.Assign:               {"note": "交办意见"},
	workflow.Reject:               {"reason": "不予受理的理由"},
	workflow.Return:               {"reason": "退回理由"},
	workflow.RequestExtension:     {"reason": "延期理由"},
	workflow.ApproveExtension:     {"note": "审批意见"},
	workflow.DenyExtension:        {"note": "驳回意见"},
	workflow.Withdraw:             {"reason": "撤回原因"},
	workflow.Supervise:            {"note": "督办意见"},
	workflow.LeadRegister:         {"note": "登记意见"},
	workflow.LeadDismiss:          {"reason": "不予受理的理由"},
	workflow.LeadDecide:           decisionLabels,
	workflow.LeadProposeDisposal:  decisionLabels,
	workflow.LeadApproveDisposal:  {"note": "审批意见"},
	workflow.LeadConcludeInquiry:  {"result": "了结意见"},
	workflow.LeadRecordFeedback:   {"content": "反馈内容"},
	workflow.LeadSendBackDisposal: {"reason": "退回理由"},
	workflow.LeadVerify:           {"days": "新的整改期限（工作日）"},
	workflow.LeadReopen:           {"reason": "重新启动的理由"},
	workflow.LeadSetSubject:       {"subject_username": "被反映人用户名", "subject_name": "被反映人姓名或单位", "note": "说明"},
	workflow.LeadRecuse:           {"reason": "回避事由"},
}

// formLabels are the labels of action a's fields as its form shows them.
func formLabels(m *workflow.Machine, a workflow.Action) map[string]string {
	out := map[string]string{}
	for _, f := range m.Fields(a) {
		out[f] = fieldLabel(f)
		if l := actionFieldSpecs[f].Label; l != "" {
			out[f] = l
		}
		if l := actionLabels[a][f]; l != "" {
			out[f] = l
		}
	}
	return out
}

// dispatchLabels word how an assignment followed the 派单目录.
var dispatchLabels = map[string]string{
	workflow.DispatchFollowed: "采用派单目录建议", workflow.DispatchOverridden: "未采用派单目录建议",
	workflow.DispatchNone: "派单目录无对应单位", workflow.DispatchAuto: "按派单目录自动交办",
}

// actionConfirms are asked before actions that end or undo something.
var actionConfirms = map[workflow.Action]string{
	workflow.Reject:              "确定不予受理该诉求？",
	workflow.Return:              "确定退回该诉求？退回后将重新受理并计一次退单。",
	workflow.Withdraw:            "确定撤回该诉求？撤回后不能恢复。",
	workflow.LeadDismiss:         "确定不予受理该线索？",
	workflow.LeadDecide:          "确定作出该决策？决策作出后不能修改；须报批的处置方式将提交另一名纪检监察人员审批。",
	workflow.LeadProposeDisposal: "确定提交该处置意见报批？",
	workflow.LeadApproveDisposal: "确定同意该处置意见？同意后即作为决策生效，不能修改。",
}

// actionForm builds the form of it, an action on a case of machine m in
// region at version.
func (cs *console) actionForm(p *principal, region string, version int, it transitionItem, m *workflow.Machine) actionForm {
	a := workflow.Action(it.Action)
	t, _ := m.Transition(a)
	f := actionForm{Action: it.Action, Label: it.Label, Confirm: actionConfirms[a], Version: version}
	labels := formLabels(m, a)
	for _, name := range it.Fields {
		spec := actionFieldSpecs[name]
		if spec.Input == "" {
			spec = fieldSpec{Label: fieldLabel(name), Input: "text", Max: 200}
		}
		fl := actionField{Name: name, Label: labels[name], Input: spec.Input, Hint: spec.Hint, Max: spec.Max,
			Required: slices.Contains(t.Require, name)}
		offered := it.Defaults[name]
		if name == "department_code" && offered != "" {
			fl.Hint = "派单目录建议：" + cs.unitName(new(it.Defaults["department_code"]), new(it.Defaults["region_code"]))
		}
		switch spec.Input {
		case "department":
			fl.Options = []option{{Value: "", Label: "请选择部门"}}
			for _, d := range cs.s.ref.DeptList {
				fl.Options = append(fl.Options, option{Value: d.Code, Label: deptShortName(d.Name), Selected: d.Code == offered})
			}
		case "unit_region":
			// The regions with jurisdiction over the case (its own and
			// those above it) that lie within the caller's. An optional
			// choice starts empty, so that it can be left out.
			var codes []string
			for code := region; code != ""; code = cs.s.ref.Parents[code] {
				if cs.s.authz.Within(code, p.account.RegionCode) {
					codes = append(codes, code)
				}
			}
			none := ""
			if fl.Required {
				fl.Value = cmp.Or(offered, region)
			} else {
				none = "请选择区划"
			}
			fl.Options = cs.regionOptions(codes, fl.Value, none)
		case "stars":
			for n := 5; n >= 1; n-- {
				fl.Options = append(fl.Options, option{Value: strconv.Itoa(n), Label: strconv.Itoa(n) + " 星 " + scoreLabels[n]})
			}
		}
		f.Fields = append(f.Fields, fl)
		f.Multipart = f.Multipart || spec.Input == "file"
	}
	return f
}

// requestAct takes the action a request page's form sent, through
// requestAction (as POST /api/v1/requests/{id}/transitions), with the
// version the page showed: a request changed since answers 409 and the
// page shows it as it is now.
func (cs *console) requestAct(c *gin.Context) error {
	p := principalOf(c)
	form := formValues(c)
	ctx := c.Request.Context()
	cmd, expected, err := consoleCommand(workflow.Request, form, cs.s.cal.Location())
	if err == nil {
		err = cs.attachUpload(c, p, &cmd)
	}
	if err == nil {
		_, err = cs.s.requestAction(ctx, p, c.Param("id"), cmd, expected)
	}
	if err == nil {
		redirect(c, "/requests/"+c.Param("id")+"?done="+url.QueryEscape(string(cmd.Action)))
		return nil
	}
	status := toProblem(err).Status
	if status != http.StatusBadRequest && status != http.StatusConflict {
		return err
	}
	r, ferr := cs.s.findRequest(ctx, p, c.Param("id"), "read")
	if ferr != nil {
		return ferr
	}
	fp := cs.problem(err, formLabels(workflow.Request, cmd.Action))
	pg, perr := cs.requestPage(c, p, r, fp, form, cmd.Action)
	if perr != nil {
		return perr
	}
	pg.Problem = fp
	cs.render(c, status, "request", pg)
	return nil
}

// consoleCommand reads an action form into the command a JSON client
// would send: the fields of the action's workflow row that were filled in
// (a field left empty is absent, so a required one is refused as missing),
// numbers and times parsed, and expected_version.
func consoleCommand(m *workflow.Machine, form url.Values, loc *time.Location) (workflow.Command, *int, error) {
	cmd := workflow.Command{Action: workflow.Action(form.Get("action"))}
	t, ok := m.Transition(cmd.Action)
	if !ok {
		return cmd, nil, workflow.Invalid("action", "未知的操作")
	}
	var v workflow.ValidationError
	for _, name := range append(slices.Clone(t.Require), t.Optional...) {
		val := strings.TrimSpace(form.Get(name))
		if val == "" {
			continue
		}
		cmd.Present = append(cmd.Present, name)
		switch name {
		case "days", "score":
			n, err := strconv.Atoi(val)
			if err != nil {
				v.Add(name, "须为整数")
			}
			if name == "days" {
				cmd.Days = n
			} else {
				cmd.Score = n
			}
		case "due_at", "feedback_at":
			at, err := time.ParseInLocation("2006-01-02T15:04", val, loc)
			if err != nil {
				v.Add(name, "须为日期和时间，例如 2026-12-01 17:00")
			}
			if name == "due_at" {
				cmd.DueAt = &at
			} else {
				cmd.FeedbackAt = &at
			}
		case "accepted":
			b := val == "true"
			cmd.Accepted = &b
		default:
			setText(&cmd, name, form.Get(name))
		}
	}
	var expected *int
	if ev := form.Get("expected_version"); ev != "" {
		n, err := strconv.Atoi(ev)
		if err != nil {
			v.Add("expected_version", "须为整数")
		}
		expected = &n
	}
	slices.Sort(cmd.Present)
	return cmd, expected, v.Err()
}

// setText sets the text field name of cmd (Command.Text's counterpart).
func setText(cmd *workflow.Command, name, val string) {
	switch name {
	case "note":
		cmd.Note = val
	case "reason":
		cmd.Reason = val
	case "response":
		cmd.Response = val
	case "comment":
		cmd.Comment = val
	case "content":
		cmd.Content = val
	case "department_code":
		cmd.DepartmentCode = val
	case "region_code":
		cmd.RegionCode = val
	case "notes":
		cmd.Notes = val
	case "assessment":
		cmd.Assessment = val
	case "disposal":
		cmd.Disposal = val
	case "unit_region_code":
		cmd.UnitRegionCode = val
	case "transfer_to":
		cmd.TransferTo = val
	case "grounds":
		cmd.Grounds = val
	case "report":
		cmd.Report = val
	case "result":
		cmd.Result = val
	case "letter":
		cmd.Letter = val
	case "reply":
		cmd.Reply = val
	case "conclusion":
		cmd.Conclusion = val
	case "method":
		cmd.Method = val
	case "target_id":
		cmd.TargetID = val
	case "opinion":
		cmd.Opinion = val
	case "co_units":
		cmd.CoUnits = workflow.DecodeUnits(val)
		if len(cmd.CoUnits) == 0 {
			cmd.CoUnits = []workflow.Unit{{}} // unreadable: refused as incomplete
		}
	}
}

// requestNewData is the filing form.
type requestNewData struct {
	Categories []option
	// Enterprises are those a station may file for (nil for an enterprise,
	// which files for itself); EnterpriseQ narrows them by name.
	Enterprises    []option
	EnterpriseQ    string
	MoreEnterprise bool
	Station        bool
	// Key is the form's Idempotency-Key: sending it twice files once.
	Key string
}

// enterpriseChoices is how many enterprises the station's form offers at
// once; a name search narrows a longer list.
const enterpriseChoices = 200

func (cs *console) requestNew(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "request", "create"); err != nil {
		return err
	}
	pg := cs.newPage(c, "提交诉求", crumb{"诉求", "/requests"})
	if err := cs.fillNew(c, p, pg, url.Values{}); err != nil {
		return err
	}
	cs.render(c, http.StatusOK, "request_new", pg)
	return nil
}

func (cs *console) fillNew(c *gin.Context, p *principal, pg *page, form url.Values) error {
	d := requestNewData{Station: p.role() == workflow.RoleStation, EnterpriseQ: strings.TrimSpace(c.Query("enterprise_q")),
		Key: form.Get("key")}
	if d.Key == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		d.Key = base64.RawURLEncoding.EncodeToString(b[:])
	}
	d.Categories = []option{{Value: "", Label: "请选择类别"}}
	for _, cat := range cs.s.ref.CatList {
		d.Categories = append(d.Categories, option{Value: cat.Code, Label: cat.Name + "（" + complexityLabels[cat.Complexity] + "）",
			Selected: form.Get("category") == cat.Code})
	}
	if d.Station {
		es, next, err := cs.s.store.ListEnterprises(c.Request.Context(), p.scope,
			model.EnterpriseFilter{Name: d.EnterpriseQ, Page: model.Page{Size: enterpriseChoices}})
		if err != nil {
			return err
		}
		d.MoreEnterprise = next != 0
		d.Enterprises = []option{{Value: "", Label: "请选择企业"}}
		for _, e := range es {
			d.Enterprises = append(d.Enterprises, option{Value: idString(e.ID), Label: e.Name + "（" + e.USCC + "）",
				Selected: form.Get("enterprise_id") == idString(e.ID)})
		}
	}
	pg.Form = form
	pg.Data = d
	return nil
}

var complexityLabels = map[string]string{"simple": "简易", "complex": "复杂"}

// requestFile files the form through fileRequest (as POST
// /api/v1/requests), with the form's key as Idempotency-Key: a form sent
// twice files one request.
func (cs *console) requestFile(c *gin.Context) error {
	p := principalOf(c)
	form := formValues(c)
	b := createRequestBody{Title: form.Get("title"), Content: form.Get("content"), Category: form.Get("category")}
	if p.role() == workflow.RoleStation {
		id := form.Get("enterprise_id")
		b.EnterpriseID = &id
		if id == "" {
			b.EnterpriseID = nil
		}
	}
	var idem *model.Idempotency
	if key := form.Get("key"); key != "" && len(key) <= 64 {
		body, _ := json.Marshal(b) // without the file: a resent form replays the first answer
		idem = idempotency("console:"+key, body)
	}
	var cmd workflow.Command
	err := cs.attachUpload(c, p, &cmd)
	b.FileIDs = cmd.FileIDs
	var r *model.Request
	var stored *model.StoredResponse
	if err == nil {
		r, stored, err = cs.s.fileRequest(c.Request.Context(), p, b, idem)
	}
	if err != nil {
		st := toProblem(err).Status
		reused := errors.Is(err, model.ErrIdempotencyMismatch)
		if st != http.StatusBadRequest && !reused {
			return err
		}
		pg := cs.newPage(c, "提交诉求", crumb{"诉求", "/requests"})
		if reused {
			// This form was sent before, with other content (the browser's
			// Back button): a new key files it as a new request, if sent again.
			form.Del("key")
		}
		if ferr := cs.fillNew(c, p, pg, form); ferr != nil {
			return ferr
		}
		pg.Problem = cs.problem(err, map[string]string{"enterprise_id": "企业"})
		if reused {
			pg.Problem.Detail = "这张表单已经提交过一件诉求。如确需再提交一件新的诉求，请核对内容后再次点击“提交诉求”。"
		}
		cs.render(c, st, "request_new", pg)
		return nil
	}
	id := ""
	if r != nil {
		id = idString(r.ID)
	} else if stored != nil {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(stored.Body, &v); err != nil || v.ID == "" {
			return errors.New("console: a replayed filing without an id")
		}
		id = v.ID
	}
	redirect(c, "/requests/"+id+"?done=filed")
	return nil
}
