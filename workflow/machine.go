// Package workflow holds the two closed loops of qinqing as data: the state
// machine of an enterprise request (docs/design.md#request-loop) and of a lead (docs/design.md#lead-loop), one
// generic engine over both, the Chinese labels people see, and the working-day
// calendar that deadlines are counted in. It is pure Go: no database, no HTTP,
// no clock (time is always a parameter).
package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is an account's role (a casbin subject).
type Role string

// The six roles of docs/design.md#roles, and the system actor used by the scanner.
const (
	RoleEnterprise Role = "enterprise"
	RoleStation    Role = "station"
	RoleACFIC      Role = "acfic"
	RoleDepartment Role = "department"
	RoleInspector  Role = "inspector"
	RoleAdmin      Role = "admin"
	RoleSystem     Role = "system"
)

// Roles lists the roles an account may have, in the order of docs/design.md.
func Roles() []Role {
	return []Role{RoleEnterprise, RoleStation, RoleACFIC, RoleDepartment, RoleInspector, RoleAdmin}
}

// ValidRole reports whether r is one of the six account roles.
func ValidRole(r Role) bool { return slices.Contains(Roles(), r) }

// Kind names a case kind: a request or a lead.
type Kind string

// The case kinds.
const (
	KindRequest Kind = "request"
	KindLead    Kind = "lead"
)

// Status is a case's state.
type Status string

// Action is a workflow action (what POST …/transitions takes).
type Action string

// Party is a relationship the actor must have with the case, beyond its role
// and region, for a transition to be open to it.
type Party uint8

// Parties. The caller works them out from the data (model knows who filed a
// case and which unit it is assigned to) and passes them in Actor.
const (
	// PartyNone: the role (and region, checked by policy) is enough.
	PartyNone Party = iota
	// PartyFilingEnterprise: the enterprise account the request belongs to.
	PartyFilingEnterprise
	// PartyFiler: the enterprise the request belongs to, or the station that filed it.
	PartyFiler
	// PartyAssignedUnit: a department account of the unit the request is assigned to.
	PartyAssignedUnit
	// PartyRectifyingUnit: a department account of the unit charged with a lead's rectification.
	PartyRectifyingUnit
	// PartyNotProposer: an inspector other than the one who proposed the
	// disposal waiting for approval (报批: no one approves their own).
	PartyNotProposer
	// PartyCoUnit: a department account of a unit named to co-handle the
	// request (协办单位).
	PartyCoUnit
)

// Transition is one row of a transition table.
type Transition struct {
	Action Action
	Label  string // Chinese, shown to people
	From   []Status
	// To is the target state. For SameState rows it is empty; for rows whose
	// target depends on the command (evaluate, decide, verify) it is the
	// usual target and the engine's outcome rules pick the other one.
	To        Status
	SameState bool
	By        []Role
	Party     Party
	// Require lists the body fields that must be present; Optional those that may be.
	Require  []string
	Optional []string
	// Guard is an extra condition on the item beyond its state; an unmet guard
	// makes the action unavailable (409), like a wrong state.
	Guard Guard
}

// Guard is an extra state condition on a transition.
type Guard uint8

// Guards.
const (
	GuardNone Guard = iota
	// GuardNoPendingExtension: no extension request is waiting for a decision.
	GuardNoPendingExtension
	// GuardPendingExtension: an extension request is waiting for a decision.
	GuardPendingExtension
	// GuardOverdueForInspector: inspectors supervise only overdue requests (docs/design.md#roles); 工商联 at any time.
	GuardOverdueForInspector
	// GuardShelved: the lead was closed with the disposal shelved.
	GuardShelved
	// GuardFeedbackOpen: no feedback was recorded for the lead's closure yet.
	GuardFeedbackOpen
)

