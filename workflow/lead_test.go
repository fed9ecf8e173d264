package workflow

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// specLeadStates is docs/design.md#lead-loop's status table, in its order.
var specLeadStates = []specState{
	{"reported", "已上报"},
	{"dismissed", "不予受理"},
	{"registered", "已登记"},
	{"investigating", "调查核实"},
	{"pending_approval", "待审批"},
	{"decided", "已决策"},
	{"inquiring", "函询中"},
	{"inquiry_replied", "函询已回复"},
	{"rectifying", "整改中"},
	{"verifying", "监督回访"},
	{"closed", "已办结"},
}

// specShelved: reopen is for a lead closed with the disposal shelved (暂存待查).
func specShelved(it Item, _ Role) bool { return it.Disposal == "shelved" }

// specFeedbackOpen: the feedback of a closure is recorded once.
func specFeedbackOpen(it Item, _ Role) bool { return !it.FeedbackGiven }

// specLeadTable is docs/design.md#lead-loop's action table, in its order. Two body fields go
// beyond docs/design.md's table and are the implementation's documented choices:
// decide takes `grounds` for tolerance (容错免责 needs its grounds stated), and
// verify takes optional `days`, the new rectification period when the
// rectification is not accepted.
var specLeadTable = []specTransition{
	{action: "register", label: "受理登记", from: []Status{"reported"}, to: "registered", by: []Role{"inspector"},
		optional: []string{"note"}},
	{action: "dismiss", label: "不予受理", from: []Status{"reported"}, to: "dismissed", by: []Role{"inspector"},
		require: []string{"reason"}},
	{action: "investigate", label: "调查核实", from: []Status{"registered", "investigating"}, to: "investigating", by: []Role{"inspector"},
		require: []string{"notes"}},
	{action: "decide", label: "评估决策", from: []Status{"investigating"}, to: "rectifying", by: []Role{"inspector"},
		require:  []string{"assessment", "disposal"},
		optional: []string{"department_code", "unit_region_code", "days", "transfer_to", "grounds", "letter"}},
	{action: "propose_disposal", label: "提出处置意见报批", from: []Status{"investigating"}, to: "pending_approval", by: []Role{"inspector"},
		require:  []string{"assessment", "disposal"},
		optional: []string{"department_code", "unit_region_code", "days", "transfer_to", "grounds", "letter"}},
	{action: "approve_disposal", label: "审批同意", from: []Status{"pending_approval"}, to: "rectifying", by: []Role{"inspector"},
		party: PartyNotProposer, optional: []string{"note"}},
	{action: "send_back_disposal", label: "退回重议", from: []Status{"pending_approval"}, to: "investigating", by: []Role{"inspector"},
		party: PartyNotProposer, require: []string{"reason"}},
	{action: "record_inquiry_reply", label: "登记函询回复", from: []Status{"inquiring"}, to: "inquiry_replied", by: []Role{"inspector"},
		require: []string{"reply"}},
	{action: "conclude_inquiry", label: "函询了结", from: []Status{"inquiry_replied"}, to: "closed", by: []Role{"inspector"},
		require: []string{"conclusion", "result"}},
	{action: "complete_rectification", label: "整改完成", from: []Status{"rectifying"}, to: "verifying", by: []Role{"department"},
		party: PartyRectifyingUnit, require: []string{"report"}, optional: []string{"file_ids"}},
	{action: "verify", label: "监督回访", from: []Status{"verifying"}, to: "closed", by: []Role{"inspector"},
		require: []string{"accepted", "result"}, optional: []string{"days"}},
	{action: "reopen", label: "重新启动", from: []Status{"closed"}, to: "investigating", by: []Role{"inspector"},
		require: []string{"reason"}, guard: specShelved},
	{action: "record_feedback", label: "反馈报告人", from: []Status{"closed", "dismissed"}, by: []Role{"inspector"},
		require: []string{"content"}, optional: []string{"method", "feedback_at"}, guard: specFeedbackOpen},
	{action: "set_subject", label: "指定被反映人", from: specAnyLead, by: []Role{"inspector"},
		require: []string{"subject_username"}, optional: []string{"subject_name", "note"}},
	{action: "recuse", label: "回避", from: specAnyLead, by: []Role{"inspector"},
		optional: []string{"reason"}},
}

// specAnyLead: the subject may be named and a conflict declared while the lead is open.
var specAnyLead = []Status{"reported", "registered", "investigating", "pending_approval", "inquiring", "inquiry_replied", "rectifying", "verifying"}

// specDisposals is docs/design.md#lead-loop's disposal list, in its order; closes marks the
// disposals that close the lead at decision (no rectification).
type specDisposal struct {
	code   string
	label  string
	closes bool
	// inquiry: the decision sends a letter and waits for the reply (函询).
	inquiry bool
}

var specDisposals = []specDisposal{
	{"talk_reminder", "谈话提醒", false, false},
	{"written_inquiry", "函询", false, true},
	{"preliminary_verification", "初步核实", false, false},
	{"case_filing", "立案审查", false, false},
	{"transfer", "移送", true, false},
	{"no_issue", "予以了结", true, false},
	{"shelved", "暂存待查", true, false},
	{"tolerance", "容错免责", false, false},
}

// Actors on a lead.
var (
	leadInspector = Actor{Role: "inspector"}
	leadUnit      = Actor{Role: "department", Parties: []Party{PartyRectifyingUnit}}
	leadReviewer  = Actor{ID: 2, Role: "inspector", Parties: []Party{PartyNotProposer}}
	leadStatuses  = []Status{"reported", "dismissed", "registered", "investigating", "pending_approval", "decided", "inquiring", "inquiry_replied", "rectifying", "verifying", "closed",
		"", "bogus", "CLOSED", "submitted", "assigned", "in_progress", "responded", "rejected", "withdrawn"}
)

func boolPtr(b bool) *bool { return &b }

