package workflow

import (
	"errors"
	"testing"
	"time"
)

// specExemptionStates is docs/design.md#tolerance's status table, in its order.
var specExemptionStates = []specState{
	{"applied", "待受理"},
	{"verifying", "核实中"},
	{"determining", "待集体认定"},
	{"determined", "待出具书面决定"},
	{"decided", "待报备"},
	{"filed", "已报备"},
	{"rejected", "不予受理"},
}

// specExemptionTable is docs/design.md#tolerance's action table: every step
// is an inspector's (纪检监察 of the application's region or above).
var specExemptionTable = []specTransition{
	{action: "accept", label: "受理", from: []Status{"applied"}, to: "verifying", by: []Role{"inspector"}, optional: []string{"note"}},
	{action: "reject_application", label: "不予受理", from: []Status{"applied"}, to: "rejected", by: []Role{"inspector"},
		require: []string{"reason"}},
	{action: "verify_facts", label: "核实", from: []Status{"verifying"}, to: "determining", by: []Role{"inspector"},
		require: []string{"findings"}},
	{action: "determine", label: "集体认定", from: []Status{"determining"}, to: "determined", by: []Role{"inspector"},
		require: []string{"outcome", "members", "meeting_at"}, optional: []string{"opinion"}},
	{action: "issue_decision", label: "出具书面决定", from: []Status{"determined"}, to: "decided", by: []Role{"inspector"},
		require: []string{"decision_no", "decision_text"}},
	{action: "file_record", label: "报备", from: []Status{"decided"}, to: "filed", by: []Role{"inspector"},
		require: []string{"filed_with"}, optional: []string{"note"}},
}

func TestExemptionTableMatchesDesign(t *testing.T) {
	t.Parallel()
	compareTable(t, Exemption, specExemptionStates, specExemptionTable)
	var statuses []Status
	for _, s := range specExemptionStates {
		statuses = append(statuses, s.status)
	}
	runMatrix(t, Exemption, specExemptionTable, statuses)
	if got := ActionLabel(ExemptApply); got != "申请容错免责" {
		t.Errorf("ActionLabel(apply) = %q", got)
	}
	if got := ActionLabel(ExemptDetermine); got != "集体认定" {
		t.Errorf("ActionLabel(determine) = %q", got)
	}
}

