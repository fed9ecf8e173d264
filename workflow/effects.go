package workflow

import (
	"strconv"
	"strings"
	"time"
)

// What a transition does, as data. Apply returns an Outcome that names
// every change: the new state, the deadline step that ends (and whether it
// was met), the step that starts and its deadline, whether the case closes,
// the fields the action records on the case (the unit, counters, the
// answer, the decision …) and the event to write. The model writes an
// Outcome as it is, the same way for both kinds of case; nothing outside
// this package decides what an action does.

// Env is what Apply needs besides the case and the command: the time of the
// transition, the working-day calendar and the deadline limits of the case's
// steps.
type Env struct {
	Now      time.Time
	Calendar *Calendar
	Limits   Limits
	// Approval lists the disposals whose decision a second inspector must
	// approve (报批, configs/leads.yaml); a decide with one of them is a
	// proposal.
	Approval []string
	// Dispatch is the unit the 派单目录 offers for the request (nil: none);
	// an assignment records how it relates to it.
	Dispatch *Suggestion
}

// Limits are the deadline limits of one case's steps.
type Limits struct {
	// Steps maps a step (State.Step: accept, claim, respond, evaluate;
	// register, decide, verify) to its limit.
	Steps map[string]Limit
	// Override, when set, replaces every limit, including the rectification
	// period a decision sets (demonstration mode).
	Override Limit
}

// step returns the limit of a step whose length is configured.
func (l Limits) step(name string) Limit {
	if !l.Override.IsZero() {
		return l.Override
	}
	return l.Steps[name]
}

// days returns the limit of a step whose length the command sets, in
// working days (rectification).
func (l Limits) days(n int) Limit {
	if !l.Override.IsZero() {
		return l.Override
	}
	return Limit{WorkingDays: n}
}

// DeadlineChange says what a transition does to the case's deadline.
type DeadlineChange uint8

// Deadline changes.
const (
	// DeadlineKept: the deadline of the current step runs on.
	DeadlineKept DeadlineChange = iota
	// DeadlineStarted: a new step starts now; its deadline is DueAt, and
	// the overdue and due-soon marks of the old step are cleared.
	DeadlineStarted
	// DeadlineMoved: the current step gets a new deadline (an approved
	// extension, a supervision that sets a date); the due-soon mark is
	// cleared, the overdue mark only when ClearsOverdue.
	DeadlineMoved
	// DeadlineCleared: the case closes and has no deadline any more.
	DeadlineCleared
)

// Deadline is the case's deadline after a transition.
type Deadline struct {
	Change DeadlineChange
	// Step names the step that starts (DeadlineStarted).
	Step string
	// StartedAt is when the step started (DeadlineStarted).
	StartedAt time.Time
	// DueAt is the new deadline (DeadlineStarted, DeadlineMoved); Working
	// tells whether it was counted in working days.
	DueAt   *time.Time
	Working bool
	// ClearsOverdue: a moved deadline also clears the overdue mark.
	ClearsOverdue bool
}

// Record is the event a transition writes; the model adds the actor and
// the time.
type Record struct {
	Action   Action
	From, To Status
	// Step is the deadline step the event completes ("" when none), with
	// its deadline, whether it was met and the working time it took, for
	// the indicators. An event may name its step without the rest (an
	// evaluation ends the evaluation window, which is not an official's
	// deadline).
	Step           string
	StepDueAt      *time.Time
	OnTime         *bool
	WorkingSeconds int64
	// Payload holds the fields the client sent, and what the action
	// derived from the case (the days an approval granted).
	Payload map[string]any
}

// Outcome is everything one transition does to a case.
type Outcome struct {
	Kind     Kind
	Action   Action
	From, To Status
	// Deadline is the deadline after the transition.
	Deadline Deadline
	// Closes: the case is finished (closed_at is set).
	Closes bool
	// Set lists the fields of the case the action records, by their
	// snake_case names, with their new values: the unit a request is
	// assigned to (nil values clear it), counters with their new values
	// (return_count, reopen_count, late_steps), the answer, the evaluation,
	// the decision, the rectification task, the return visit.
	Set map[string]any
	// Event is the event to write.
	Event Record
}