// decideCommand returns a complete valid decide command for the disposal.
func decideCommand(t *testing.T, disposal string) Command {
	t.Helper()
	c := Command{Action: "decide", Present: []string{"assessment", "disposal"},
		Assessment: "经核实，存在推诿拖延的苗头性问题", Disposal: disposal}
	switch disposal {
	case "no_issue", "shelved":
	case "transfer":
		c.Present = append(c.Present, "transfer_to")
		c.TransferTo = "区纪委监委"
	case "written_inquiry":
		c.Present = append(c.Present, "department_code", "unit_region_code", "letter")
		c.DepartmentCode, c.UnitRegionCode, c.Letter = "SCJG", "330212", "请就反映的问题于十五个工作日内书面说明。"
	case "talk_reminder", "preliminary_verification", "case_filing", "tolerance":
		c.Present = append(c.Present, "department_code", "unit_region_code", "days")
		c.DepartmentCode, c.UnitRegionCode, c.Days = "SCJG", "330212", 20
		if disposal == "tolerance" {
			c.Present = append(c.Present, "grounds")
			c.Grounds = "符合容错免责情形：先行先试中的非主观失误"
		}
	default:
		t.Fatalf("decideCommand: unknown disposal %q", disposal)
	}
	return c
}

// validLead returns an item, an actor and a complete valid command for a.
func validLead(t *testing.T, a Action) (Item, Actor, Command) {
	t.Helper()
	switch a {
	case "register":
		return Item{Status: "reported"}, leadInspector, Command{Action: a, Present: []string{"note"}, Note: "属于受理范围"}
	case "dismiss":
		return Item{Status: "reported"}, leadInspector, Command{Action: a, Present: []string{"reason"}, Reason: "不属于政商交往问题"}
	case "investigate":
		return Item{Status: "registered"}, leadInspector, Command{Action: a, Present: []string{"notes"}, Notes: "约谈企业负责人，调取审批记录"}
	case "decide":
		return Item{Status: "investigating"}, leadInspector, decideCommand(t, "talk_reminder")
	case "propose_disposal":
		c := decideCommand(t, "no_issue")
		c.Action = a
		return Item{Status: "investigating"}, leadInspector, c
	case "approve_disposal":
		return Item{Status: "pending_approval", Proposal: &Proposal{Disposal: "no_issue", Assessment: "反映问题不属实"}}, leadReviewer,
			Command{Action: a, Present: []string{"note"}, Note: "同意"}
	case "send_back_disposal":
		return Item{Status: "pending_approval", Proposal: &Proposal{Disposal: "no_issue", Assessment: "反映问题不属实"}}, leadReviewer,
			Command{Action: a, Present: []string{"reason"}, Reason: "事实尚未查清，请补充核实"}
	case "record_inquiry_reply":
		return Item{Status: "inquiring", Disposal: "written_inquiry"}, leadInspector,
			Command{Action: a, Present: []string{"reply"}, Reply: "经查，窗口人员已作出书面说明并致歉。"}
	case "conclude_inquiry":
		return Item{Status: "inquiry_replied", Disposal: "written_inquiry"}, leadInspector,
			Command{Action: a, Present: []string{"conclusion", "result"}, Conclusion: "settled", Result: "说明属实，予以了结。"}
	case "complete_rectification":
		return Item{Status: "rectifying", Disposal: "talk_reminder"}, leadUnit, Command{Action: a, Present: []string{"report"}, Report: "已完成整改并建立长效机制"}
	case "verify":
		return Item{Status: "verifying", Disposal: "talk_reminder"}, leadInspector, Command{Action: a, Present: []string{"accepted", "result"},
			Accepted: boolPtr(true), Result: "回访企业，问题已解决"}
	case "reopen":
		return Item{Status: "closed", Disposal: "shelved"}, leadInspector, Command{Action: a, Present: []string{"reason"}, Reason: "发现新的线索"}
	case "record_feedback":
		at := testNow.Add(-time.Hour)
		return Item{Status: "closed", Named: true, ClosedAt: &at}, leadInspector,
			Command{Action: a, Present: []string{"content", "feedback_at", "method"}, Content: "已电话告知报告人办理结果。", Method: "phone", FeedbackAt: &testNow}
	case "set_subject":
		return Item{Status: "registered"}, leadInspector, Command{Action: a, Present: []string{"subject_username"}, SubjectUsername: "Zhang_San"}
	case "recuse":
		return Item{Status: "investigating"}, leadInspector, Command{Action: a, Present: []string{"reason"}, Reason: "与被反映人系近亲属"}
	}
	t.Fatalf("validLead: no fixture for %q", a)
	return Item{}, Actor{}, Command{}
}

func TestLeadTableMatchesDesign(t *testing.T) {
	t.Parallel()
	compareTable(t, Lead, specLeadStates, specLeadTable)

	statuses := map[Status]Status{LeadReportedStatus: "reported", LeadDismissed: "dismissed", LeadRegistered: "registered",
		LeadInvestigating: "investigating", LeadPendingApproval: "pending_approval", LeadDecided: "decided",
		LeadInquiring: "inquiring", LeadInquiryReplied: "inquiry_replied", LeadRectifying: "rectifying", LeadVerifying: "verifying", LeadClosed: "closed"}
	for got, want := range statuses {
		if got != want {
			t.Errorf("status constant %q, want %q", got, want)
		}
	}
	actions := map[Action]Action{LeadRegister: "register", LeadDismiss: "dismiss", LeadInvestigate: "investigate",
		LeadDecide: "decide", CompleteRectification: "complete_rectification", LeadVerify: "verify", LeadReopen: "reopen",
		LeadSetSubject: "set_subject", LeadRecuse: "recuse", LeadProposeDisposal: "propose_disposal",
		LeadApproveDisposal: "approve_disposal", LeadSendBackDisposal: "send_back_disposal",
		LeadRecordInquiryReply: "record_inquiry_reply", LeadConcludeInquiry: "conclude_inquiry", LeadRecordFeedback: "record_feedback"}
	for got, want := range actions {
		if got != want {
			t.Errorf("action constant %q, want %q", got, want)
		}
	}
}

