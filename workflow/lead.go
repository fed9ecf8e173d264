package workflow

import (
	"slices"
	"strings"
)

// Lead statuses (docs/design.md#lead-loop).
const (
	LeadReportedStatus Status = "reported"
	LeadDismissed      Status = "dismissed"
	LeadRegistered     Status = "registered"
	LeadInvestigating  Status = "investigating"
	LeadDecided        Status = "decided"
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
)

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
}

// Disposals lists the disposal types in the order of docs/design.md.
func Disposals() []Disposal {
	return []Disposal{
		{DisposalTalkReminder, "谈话提醒", false},
		{DisposalWrittenInquiry, "函询", false},
		{DisposalPreliminaryVerification, "初步核实", false},
		{DisposalCaseFiling, "立案审查", false},
		{DisposalTransfer, "移送", true},
		{DisposalNoIssue, "予以了结", true},
		{DisposalShelved, "暂存待查", true},
		{DisposalTolerance, "容错免责", false},
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
		{LeadDismissed, "不予受理", false, "", false},
		{LeadRegistered, "已登记", true, "decide", false},
		{LeadInvestigating, "调查核实", true, "decide", false},
		{LeadDecided, "已决策", false, "", false},
		{LeadRectifying, "整改中", true, "rectify", false},
		{LeadVerifying, "监督回访", true, "verify", false},
		{LeadClosed, "已办结", false, "", false},
	},
	Table: []Transition{
		{Action: LeadRegister, Label: "受理登记", From: in(LeadReportedStatus), To: LeadRegistered, By: by(RoleInspector),
			Optional: fields("note")},
		{Action: LeadDismiss, Label: "不予受理", From: in(LeadReportedStatus), To: LeadDismissed, By: by(RoleInspector),
			Require: fields("reason")},
		{Action: LeadInvestigate, Label: "调查核实", From: in(LeadRegistered, LeadInvestigating), To: LeadInvestigating, By: by(RoleInspector),
			Require: fields("notes")},
		{Action: LeadDecide, Label: "评估决策", From: in(LeadInvestigating), To: LeadRectifying, By: by(RoleInspector),
			Require: fields("assessment", "disposal"), Optional: fields("department_code", "unit_region_code", "days", "transfer_to", "grounds")},
		{Action: CompleteRectification, Label: "整改完成", From: in(LeadRectifying), To: LeadVerifying, By: by(RoleDepartment), Party: PartyRectifyingUnit,
			Require: fields("report")},
		{Action: LeadVerify, Label: "监督回访", From: in(LeadVerifying), To: LeadClosed, By: by(RoleInspector),
			Require: fields("accepted", "result"), Optional: fields("days")},
		{Action: LeadReopen, Label: "重新启动", From: in(LeadClosed), To: LeadInvestigating, By: by(RoleInspector),
			Require: fields("reason"), Guard: GuardShelved},
		{Action: LeadSetSubject, Label: "指定被反映人", From: leadAnyStatus, SameState: true, By: by(RoleInspector),
			Require: fields("subject_username"), Optional: fields("subject_name", "note")},
		{Action: LeadRecuse, Label: "回避", From: leadAnyStatus, SameState: true, By: by(RoleInspector),
			Optional: fields("reason")},
	},
}

// leadAnyStatus: naming the subject and declaring a conflict are possible
// at any stage while the lead is open.
var leadAnyStatus = in(LeadReportedStatus, LeadRegistered, LeadInvestigating, LeadRectifying, LeadVerifying)

// decisionFields are the fields a decision may carry beyond assessment and
// disposal, in order.
var decisionFields = []string{"department_code", "unit_region_code", "days", "transfer_to", "grounds"}

// DisposalFields lists the fields a decision with disposal code needs
// beyond assessment and disposal: a unit and working days for
// rectification, the receiving organ for transfer, the grounds (and a
// rectification) for tolerance; nothing for no_issue and shelved. Any other
// field of the decision is refused. nil for an unknown code.
func DisposalFields(code string) []string {
	d, ok := DisposalByCode(code)
	if !ok {
		return nil
	}
	out := []string{}
	if !d.Closes {
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
