package workflow

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// 政企协商会 (docs/design.md#consultations): a meeting 工商联 organises on a
// theme, in a region, on a day, with invited enterprises and departments.
// Its agenda is published a configured number of days ahead; 工商联 may
// gather 共性问题 (open requests of one category across enterprises) into
// it; the issues raised become requests (channel consultation).

// KindConsultation is the case kind of a meeting's events.
const KindConsultation Kind = "meeting"

// Consultation statuses.
const (
	MeetingPlanned   Status = "planned"
	MeetingPublished Status = "published"
	MeetingHeld      Status = "held"
	MeetingCancelled Status = "cancelled"
)

// Consultation actions. MeetingCreate is the event written when a meeting
// is planned.
const (
	MeetingCreate        Action = "plan"
	MeetingGather        Action = "gather_common_issues"
	MeetingPublishAgenda Action = "publish_agenda"
	MeetingRecord        Action = "record_meeting"
	MeetingCancel        Action = "cancel"
	// MeetingRaiseIssue is the event written on the meeting when an issue
	// raised at it is filed as a request.
	MeetingRaiseIssue Action = "raise_issue"
)

// Consultation is the meeting's table: every step is 工商联's.
var Consultation = &Machine{
	Kind: KindConsultation,
	States: []State{
		{MeetingPlanned, "筹备中", true, "", false},
		{MeetingPublished, "议程已发布", true, "", false},
		{MeetingHeld, "已召开", false, "", false},
		{MeetingCancelled, "已取消", false, "", false},
	},
	Table: []Transition{
		{Action: MeetingGather, Label: "汇集共性问题", From: in(MeetingPlanned), SameState: true, By: by(RoleACFIC),
			Require: fields("category"), Optional: fields("title")},
		{Action: MeetingPublishAgenda, Label: "发布议程", From: in(MeetingPlanned), To: MeetingPublished, By: by(RoleACFIC),
			Optional: fields("agenda")},
		{Action: MeetingRecord, Label: "记录召开情况", From: in(MeetingPublished), To: MeetingHeld, By: by(RoleACFIC),
			Optional: fields("minutes")},
		{Action: MeetingCancel, Label: "取消", From: in(MeetingPlanned, MeetingPublished), To: MeetingCancelled, By: by(RoleACFIC),
			Require: fields("reason")},
	},
}

// ConsultationRules are the configured rules of the meetings
// (configs/consultations.yaml).
type ConsultationRules struct {
	// AgendaDays: the agenda is published at least this many calendar days
	// before the meeting's day.
	AgendaDays int
	// CommonMinEnterprises: a 共性问题 is a category raised by at least this
	// many enterprises.
	CommonMinEnterprises int
}

// Meeting is what the engine needs to know of a meeting.
type Meeting struct {
	Status Status
	// HeldOn is the meeting's day (midnight, in the calendar's zone).
	HeldOn time.Time
	// HasAgenda: agenda text or gathered items exist.
	HasAgenda bool
}

// AgendaDeadline is the last moment the agenda of a meeting on heldOn may
// be published: the start of the day AgendaDays before it.
func (r ConsultationRules) AgendaDeadline(heldOn time.Time) time.Time {
	return heldOn.AddDate(0, 0, -r.AgendaDays)
}

// ConsultationCommand is one action on a meeting with its body fields.
type ConsultationCommand struct {
	Action   Action
	Present  []string
	Category string
	Title    string
	Agenda   string
	Minutes  string
	Reason   string
}

func (c ConsultationCommand) text(f string) string {
	switch f {
	case "category":
		return c.Category
	case "title":
		return c.Title
	case "agenda":
		return c.Agenda
	case "minutes":
		return c.Minutes
	case "reason":
		return c.Reason
	}
	return ""
}

// ErrAgendaLate: the agenda is published later than the configured days
// before the meeting (409).
var ErrAgendaLate = errorf("workflow: the agenda is published too late", ErrInvalidTransition)

// ErrMeetingNotYet: the meeting is recorded before its day (409).
var ErrMeetingNotYet = errorf("workflow: the meeting's day has not come", ErrInvalidTransition)

// ErrNoAgenda: an agenda is published with nothing on it (409).
var ErrNoAgenda = errorf("workflow: the agenda is empty", ErrInvalidTransition)

// ApplyConsultation checks cmd against the table, the meeting and the
// rules at now, and returns what it does (the gathering of a 共性问题 is
// completed by the model, which reads the requests).
func ApplyConsultation(m Meeting, actor Actor, cmd ConsultationCommand, r ConsultationRules, now time.Time) (StepOutcome, error) {
	t, err := Consultation.Check(Item{Status: m.Status}, actor, cmd.Action)
	if err != nil {
		return StepOutcome{}, err
	}
	var v ValidationError
	checkStepFields(t, cmd.Present, cmd.text, []string{"category", "title"}, nil, &v)
	if err := v.Err(); err != nil {
		return StepOutcome{}, err
	}
	o := StepOutcome{Action: t.Action, From: m.Status, To: t.To, Set: map[string]any{}, Payload: map[string]any{}}
	if t.SameState {
		o.To = m.Status
	}
	for _, f := range cmd.Present {
		if f != "action" && f != "expected_version" {
			o.Payload[f] = cmd.text(f)
		}
	}
	switch t.Action {
	case MeetingPublishAgenda:
		if now.After(r.AgendaDeadline(m.HeldOn)) {
			return StepOutcome{}, ErrAgendaLate
		}
		if strings.TrimSpace(cmd.Agenda) == "" && !m.HasAgenda {
			return StepOutcome{}, ErrNoAgenda
		}
		if slices.Contains(cmd.Present, "agenda") {
			o.Set["agenda"] = cmd.Agenda
		}
		o.Set["agenda_published_at"] = now
	case MeetingRecord:
		if now.Before(m.HeldOn) {
			return StepOutcome{}, ErrMeetingNotYet
		}
		o.Set["minutes"], o.Set["held_at"] = cmd.Minutes, now
	case MeetingCancel:
		o.Set["cancel_reason"] = cmd.Reason
	}
	return o, nil
}

// CommonIssue reports whether requests of one category from enterprises
// distinct enterprises make a 共性问题.
func (r ConsultationRules) CommonIssue(enterprises int) bool {
	return enterprises >= r.CommonMinEnterprises
}

func errorf(msg string, wrap error) error { return fmt.Errorf("%w: %s", wrap, msg) }