func TestLeadDisposalsMatchDesign(t *testing.T) {
	t.Parallel()
	got := Disposals()
	if len(got) != len(specDisposals) {
		t.Fatalf("Disposals() has %d, docs/design.md %d", len(got), len(specDisposals))
	}
	for i, w := range specDisposals {
		if got[i].Code != w.code || got[i].Label != w.label || got[i].Closes != w.closes || got[i].Inquiry != w.inquiry {
			t.Errorf("Disposals()[%d] = %+v, want {%s %s %v}", i, got[i], w.code, w.label, w.closes)
		}
		d, ok := DisposalByCode(w.code)
		if !ok || d.Code != w.code || d.Label != w.label || d.Closes != w.closes || d.Inquiry != w.inquiry {
			t.Errorf("DisposalByCode(%q) = %+v, %v", w.code, d, ok)
		}
	}
	for _, code := range []string{"", "warning", "NO_ISSUE", "shelved ", "移送", "close"} {
		if d, ok := DisposalByCode(code); ok || d != (Disposal{}) {
			t.Errorf("DisposalByCode(%q) = %+v, %v", code, d, ok)
		}
	}
	// Callers may not corrupt the list.
	got[0].Code = "tampered"
	if Disposals()[0].Code != "talk_reminder" {
		t.Error("Disposals() returns shared storage")
	}
	consts := map[string]string{DisposalTalkReminder: "talk_reminder", DisposalWrittenInquiry: "written_inquiry",
		DisposalPreliminaryVerification: "preliminary_verification", DisposalCaseFiling: "case_filing",
		DisposalTransfer: "transfer", DisposalNoIssue: "no_issue", DisposalShelved: "shelved", DisposalTolerance: "tolerance"}
	for got, want := range consts {
		if got != want {
			t.Errorf("disposal constant %q, want %q", got, want)
		}
	}
}

// TestDisposalFields: the fields each disposal needs are docs/design.md's
// "extra fields" column, and they are what the decision's validation asks
// for (the console builds its decision form from DisposalFields).
func TestDisposalFields(t *testing.T) {
	t.Parallel()
	unit := []string{"department_code", "unit_region_code", "days"}
	want := map[string][]string{
		"talk_reminder": unit, "written_inquiry": {"department_code", "unit_region_code", "letter"}, "preliminary_verification": unit,
		"case_filing": unit,
		"tolerance":   append(slices.Clone(unit), "grounds"), "transfer": {"transfer_to"}, "no_issue": {}, "shelved": {},
	}
	decide, _ := Lead.Transition("decide")
	for _, d := range Disposals() {
		got := DisposalFields(d.Code)
		if !slices.Equal(got, want[d.Code]) || got == nil {
			t.Errorf("DisposalFields(%s) = %v, want %v", d.Code, got, want[d.Code])
		}
		if err := decideCommand(t, d.Code).validate(KindLead, decide); err != nil {
			t.Errorf("%s with its fields: %v", d.Code, err)
		}
		for _, f := range decisionFields {
			c := decideCommand(t, d.Code)
			if slices.Contains(got, f) {
				c.Present = slices.DeleteFunc(c.Present, func(x string) bool { return x == f })
			} else {
				c.Present = append(c.Present, f)
				c.TransferTo, c.Grounds, c.Letter = "区纪委监委", "依据", "请说明"
				c.DepartmentCode, c.UnitRegionCode, c.Days = "scjg", "330203", 5
			}
			var v *ValidationError
			if err := c.validate(KindLead, decide); !errors.As(err, &v) || !slices.ContainsFunc(v.Errors, func(e FieldError) bool { return e.Field == f }) {
				t.Errorf("%s with %s toggled: %v, want a refusal naming %s", d.Code, f, err, f)
			}
		}
	}
	if DisposalFields("bogus") != nil {
		t.Error("DisposalFields of an unknown disposal is not nil")
	}
}

func TestLeadLabels(t *testing.T) {
	t.Parallel()
	for _, s := range []Status{"", "bogus", "submitted"} {
		if got := Lead.Label(s); got != string(s) {
			t.Errorf("Label(%q) = %q, want the status itself", s, got)
		}
	}
	open := Lead.OpenStatuses()
	for _, s := range []Status{"reported", "registered", "investigating", "pending_approval", "inquiring", "inquiry_replied",
		"rectifying", "verifying"} {
		if !slices.Contains(open, s) {
			t.Errorf("OpenStatuses() = %v lacks %q (it has a deadline, docs/design.md#deadlines)", open, s)
		}
	}
	for _, s := range []Status{"dismissed", "closed"} {
		if slices.Contains(open, s) {
			t.Errorf("OpenStatuses() = %v has end state %q", open, s)
		}
	}
	for _, w := range specLeadTable {
		if got := ActionLabel(w.action); got != w.label {
			t.Errorf("ActionLabel(%q) = %q, want %q", w.action, got, w.label)
		}
	}
	if got := ActionLabel("report"); got == "" || got == "report" {
		t.Errorf("ActionLabel(report) = %q: no Chinese label", got)
	}
}

// TestLeadMatrix: every status × item flags × action × role × parties.
func TestLeadMatrix(t *testing.T) {
	t.Parallel()
	runMatrix(t, Lead, specLeadTable, leadStatuses)
}

