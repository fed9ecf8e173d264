package workflow

import (
	"errors"
	"testing"
	"time"
)

// specConsultationStates is docs/design.md#consultations' status table.
var specConsultationStates = []specState{
	{"planned", "筹备中"},
	{"published", "议程已发布"},
	{"held", "已召开"},
	{"cancelled", "已取消"},
}

// specConsultationTable is docs/design.md#consultations' action table: every
// step is 工商联's.
var specConsultationTable = []specTransition{
	{action: "gather_common_issues", label: "汇集共性问题", from: []Status{"planned"}, by: []Role{"acfic"},
		require: []string{"category"}, optional: []string{"title"}},
	{action: "publish_agenda", label: "发布议程", from: []Status{"planned"}, to: "published", by: []Role{"acfic"},
		optional: []string{"agenda"}},
	{action: "record_meeting", label: "记录召开情况", from: []Status{"published"}, to: "held", by: []Role{"acfic"},
		optional: []string{"minutes"}},
	{action: "cancel", label: "取消", from: []Status{"planned", "published"}, to: "cancelled", by: []Role{"acfic"},
		require: []string{"reason"}},
}

func TestConsultationTableMatchesDesign(t *testing.T) {
	t.Parallel()
	compareTable(t, Consultation, specConsultationStates, specConsultationTable)
	var statuses []Status
	for _, s := range specConsultationStates {
		statuses = append(statuses, s.status)
	}
	runMatrix(t, Consultation, specConsultationTable, statuses)
	if ActionLabel(MeetingRaiseIssue) != "提出问题" || ActionLabel(MeetingCreate) != "筹备协商会" {
		t.Error("ActionLabel of the meeting's own events")
	}
}

// TestApplyConsultation: the agenda's configured days ahead, an empty
// agenda, a meeting recorded before its day, and what each step records.
func TestApplyConsultation(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("CST", 8*3600)
	heldOn := time.Date(2026, 12, 18, 0, 0, 0, 0, cst)
	rules := ConsultationRules{AgendaDays: 5, CommonMinEnterprises: 2}
	acfic := Actor{Role: RoleACFIC}
	at := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, cst) }
	cmd := func(a Action, c ConsultationCommand, present ...string) ConsultationCommand {
		c.Action, c.Present = a, present
		return c
	}
	if got := rules.AgendaDeadline(heldOn); !got.Equal(at(13, 0)) {
		t.Errorf("AgendaDeadline = %v, want 12-13 00:00", got)
	}
	cases := []struct {
		name  string
		m     Meeting
		actor Actor
		cmd   ConsultationCommand
		now   time.Time
		err   error
		to    Status
	}{
		{"publish in time", Meeting{MeetingPlanned, heldOn, false}, acfic,
			cmd(MeetingPublishAgenda, ConsultationCommand{Agenda: "一、融资难题"}, "agenda"), at(12, 23), nil, MeetingPublished},
		{"publish gathered items alone", Meeting{MeetingPlanned, heldOn, true}, acfic, cmd(MeetingPublishAgenda, ConsultationCommand{}), at(13, 0), nil, MeetingPublished},
		{"publish too late", Meeting{MeetingPlanned, heldOn, true}, acfic, cmd(MeetingPublishAgenda, ConsultationCommand{}), at(13, 1), ErrAgendaLate, ""},
		{"publish nothing", Meeting{MeetingPlanned, heldOn, false}, acfic, cmd(MeetingPublishAgenda, ConsultationCommand{}), at(1, 9), ErrNoAgenda, ""},
		{"publish by a department", Meeting{MeetingPlanned, heldOn, true}, Actor{Role: RoleDepartment}, cmd(MeetingPublishAgenda, ConsultationCommand{}), at(1, 9), ErrRoleNotAllowed, ""},
		{"record before the day", Meeting{MeetingPublished, heldOn, true}, acfic, cmd(MeetingRecord, ConsultationCommand{}), at(17, 23), ErrMeetingNotYet, ""},
		{"record on the day", Meeting{MeetingPublished, heldOn, true}, acfic, cmd(MeetingRecord, ConsultationCommand{Minutes: "纪要"}, "minutes"), at(18, 9), nil, MeetingHeld},
		{"record unpublished", Meeting{MeetingPlanned, heldOn, true}, acfic, cmd(MeetingRecord, ConsultationCommand{}), at(18, 9), ErrInvalidTransition, ""},
		{"gather after publishing", Meeting{MeetingPublished, heldOn, true}, acfic, cmd(MeetingGather, ConsultationCommand{Category: "finance"}, "category"), at(1, 9), ErrInvalidTransition, ""},
		{"cancel a held meeting", Meeting{MeetingHeld, heldOn, true}, acfic, cmd(MeetingCancel, ConsultationCommand{Reason: "x"}, "reason"), at(19, 9), ErrInvalidTransition, ""},
		{"cancel", Meeting{MeetingPublished, heldOn, true}, acfic, cmd(MeetingCancel, ConsultationCommand{Reason: "台风"}, "reason"), at(17, 9), nil, MeetingCancelled},
	}
	for _, c := range cases {
		o, err := ApplyConsultation(c.m, c.actor, c.cmd, rules, c.now.UTC())
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err %v, want %v", c.name, err, c.err)
			}
			continue
		}
		if err != nil || o.To != c.to {
			t.Errorf("%s: %v, to %s, want %s", c.name, err, o.To, c.to)
		}
	}
	for _, c := range []struct {
		name   string
		cmd    ConsultationCommand
		fields int
	}{
		{"gather without a category", cmd(MeetingGather, ConsultationCommand{}), 1},
		{"cancel with a blank reason and a foreign field", cmd(MeetingCancel, ConsultationCommand{Reason: " ", Agenda: "x"}, "reason", "agenda"), 2},
	} {
		_, err := ApplyConsultation(Meeting{MeetingPlanned, heldOn, false}, acfic, c.cmd, rules, at(1, 9))
		var v *ValidationError
		if !errors.As(err, &v) || len(v.Errors) != c.fields {
			t.Errorf("%s: %v, want %d field errors", c.name, err, c.fields)
		}
	}
	if rules.CommonIssue(1) || !rules.CommonIssue(2) {
		t.Error("CommonIssue")
	}
}
