package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// 我的待办: per role, the cases waiting for this account now, the most
// urgent first. The lists are views, not permissions: what the account
// sees is the store's scope, what it may do is the case page's
// (requestActions).

// homeList is one list of 我的待办: cases of Kind in the states Filter
// names. More is the query of the request list that shows all of them.
type homeList struct {
	Title, Empty string
	Kind         workflow.Kind
	Filter       model.WaitingFilter
	More         string
}

func statuses(st ...workflow.Status) []string {
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = string(s)
	}
	return out
}

// homeLists says what 我的待办 lists for each role.
var homeLists = map[workflow.Role][]homeList{
	workflow.RoleEnterprise: {
		{Title: "待我评价", Empty: "没有待评价的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Responded)}, More: "status=responded"},
		{Title: "办理中的诉求（可补充材料）", Empty: "没有办理中的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Submitted, workflow.Assigned, workflow.InProgress)},
			More:   "status=submitted,assigned,in_progress"},
	},
	workflow.RoleStation: {
		{Title: "本站代办、尚未办结的诉求", Empty: "没有尚未办结的代办诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Submitted, workflow.Assigned, workflow.InProgress, workflow.Responded)},
			More:   "status=submitted,assigned,in_progress,responded"},
	},
	workflow.RoleACFIC: {
		{Title: "待受理", Empty: "没有待受理的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Submitted)}, More: "status=submitted"},
		{Title: "待审批的延期申请", Empty: "没有待审批的延期申请。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.InProgress), PendingExtension: true}},
		{Title: "本辖区已超期", Empty: "本辖区没有超期的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Submitted, workflow.Assigned, workflow.InProgress), Overdue: true},
			More:   "overdue=true"},
	},
	workflow.RoleDepartment: {
		{Title: "待签收", Empty: "没有待签收的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Assigned), OwnUnit: true}},
		{Title: "待答复", Empty: "没有待答复的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.InProgress), OwnUnit: true}},
		{Title: "整改任务", Empty: "没有进行中的整改任务。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadRectifying), OwnUnit: true}, More: "status=rectifying"},
	},
	workflow.RoleInspector: {
		{Title: "待登记的线索", Empty: "没有待登记的线索。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadReportedStatus)}, More: "status=reported"},
		{Title: "待决策的线索", Empty: "没有待决策的线索。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadRegistered, workflow.LeadInvestigating)},
			More:   "status=registered,investigating"},
		{Title: "待我审批的处置意见", Empty: "没有待审批的处置意见。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadPendingApproval), Reviewable: true}},
		{Title: "函询中的线索", Empty: "没有函询中的线索。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadInquiring, workflow.LeadInquiryReplied)},
			More:   "status=inquiring,inquiry_replied"},
		{Title: "待回访的线索", Empty: "没有待回访的线索。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadVerifying)}, More: "status=verifying"},
		{Title: "待反馈报告人的线索", Empty: "没有待反馈的线索。", Kind: workflow.KindLead,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.LeadClosed, workflow.LeadDismissed), Due: true}},
		{Title: "可督办的超期诉求", Empty: "本辖区没有超期的诉求。", Kind: workflow.KindRequest,
			Filter: model.WaitingFilter{Statuses: statuses(workflow.Assigned, workflow.InProgress), Overdue: true},
			More:   "status=assigned,in_progress&overdue=true"},
	},
}

// casePath is the console page of a case; "" while the console has no page
// for its kind (the item is then shown without a link).
func casePath(kind workflow.Kind, id uint64) string {
	switch kind {
	case workflow.KindRequest:
		return "/requests/" + idString(id)
	case workflow.KindLead:
		return "/leads/" + idString(id)
	}
	return ""
}

// worklist is a homeList as shown.
type worklist struct {
	Title, Empty string
	Items        []workItem
	More         bool
	MoreURL      string
}

// workItem is one case of a worklist or list: its reference, title (none
// for a lead: its content is confidential), state and deadline.
type workItem struct {
	Ref, Title, Path, Status string
	// Sub says whose it is (the enterprise, the unit), Flags what else to
	// know (督办, an extension waiting, 重办).
	Sub      string
	Flags    []string
	Deadline *deadline
}

type homeData struct {
	Lists    []worklist
	Accounts *accountOverview
	// Board: the role has the deadline board (a link to it).
	Board bool
}

func (cs *console) home(c *gin.Context) error {
	p := principalOf(c)
	ctx := c.Request.Context()
	d := homeData{Board: cs.s.authz.Can(p.account.Role, "deadline", "list")}
	for _, hl := range homeLists[p.role()] {
		wl, err := cs.worklist(ctx, p, hl)
		if err != nil {
			return err
		}
		d.Lists = append(d.Lists, wl)
	}
	if p.role() == workflow.RoleAdmin {
		ov, err := cs.accountOverview(ctx, p)
		if err != nil {
			return err
		}
		d.Accounts = ov
	}
	pg := cs.newPage(c, "我的待办")
	pg.Data = d
	cs.render(c, http.StatusOK, "home", pg)
	return nil
}

func (cs *console) worklist(ctx context.Context, p *principal, hl homeList) (worklist, error) {
	wl := worklist{Title: hl.Title, Empty: hl.Empty}
	if hl.More != "" {
		wl.MoreURL = "/" + string(hl.Kind) + "s?" + hl.More
	}
	now := cs.s.now()
	switch hl.Kind {
	case workflow.KindRequest:
		rs, more, err := cs.s.store.WaitingRequests(ctx, p.scope, hl.Filter)
		if err != nil {
			return wl, err
		}
		wl.More = more
		items, err := cs.requestItems(ctx, p, rs)
		if err != nil {
			return wl, err
		}
		wl.Items = items
	case workflow.KindLead:
		ls, more, err := cs.s.store.WaitingLeads(ctx, p.scope, hl.Filter)
		if err != nil {
			return wl, err
		}
		wl.More = more
		for i := range ls {
			l := &ls[i]
			wl.Items = append(wl.Items, workItem{Ref: model.RefNo("XS", l.ID, l.CreatedAt, cs.s.cal.Location()),
				Path: casePath(workflow.KindLead, l.ID), Status: workflow.Lead.Label(workflow.Status(l.Status)),
				// past due, also for the feedback step of a closed lead
				Deadline: cs.deadlineOf(l.DueAt, l.DueWorking, l.Overdue || (l.DueAt != nil && now.After(*l.DueAt)))})
		}
	}
	return wl, nil
}

// requestItems shows requests as list items, with their enterprises' names
// (those the caller may see) and their units.
func (cs *console) requestItems(ctx context.Context, p *principal, rs []model.Request) ([]workItem, error) {
	names := map[uint64]string{}
	if p.role() != workflow.RoleEnterprise && len(rs) > 0 {
		ids := make([]uint64, len(rs))
		for i := range rs {
			ids[i] = rs[i].EnterpriseID
		}
		var err error
		if names, err = cs.s.store.EnterpriseNames(ctx, p.scope, ids...); err != nil {
			return nil, err
		}
	}
	now := cs.s.now()
	out := make([]workItem, len(rs))
	for i := range rs {
		r := &rs[i]
		it := workItem{Ref: model.RefNo("QH", r.ID, r.CreatedAt, cs.s.cal.Location()), Title: r.Title,
			Path: casePath(workflow.KindRequest, r.ID), Status: workflow.Request.Label(workflow.Status(r.Status)),
			Sub: names[r.EnterpriseID]}
		if st, _ := workflow.Request.State(workflow.Status(r.Status)); st.Open {
			it.Deadline = cs.deadlineOf(r.DueAt, r.DueWorking, r.IsOverdue(now))
		}
		if u := cs.unitName(r.DepartmentCode, r.UnitRegionCode); u != "" {
			if it.Sub != "" {
				it.Sub += " · "
			}
			it.Sub += "承办：" + u
		}
		if r.Supervised {
			it.Flags = append(it.Flags, "督办")
		}
		if r.PendingExtensionDays > 0 {
			it.Flags = append(it.Flags, "申请延期 "+strconv.Itoa(r.PendingExtensionDays)+" 个工作日")
		}
		if r.ReopenCount > 0 {
			it.Flags = append(it.Flags, "重办")
		}
		out[i] = it
	}
	return out, nil
}

// unitName names a handling unit: 海曙区 市场监管局 (a department in a
// region), or the department's own name at the city (市市场监管局).
func (cs *console) unitName(dept, region *string) string {
	if dept == nil || region == nil {
		return ""
	}
	if cs.s.ref.Parents[*region] == "" {
		return deptLabel(cs.s.ref, *dept)
	}
	return cs.regionName(*region) + " " + deptShortName(deptLabel(cs.s.ref, *dept))
}

// deptShortName is a department's name without the city's 市 in front
// (市市场监管局 → 市场监管局), to be put after another region's name.
func deptShortName(name string) string {
	if rest, ok := strings.CutPrefix(name, "市"); ok && rest != "" {
		return rest
	}
	return name
}

// accountOverview is the administrator's home: the accounts of its region
// by role.
type accountOverview struct {
	Rows                          []accountCountRow
	Enabled, Disabled, MustChange int64
}

type accountCountRow struct {
	Role                          string
	Enabled, Disabled, MustChange int64
}

func (cs *console) accountOverview(ctx context.Context, p *principal) (*accountOverview, error) {
	counts, err := cs.s.store.CountAccounts(ctx, p.scope)
	if err != nil {
		return nil, err
	}
	ov := &accountOverview{}
	for _, role := range workflow.Roles() {
		row := accountCountRow{Role: roleLabels[string(role)]}
		for _, n := range counts {
			if n.Role != string(role) {
				continue
			}
			if n.Disabled {
				row.Disabled += n.N
			} else {
				row.Enabled += n.N
			}
			row.MustChange += n.MustChange
		}
		ov.Rows = append(ov.Rows, row)
		ov.Enabled, ov.Disabled, ov.MustChange = ov.Enabled+row.Enabled, ov.Disabled+row.Disabled, ov.MustChange+row.MustChange
	}
	return ov, nil
}