// TestLeadRecusal: an account named as the lead's subject never acts on it
// (docs/design.md#lead-loop), whatever its role, the state or the parties it holds.
func TestLeadRecusal(t *testing.T) {
	t.Parallel()
	subjects := []Actor{
		{Role: "inspector", Subject: true},
		{Role: "department", Parties: []Party{PartyRectifyingUnit}, Subject: true},
		{Role: "inspector", Parties: []Party{PartyNotProposer}, Subject: true},
	}
	for _, it := range specItems(leadStatuses) {
		for _, actor := range subjects {
			for _, w := range specLeadTable {
				if _, err := Lead.Check(it, actor, w.action); !errors.Is(err, ErrRecused) {
					t.Errorf("Check(%+v, %+v, %s) = %s, want ErrRecused", it, actor, w.action, errName(err))
				}
			}
			if got := Lead.Available(it, actor); len(got) != 0 {
				t.Errorf("Available(%+v, %+v) = %d transitions, want none", it, actor, len(got))
			}
		}
		// Other roles have no lead action anyway; as subjects they are still refused.
		for _, role := range specRoles {
			actor := Actor{Role: role, Parties: specPartySets[len(specPartySets)-1], Subject: true}
			for _, w := range specLeadTable {
				_, err := Lead.Check(it, actor, w.action)
				if !errors.Is(err, ErrRecused) && !errors.Is(err, ErrRoleNotAllowed) {
					t.Errorf("Check(%+v, %+v, %s) = %s, want a refusal", it, actor, w.action, errName(err))
				}
			}
			if got := Lead.Available(it, actor); len(got) != 0 {
				t.Errorf("Available(%+v, %+v) = %d transitions, want none", it, actor, len(got))
			}
		}
	}
	// Even with a complete, valid command in the right state.
	for _, w := range specLeadTable {
		it, actor, cmd := validLead(t, w.action)
		if _, err := Lead.Apply(it, actor, cmd, testEnv(t)); err != nil {
			t.Fatalf("baseline %s: %v", w.action, err)
		}
		actor.Subject = true
		o, err := Lead.Apply(it, actor, cmd, testEnv(t))
		if !errors.Is(err, ErrRecused) {
			t.Errorf("Apply(%s) by the subject = %s, want ErrRecused", w.action, errName(err))
		}
		if o.Action != "" {
			t.Errorf("Apply(%s) by the subject returned %+v", w.action, o)
		}
	}
}

func TestLeadReopenGuard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		it   Item
		want error
	}{
		{Item{Status: "closed", Disposal: "shelved"}, nil},
		{Item{Status: "closed", Disposal: "shelved", Overdue: true, PendingExtension: true}, nil},
		{Item{Status: "closed", Disposal: "no_issue"}, ErrInvalidTransition},
		{Item{Status: "closed", Disposal: "transfer"}, ErrInvalidTransition},
		{Item{Status: "closed", Disposal: "talk_reminder"}, ErrInvalidTransition},
		{Item{Status: "closed", Disposal: "tolerance"}, ErrInvalidTransition},
		{Item{Status: "closed", Disposal: ""}, ErrInvalidTransition},
		{Item{Status: "closed", Disposal: "Shelved"}, ErrInvalidTransition},
		{Item{Status: "dismissed", Disposal: "shelved"}, ErrInvalidTransition},
		{Item{Status: "investigating", Disposal: "shelved"}, ErrInvalidTransition},
		{Item{Status: "verifying", Disposal: "shelved"}, ErrInvalidTransition},
		{Item{Status: "decided", Disposal: "shelved"}, ErrInvalidTransition},
	}
	for _, tc := range cases {
		_, err := Lead.Check(tc.it, leadInspector, "reopen")
		if errName(err) != errName(tc.want) {
			t.Errorf("Check(%+v, reopen) = %s, want %s", tc.it, errName(err), errName(tc.want))
		}
		avail := slices.ContainsFunc(Lead.Available(tc.it, leadInspector), func(tr Transition) bool { return tr.Action == "reopen" })
		if avail != (tc.want == nil) {
			t.Errorf("Available(%+v) lists reopen = %v", tc.it, avail)
		}
	}
}

func TestLeadApplyOutcomes(t *testing.T) {
	t.Parallel()
	cmd := func(a Action) Command { _, _, c := validLead(t, a); return c }
	verify := func(accepted bool) Command { c := cmd("verify"); c.Accepted = boolPtr(accepted); return c }
	const again = "verifying→rectifying ends:verify deadline:started:rectify set:rectify_days,rectify_due_at,verified_at,verify_accepted,verify_result"
	cases := []struct {
		name  string
		it    Item
		actor Actor
		cmd   Command
		want  string // describe(outcome)
	}{
		{"register", Item{Status: "reported"}, leadInspector, cmd("register"), "reported→registered ends:register deadline:started:decide"},
		{"register without note", Item{Status: "reported"}, leadInspector, Command{Action: "register"}, "reported→registered ends:register deadline:started:decide"},
		{"dismiss", Item{Status: "reported"}, leadInspector, cmd("dismiss"), "reported→dismissed ends:register deadline:cleared closes"},
		{"investigate registered", Item{Status: "registered"}, leadInspector, cmd("investigate"), "registered→investigating"},
		{"investigate again", Item{Status: "investigating"}, leadInspector, cmd("investigate"), "investigating→investigating"},
		{"complete_rectification", Item{Status: "rectifying"}, leadUnit, cmd("complete_rectification"),
			"rectifying→verifying ends:rectify deadline:started:verify set:rectified_at,rectify_report"},
		{"verify accepted", Item{Status: "verifying"}, leadInspector, verify(true),
			"verifying→closed ends:verify deadline:cleared closes set:verified_at,verify_accepted,verify_result"},
		{"verify not accepted", Item{Status: "verifying"}, leadInspector, verify(false), again},
		{"verify not accepted, new days", Item{Status: "verifying"}, leadInspector,
			func() Command { c := verify(false); c.Present = append(c.Present, "days"); c.Days = 10; return c }(), again},
		{"reopen shelved", Item{Status: "closed", Disposal: "shelved"}, leadInspector, cmd("reopen"),
			"closed→investigating deadline:started:decide set:assessment,closed_at,disposal,feedback_at,feedback_content," +
				"feedback_due_at,feedback_method,feedback_recorded_at,grounds,transfer_to"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Lead.Apply(c.it, c.actor, c.cmd, testEnv(t))
			if err != nil {
				t.Fatalf("Apply = %v", err)
			}
			if d := describe(got); d != c.want {
				t.Errorf("Apply =\n %s\nwant\n %s", d, c.want)
			}
		})
	}
}