// State describes a status: its Chinese label and whether it is open (has a deadline).
type State struct {
	Status Status
	Label  string
	Open   bool
	// Step names the deadline step an item in this state is waiting on
	// (accept, claim, respond, evaluate; register, decide, rectify, verify).
	// In a state that is not Open it names the step that may follow the
	// case's end: the feedback to a lead's named reporter, which has a
	// deadline only when the closing transition started one.
	Step string
	// CountsLate: finishing this step late counts against 按期办结
	// (late_steps): the steps that bind an official of a request.
	CountsLate bool
}

// Machine is a transition table with its states.
type Machine struct {
	Kind   Kind
	States []State
	Table  []Transition
}

// Item is what the engine needs to know about a case: its state for the
// guards, and the times and counters its transitions read.
type Item struct {
	Status Status
	// PendingExtension: a request's extension of ExtensionDays working days
	// waits for 工商联's decision.
	PendingExtension bool
	ExtensionDays    int
	// Overdue: the current step is past its deadline now; Marked: the
	// scanner already marked it (and counted it late).
	Overdue bool
	Marked  bool
	// Disposal is a lead's decision.
	Disposal string
	// Proposal is a lead's disposal waiting for approval (报批), if any.
	Proposal *Proposal
	// Named: a lead's reporter is named (feedback is due at its closure);
	// FeedbackGiven: the feedback of its closure is recorded; ClosedAt: when
	// it closed.
	Named         bool
	FeedbackGiven bool
	ClosedAt      *time.Time

	// The current step's deadline and start, the handling round's start
	// (a request's assignment or reopening), and the case's filing time.
	DueAt          *time.Time
	StepStartedAt  time.Time
	RoundStartedAt time.Time
	CreatedAt      time.Time
	// Assigned: the request was assigned before (first_assigned_at is set).
	Assigned   bool
	Supervised bool
	// Counters, and the rectification period a lead's decision set.
	LateSteps, ReturnCount, ReopenCount int
	RectifyDays                         int
}

// Actor is who wants to act, with the parties it is to this case.
type Actor struct {
	// ID is the account's id, recorded where an action names who took it
	// (the proposer of a disposal).
	ID      uint64
	Role    Role
	Parties []Party
	// Subject marks an account named as the lead's subject: it may never act on it.
	Subject bool
}

func (a Actor) is(p Party) bool { return p == PartyNone || slices.Contains(a.Parties, p) }

// Errors returned by the engine. The api maps them to problem responses.
var (
	// ErrInvalidTransition: the case's state does not allow the action (409).
	ErrInvalidTransition = errors.New("workflow: action not allowed in this state")
	// ErrNotParty: the role may take the action, but this actor is not the party it needs (403).
	ErrNotParty = errors.New("workflow: actor is not a party to this action")
	// ErrRoleNotAllowed: the actor's role never takes this action (403).
	ErrRoleNotAllowed = errors.New("workflow: role may not take this action")
	// ErrOwnProposal: the proposer of a disposal may not approve it or
	// send it back (403); it is an ErrNotParty.
	ErrOwnProposal = fmt.Errorf("%w: the proposer may not review their own proposal", ErrNotParty)
	// ErrRecused: the actor is named as the lead's subject (403).
	ErrRecused = errors.New("workflow: the subject of a lead may not act on it")
	// ErrUnknownAction: no such action in this loop (400).
	ErrUnknownAction = errors.New("workflow: unknown action")
)

// FieldError is one invalid field, with a message for people.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists invalid fields (400 validation_failed).
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Message
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Add appends a field error.
func (e *ValidationError) Add(field, msg string) { e.Errors = append(e.Errors, FieldError{field, msg}) }

// Err returns e when it holds errors, else nil.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Errors) == 0 {
		return nil
	}
	return e
}

// Invalid builds a ValidationError with one field.
func Invalid(field, msg string) error {
	return &ValidationError{Errors: []FieldError{{field, msg}}}
}

// State returns the description of s, and whether s belongs to the machine.
func (m *Machine) State(s Status) (State, bool) {
	for _, st := range m.States {
		if st.Status == s {
			return st, true
		}
	}
	return State{}, false
}