// effects fills in what o does, from the case as it is and the command.
func effects(m *Machine, it Item, actor Actor, cmd Command, env Env, o *Outcome) {
	now := env.Now
	o.Set = map[string]any{}
	o.Event = Record{Action: o.Action, From: o.From, Payload: payload(cmd, env)}
	from, _ := m.State(o.From)
	late := it.DueAt != nil && now.After(*it.DueAt)
	// countLate records a step finished late that the scanner did not
	// already mark (and count) as overdue.
	countLate := func() {
		if late && !it.Marked && from.CountsLate {
			o.Set["late_steps"] = it.LateSteps + 1
		}
	}
	endStep := func() {
		o.Event.Step, o.Event.StepDueAt = from.Step, it.DueAt
		onTime := !late
		o.Event.OnTime = &onTime
		o.Event.WorkingSeconds = int64(env.Calendar.WorkingTime(it.StepStartedAt, now) / time.Second)
		countLate()
	}
	startStep := func(st Status, countFrom time.Time, l Limit) *time.Time {
		state, _ := m.State(st)
		due := env.Calendar.Due(countFrom, l).UTC().Truncate(time.Millisecond)
		o.Deadline = Deadline{Change: DeadlineStarted, Step: state.Step, StartedAt: now, DueAt: &due, Working: l.Working()}
		return &due
	}
	start := func(st Status) *time.Time {
		state, _ := m.State(st)
		return startStep(st, now, env.Limits.step(state.Step))
	}
	closeCase := func() {
		o.Deadline = Deadline{Change: DeadlineCleared}
		o.Closes = true
		if m.Kind == KindLead && it.Named {
			// The feedback to the named reporter is due from the closure:
			// the step that follows the end (State.Step of the end state).
			o.Set["feedback_due_at"] = startStep(o.To, now, env.Limits.step("feedback"))
		}
	}

	// decide records a decision (评估决策) and starts what its disposal
	// leads to: closure, or a rectification.
	decide := func(cmd Command) {
		o.Set["disposal"], o.Set["assessment"] = cmd.Disposal, cmd.Assessment
		o.Set["transfer_to"], o.Set["grounds"] = cmd.TransferTo, cmd.Grounds
		o.To = LeadRectifying
		d, _ := DisposalByCode(cmd.Disposal)
		if d.Closes {
			o.To = LeadClosed
			closeCase()
			return
		}
		if d.Inquiry {
			// 函询: the letter goes to the unit; its reply is due within
			// the configured period. A new inquiry replaces the last one.
			o.To = LeadInquiring
			o.Set["inquiry_department_code"], o.Set["inquiry_region_code"] = cmd.DepartmentCode, cmd.UnitRegionCode
			o.Set["inquiry_letter"], o.Set["inquiry_sent_at"] = cmd.Letter, now
			o.Set["inquiry_reply"], o.Set["inquiry_replied_at"] = nil, nil
			o.Set["inquiry_conclusion"], o.Set["inquiry_result"], o.Set["inquiry_concluded_at"] = nil, nil, nil
			o.Set["inquiry_due_at"] = start(LeadInquiring)
			return
		}
		o.Set["rectify_department_code"], o.Set["rectify_region_code"] = cmd.DepartmentCode, cmd.UnitRegionCode
		o.Set["rectify_days"] = cmd.Days
		o.Set["rectify_due_at"] = startStep(LeadRectifying, now, env.Limits.days(cmd.Days))
	}

	switch o.Action {
	// The request loop.
	case Assign:
		endStep()
		o.Set["department_code"], o.Set["unit_region_code"] = cmd.DepartmentCode, cmd.RegionCode
		o.Set["round_started_at"] = now
		o.Set["co_units"] = EncodeUnits(cmd.CoUnits)
		recordDispatch(o.Event.Payload, actor, cmd, env.Dispatch)
		if !it.Assigned {
			o.Set["first_assigned_at"] = now
		}
		start(Assigned)
	case Reject, Withdraw:
		endStep()
		closeCase()
	case Merge:
		endStep()
		closeCase()
		id, _ := strconv.ParseUint(cmd.TargetID, 10, 64) // validated
		o.Set["merged_into"] = id
	case Claim:
		endStep()
		start(InProgress)
	case Return:
		endStep()
		o.Set["department_code"], o.Set["unit_region_code"] = nil, nil
		o.Set["co_units"] = "" // the next assignment names its own
		o.Set["return_count"] = it.ReturnCount + 1
		o.Set["pending_extension_days"] = 0
		start(Submitted)
	case RequestExtension:
		o.Set["pending_extension_days"] = cmd.Days
	case ApproveExtension:
		o.Set["pending_extension_days"] = 0
		if it.DueAt != nil {
			l := Limit{WorkingDays: it.ExtensionDays}
			due := env.Calendar.Due(*it.DueAt, l).UTC().Truncate(time.Millisecond)
			o.Deadline = Deadline{Change: DeadlineMoved, DueAt: &due, Working: l.Working()}
		}
		o.Event.Payload["days"] = it.ExtensionDays
	case DenyExtension:
		o.Set["pending_extension_days"] = 0
	case Respond:
		endStep()
		// The answer's working time counts from the start of the handling
		// round (the assignment, or the reopening), not from the claim.
		o.Event.WorkingSeconds = int64(env.Calendar.WorkingTime(it.RoundStartedAt, now) / time.Second)
		o.Set["response"] = cmd.Response
		start(Responded)
	case Evaluate:
		o.Event.Step = from.Step
		o.Set["evaluation_score"], o.Set["evaluation_comment"], o.Set["evaluated_at"] = cmd.Score, cmd.Comment, now
		if cmd.Score < SatisfiedScore {
			o.To = InProgress // 重办: back to the same unit, with a fresh deadline
			o.Set["reopen_count"] = it.ReopenCount + 1
			o.Set["round_started_at"] = now
			start(InProgress)
		} else {
			closeCase()
		}
	case ExpireEvaluation:
		o.Event.Step = from.Step
		closeCase()
	case Supervise:
		o.Set["supervised"] = true
		if cmd.DueAt != nil {
			d := cmd.DueAt.UTC().Truncate(time.Millisecond)
			o.Deadline = Deadline{Change: DeadlineMoved, DueAt: &d, ClearsOverdue: true}
			countLate()
		}
	case Supplement:
		// The material is the event's payload; the deadline runs on.

	// The lead loop.
	case LeadRegister:
		endStep()
		// The decision is due one month from receipt, not from registration.
		startStep(LeadRegistered, it.CreatedAt, env.Limits.step("decide"))
	case LeadDismiss:
		endStep()
		closeCase()
	case LeadInvestigate:
		// Notes are kept in the event's payload; the deadline runs on.
	case LeadDecide, LeadProposeDisposal:
		if o.Action == LeadProposeDisposal || NeedsApproval(env.Approval, cmd.Disposal) {
			// 报批: the decision waits for a second inspector; its
			// deadline runs on. A decide that needs approval is recorded
			// as the proposal it is.
			o.To, o.Event.Action = LeadPendingApproval, LeadProposeDisposal
			o.Set["proposal"], o.Set["proposed_by"] = proposalOf(cmd, now).Encode(), actor.ID
			break
		}
		endStep()
		decide(cmd)
	case LeadApproveDisposal:
		// The proposal takes effect as the decision, as of now; the event
		// records what was approved.
		endStep()
		p := it.Proposal
		if p == nil {
			p = &Proposal{}
		}
		for k, v := range p.payload() {
			o.Event.Payload[k] = v
		}
		o.Set["proposal"], o.Set["proposed_by"] = nil, nil
		decide(p.command())
	case LeadSendBackDisposal:
		// Back to investigation; the decision's deadline runs on.
		o.Set["proposal"], o.Set["proposed_by"] = nil, nil
	case LeadRecordInquiryReply:
		endStep()
		o.Set["inquiry_reply"], o.Set["inquiry_replied_at"] = cmd.Reply, now
		start(LeadInquiryReplied)
	case LeadConcludeInquiry:
		endStep()
		o.Set["inquiry_conclusion"], o.Set["inquiry_result"], o.Set["inquiry_concluded_at"] = cmd.Conclusion, cmd.Result, now
		if cmd.Conclusion == InquirySettled {
			closeCase()
			break
		}
		// Further handling: the written inquiry is done and a new decision
		// is due, counted from now as after a reopening.
		o.To = LeadInvestigating
		o.Set["disposal"], o.Set["assessment"], o.Set["transfer_to"], o.Set["grounds"] = nil, "", "", ""
		start(LeadInvestigating)
	case CompleteRectification:
		endStep()
		o.Set["rectify_report"], o.Set["rectified_at"] = cmd.Report, now
		start(LeadVerifying)
	case LeadVerify:
		endStep()
		accepted := cmd.Accepted != nil && *cmd.Accepted
		o.Set["verify_accepted"], o.Set["verify_result"], o.Set["verified_at"] = accepted, cmd.Result, now
		if accepted {
			closeCase()
			break
		}
		// Not accepted: back to the same unit, for the days given or the
		// period of the decision.
		o.To = LeadRectifying
		days := it.RectifyDays
		if cmd.Days > 0 {
			days = cmd.Days
		}
		o.Set["rectify_days"] = days
		o.Set["rectify_due_at"] = startStep(LeadRectifying, now, env.Limits.days(days))
	case LeadRecordFeedback:
		o.Set["feedback_content"], o.Set["feedback_recorded_at"] = cmd.Content, now
		if it.Named {
			endStep()
			o.Deadline = Deadline{Change: DeadlineCleared}
			o.Set["feedback_method"], o.Set["feedback_at"] = cmd.Method, cmd.FeedbackAt.UTC().Truncate(time.Millisecond)
		}
	case LeadSetSubject:
		// The store matches the username to an account (subject_account_id).
		o.Set["subject_username"] = strings.ToLower(strings.TrimSpace(cmd.SubjectUsername))
		if cmd.has("subject_name") {
			o.Set["subject_name"] = cmd.SubjectName
		}
	case LeadRecuse:
		// The store records the recusal; the deadline runs on.
	case LeadReopen:
		// A new receipt of the same lead: the decision of the shelved one is
		// withdrawn, and a new one is due one month from now.
		o.Set["disposal"], o.Set["assessment"], o.Set["transfer_to"], o.Set["grounds"] = nil, "", "", ""
		o.Set["closed_at"] = nil
		// the next closure is fed back afresh
		o.Set["feedback_due_at"], o.Set["feedback_method"], o.Set["feedback_at"] = nil, nil, nil
		o.Set["feedback_content"], o.Set["feedback_recorded_at"] = nil, nil
		start(LeadInvestigating)
	}
	o.Event.To = o.To
}