// TestLeadDecideOutcomes: no_issue, shelved and transfer close the lead at
// decision; every other disposal sends it to rectification.
func TestLeadDecideOutcomes(t *testing.T) {
	t.Parallel()
	// Every disposal the code offers is one docs/design.md names.
	for _, d := range Disposals() {
		if !slices.ContainsFunc(specDisposals, func(w specDisposal) bool { return w.code == d.Code }) {
			t.Errorf("Disposals() has %q, not in docs/design.md", d.Code)
		}
	}
	for _, w := range specDisposals {
		t.Run(w.code, func(t *testing.T) {
			t.Parallel()
			want := "investigating→rectifying ends:decide deadline:started:rectify set:assessment,disposal,grounds," +
				"rectify_days,rectify_department_code,rectify_due_at,rectify_region_code,transfer_to"
			switch {
			case w.closes:
				want = "investigating→closed ends:decide deadline:cleared closes set:assessment,disposal,grounds,transfer_to"
			case w.inquiry:
				want = "investigating→inquiring ends:decide deadline:started:inquiry_reply set:assessment,disposal,grounds," +
					"inquiry_concluded_at,inquiry_conclusion,inquiry_department_code,inquiry_due_at,inquiry_letter,inquiry_region_code," +
					"inquiry_replied_at,inquiry_reply,inquiry_result,inquiry_sent_at,transfer_to"
			}
			got, err := Lead.Apply(Item{Status: "investigating"}, leadInspector, decideCommand(t, w.code), testEnv(t))
			if err != nil {
				t.Fatalf("Apply = %v", err)
			}
			if d := describe(got); d != want {
				t.Errorf("Apply =\n %s\nwant\n %s", d, want)
			}
			if got.Set["disposal"] != w.code {
				t.Errorf("disposal recorded %v, want %s", got.Set["disposal"], w.code)
			}
		})
	}
}

func TestLeadValidationMissingRequired(t *testing.T) {
	t.Parallel()
	for _, w := range specLeadTable {
		t.Run(string(w.action), func(t *testing.T) {
			t.Parallel()
			it, actor, full := validLead(t, w.action)
			if len(w.require) == 0 {
				expectValid(t, Lead, it, actor, Command{Action: w.action})
				return
			}
			expectInvalid(t, Lead, it, actor, Command{Action: w.action}, w.require...)
			for _, f := range w.require {
				c := without(full, f)
				if w.action == "decide" && f == "disposal" {
					// Without a disposal there is nothing to weigh the unit fields against.
					c = withPresent(c, "assessment")
				}
				expectInvalid(t, Lead, it, actor, c, f)
			}
		})
	}
}

func TestLeadValidationBlankText(t *testing.T) {
	t.Parallel()
	for _, w := range specLeadTable {
		for _, f := range w.require {
			if !slices.Contains(textFields, f) {
				continue
			}
			t.Run(string(w.action)+"/"+f, func(t *testing.T) {
				t.Parallel()
				for _, blank := range blankTexts {
					it, actor, cmd := validLead(t, w.action)
					if f == "disposal" {
						cmd = withPresent(cmd, "assessment", "disposal")
					}
					setText(t, &cmd, f, blank)
					expectInvalid(t, Lead, it, actor, cmd, f)
				}
			})
		}
	}
}

func TestLeadValidationForeignField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		action Action
		field  string
	}{
		{"register", "disposal"},
		{"register", "reason"},
		{"register", "score"},
		{"dismiss", "note"},
		{"dismiss", "notes"},
		{"investigate", "assessment"},
		{"investigate", "note"},
		{"decide", "notes"},
		{"decide", "result"},
		{"decide", "accepted"},
		{"decide", "region_code"},
		{"complete_rectification", "result"},
		{"complete_rectification", "days"},
		{"complete_rectification", "content"},
		{"verify", "notes"},
		{"verify", "report"},
		{"verify", "disposal"},
		{"reopen", "notes"},
		{"reopen", "disposal"},
		{"reopen", "note"},
		{"register", "status"},
		{"register", "reporter"},
		{"decide", "subject_name"},
		{"verify", "version"},
	}
	for _, tc := range cases {
		t.Run(string(tc.action)+"/"+tc.field, func(t *testing.T) {
			t.Parallel()
			it, actor, cmd := validLead(t, tc.action)
			cmd.Present = append(slices.Clone(cmd.Present), tc.field)
			expectInvalid(t, Lead, it, actor, cmd, tc.field)
		})
	}
}

