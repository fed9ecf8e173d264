package workflow

// Request statuses (docs/design.md#request-loop).
const (
	Submitted  Status = "submitted"
	Assigned   Status = "assigned"
	InProgress Status = "in_progress"
	Responded  Status = "responded"
	Closed     Status = "closed"
	Rejected   Status = "rejected"
	Withdrawn  Status = "withdrawn"
	// Merged: a repeat of another request of the same enterprise, closed
	// into it (合并); the other request carries the matter on.
	Merged Status = "merged"
)

// Request actions (docs/design.md#request-loop).
const (
	Assign           Action = "assign"
	Reject           Action = "reject"
	Claim            Action = "claim"
	Return           Action = "return"
	RequestExtension Action = "request_extension"
	ApproveExtension Action = "approve_extension"
	DenyExtension    Action = "deny_extension"
	Respond          Action = "respond"
	Evaluate         Action = "evaluate"
	Supplement       Action = "supplement"
	Withdraw         Action = "withdraw"
	Supervise        Action = "supervise"
	ExpireEvaluation Action = "expire_evaluation"
	Merge            Action = "merge"
	AddOpinion       Action = "add_opinion"
)

// Events written by the system that are not transitions.
const (
	EventCreated Action = "create"
	EventOverdue Action = "overdue"
	EventDueSoon Action = "due_soon"
	// EventMergedFrom is written on the request another was merged into.
	EventMergedFrom Action = "merged_from"
)

// SatisfiedScore is the lowest evaluation score that closes a request;
// anything lower reopens it (重办).
const SatisfiedScore = 3

func in(s ...Status) []Status { return s }
func by(r ...Role) []Role     { return r }
func fields(f ...string) []string {
	return f
}

// Request is the enterprise request loop (企呼我应). Rows follow docs/design.md#request-loop "Actions" in order.
var Request = &Machine{
	Kind: KindRequest,
	States: []State{
		{Submitted, "待受理", true, "accept", true},
		{Assigned, "已交办", true, "claim", true},
		{InProgress, "办理中", true, "respond", true},
		{Responded, "待评价", true, "evaluate", false},
		{Closed, "已办结", false, "", false},
		{Rejected, "不予受理", false, "", false},
		{Withdrawn, "已撤回", false, "", false},
		{Merged, "已合并", false, "", false},
	},
	Table: []Transition{
		{Action: Assign, Label: "受理并交办", From: in(Submitted), To: Assigned, By: by(RoleACFIC, RoleSystem),
			Require: fields("department_code", "region_code"), Optional: fields("note", "co_units")},
		{Action: Reject, Label: "不予受理", From: in(Submitted), To: Rejected, By: by(RoleACFIC),
			Require: fields("reason")},
		{Action: Claim, Label: "签收", From: in(Assigned), To: InProgress, By: by(RoleDepartment), Party: PartyAssignedUnit},
		{Action: Return, Label: "退回", From: in(Assigned, InProgress), To: Submitted, By: by(RoleDepartment), Party: PartyAssignedUnit,
			Require: fields("reason")},
		{Action: RequestExtension, Label: "延期申请", From: in(InProgress), SameState: true, By: by(RoleDepartment), Party: PartyAssignedUnit,
			Require: fields("days", "reason"), Guard: GuardNoPendingExtension},
		{Action: ApproveExtension, Label: "批准延期", From: in(InProgress), SameState: true, By: by(RoleACFIC),
			Optional: fields("note"), Guard: GuardPendingExtension},
		{Action: DenyExtension, Label: "驳回延期", From: in(InProgress), SameState: true, By: by(RoleACFIC),
			Optional: fields("note"), Guard: GuardPendingExtension},
		{Action: Respond, Label: "答复", From: in(InProgress), To: Responded, By: by(RoleDepartment), Party: PartyAssignedUnit,
			Require: fields("response"), Optional: fields("file_ids")},
		{Action: Evaluate, Label: "评价", From: in(Responded), To: Closed, By: by(RoleEnterprise), Party: PartyFilingEnterprise,
			Require: fields("score"), Optional: fields("comment")},
		{Action: Supplement, Label: "补充材料", From: in(Submitted, Assigned, InProgress), SameState: true, By: by(RoleEnterprise, RoleStation), Party: PartyFiler,
			Require: fields("content"), Optional: fields("file_ids")},
		{Action: Withdraw, Label: "撤回", From: in(Submitted, Assigned, InProgress), To: Withdrawn, By: by(RoleEnterprise), Party: PartyFilingEnterprise,
			Optional: fields("reason")},
		{Action: Supervise, Label: "督办", From: in(Assigned, InProgress), SameState: true, By: by(RoleACFIC, RoleInspector),
			Require: fields("note"), Optional: fields("due_at"), Guard: GuardOverdueForInspector},
		{Action: ExpireEvaluation, Label: "评价期满自动办结", From: in(Responded), To: Closed, By: by(RoleSystem)},
		{Action: AddOpinion, Label: "协办意见", From: in(Assigned, InProgress), SameState: true, By: by(RoleDepartment), Party: PartyCoUnit,
			Require: fields("opinion")},
		{Action: Merge, Label: "合并重复诉求", From: in(Submitted, Assigned, InProgress), To: Merged, By: by(RoleACFIC),
			Require: fields("target_id"), Optional: fields("note")},
	},
}

// ActionLabel returns the Chinese label of a request or lead action, or of a
// system event, for timelines.
func ActionLabel(a Action) string {
	switch a {
	case EventCreated:
		return "提交"
	case EventOverdue:
		return "逾期"
	case EventDueSoon:
		return "即将到期"
	case LeadReported:
		return "上报"
	case EventMergedFrom:
		return "并入重复诉求"
	case ExemptApply:
		return "申请容错免责"
	case MeetingCreate:
		return "筹备协商会"
	case MeetingRaiseIssue:
		return "提出问题"
	}
	for _, m := range []*Machine{Request, Lead, Exemption, Consultation} {
		if t, ok := m.Transition(a); ok {
			return t.Label
		}
	}
	return string(a)
}