// TestApplyExemption walks the procedure and its refusals: the fields each
// step takes, the configured quorum of a collective determination, a
// meeting in the future, and what each step records.
func TestApplyExemption(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	future := now.Add(time.Hour)
	insp := Actor{Role: RoleInspector}
	rules := ExemptionRules{MinMembers: 3}
	cmd := func(a Action, c ExemptionCommand, present ...string) ExemptionCommand {
		c.Action, c.Present = a, present
		return c
	}
	members := []string{"张纪", "李监", "王察"}
	cases := []struct {
		name   string
		st     Status
		actor  Actor
		cmd    ExemptionCommand
		err    error
		fields []string
		to     Status
		set    map[string]any
	}{
		{"accept", ExemptApplied, insp, cmd(ExemptAccept, ExemptionCommand{Note: "材料齐全"}, "note"), nil, nil, ExemptVerifying,
			map[string]any{"accept_note": "材料齐全", "accepted_at": now}},
		{"accept by a department", ExemptApplied, Actor{Role: RoleDepartment}, cmd(ExemptAccept, ExemptionCommand{}), ErrRoleNotAllowed, nil, "", nil},
		{"accept twice", ExemptVerifying, insp, cmd(ExemptAccept, ExemptionCommand{}), ErrInvalidTransition, nil, "", nil},
		{"reject without reason", ExemptApplied, insp, cmd(ExemptReject, ExemptionCommand{}), nil, []string{"reason"}, "", nil},
		{"reject", ExemptApplied, insp, cmd(ExemptReject, ExemptionCommand{Reason: "不属于容错情形"}, "reason"), nil, nil, ExemptRejected,
			map[string]any{"reject_reason": "不属于容错情形"}},
		{"verify with a field of another step", ExemptVerifying, insp,
			cmd(ExemptVerify, ExemptionCommand{Findings: "属实", Outcome: "exempt"}, "findings", "outcome"), nil, []string{"outcome"}, "", nil},
		{"verify blank", ExemptVerifying, insp, cmd(ExemptVerify, ExemptionCommand{Findings: "  "}, "findings"), nil, []string{"findings"}, "", nil},
		{"verify", ExemptVerifying, insp, cmd(ExemptVerify, ExemptionCommand{Findings: "经核实，属于先行先试中的失误"}, "findings"), nil, nil,
			ExemptDetermining, map[string]any{"findings": "经核实，属于先行先试中的失误"}},
		{"determine below the quorum", ExemptDetermining, insp,
			cmd(ExemptDetermine, ExemptionCommand{Outcome: "exempt", Members: []string{"张纪", "李监"}, MeetingAt: &past},
				"outcome", "members", "meeting_at"), nil, []string{"members"}, "", nil},
		{"determine with repeated members", ExemptDetermining, insp,
			cmd(ExemptDetermine, ExemptionCommand{Outcome: "exempt", Members: []string{"张纪", "李监", "王察", "张纪"}, MeetingAt: &past},
				"outcome", "members", "meeting_at"), nil, []string{"members"}, "", nil},
		{"determine an unknown outcome in the future", ExemptDetermining, insp,
			cmd(ExemptDetermine, ExemptionCommand{Outcome: "pardon", Members: members, MeetingAt: &future},
				"outcome", "members", "meeting_at"), nil, []string{"outcome", "meeting_at"}, "", nil},
		{"determine", ExemptDetermining, insp,
			cmd(ExemptDetermine, ExemptionCommand{Outcome: "mitigated", Members: members, MeetingAt: &past, Opinion: "一致同意"},
				"outcome", "members", "meeting_at", "opinion"), nil, nil, ExemptDetermined,
			map[string]any{"outcome": "mitigated", "members": `["张纪","李监","王察"]`, "meeting_at": past, "opinion": "一致同意"}},
		{"issue a decision without its number", ExemptDetermined, insp,
			cmd(ExemptIssueDecision, ExemptionCommand{DecisionText: "决定从轻处理"}, "decision_text"), nil, []string{"decision_no"}, "", nil},
		{"issue a decision", ExemptDetermined, insp,
			cmd(ExemptIssueDecision, ExemptionCommand{DecisionNo: " 甬纪容〔2026〕3号 ", DecisionText: "决定从轻处理"}, "decision_no", "decision_text"),
			nil, nil, ExemptDecided, map[string]any{"decision_no": "甬纪容〔2026〕3号", "decision_text": "决定从轻处理", "decided_at": now}},
		{"file before the decision", ExemptDetermined, insp, cmd(ExemptFile, ExemptionCommand{FiledWith: "市纪委监委"}, "filed_with"),
			ErrInvalidTransition, nil, "", nil},
		{"file", ExemptDecided, insp, cmd(ExemptFile, ExemptionCommand{FiledWith: "市纪委监委"}, "filed_with"), nil, nil, ExemptFiled,
			map[string]any{"filed_with": "市纪委监委", "filed_at": now, "file_note": ""}},
		{"anything after filing", ExemptFiled, insp, cmd(ExemptAccept, ExemptionCommand{}), ErrInvalidTransition, nil, "", nil},
	}
	for _, c := range cases {
		o, err := ApplyExemption(c.st, c.actor, c.cmd, rules, now)
		switch {
		case c.err != nil:
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err %v, want %v", c.name, err, c.err)
			}
			continue
		case c.fields != nil:
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Errorf("%s: err %v, want a validation error", c.name, err)
				continue
			}
			var got []string
			for _, f := range v.Errors {
				got = append(got, f.Field)
			}
			if len(got) != len(c.fields) {
				t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if o.To != c.to || o.Closes != (c.to == ExemptFiled || c.to == ExemptRejected) {
			t.Errorf("%s: to %s closes %v", c.name, o.To, o.Closes)
		}
		for k, v := range c.set {
			if o.Set[k] != v {
				t.Errorf("%s: set %s = %#v, want %#v", c.name, k, o.Set[k], v)
			}
		}
	}
	if !Granted("exempt") || !Granted("mitigated") || Granted("not_exempt") || ExemptionOutcomeLabel("x") != "" {
		t.Error("Granted or ExemptionOutcomeLabel")
	}
}