func TestLeadDecideValidation(t *testing.T) {
	t.Parallel()
	type tc struct {
		name   string
		cmd    Command
		fields []string
	}
	var cases []tc
	// Unknown disposals.
	for _, d := range []string{"warning", "NO_ISSUE", "no_issue ", "谈话提醒", "close", "rectify"} {
		c := decideCommand(t, "no_issue")
		c.Disposal = d
		cases = append(cases, tc{"unknown " + d, c, []string{"disposal"}})
	}
	// Rectification disposals need a unit and a number of days.
	for _, d := range []string{"talk_reminder", "preliminary_verification", "case_filing", "tolerance"} {
		for _, f := range []string{"department_code", "unit_region_code", "days"} {
			cases = append(cases, tc{d + " without " + f, without(decideCommand(t, d), f), []string{f}})
		}
		c := decideCommand(t, d)
		c = without(without(without(c, "department_code"), "unit_region_code"), "days")
		cases = append(cases, tc{d + " without a unit", c, []string{"department_code", "unit_region_code", "days"}})
		for _, f := range []string{"department_code", "unit_region_code"} {
			c := decideCommand(t, d)
			setText(t, &c, f, "")
			cases = append(cases, tc{d + " empty " + f, c, []string{f}})
		}
		for _, days := range []int{0, -1, -20, 100000} {
			c := decideCommand(t, d)
			c.Days = days
			cases = append(cases, tc{d + " days out of range", c, []string{"days"}})
		}
		// A rectification takes no transfer_to.
		c = decideCommand(t, d)
		setText(t, &c, "transfer_to", "市纪委监委")
		cases = append(cases, tc{d + " with transfer_to", c, []string{"transfer_to"}})
		if d != "tolerance" {
			c = decideCommand(t, d)
			setText(t, &c, "grounds", "理由")
			cases = append(cases, tc{d + " with grounds", c, []string{"grounds"}})
		}
	}
	// A written inquiry needs the unit and the letter; its reply period is
	// configured, so it takes no days.
	for _, f := range []string{"department_code", "unit_region_code", "letter"} {
		cases = append(cases, tc{"written_inquiry without " + f, without(decideCommand(t, "written_inquiry"), f), []string{f}})
		c := decideCommand(t, "written_inquiry")
		setText(t, &c, f, " ")
		cases = append(cases, tc{"written_inquiry blank " + f, c, []string{f}})
	}
	{
		c := decideCommand(t, "written_inquiry")
		c.Present, c.Days = append(c.Present, "days"), 10
		cases = append(cases, tc{"written_inquiry with days", c, []string{"days"}})
	}
	// Transfer names the receiving organ.
	cases = append(cases, tc{"transfer without transfer_to", without(decideCommand(t, "transfer"), "transfer_to"), []string{"transfer_to"}})
	{
		c := decideCommand(t, "transfer")
		c.TransferTo = ""
		cases = append(cases, tc{"transfer with empty transfer_to", c, []string{"transfer_to"}})
	}
	// Tolerance states its grounds.
	cases = append(cases, tc{"tolerance without grounds", without(decideCommand(t, "tolerance"), "grounds"), []string{"grounds"}})
	{
		c := decideCommand(t, "tolerance")
		c.Grounds = ""
		cases = append(cases, tc{"tolerance with empty grounds", c, []string{"grounds"}})
	}
	// Closing disposals take no unit, no days, and (but transfer) no transfer_to; none but tolerance takes grounds.
	for _, d := range []string{"no_issue", "shelved", "transfer"} {
		for _, f := range []string{"department_code", "unit_region_code"} {
			c := decideCommand(t, d)
			setText(t, &c, f, "SCJG")
			cases = append(cases, tc{d + " with " + f, c, []string{f}})
		}
		c := decideCommand(t, d)
		c.Present = append(c.Present, "days")
		c.Days = 5
		cases = append(cases, tc{d + " with days", c, []string{"days"}})
		c = decideCommand(t, d)
		setText(t, &c, "grounds", "理由")
		cases = append(cases, tc{d + " with grounds", c, []string{"grounds"}})
		if d != "transfer" {
			c = decideCommand(t, d)
			setText(t, &c, "transfer_to", "市纪委监委")
			cases = append(cases, tc{d + " with transfer_to", c, []string{"transfer_to"}})
		}
		c = decideCommand(t, d)
		c.Present = append(c.Present, "department_code", "unit_region_code", "days")
		c.DepartmentCode, c.UnitRegionCode, c.Days = "SCJG", "330212", 5
		cases = append(cases, tc{d + " with a whole unit", c, []string{"department_code", "unit_region_code", "days"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			expectInvalid(t, Lead, Item{Status: "investigating"}, leadInspector, c.cmd, c.fields...)
		})
	}

	// The valid forms pass, including the edges of days.
	for _, w := range specDisposals {
		expectValid(t, Lead, Item{Status: "investigating"}, leadInspector, decideCommand(t, w.code))
		if !w.closes && !w.inquiry {
			for _, days := range []int{1, 2, 60} {
				c := decideCommand(t, w.code)
				c.Days = days
				expectValid(t, Lead, Item{Status: "investigating"}, leadInspector, c)
			}
		}
	}
}

// TestLeadDecideBlankConditionalFields: a field a disposal needs must hold
// text, not only whitespace, like every required field.
func TestLeadDecideBlankConditionalFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		disposal, field string
	}{
		{"transfer", "transfer_to"},
		{"tolerance", "grounds"},
		{"talk_reminder", "department_code"},
		{"case_filing", "unit_region_code"},
	}
	for _, tc := range cases {
		for _, blank := range []string{" ", "\t\n", "\u3000"} {
			c := decideCommand(t, tc.disposal)
			setText(t, &c, tc.field, blank)
			expectInvalid(t, Lead, Item{Status: "investigating"}, leadInspector, c, tc.field)
		}
	}
}

func TestLeadVerifyValidation(t *testing.T) {
	t.Parallel()
	it, actor, base := validLead(t, "verify")
	expectInvalid(t, Lead, it, actor, without(base, "accepted"), "accepted")
	expectInvalid(t, Lead, it, actor, without(base, "result"), "result")
	for _, d := range []int{0, -1, 100000} {
		c := base
		c.Accepted = boolPtr(false)
		c.Present = append(slices.Clone(c.Present), "days")
		c.Days = d
		expectInvalid(t, Lead, it, actor, c, "days")
	}
}

// TestLeadVerifyAcceptedNull: "accepted" sent as null must not count as an
// acceptance that closes the lead.
func TestLeadVerifyAcceptedNull(t *testing.T) {
	t.Parallel()
	it, actor, c := validLead(t, "verify")
	c.Accepted = nil
	expectInvalid(t, Lead, it, actor, c, "accepted")
}

