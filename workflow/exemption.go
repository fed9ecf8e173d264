package workflow

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// 容错免责 (the error-tolerance and liability-exemption mechanism) as its own
// procedure (docs/design.md#tolerance): 申请 → 受理 → 核实 → 集体认定 → 书面决定
// → 报备. An application concerns one lead or one request; it never changes
// that case (no rectification is forced), and its count is a tracker
// indicator (T14).

// KindExemption is the case kind of an exemption's events (at most 8
// characters: the events table's case_kind column).
const KindExemption Kind = "exempt"

// Exemption statuses.
const (
	ExemptApplied     Status = "applied"
	ExemptVerifying   Status = "verifying"
	ExemptDetermining Status = "determining"
	ExemptDetermined  Status = "determined"
	ExemptDecided     Status = "decided"
	ExemptFiled       Status = "filed"
	ExemptRejected    Status = "rejected"
)

// Exemption actions. ExemptApply is the event written when an application
// is filed.
const (
	ExemptApply         Action = "apply"
	ExemptAccept        Action = "accept"
	ExemptReject        Action = "reject_application"
	ExemptVerify        Action = "verify_facts"
	ExemptDetermine     Action = "determine"
	ExemptIssueDecision Action = "issue_decision"
	ExemptFile          Action = "file_record"
)

// Outcomes of a collective determination (集体认定).
const (
	ExemptOutcomeExempt    = "exempt"
	ExemptOutcomeMitigated = "mitigated"
	ExemptOutcomeNotExempt = "not_exempt"
)

// ExemptionOutcomes lists the outcomes of a collective determination with
// their Chinese labels, in order.
func ExemptionOutcomes() [][2]string {
	return [][2]string{{ExemptOutcomeExempt, "予以免责"}, {ExemptOutcomeMitigated, "从轻或减轻处理"}, {ExemptOutcomeNotExempt, "不予免责"}}
}

// ExemptionOutcomeLabel is the Chinese label of outcome o ("" if unknown).
func ExemptionOutcomeLabel(o string) string {
	for _, x := range ExemptionOutcomes() {
		if x[0] == o {
			return x[1]
		}
	}
	return ""
}

// Granted reports whether outcome o exempts or mitigates: what the
// indicator T14 counts.
func Granted(o string) bool { return o == ExemptOutcomeExempt || o == ExemptOutcomeMitigated }

// Exemption is the procedure's table. Every step is 纪检监察's: inspectors
// of the application's region or above (the policy's region grant); who may
// apply is the api's business (docs/design.md#tolerance).
var Exemption = &Machine{
	Kind: KindExemption,
	States: []State{
		{ExemptApplied, "待受理", true, "accept", false},
		{ExemptVerifying, "核实中", true, "verify", false},
		{ExemptDetermining, "待集体认定", true, "determine", false},
		{ExemptDetermined, "待出具书面决定", true, "decision", false},
		{ExemptDecided, "待报备", true, "file", false},
		{ExemptFiled, "已报备", false, "", false},
		{ExemptRejected, "不予受理", false, "", false},
	},
	Table: []Transition{
		{Action: ExemptAccept, Label: "受理", From: in(ExemptApplied), To: ExemptVerifying, By: by(RoleInspector),
			Optional: fields("note")},
		{Action: ExemptReject, Label: "不予受理", From: in(ExemptApplied), To: ExemptRejected, By: by(RoleInspector),
			Require: fields("reason")},
		{Action: ExemptVerify, Label: "核实", From: in(ExemptVerifying), To: ExemptDetermining, By: by(RoleInspector),
			Require: fields("findings")},
		{Action: ExemptDetermine, Label: "集体认定", From: in(ExemptDetermining), To: ExemptDetermined, By: by(RoleInspector),
			Require: fields("outcome", "members", "meeting_at"), Optional: fields("opinion")},
		{Action: ExemptIssueDecision, Label: "出具书面决定", From: in(ExemptDetermined), To: ExemptDecided, By: by(RoleInspector),
			Require: fields("decision_no", "decision_text")},
		{Action: ExemptFile, Label: "报备", From: in(ExemptDecided), To: ExemptFiled, By: by(RoleInspector),
			Require: fields("filed_with"), Optional: fields("note")},
	},
}

// ExemptionCommand is one action on an exemption with its body fields;
// Present lists the fields the client sent.
type ExemptionCommand struct {
	Action       Action
	Present      []string
	Note         string
	Reason       string
	Findings     string
	Outcome      string
	Members      []string
	MeetingAt    *time.Time
	Opinion      string
	DecisionNo   string
	DecisionText string
	FiledWith    string
}

func (c ExemptionCommand) has(f string) bool { return slices.Contains(c.Present, f) }

func (c ExemptionCommand) text(f string) string {
	switch f {
	case "note":
		return c.Note
	case "reason":
		return c.Reason
	case "findings":
		return c.Findings
	case "outcome":
		return c.Outcome
	case "opinion":
		return c.Opinion
	case "decision_no":
		return c.DecisionNo
	case "decision_text":
		return c.DecisionText
	case "filed_with":
		return c.FiledWith
	}
	return ""
}

