package workflow

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Lead statuses (docs/design.md#lead-loop).
const (
	LeadReportedStatus Status = "reported"
	LeadDismissed      Status = "dismissed"
	LeadRegistered     Status = "registered"
	LeadInvestigating  Status = "investigating"
	// LeadPendingApproval: a proposed disposal waits for a second
	// inspector's approval (报批); the decision's deadline runs on.
	LeadPendingApproval Status = "pending_approval"
	LeadDecided         Status = "decided"
	// 函询 (written inquiry): the letter waits for the unit's reply, then
	// the reply for the inspector's conclusion.
	LeadInquiring      Status = "inquiring"
	LeadInquiryReplied Status = "inquiry_replied"
	LeadRectifying     Status = "rectifying"
	LeadVerifying      Status = "verifying"
	LeadClosed         Status = "closed"
)

// Lead actions (docs/design.md#lead-loop). LeadReported is the event written when a lead is filed.
const (
	LeadReported          Action = "report"
	LeadRegister          Action = "register"
	LeadDismiss           Action = "dismiss"
	LeadInvestigate       Action = "investigate"
	LeadDecide            Action = "decide"
	CompleteRectification Action = "complete_rectification"
	LeadVerify            Action = "verify"
	LeadReopen            Action = "reopen"
	// LeadSetSubject names or changes the account the lead is about (被反映人)
	// after filing; LeadRecuse is an inspector declaring a conflict of
	// interest (回避): the lead is hidden from that inspector from then on.
	LeadSetSubject Action = "set_subject"
	LeadRecuse     Action = "recuse"
	// Lead review (报批): an inspector proposes a disposal; a second
	// inspector of the lead's region or above approves it (it then takes
	// effect as a decision) or sends it back with the reason. decide on a
	// disposal that needs approval (configs/leads.yaml) is a proposal too.
	LeadProposeDisposal  Action = "propose_disposal"
	LeadApproveDisposal  Action = "approve_disposal"
	LeadSendBackDisposal Action = "send_back_disposal"
	// 函询: the inspector records the unit's written reply, then concludes
	// the inquiry: 了结 (settled, the lead closes) or further handling
	// (back to investigation for a new decision).
	LeadRecordInquiryReply Action = "record_inquiry_reply"
	LeadConcludeInquiry    Action = "conclude_inquiry"
	// LeadRecordFeedback records the feedback given to the reporter of a
	// closed lead: to a named reporter how, when and what (due by
	// feedback_due_at, a deadline step); for an anonymous one a short
	// outcome text it reads through its receipt.
	LeadRecordFeedback Action = "record_feedback"
)

// FeedbackMethods lists how feedback reaches a named reporter, with the
// Chinese labels, in order.
func FeedbackMethods() [][2]string {
	return [][2]string{{"phone", "电话"}, {"in_person", "当面"}, {"letter", "书面"}, {"message", "短信或系统消息"}}
}

// FeedbackMethodLabel is the Chinese label of method m ("" if unknown).
func FeedbackMethodLabel(m string) string {
	for _, x := range FeedbackMethods() {
		if x[0] == m {
			return x[1]
		}
	}
	return ""
}

// MaxOutcomeText bounds the outcome text an anonymous reporter is shown.
const MaxOutcomeText = 200

// validateFeedback checks a feedback against the lead: to a named reporter
// it says how and when it was given (not in the future, not before the
// closure); an anonymous reporter, who can be reached only through its
// receipt, gets a short outcome text and nothing else.
func validateFeedback(c Command, it Item, now time.Time, v *ValidationError) {
	if !it.Named {
		for _, f := range []string{"method", "feedback_at"} {
			if c.has(f) {
				v.Add(f, "匿名报告的线索只登记查询码可见的办理结果，不接受此字段")
			}
		}
		if utf8.RuneCountInString(c.Content) > MaxOutcomeText {
			v.Add("content", "匿名报告人凭查询码看到的办理结果不能超过"+strconv.Itoa(MaxOutcomeText)+"个字符")
		}
		return
	}
	switch {
	case !c.has("method"):
		v.Add("method", "为必填字段")
	case FeedbackMethodLabel(c.Method) == "":
		v.Add("method", "必须是 phone、in_person、letter 或 message")
	}
	switch {
	case !c.has("feedback_at") || c.FeedbackAt == nil:
		v.Add("feedback_at", "为必填字段")
	case c.FeedbackAt.After(now):
		v.Add("feedback_at", "反馈时间不能晚于当前时间")
	case it.ClosedAt != nil && c.FeedbackAt.Before(it.ClosedAt.Truncate(time.Minute)):
		// to the minute: people write the time of a call as 14:05, and
		// a feedback given within the minute of the closure is not early
		v.Add("feedback_at", "反馈时间不能早于办结时间")
	}
}

// DecisionActions are the events that take a lead's decision: decide, and
// the approval of a proposed disposal (报批), which the indicator of timely
// decisions (T11) counts alike.
func DecisionActions() []Action { return []Action{LeadDecide, LeadApproveDisposal} }

// Conclusions of a written inquiry (conclude_inquiry's conclusion).
const (
	InquirySettled         = "settled"
	InquiryFurtherHandling = "further_handling"
)

// InquiryConclusions lists the conclusions of a written inquiry with their
// Chinese labels, in order.
func InquiryConclusions() [][2]string {
	return [][2]string{{InquirySettled, "予以了结"}, {InquiryFurtherHandling, "转入进一步处置"}}
}

// InquiryConclusionLabel is the Chinese label of conclusion c ("" if unknown).
func InquiryConclusionLabel(c string) string {
	for _, x := range InquiryConclusions() {
		if x[0] == c {
			return x[1]
		}
	}
	return ""
}

// Disposal types of a decision (docs/design.md#lead-loop).
const (
	DisposalTalkReminder            = "talk_reminder"
	DisposalWrittenInquiry          = "written_inquiry"
	DisposalPreliminaryVerification = "preliminary_verification"
	DisposalCaseFiling              = "case_filing"
	DisposalTransfer                = "transfer"
	DisposalNoIssue                 = "no_issue"
	DisposalShelved                 = "shelved"
	DisposalTolerance               = "tolerance"
)

// Disposal describes a disposal type.
type Disposal struct {
	Code  string
	Label string
	// Closes: the lead closes at decision, without rectification.
	Closes bool
	// Inquiry: the decision sends a letter to the unit concerned (函询) and
	// waits for its written reply instead of charging it with a rectification.
	Inquiry bool
}

// Disposals lists the disposal types in the order of docs/design.md.
func Disposals() []Disposal {
	return []Disposal{
		{DisposalTalkReminder, "谈话提醒", false, false},
		{DisposalWrittenInquiry, "函询", false, true},
		{DisposalPreliminaryVerification, "初步核实", false, false},
		{DisposalCaseFiling, "立案审查", false, false},
		{DisposalTransfer, "移送", true, false},
		{DisposalNoIssue, "予以了结", true, false},
		{DisposalShelved, "暂存待查", true, false},
		{DisposalTolerance, "容错免责", false, false},
	}
}

// DisposalByCode returns the disposal with that code.
func DisposalByCode(code string) (Disposal, bool) {
	i := slices.IndexFunc(Disposals(), func(d Disposal) bool { return d.Code == code })
	if i < 0 {
		return Disposal{}, false
	}
	return Disposals()[i], true
}

// Lead is the lead loop (问题线索: 调查—评估—决策—执行—监督). Rows follow docs/design.md#lead-loop "Actions" in order.
var Lead = &Machine{
	Kind: KindLead,
	States: []State{
		{LeadReportedStatus, "已上报", true, "register", false},
		{LeadDismissed, "不予受理", false, "feedback", false},
		{LeadRegistered, "已登记", true, "decide", false},
		{LeadInvestigating, "调查核实", true, "decide", false},
		{LeadPendingApproval, "待审批", true, "decide", false},
		{LeadDecided, "已决策", false, "", false},
		{LeadInquiring, "函询中", true, "inquiry_reply", false},
		{LeadInquiryReplied, "函询已回复", true, "inquiry_conclude", false},
		{LeadRectifying, "整改中", true, "rectify", false},
		{LeadVerifying, "监督回访", true, "verify", false},
		{LeadClosed, "已办结", false, "feedback", false},
	},
	Table: []Transition{
		{Action: LeadRegister, Label: "受理登记", From: in(LeadReportedStatus), To: LeadRegistered, By: by(RoleInspector),
			Optional: fields("note")},
		{Action: LeadDismiss, Label: "不予受理", From: in(LeadReportedStatus), To: LeadDismissed, By: by(RoleInspector),
			Require: fields("reason")},
		{Action: LeadInvestigate, Label: "调查核实", From: in(LeadRegistered, LeadInvestigating), To: LeadInvestigating, By: by(RoleInspector),
			Require: fields("notes")},
		{Action: LeadDecide, Label: "评估决策", From: in(LeadInvestigating), To: LeadRectifying, By: by(RoleInspector),
			Require: fields("assessment", "disposal"), Optional: fields("department_code", "unit_region_code", "days", "transfer_to", "grounds", "letter")},
		{Action: LeadProposeDisposal, Label: "提出处置意见报批", From: in(LeadInvestigating), To: LeadPendingApproval, By: by(RoleInspector),
			Require: fields("assessment", "disposal"), Optional: fields("department_code", "unit_region_code", "days", "transfer_to", "grounds", "letter")},
		{Action: LeadApproveDisposal, Label: "审批同意", From: in(LeadPendingApproval), To: LeadRectifying, By: by(RoleInspector),
			Party: PartyNotProposer, Optional: fields("note")},
		{Action: LeadSendBackDisposal, Label: "退回重议", From: in(LeadPendingApproval), To: LeadInvestigating, By: by(RoleInspector),
			Party: PartyNotProposer, Require: fields("reason")},
		{Action: LeadRecordInquiryReply, Label: "登记函询回复", From: in(LeadInquiring), To: LeadInquiryReplied, By: by(RoleInspector),
			Require: fields("reply")},
		{Action: LeadConcludeInquiry, Label: "函询了结", From: in(LeadInquiryReplied), To: LeadClosed, By: by(RoleInspector),
			Require: fields("conclusion", "result")},
		{Action: CompleteRectification, Label: "整改完成", From: in(LeadRectifying), To: LeadVerifying, By: by(RoleDepartment), Party: PartyRectifyingUnit,
			Require: fields("report"), Optional: fields("file_ids")},
		{Action: LeadVerify, Label: "监督回访", From: in(LeadVerifying), To: LeadClosed, By: by(RoleInspector),
			Require: fields("accepted", "result"), Optional: fields("days")},
		{Action: LeadReopen, Label: "重新启动", From: in(LeadClosed), To: LeadInvestigating, By: by(RoleInspector),
			Require: fields("reason"), Guard: GuardShelved},
		{Action: LeadRecordFeedback, Label: "反馈报告人", From: in(LeadClosed, LeadDismissed), SameState: true, By: by(RoleInspector),
			Require: fields("content"), Optional: fields("method", "feedback_at"), Guard: GuardFeedbackOpen},
		{Action: LeadSetSubject, Label: "指定被反映人", From: leadAnyStatus, SameState: true, By: by(RoleInspector),
			Require: fields("subject_username"), Optional: fields("subject_name", "note")},
		{Action: LeadRecuse, Label: "回避", From: leadAnyStatus, SameState: true, By: by(RoleInspector),
			Optional: fields("reason")},
	},
}

// leadAnyStatus: naming the subject and declaring a conflict are possible
// at any stage while the lead is open.
var leadAnyStatus = in(LeadReportedStatus, LeadRegistered, LeadInvestigating, LeadPendingApproval, LeadInquiring, LeadInquiryReplied,
	LeadRectifying, LeadVerifying)

// decisionFields are the fields a decision may carry beyond assessment and
// disposal, in order.
var decisionFields = []string{"department_code", "unit_region_code", "days", "transfer_to", "grounds", "letter"}

// DisposalFields lists the fields a decision with disposal code needs
// beyond assessment and disposal: a unit and working days for
// rectification, the receiving organ for transfer, the grounds (and a
// rectification) for tolerance, the unit and the letter for a written
// inquiry (its reply period is configured); nothing for no_issue and
// shelved. Any other field of the decision is refused. nil for an unknown code.
func DisposalFields(code string) []string {
	d, ok := DisposalByCode(code)
	if !ok {
		return nil
	}
	out := []string{}
	switch {
	case d.Inquiry:
		out = append(out, "department_code", "unit_region_code", "letter")
	case !d.Closes:
		out = append(out, "department_code", "unit_region_code", "days")
	}
	switch d.Code {
	case DisposalTransfer:
		out = append(out, "transfer_to")
	case DisposalTolerance:
		out = append(out, "grounds")
	}
	return out
}

// validateDecision checks the fields a disposal needs (DisposalFields), and
// that it carries nothing a disposal does not use.
func validateDecision(c Command, v *ValidationError) {
	if _, ok := DisposalByCode(c.Disposal); !ok {
		v.Add("disposal", "未知的处置方式")
		return
	}
	need := DisposalFields(c.Disposal)
	for _, f := range decisionFields {
		switch {
		case slices.Contains(need, f) && !c.has(f):
			v.Add(f, "该处置方式必须填写此字段")
		case !slices.Contains(need, f) && c.has(f):
			v.Add(f, "该处置方式不接受此字段")
		case slices.Contains(need, f) && f != "days" && strings.TrimSpace(c.Text(f)) == "":
			v.Add(f, "不能为空")
		}
	}
}

// Proposal is a disposal proposed for approval (报批): the decision's
// fields as the proposer sent them, and when. It is kept on the lead
// (Item.Proposal) until a second inspector approves it, which takes the
// decision, or sends it back.
type Proposal struct {
	Disposal       string    `json:"disposal"`
	Assessment     string    `json:"assessment"`
	DepartmentCode string    `json:"department_code,omitempty"`
	UnitRegionCode string    `json:"unit_region_code,omitempty"`
	Days           int       `json:"days,omitempty"`
	TransferTo     string    `json:"transfer_to,omitempty"`
	Grounds        string    `json:"grounds,omitempty"`
	Letter         string    `json:"letter,omitempty"`
	ProposedAt     time.Time `json:"proposed_at"`
}

// proposalOf is the proposal cmd makes at now.
func proposalOf(cmd Command, now time.Time) Proposal {
	return Proposal{Disposal: cmd.Disposal, Assessment: cmd.Assessment, DepartmentCode: cmd.DepartmentCode,
		UnitRegionCode: cmd.UnitRegionCode, Days: cmd.Days, TransferTo: cmd.TransferTo, Grounds: cmd.Grounds, Letter: cmd.Letter,
		ProposedAt: now.UTC()}
}

// command is the decide command the proposal stands for.
func (p Proposal) command() Command {
	return Command{Action: LeadDecide, Disposal: p.Disposal, Assessment: p.Assessment, DepartmentCode: p.DepartmentCode,
		UnitRegionCode: p.UnitRegionCode, Days: p.Days, TransferTo: p.TransferTo, Grounds: p.Grounds, Letter: p.Letter}
}

// payload is the decision the proposal carries, as an event payload
// records it: the fields its disposal uses.
func (p Proposal) payload() map[string]any {
	out := map[string]any{"disposal": p.Disposal, "assessment": p.Assessment}
	c := p.command()
	for _, f := range DisposalFields(p.Disposal) {
		if f == "days" {
			out[f] = p.Days
			continue
		}
		out[f] = c.Text(f)
	}
	return out
}

// Encode is the proposal as the lead stores it (JSON).
func (p Proposal) Encode() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// ParseProposal reads a stored proposal.
func ParseProposal(s string) (*Proposal, error) {
	var p Proposal
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// NeedsApproval reports whether a decision with disposal must be approved
// by a second inspector under approval, the disposals configs/leads.yaml
// lists.
func NeedsApproval(approval []string, disposal string) bool {
	return slices.Contains(approval, disposal)
}