func TestLeadValidationLengthAndUnicode(t *testing.T) {
	t.Parallel()
	for _, w := range specLeadTable {
		for _, f := range append(slices.Clone(w.require), w.optional...) {
			if !slices.Contains(textFields, f) {
				continue
			}
			t.Run(string(w.action)+"/"+f, func(t *testing.T) {
				t.Parallel()
				fixture := func() (Item, Actor, Command) {
					it, actor, cmd := validLead(t, w.action)
					if w.action == "decide" || w.action == "propose_disposal" {
						// A disposal that uses every optional field it can.
						switch f {
						case "transfer_to":
							cmd = decideCommand(t, "transfer")
						case "grounds":
							cmd = decideCommand(t, "tolerance")
						case "letter":
							cmd = decideCommand(t, "written_inquiry")
						}
						cmd.Action = w.action
					}
					return it, actor, cmd
				}
				for _, long := range []string{strings.Repeat("字", 5001), strings.Repeat("𠀀", 5001), strings.Repeat("x", 5001)} {
					it, actor, cmd := fixture()
					setText(t, &cmd, f, long)
					expectInvalid(t, Lead, it, actor, cmd, f)
				}
				for _, bad := range []string{"\xff", "调查\xe5\x8f"} {
					it, actor, cmd := fixture()
					setText(t, &cmd, f, bad)
					expectInvalid(t, Lead, it, actor, cmd, f)
				}
				if !slices.Contains(freeTextFields, f) {
					return
				}
				for _, s := range []string{richText, strings.Repeat("𠀀", 5000), strings.Repeat("👩‍💻", 1000), "𠮷野家 😀"} {
					it, actor, cmd := fixture()
					setText(t, &cmd, f, s)
					expectValid(t, Lead, it, actor, cmd)
				}
			})
		}
	}
}

// TestLeadReviewOutcomes: 报批. decide on a disposal the configuration
// lists is a proposal (the event says propose_disposal) that keeps the
// decision's deadline; propose_disposal is one whatever the disposal; the
// approval by another inspector takes the proposed decision as of then, and
// a send-back returns the lead to investigation. The proposer may do
// neither (ErrOwnProposal, an ErrNotParty).
func TestLeadReviewOutcomes(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env.Approval = []string{"no_issue", "shelved"}
	const proposed = "investigating→pending_approval set:proposal,proposed_by"
	proposer := Actor{ID: 7, Role: "inspector"}
	for _, d := range []string{"no_issue", "shelved"} {
		o := mustApply(t, Lead, Item{Status: "investigating"}, proposer, decideCommand(t, d), env)
		if got := describe(o); got != proposed || o.Event.Action != "propose_disposal" || o.Set["proposed_by"] != uint64(7) {
			t.Errorf("decide %s under approval = %s (event %s, by %v), want %s", d, got, o.Event.Action, o.Set["proposed_by"], proposed)
		}
		p, err := ParseProposal(o.Set["proposal"].(string))
		if err != nil || p.Disposal != d || p.Assessment == "" || !p.ProposedAt.Equal(testNow) {
			t.Errorf("stored proposal %+v, %v", p, err)
		}
	}
	// A disposal the configuration does not list takes effect at once …
	o := mustApply(t, Lead, Item{Status: "investigating"}, proposer, decideCommand(t, "talk_reminder"), env)
	if o.To != "rectifying" || o.Event.Action != "decide" {
		t.Errorf("decide talk_reminder = %s (event %s)", describe(o), o.Event.Action)
	}
	// … unless the inspector proposes it.
	c := decideCommand(t, "talk_reminder")
	c.Action = "propose_disposal"
	o = mustApply(t, Lead, Item{Status: "investigating"}, proposer, c, env)
	if describe(o) != proposed || o.Event.Action != "propose_disposal" {
		t.Errorf("propose talk_reminder = %s (event %s)", describe(o), o.Event.Action)
	}
	p, _ := ParseProposal(o.Set["proposal"].(string))

	pending := Item{Status: "pending_approval", Proposal: p}
	o = mustApply(t, Lead, pending, leadReviewer, Command{Action: "approve_disposal"}, env)
	want := "pending_approval→rectifying ends:decide deadline:started:rectify set:assessment,disposal,grounds,proposal,proposed_by," +
		"rectify_days,rectify_department_code,rectify_due_at,rectify_region_code,transfer_to"
	if got := describe(o); got != want {
		t.Errorf("approve =\n %s\nwant\n %s", got, want)
	}
	if o.Set["proposal"] != nil || o.Set["disposal"] != "talk_reminder" || o.Set["rectify_days"] != 20 ||
		o.Event.Payload["disposal"] != "talk_reminder" || o.Event.Payload["days"] != 20 || o.Event.Payload["department_code"] != "SCJG" {
		t.Errorf("approve sets %v, event %v", o.Set, o.Event.Payload)
	}
	closing := Item{Status: "pending_approval", Proposal: &Proposal{Disposal: "shelved", Assessment: "暂无核实条件"}}
	o = mustApply(t, Lead, closing, leadReviewer, Command{Action: "approve_disposal"}, env)
	if got := describe(o); got != "pending_approval→closed ends:decide deadline:cleared closes set:assessment,disposal,grounds,proposal,proposed_by,transfer_to" {
		t.Errorf("approve shelved = %s", got)
	}
	o = mustApply(t, Lead, pending, leadReviewer, Command{Action: "send_back_disposal", Present: []string{"reason"}, Reason: "请补充核实"}, env)
	if got := describe(o); got != "pending_approval→investigating set:proposal,proposed_by" || o.Set["proposal"] != nil {
		t.Errorf("send back = %s", got)
	}
	for _, a := range []Action{"approve_disposal", "send_back_disposal"} {
		_, err := Lead.Check(pending, proposer, a)
		if !errors.Is(err, ErrOwnProposal) || !errors.Is(err, ErrNotParty) {
			t.Errorf("%s by the proposer = %v, want ErrOwnProposal", a, err)
		}
	}
	if avail := Lead.Available(pending, proposer); len(avail) != 2 || avail[0].Action != "set_subject" {
		t.Errorf("the proposer is offered %v", avail)
	}
}