// ExemptionRules are the configured rules of the procedure
// (configs/leads.yaml).
type ExemptionRules struct {
	// MinMembers is the fewest members a collective determination lists.
	MinMembers int
}

// StepOutcome is everything one action does to an exemption or a meeting:
// its new status, whether it ends, the columns it records and the event's
// payload.
type StepOutcome struct {
	Action   Action
	From, To Status
	Closes   bool
	Set      map[string]any
	Payload  map[string]any
}

// exemptionShort are the fields of at most maxShortText characters.
var exemptionShort = []string{"outcome", "decision_no", "filed_with"}

// ApplyExemption checks cmd against the table and the exemption's status
// and returns what it does; it changes nothing.
func ApplyExemption(st Status, actor Actor, cmd ExemptionCommand, r ExemptionRules, now time.Time) (StepOutcome, error) {
	t, err := Exemption.Check(Item{Status: st}, actor, cmd.Action)
	if err != nil {
		return StepOutcome{}, err
	}
	var v ValidationError
	checkStepFields(t, cmd.Present, cmd.text, exemptionShort, []string{"members", "meeting_at"}, &v)
	if cmd.has("outcome") && ExemptionOutcomeLabel(cmd.Outcome) == "" {
		v.Add("outcome", "必须是 exempt（予以免责）、mitigated（从轻或减轻处理）或 not_exempt（不予免责）")
	}
	members := cleanMembers(cmd.Members)
	if cmd.has("members") {
		switch {
		case len(members) < r.MinMembers:
			v.Add("members", "集体认定须列明至少"+strconv.Itoa(r.MinMembers)+"名参加认定的人员")
		case len(members) != len(cmd.Members):
			v.Add("members", "人员姓名不能为空或重复，且每个不超过50个字符")
		}
	}
	if cmd.has("meeting_at") && cmd.MeetingAt != nil && cmd.MeetingAt.After(now) {
		v.Add("meeting_at", "认定会议时间不能晚于当前时间")
	}
	if err := v.Err(); err != nil {
		return StepOutcome{}, err
	}
	o := StepOutcome{Action: t.Action, From: st, To: t.To, Set: map[string]any{}, Payload: map[string]any{}}
	for _, f := range cmd.Present {
		if f == "action" || f == "expected_version" {
			continue
		}
		switch f {
		case "members":
			o.Payload[f] = members
		case "meeting_at":
			o.Payload[f] = cmd.MeetingAt.UTC().Format(time.RFC3339)
		default:
			o.Payload[f] = cmd.text(f)
		}
	}
	switch t.Action {
	case ExemptAccept:
		o.Set["accepted_at"] = now
		o.Set["accept_note"] = cmd.Note
	case ExemptReject:
		o.Set["reject_reason"] = cmd.Reason
		o.Closes = true
	case ExemptVerify:
		o.Set["findings"] = cmd.Findings
	case ExemptDetermine:
		b, _ := json.Marshal(members)
		at := cmd.MeetingAt.UTC()
		o.Set["outcome"], o.Set["members"], o.Set["meeting_at"], o.Set["opinion"] = cmd.Outcome, string(b), at, cmd.Opinion
		o.Payload["outcome_label"] = ExemptionOutcomeLabel(cmd.Outcome)
	case ExemptIssueDecision:
		o.Set["decision_no"], o.Set["decision_text"], o.Set["decided_at"] = strings.TrimSpace(cmd.DecisionNo), cmd.DecisionText, now
	case ExemptFile:
		o.Set["filed_with"], o.Set["filed_at"], o.Set["file_note"] = cmd.FiledWith, now, cmd.Note
		o.Closes = true
	}
	return o, nil
}

// checkStepFields checks the fields present of a step of table row t: no
// field the step does not take, every required one present and, for text
// fields (text gives their value; nonText are the others), not blank; the
// short ones within maxShortText characters, the rest within maxLongText.
func checkStepFields(t Transition, present []string, text func(string) string, short, nonText []string, v *ValidationError) {
	allowed := append(slices.Clone(t.Require), t.Optional...)
	for _, f := range present {
		if f != "action" && f != "expected_version" && !slices.Contains(allowed, f) {
			v.Add(f, "该操作不接受此字段")
		}
	}
	for _, f := range t.Require {
		switch {
		case !slices.Contains(present, f):
			v.Add(f, "为必填字段")
		case slices.Contains(nonText, f):
		case strings.TrimSpace(text(f)) == "":
			v.Add(f, "不能为空")
		}
	}
	for _, f := range allowed {
		limit := maxLongText
		if slices.Contains(short, f) {
			limit = maxShortText
		}
		if utf8.RuneCountInString(text(f)) > limit {
			v.Add(f, "长度不能超过"+strconv.Itoa(limit)+"个字符")
		}
	}
}

// cleanMembers trims the member names and drops empty, overlong and
// repeated ones.
func cleanMembers(in []string) []string {
	var out []string
	for _, m := range in {
		m = strings.TrimSpace(m)
		if m == "" || utf8.RuneCountInString(m) > 50 || slices.Contains(out, m) {
			continue
		}
		out = append(out, m)
	}
	return out
}