// Overdue is what the deadline scanner does when the current step of a case
// passes its deadline: the step is marked overdue (and counted late), an
// overdue event is written, and an open request not yet under 督办 is
// escalated to it automatically (a second event). Overdue leads are not
// escalated: the inspectors who would supervise them are the ones handling
// them.
func Overdue(m *Machine, it Item, loc *time.Location) (set map[string]any, events []Record) {
	st, _ := m.State(it.Status)
	set = map[string]any{"overdue": true}
	events = []Record{{Action: EventOverdue, From: it.Status, To: it.Status, Step: st.Step, StepDueAt: it.DueAt, Payload: stepPayload(st, it, loc)}}
	if m.Kind != KindRequest {
		return set, events
	}
	set["late_steps"] = it.LateSteps + 1
	set["supervised"] = true
	if !it.Supervised {
		events = append(events, Record{Action: Supervise, From: it.Status, To: it.Status, Payload: AutoSupervision()})
	}
	return set, events
}

// AutoSupervision is the payload of the 督办 the scanner writes.
func AutoSupervision() map[string]any {
	return map[string]any{"note": "逾期未办，系统自动督办", "automatic": true}
}

// payload records the fields the client sent with an action.
func payload(cmd Command, env Env) map[string]any {
	m := map[string]any{}
	for _, f := range cmd.Present {
		switch f {
		case "action", "expected_version", "file_ids": // the store records the files with their hashes
		case "days":
			m[f] = cmd.Days
		case "score":
			m[f] = cmd.Score
		case "accepted":
			if cmd.Accepted != nil {
				m[f] = *cmd.Accepted
			}
		case "co_units":
			units := make([]any, len(cmd.CoUnits))
			for i, u := range cmd.CoUnits {
				units[i] = map[string]any{"department_code": u.DepartmentCode, "region_code": u.RegionCode}
			}
			m[f] = units
		case "due_at", "feedback_at":
			t := cmd.DueAt
			if f == "feedback_at" {
				t = cmd.FeedbackAt
			}
			if t != nil {
				loc := time.UTC
				if env.Calendar != nil {
					loc = env.Calendar.Location()
				}
				m[f] = t.In(loc).Format(time.RFC3339)
			}
		default:
			m[f] = cmd.Text(f)
		}
	}
	return m
}

// StepDeadline returns the deadline of the step a case in status st waits
// on, counted from start, and whether it is counted in working days; nil
// for a state without a deadline. A new case's first deadline comes from it.
func (m *Machine) StepDeadline(st Status, start time.Time, env Env) (*time.Time, bool) {
	state, ok := m.State(st)
	if !ok || !state.Open {
		return nil, false
	}
	l := env.Limits.step(state.Step)
	due := env.Calendar.Due(start, l).UTC().Truncate(time.Millisecond)
	return &due, l.Working()
}

// DueSoon is the reminder the deadline scanner writes once per step when
// the current step's deadline comes near.
func DueSoon(m *Machine, it Item, loc *time.Location) Record {
	st, _ := m.State(it.Status)
	return Record{Action: EventDueSoon, From: it.Status, To: it.Status, Step: st.Step, StepDueAt: it.DueAt, Payload: stepPayload(st, it, loc)}
}

func stepPayload(st State, it Item, loc *time.Location) map[string]any {
	p := map[string]any{"step": st.Step}
	if it.DueAt != nil {
		p["due_at"] = it.DueAt.In(loc).Format(time.RFC3339)
	}
	return p
}