// TestLeadInquiryOutcomes: 函询. The letter's reply is a deadline step of
// its own (configured), then the conclusion is; 了结 closes the lead,
// further handling returns it to investigation with a new decision due.
func TestLeadInquiryOutcomes(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env.Limits.Steps = map[string]Limit{"inquiry_reply": {WorkingDays: 15}, "inquiry_conclude": {WorkingDays: 10}, "decide": {Months: 1}}
	_, _, reply := validLead(t, "record_inquiry_reply")
	o := mustApply(t, Lead, Item{Status: "inquiring"}, leadInspector, reply, env)
	if got := describe(o); got != "inquiring→inquiry_replied ends:inquiry_reply deadline:started:inquiry_conclude set:inquiry_replied_at,inquiry_reply" {
		t.Errorf("record reply = %s", got)
	}
	if want := env.Calendar.Due(testNow, Limit{WorkingDays: 10}).UTC().Truncate(time.Millisecond); !o.Deadline.DueAt.Equal(want) {
		t.Errorf("conclusion due %v, want %v", o.Deadline.DueAt, want)
	}
	_, _, settle := validLead(t, "conclude_inquiry")
	o = mustApply(t, Lead, Item{Status: "inquiry_replied"}, leadInspector, settle, env)
	if got := describe(o); got != "inquiry_replied→closed ends:inquiry_conclude deadline:cleared closes set:inquiry_concluded_at,inquiry_conclusion,inquiry_result" {
		t.Errorf("settle = %s", got)
	}
	further := settle
	further.Conclusion = "further_handling"
	o = mustApply(t, Lead, Item{Status: "inquiry_replied"}, leadInspector, further, env)
	if got := describe(o); got != "inquiry_replied→investigating ends:inquiry_conclude deadline:started:decide "+
		"set:assessment,disposal,grounds,inquiry_concluded_at,inquiry_conclusion,inquiry_result,transfer_to" || o.Set["disposal"] != nil {
		t.Errorf("further handling = %s", got)
	}
	for _, bad := range []string{"", "closed", "Settled", "了结"} {
		c := settle
		c.Conclusion = bad
		expectInvalid(t, Lead, Item{Status: "inquiry_replied"}, leadInspector, c, "conclusion")
	}
	// The letter's reply is due within the configured period from the decision.
	o = mustApply(t, Lead, Item{Status: "investigating"}, leadInspector, decideCommand(t, "written_inquiry"), env)
	if want := env.Calendar.Due(testNow, Limit{WorkingDays: 15}).UTC().Truncate(time.Millisecond); o.To != "inquiring" ||
		!o.Deadline.DueAt.Equal(want) || o.Set["inquiry_due_at"] != o.Deadline.DueAt || o.Set["inquiry_letter"] == "" {
		t.Errorf("written inquiry = %s due %v, want %v", describe(o), o.Deadline.DueAt, want)
	}
}

// TestLeadFeedbackOutcomes: closing a lead whose reporter is named starts
// the feedback step (due by feedback_due_at); recording the feedback ends
// it. An anonymous reporter gets a short outcome text and no deadline.
func TestLeadFeedbackOutcomes(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env.Limits.Steps = map[string]Limit{"feedback": {WorkingDays: 15}, "verify": {WorkingDays: 10}}
	_, _, verify := validLead(t, "verify")
	o := mustApply(t, Lead, Item{Status: "verifying", Named: true}, leadInspector, verify, env)
	want := env.Calendar.Due(testNow, Limit{WorkingDays: 15}).UTC().Truncate(time.Millisecond)
	if got := describe(o); got != "verifying→closed ends:verify deadline:started:feedback closes set:feedback_due_at,verified_at,verify_accepted,verify_result" ||
		!o.Deadline.DueAt.Equal(want) {
		t.Errorf("closing a named lead = %s due %v, want due %v", got, o.Deadline.DueAt, want)
	}
	_, _, dismiss := validLead(t, "dismiss")
	o = mustApply(t, Lead, Item{Status: "reported", Named: true}, leadInspector, dismiss, env)
	if got := describe(o); got != "reported→dismissed ends:register deadline:started:feedback closes set:feedback_due_at" {
		t.Errorf("dismissing a named lead = %s", got)
	}
	o = mustApply(t, Lead, Item{Status: "verifying"}, leadInspector, verify, env)
	if got := describe(o); got != "verifying→closed ends:verify deadline:cleared closes set:verified_at,verify_accepted,verify_result" {
		t.Errorf("closing an anonymous lead = %s", got)
	}

	it, actor, fb := validLead(t, "record_feedback")
	o = mustApply(t, Lead, it, actor, fb, env)
	if got := describe(o); got != "closed→closed ends:feedback deadline:cleared set:feedback_at,feedback_content,feedback_method,feedback_recorded_at" {
		t.Errorf("feedback = %s", got)
	}
	if _, err := Lead.Check(Item{Status: "closed", Named: true, FeedbackGiven: true}, leadInspector, "record_feedback"); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("a second feedback = %v", err)
	}
	future := testNow.Add(time.Minute)
	early := it.ClosedAt.Add(-time.Minute)
	for _, c := range []struct {
		name   string
		cmd    Command
		fields []string
	}{
		{"no method", without(fb, "method"), []string{"method"}},
		{"unknown method", func() Command { c := fb; c.Method = "wechat"; return c }(), []string{"method"}},
		{"no time", without(fb, "feedback_at"), []string{"feedback_at"}},
		{"in the future", func() Command { c := fb; c.FeedbackAt = &future; return c }(), []string{"feedback_at"}},
		{"before the closure", func() Command { c := fb; c.FeedbackAt = &early; return c }(), []string{"feedback_at"}},
		{"no content", without(fb, "content"), []string{"content"}},
	} {
		expectInvalid(t, Lead, it, actor, c.cmd, c.fields...)
	}
	// Anonymous: the outcome text only, short, and no deadline to end.
	anon := Item{Status: "closed"}
	outcome := Command{Action: "record_feedback", Present: []string{"content"}, Content: "经核实，反映的问题已整改到位。"}
	o = mustApply(t, Lead, anon, actor, outcome, env)
	if got := describe(o); got != "closed→closed set:feedback_content,feedback_recorded_at" {
		t.Errorf("anonymous outcome = %s", got)
	}
	expectInvalid(t, Lead, anon, actor, fb, "feedback_at", "method")
	long := outcome
	long.Content = strings.Repeat("字", MaxOutcomeText+1)
	expectInvalid(t, Lead, anon, actor, long, "content")
}
