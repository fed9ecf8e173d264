package api

import (
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

// Lead pages (问题线索). A lead is shown as leadDetail shows it to the API
// (the policy's lead.* field groups), so each role's page holds what its
// JSON holds and nothing more: an inspector the whole lead, a unit its
// rectification task, a reporter the status. Every page that shows a lead is
// recorded as a read first, as GET /api/v1/leads/{id} is (and, where it
// shows the timeline, as GET …/events is). Lead pages are never cached.
//
//	/leads               the list (the API's filters and cursor)
//	/leads/{id}          the lead, with the forms of leadActions
//	/leads/{id}/reads    who was shown it (inspectors)
//	/leads/new           the report form of stations and enterprises
//	/leads/new/receipt   the receipt of an anonymous report, shown once
//	/leads/lookup        the status of an anonymous lead by its receipt (public)

// noStore keeps a page out of every cache: lead pages hold confidential
// text, and the receipt page a secret.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
}

// leadsLabel is the menu's name of the lead list for p's role (线索,
// 整改任务, 我报告的线索).
func (cs *console) leadsLabel(p *principal) string {
	for _, n := range consoleNav {
		if n.Path == "/leads" && cs.s.authz.Can(p.account.Role, n.Kind, n.Act) {
			return n.Label
		}
	}
	return "线索"
}

// viewTime shows a time of a view (RFC 3339) as a page does.
func (cs *console) viewTime(s *string) string {
	if s == nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return *s
	}
	return cs.datetime(t)
}

// ruleText names an item of the interaction lists: its code, title and list.
func (cs *console) ruleText(code string) string {
	for _, r := range cs.s.ref.Raw.InteractionRules {
		if r.Code == code {
			return r.Code + " " + r.Title + "（" + interactionListLabels[r.List] + "）"
		}
	}
	return code
}

// leadListData is the lead list page.
type leadListData struct {
	Items                                 []leadRow
	Statuses, Regions, Disposals, Overdue []option
	// The columns the caller's view has: the place (lead.content), the
	// disposal (lead.investigation), the deadline (lead.rectification).
	Region, Disposal, Deadline bool
	Next, First                string
	Filtered                   bool
	Empty                      string
	// Export is the ledger of the list's filters (台账), for inspectors.
	Export string
}

type leadRow struct {
	Ref, Path, Status, StatusCode string
	Region, Disposal              string
	Anonymous                     bool
	Deadline                      *deadline
	Created, Updated              string
}