// Label returns the Chinese label of s (the status itself when unknown).
func (m *Machine) Label(s Status) string {
	if st, ok := m.State(s); ok {
		return st.Label
	}
	return string(s)
}

// DeadlineStatuses lists the statuses in which a case may carry a
// deadline: the open ones, and the end states whose Step follows the end.
func (m *Machine) DeadlineStatuses() []Status {
	var out []Status
	for _, st := range m.States {
		if st.Open || st.Step != "" {
			out = append(out, st.Status)
		}
	}
	return out
}

// OpenStatuses lists the statuses that carry a deadline.
func (m *Machine) OpenStatuses() []Status {
	var out []Status
	for _, st := range m.States {
		if st.Open {
			out = append(out, st.Status)
		}
	}
	return out
}

// Transition returns the row for action a.
func (m *Machine) Transition(a Action) (Transition, bool) {
	for _, t := range m.Table {
		if t.Action == a {
			return t, true
		}
	}
	return Transition{}, false
}

// Actions lists every action of the machine in table order.
func (m *Machine) Actions() []Action {
	out := make([]Action, len(m.Table))
	for i, t := range m.Table {
		out[i] = t.Action
	}
	return out
}

// Fields returns the body fields action a accepts (required first).
func (m *Machine) Fields(a Action) []string {
	t, ok := m.Transition(a)
	if !ok {
		return nil
	}
	return append(append([]string{}, t.Require...), t.Optional...)
}

func (t Transition) stateAllows(it Item) bool {
	if !slices.Contains(t.From, it.Status) {
		return false
	}
	switch t.Guard {
	case GuardNoPendingExtension:
		return !it.PendingExtension
	case GuardPendingExtension:
		return it.PendingExtension
	case GuardShelved:
		return it.Disposal == DisposalShelved
	case GuardFeedbackOpen:
		return !it.FeedbackGiven
	}
	return true
}

// Check tells whether actor may take action a on it now. The order is the
// contract's: unknown action, recusal, role, state, then party.
func (m *Machine) Check(it Item, actor Actor, a Action) (Transition, error) {
	t, ok := m.Transition(a)
	if !ok {
		return Transition{}, fmt.Errorf("%w %q", ErrUnknownAction, a)
	}
	if actor.Subject {
		return t, ErrRecused
	}
	if !slices.Contains(t.By, actor.Role) {
		return t, ErrRoleNotAllowed
	}
	if !t.stateAllows(it) {
		return t, ErrInvalidTransition
	}
	if t.Guard == GuardOverdueForInspector && actor.Role == RoleInspector && !it.Overdue {
		return t, ErrInvalidTransition
	}
	if !actor.is(t.Party) {
		if t.Party == PartyNotProposer {
			return t, ErrOwnProposal
		}
		return t, ErrNotParty
	}
	return t, nil
}

// Available lists the transitions actor may take on it now, in table order.
func (m *Machine) Available(it Item, actor Actor) []Transition {
	var out []Transition
	for _, t := range m.Table {
		if _, err := m.Check(it, actor, t.Action); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// Apply checks the command against the table and the item and returns
// everything the transition does (effects.go). It changes nothing; the
// model writes the outcome.
func (m *Machine) Apply(it Item, actor Actor, cmd Command, env Env) (Outcome, error) {
	t, err := m.Check(it, actor, cmd.Action)
	if err != nil {
		return Outcome{}, err
	}
	if err := cmd.validate(m.Kind, t); err != nil {
		return Outcome{}, err
	}
	if t.Action == LeadRecordFeedback && m.Kind == KindLead {
		var v ValidationError
		validateFeedback(cmd, it, env.Now, &v)
		if err := v.Err(); err != nil {
			return Outcome{}, err
		}
	}
	o := Outcome{Kind: m.Kind, From: it.Status, To: t.To, Action: t.Action}
	if t.SameState {
		o.To = it.Status
	}
	effects(m, it, actor, cmd, env, &o)
	return o, nil
}