// leadList is GET /api/v1/leads as a page: the same filters, read by the
// same function (a filter on a field the role may not see answers 403), and
// each item as the API's list item shows it.
func (cs *console) leadList(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "lead", "list"); err != nil {
		return err
	}
	noStore(c)
	values := url.Values{}
	for k, vs := range c.Request.URL.Query() {
		if v := strings.TrimSpace(vs[0]); v != "" && (slices.Contains(leadListParams, k) || k == "cursor") {
			values.Set(k, v)
		}
	}
	q := cs.s.queryOf(values, leadListParams...)
	f, ferr := cs.s.leadFilter(p, q)
	if ferr != nil && toProblem(ferr).Status != http.StatusBadRequest {
		return ferr
	}
	can := func(kind string) bool { return cs.s.authz.Can(p.account.Role, kind, "read") }
	pg := cs.newPage(c, cs.leadsLabel(p))
	pg.Form = values
	d := leadListData{Region: can("lead.content"), Disposal: can("lead.investigation"), Deadline: can("lead.rectification"),
		Filtered: len(values) > 1 || (len(values) == 1 && !values.Has("cursor"))}
	if cs.s.authz.Can(p.account.Role, "lead", "export") {
		d.Export = ledgerURL("/leads/export.xlsx", values)
	}
	d.Statuses = cs.statusOptions(workflow.Lead, values.Get("status"))
	if d.Region {
		d.Regions = cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), values.Get("region_code"), "全部区划")
	}
	if d.Disposal {
		d.Disposals = []option{{Value: "", Label: "全部处置方式"}}
		for _, dp := range workflow.Disposals() {
			d.Disposals = append(d.Disposals, option{Value: dp.Code, Label: dp.Label, Selected: values.Get("disposal") == dp.Code})
		}
	}
	if d.Deadline {
		d.Overdue = options(values.Get("overdue"), [2]string{"", "不限"}, [2]string{"true", "已超期"}, [2]string{"false", "未超期"})
	}
	switch {
	case d.Region:
		d.Empty = "还没有线索。"
	case d.Deadline:
		d.Empty = "还没有交由本单位的整改任务。"
	default:
		d.Empty = "还没有实名报告的线索。匿名报告的线索请凭查询码查询。"
	}
	if d.Filtered {
		d.Empty = "没有符合条件的线索。"
	}
	status := http.StatusOK
	if ferr != nil {
		pg.Problem = cs.problem(ferr, nil)
		status = http.StatusBadRequest
	} else {
		ls, next, err := cs.s.store.ListLeads(c.Request.Context(), p.scope, f)
		if err != nil {
			return err
		}
		now := cs.s.now()
		for i := range ls {
			l := &ls[i]
			v := cs.s.leadView(p, l, leadSummary)
			row := leadRow{Ref: v.RefNo, Path: "/leads/" + v.ID, Status: v.StatusLabel, StatusCode: v.Status,
				Anonymous: v.Anonymous != nil && *v.Anonymous, Created: cs.viewTime(&v.CreatedAt), Updated: cs.viewTime(&v.UpdatedAt)}
			if v.RegionCode != nil {
				row.Region = cs.regionName(*v.RegionCode)
			}
			if v.leadDisposalView != nil && v.DisposalLabel != nil {
				row.Disposal = *v.DisposalLabel
			}
			if v.leadDeadlineView != nil && v.DueAt != nil {
				row.Deadline = cs.deadlineOf(l.DueAt, l.DueWorking, l.IsOverdue(now))
			}
			d.Items = append(d.Items, row)
		}
		if cur := cursorString(next); cur != nil {
			nv := cloneValues(values)
			nv.Set("cursor", *cur)
			d.Next = "/leads?" + nv.Encode()
		}
		if values.Has("cursor") {
			fv := cloneValues(values)
			fv.Del("cursor")
			d.First = "/leads?" + fv.Encode()
		}
	}
	pg.Data = d
	cs.render(c, status, "leads", pg)
	return nil
}

// leadPageData is a lead's page: each part is nil unless the caller's
// view of the lead (leadDetail) holds it.
type leadPageData struct {
	ID, Ref, Status, StatusCode string
	Created, Updated, Closed    string
	// Anonymous is shown to the reporter and inspectors (AnonymousShown).
	AnonymousShown, Anonymous bool
	Deadline                  *deadline
	Step                      string
	Content                   *leadContentPart
	Reporter                  *leadReporterPart
	Investigation             *leadInvestigationPart
	// TaskShown: the caller sees the rectification group; Task is the task,
	// once a unit is charged.
	TaskShown bool
	Task      *leadTaskPart
	// Events is the timeline (those who may read it).
	Events    []eventRow
	Actions   []actionForm
	ReadsPath string
	// StatusOnly: the caller sees the status and nothing else (a reporter).
	StatusOnly bool
}

type leadContentPart struct {
	Content, Evidence, Occurred, Region, Enterprise string
	SubjectDepartment, SubjectName, SubjectUsername string
	// SubjectMatched: the username names an account, which never finds the lead.
	SubjectMatched bool
	Rule           string
}

type leadReporterPart struct {
	Anonymous                     bool
	Username, Name, Role, Station string
	FeedbackDue                   string
	// The feedback recorded: how, when, what (the outcome text alone for
	// an anonymous reporter).
	FeedbackMethod, FeedbackAt, FeedbackContent string
	FeedbackGiven                               bool
}

type leadInvestigationPart struct {
	Disposal, Assessment, TransferTo, Grounds string
	Notes                                     []leadNotePart
	// Proposal is the disposal waiting for approval (报批).
	Proposal *leadProposalPart
	// Inquiry is the written inquiry (函询), once one was sent.
	Inquiry *leadInquiryPart
}

type leadInquiryPart struct {
	Unit, Letter, Sent, Due, Reply, Replied, Conclusion, Result, Concluded string
}

type leadProposalPart struct {
	Disposal, Assessment, Unit, TransferTo, Grounds string
	Days                                            int
	By, At                                          string
}

type leadNotePart struct{ At, Author, Text string }

type leadTaskPart struct {
	Unit, Due, Rule, Report, Reported string
	Days                              int
	Verification                      *leadVerificationPart
}

type leadVerificationPart struct {
	Accepted   bool
	Result, At string
}

// leadDetailPage shows a lead to whoever may read it (findLead: 404 when
// out of sight, the subject included, as GET /api/v1/leads/{id}).
func (cs *console) leadDetailPage(c *gin.Context) error {
	p := principalOf(c)
	l, err := cs.s.findLead(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	pg, err := cs.leadPage(c, p, l, nil, nil, "")
	if err != nil {
		return err
	}
	cs.render(c, http.StatusOK, "lead", pg)
	return nil
}

// leadPage records the read and builds the lead's page; after a refused
// action, open names that action's form, filled with form and showing
// problem.
func (cs *console) leadPage(c *gin.Context, p *principal, l *model.Lead, problem *formProblem, form url.Values, open workflow.Action) (*page, error) {
	ctx := c.Request.Context()
	noStore(c)
	timeline := cs.s.allow(p, "lead", "events", l.RegionCode) == nil
	if err := cs.s.store.RecordLeadRead(ctx, p.actor(), l.ID, model.ReadDetail); err != nil {
		return nil, err
	}
	if timeline {
		if err := cs.s.store.RecordLeadRead(ctx, p.actor(), l.ID, model.ReadEvents); err != nil {
			return nil, err
		}
	}
	v, err := cs.s.leadDetail(ctx, p, l)
	if err != nil {
		return nil, err
	}
	pg := cs.newPage(c, v.RefNo, crumb{cs.leadsLabel(p), "/leads"})
	d := leadPageData{ID: v.ID, Ref: v.RefNo, Status: v.StatusLabel, StatusCode: v.Status, Created: cs.viewTime(&v.CreatedAt),
		Updated: cs.viewTime(&v.UpdatedAt), Closed: cs.viewTime(v.ClosedAt), AnonymousShown: v.Anonymous != nil,
		Anonymous:  v.Anonymous != nil && *v.Anonymous,
		StatusOnly: v.leadContentView == nil && v.leadRectificationGroup == nil}
	if v.leadDeadlineView != nil && v.DueAt != nil {
		d.Deadline = cs.deadlineOf(l.DueAt, l.DueWorking, l.IsOverdue(cs.s.now()))
		d.Step = workflow.StepLabel(*v.Step)
	}
	if cv := v.leadContentView; cv != nil {
		part := &leadContentPart{Content: cv.Content, Evidence: cv.Evidence, Occurred: cs.viewTime(cv.OccurredAt),
			SubjectName: cv.SubjectName, SubjectUsername: cv.SubjectUsername, SubjectMatched: cv.SubjectAccountID != nil}
		if v.RegionCode != nil {
			part.Region = cs.regionName(*v.RegionCode)
		}
		if cv.SubjectDepartmentCode != nil {
			part.SubjectDepartment = deptShortName(deptLabel(cs.s.ref, *cv.SubjectDepartmentCode))
		}
		if cv.RuleCode != nil {
			part.Rule = cs.ruleText(*cv.RuleCode)
		}
		if cv.EnterpriseID != nil {
			if id, ok := parseID(*cv.EnterpriseID); ok {
				names, err := cs.s.store.EnterpriseNames(ctx, p.scope, id)
				if err != nil {
					return nil, err
				}
				part.Enterprise = names[id]
			}
		}
		d.Content = part
	}
	if g := v.leadReporterGroup; g != nil {
		part := &leadReporterPart{Anonymous: g.Reporter == nil, FeedbackDue: cs.viewTime(g.FeedbackDueAt)}
		if f := g.Feedback; f != nil {
			part.FeedbackGiven, part.FeedbackContent, part.FeedbackMethod, part.FeedbackAt = true, f.Content, deref(f.MethodLabel), cs.viewTime(f.At)
		}
		if r := g.Reporter; r != nil {
			part.Username, part.Name, part.Role = r.Username, r.DisplayName, roleLabels[r.Role]
			if r.StationID != nil {
				if id, ok := parseID(*r.StationID); ok {
					st, err := cs.s.store.GetStation(ctx, id)
					if err != nil && !errors.Is(err, model.ErrNotFound) {
						return nil, err
					}
					if st != nil {
						part.Station = st.Name
					}
				}
			}
		}
		d.Reporter = part
	}
	if iv := v.leadInvestigationView; iv != nil {
		part := &leadInvestigationPart{Assessment: deref(iv.Assessment), TransferTo: deref(iv.TransferTo), Grounds: deref(iv.Grounds)}
		if v.leadDisposalView != nil && v.DisposalLabel != nil {
			part.Disposal = *v.DisposalLabel
		}
		var ids []uint64
		for _, n := range iv.InvestigationNotes {
			if id, ok := parseID(n.ActorID); ok {
				ids = append(ids, id)
			}
		}
		if pr := iv.Proposal; pr != nil && pr.ProposedBy != nil {
			if id, ok := parseID(*pr.ProposedBy); ok {
				ids = append(ids, id)
			}
		}
		names, err := cs.s.store.AccountNames(ctx, ids...)
		if err != nil {
			return nil, err
		}
		for _, n := range iv.InvestigationNotes {
			id, _ := parseID(n.ActorID)
			a := names[id]
			author := a.DisplayName
			if author == "" {
				author = a.Username
			}
			at := n.At
			part.Notes = append(part.Notes, leadNotePart{At: cs.viewTime(&at), Author: author, Text: n.Notes})
		}
		if pr := iv.Proposal; pr != nil {
			pp := &leadProposalPart{Disposal: pr.DisposalLabel, Assessment: pr.Assessment, TransferTo: deref(pr.TransferTo),
				Grounds: deref(pr.Grounds), At: cs.viewTime(&pr.ProposedAt)}
			if pr.DepartmentCode != nil && pr.UnitRegionCode != nil {
				pp.Unit = cs.unitName(pr.DepartmentCode, pr.UnitRegionCode)
			}
			if pr.Days != nil {
				pp.Days = *pr.Days
			}
			if pr.ProposedBy != nil {
				id, _ := parseID(*pr.ProposedBy)
				pp.By = names[id].DisplayName
				if pp.By == "" {
					pp.By = names[id].Username
				}
			}
			part.Proposal = pp
		}
		if q := iv.Inquiry; q != nil {
			part.Inquiry = &leadInquiryPart{Unit: cs.unitName(&q.DepartmentCode, &q.UnitRegionCode), Letter: q.Letter,
				Sent: cs.viewTime(q.SentAt), Due: cs.viewTime(q.DueAt), Reply: deref(q.Reply), Replied: cs.viewTime(q.RepliedAt),
				Conclusion: deref(q.ConclusionLabel), Result: deref(q.Result), Concluded: cs.viewTime(q.ConcludedAt)}
		}
		d.Investigation = part
	}
	if g := v.leadRectificationGroup; g != nil {
		d.TaskShown = true
		if r := g.Rectification; r != nil {
			task := &leadTaskPart{Unit: cs.unitName(&r.DepartmentCode, &r.UnitRegionCode), Days: r.Days, Due: cs.viewTime(r.DueAt),
				Report: deref(r.Report), Reported: cs.viewTime(r.ReportedAt)}
			if r.RuleCode != nil {
				task.Rule = cs.ruleText(*r.RuleCode)
			}
			if vr := r.Verification; vr != nil {
				at := vr.At
				task.Verification = &leadVerificationPart{Accepted: vr.Accepted, Result: vr.Result, At: cs.viewTime(&at)}
			}
			d.Task = task
		}
	}
	if timeline {
		evs, _, err := cs.s.store.ListEvents(ctx, workflow.KindLead, l.ID, 0, 500)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			d.Events = append(d.Events, cs.eventRow(&evs[i]))
		}
	}
	for _, it := range cs.s.leadActions(p, l) {
		f := cs.leadActionForm(p, l, it)
		if workflow.Action(it.Action) == open {
			f.refill(problem, form)
		}
		d.Actions = append(d.Actions, f)
	}
	if cs.s.allow(p, "lead", "reads", l.RegionCode) == nil {
		d.ReadsPath = "/leads/" + d.ID + "/reads"
	}
	pg.Data = d
	return pg, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// leadShowWhen shows a field of a lead action only while another field has
// one of some values, for rules that the API checks beyond the workflow
// table: verify takes new days only when the rectification is not accepted
// (leadChecks). The decision's fields follow the disposal by
// workflow.DisposalFields.
var leadShowWhen = map[workflow.Action]map[string][2]string{
	workflow.LeadVerify: {"days": {"accepted=false", "整改未通过时填写；不填则沿用上次的整改期限"}},
}

// leadActionForm is actionForm for a lead action, with the choices of its
// fields and the fields that follow a choice.
func (cs *console) leadActionForm(p *principal, l *model.Lead, it transitionItem) actionForm {
	a := workflow.Action(it.Action)
	f := cs.actionForm(p, l.RegionCode, l.Version, it, workflow.Lead)
	followsDisposal := slices.Contains(it.Fields, "disposal")
	for i := range f.Fields {
		fl := &f.Fields[i]
		switch fl.Name {
		case "days":
			fl.Max = cs.s.store.RectifyMaxDays()
			fl.Hint = "1–" + strconv.Itoa(fl.Max) + " 个工作日"
		case "disposal":
			fl.Options = []option{{Value: "", Label: "请选择处置方式"}}
			approval := cs.s.ref.Raw.LeadLimits.Approval
			for _, dp := range workflow.Disposals() {
				effect := "（交由单位整改）"
				switch {
				case dp.Closes:
					effect = "（决策后办结）"
				case dp.Inquiry:
					effect = "（向单位发函，限期书面回复）"
				}
				if a == workflow.LeadDecide && workflow.NeedsApproval(approval, dp.Code) {
					effect = "（须报批）"
				}
				fl.Options = append(fl.Options, option{Value: dp.Code, Label: dp.Label + effect})
			}
		case "accepted":
			fl.Options = []option{{Value: "true", Label: "整改到位，予以办结"}, {Value: "false", Label: "整改未到位，退回重新整改"}}
		case "conclusion":
			for _, c := range workflow.InquiryConclusions() {
				fl.Options = append(fl.Options, option{Value: c[0], Label: c[1]})
			}
		case "method", "feedback_at":
			// a named reporter's feedback says how and when (the workflow
			// requires both)
			fl.Needed = true
			if fl.Name == "method" {
				fl.Options = []option{{Value: "", Label: "请选择反馈方式"}}
				for _, m := range workflow.FeedbackMethods() {
					fl.Options = append(fl.Options, option{Value: m[0], Label: m[1]})
				}
			}
		case "content":
			if a == workflow.LeadRecordFeedback && l.Anonymous {
				fl.Label, fl.Hint, fl.Max = "办理结果", "报告人凭查询码可见，不超过 "+strconv.Itoa(workflow.MaxOutcomeText)+" 字", workflow.MaxOutcomeText
			} else if a == workflow.LeadRecordFeedback {
				fl.Hint = "向报告人反馈的内容；报告人查看线索时可见"
			}
		}
		if w, ok := leadShowWhen[a][fl.Name]; ok {
			fl.ShowWhen, fl.When = w[0], w[1]
		}
		if followsDisposal && fl.Name != "disposal" && !fl.Required {
			var codes, labels []string
			for _, dp := range workflow.Disposals() {
				if slices.Contains(workflow.DisposalFields(dp.Code), fl.Name) {
					codes, labels = append(codes, dp.Code), append(labels, dp.Label)
				}
			}
			fl.ShowWhen, fl.Needed = "disposal="+strings.Join(codes, ","), true
			fl.When = "处置方式为" + strings.Join(labels, "、") + "时填写"
		}
	}
	if a == workflow.LeadRecordFeedback && l.Anonymous {
		// the reporter of an anonymous lead is reached through its receipt
		// only: the outcome text alone
		f.Fields = slices.DeleteFunc(f.Fields, func(fl actionField) bool { return fl.Name == "method" || fl.Name == "feedback_at" })
	}
	return f
}

// leadAct takes the action a lead page's form sent, through leadAction (as
// POST /api/v1/leads/{id}/transitions), with the version the page showed.
func (cs *console) leadAct(c *gin.Context) error {
	p := principalOf(c)
	form := formValues(c)
	ctx := c.Request.Context()
	cmd, expected, err := consoleCommand(workflow.Lead, form, cs.s.cal.Location())
	if err == nil {
		err = cs.attachUpload(c, p, &cmd)
	}
	if err == nil {
		_, err = cs.s.leadAction(ctx, p, c.Param("id"), cmd, expected)
	}
	if err == nil {
		redirect(c, "/leads/"+c.Param("id")+"?done="+url.QueryEscape(string(cmd.Action)))
		return nil
	}
	status := toProblem(err).Status
	if status != http.StatusBadRequest && status != http.StatusConflict {
		return err
	}
	l, ferr := cs.s.findLead(ctx, p, c.Param("id"), "read")
	if ferr != nil {
		return ferr
	}
	fp := cs.problem(err, formLabels(workflow.Lead, cmd.Action))
	pg, perr := cs.leadPage(c, p, l, fp, form, cmd.Action)
	if perr != nil {
		return perr
	}
	pg.Problem = fp
	cs.render(c, status, "lead", pg)
	return nil
}

// readWhat names what a read showed, in the order a line lists them.
var readWhat = map[string]string{model.ReadDetail: "线索详情", model.ReadEvents: "办理过程", model.ReadTransition: "办理操作后的结果", model.ReadFile: "下载附件"}

var readOrder = []string{"线索详情", "办理过程", "办理操作后的结果"}

type leadReadsData struct {
	Ref, Path   string
	Rows        []leadReadRow
	Next, First string
}

type leadReadRow struct {
	At, Username, Name, Role string
	What                     []string
}

// leadReadsPage is GET /api/v1/leads/{id}/reads as a page (inspectors of
// the lead's region); like the API's list, showing it is not itself a
// read. Reads of one account at the same second (a page that showed the
// detail and the timeline) are one line.
func (cs *console) leadReadsPage(c *gin.Context) error {
	p := principalOf(c)
	ctx := c.Request.Context()
	l, err := cs.s.findLead(ctx, p, c.Param("id"), "reads")
	if err != nil {
		return err
	}
	noStore(c)
	values := url.Values{}
	if cur := c.Query("cursor"); cur != "" {
		values.Set("cursor", cur)
	}
	q := cs.s.queryOf(values)
	pageQ := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pageQ.Size = 50
	rows, next, err := cs.s.store.ListLeadReads(ctx, l.ID, pageQ)
	if err != nil {
		return err
	}
	ref := model.RefNo("XS", l.ID, l.CreatedAt, cs.s.cal.Location())
	path := "/leads/" + idString(l.ID)
	pg := cs.newPage(c, "查阅记录", crumb{cs.leadsLabel(p), "/leads"}, crumb{ref, path})
	d := leadReadsData{Ref: ref, Path: path}
	var prevAt time.Time
	var prevAccount uint64
	for _, r := range rows {
		what := readWhat[r.What]
		if what == "" {
			what = r.What
		}
		sec := r.At.Truncate(time.Second)
		if n := len(d.Rows); n > 0 && r.AccountID == prevAccount && sec.Equal(prevAt) {
			if last := &d.Rows[n-1]; !slices.Contains(last.What, what) {
				last.What = append(last.What, what)
			}
			continue
		}
		prevAt, prevAccount = sec, r.AccountID
		d.Rows = append(d.Rows, leadReadRow{At: r.At.In(cs.s.cal.Location()).Format(time.DateTime), Username: r.Username,
			Name: r.DisplayName, Role: roleLabels[r.Role], What: []string{what}})
	}
	for i := range d.Rows {
		slices.SortFunc(d.Rows[i].What, func(a, b string) int { return slices.Index(readOrder, a) - slices.Index(readOrder, b) })
	}
	if cur := cursorString(next); cur != nil {
		d.Next = path + "/reads?cursor=" + url.QueryEscape(*cur)
	}
	if values.Has("cursor") {
		d.First = path + "/reads"
	}
	pg.Data = d
	cs.render(c, http.StatusOK, "lead_reads", pg)
	return nil
}
