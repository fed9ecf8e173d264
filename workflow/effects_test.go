package workflow

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is when the outcome tests act: Wednesday 2026-11-25 10:00 in
// Beijing. testDue is a deadline that passed the day before.
var (
	testNow = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	testDue = time.Date(2026, 11, 24, 15, 59, 59, 0, time.UTC)
)

// testLimits are limits like the shipped ones.
var testLimits = map[string]Limit{
	"accept": {WorkingDays: 1}, "claim": {WorkingDays: 1}, "respond": {WorkingDays: 5}, "evaluate": {CalendarDays: 7},
	"register": {WorkingDays: 5}, "decide": {Months: 1}, "verify": {WorkingDays: 5},
}

// testEnv is the environment of the outcome tests. The exhaustive tests
// apply commands hundreds of thousands of times: the calendar is built once.
func testEnv(tb testing.TB) Env {
	cal, err := sharedCalendar()
	if err != nil {
		tb.Fatalf("NewCalendar: %v", err)
	}
	return Env{Now: testNow, Calendar: cal, Limits: Limits{Steps: testLimits}}
}

var sharedCalendar = sync.OnceValues(func() (*Calendar, error) { return NewCalendar(nil, testYears) })

// describe writes what an outcome does in one line: the states, the step
// the event ends ("ends" when it records whether the deadline was met,
// "step" when it only names it), the deadline change, whether the case
// closes, and the names of the fields it sets.
func describe(o Outcome) string {
	parts := []string{string(o.From) + "→" + string(o.To)}
	switch {
	case o.Event.Step != "" && o.Event.OnTime != nil:
		parts = append(parts, "ends:"+o.Event.Step)
	case o.Event.Step != "":
		parts = append(parts, "step:"+o.Event.Step)
	}
	switch o.Deadline.Change {
	case DeadlineStarted:
		parts = append(parts, "deadline:started:"+o.Deadline.Step)
	case DeadlineMoved:
		parts = append(parts, "deadline:moved")
	case DeadlineCleared:
		parts = append(parts, "deadline:cleared")
	}
	if o.Closes {
		parts = append(parts, "closes")
	}
	if len(o.Set) > 0 {
		parts = append(parts, "set:"+strings.Join(slices.Sorted(maps.Keys(o.Set)), ","))
	}
	return strings.Join(parts, " ")
}

func mustApply(t *testing.T, m *Machine, it Item, a Actor, cmd Command, env Env) Outcome {
	t.Helper()
	o, err := m.Apply(it, a, cmd, env)
	if err != nil {
		t.Fatalf("Apply(%s) = %v", cmd.Action, err)
	}
	return o
}

// TestApplyDeadlines: the deadline a transition starts is the next step's
// limit counted from now in the calendar; the step it ends records its
// deadline, whether it was met and the working time it took.
func TestApplyDeadlines(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	cal := env.Calendar
	started := testNow.Add(-3 * 24 * time.Hour) // Sunday
	_, _, assign := validRequest(t, "assign")
	for _, c := range []struct {
		name   string
		due    *time.Time
		onTime bool
	}{
		{"met", ptr(testNow.Add(time.Hour)), true},
		{"missed", &testDue, false},
		{"no deadline", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := mustApply(t, Request, Item{Status: "submitted", DueAt: c.due, StepStartedAt: started}, reqACFIC, assign, env)
			want := cal.Due(testNow, Limit{WorkingDays: 1}).UTC()
			if d := o.Deadline; d.DueAt == nil || !d.DueAt.Equal(want) || !d.Working || !d.StartedAt.Equal(testNow) || d.Step != "claim" {
				t.Errorf("deadline %+v, want claim due %s (working days) started now", d, want)
			}
			if o.Event.OnTime == nil || *o.Event.OnTime != c.onTime {
				t.Errorf("on time %v, want %v", o.Event.OnTime, c.onTime)
			}
			if o.Event.StepDueAt != c.due {
				t.Errorf("step due %v, want %v", o.Event.StepDueAt, c.due)
			}
			if w := int64(cal.WorkingTime(started, testNow) / time.Second); o.Event.WorkingSeconds != w {
				t.Errorf("working seconds %d, want %d", o.Event.WorkingSeconds, w)
			}
		})
	}
	t.Run("evaluation window in calendar days", func(t *testing.T) {
		_, _, respond := validRequest(t, "respond")
		o := mustApply(t, Request, Item{Status: "in_progress"}, reqUnit, respond, env)
		if want := testNow.Add(7 * 24 * time.Hour); !o.Deadline.DueAt.Equal(want) || o.Deadline.Working {
			t.Errorf("evaluate due %v working=%v, want %v in calendar days", o.Deadline.DueAt, o.Deadline.Working, want)
		}
	})
	t.Run("override replaces every limit", func(t *testing.T) {
		env := env
		env.Limits.Override = Limit{Duration: 2 * time.Second}
		o := mustApply(t, Request, Item{Status: "submitted"}, reqACFIC, assign, env)
		if want := testNow.Add(2 * time.Second); !o.Deadline.DueAt.Equal(want) || o.Deadline.Working {
			t.Errorf("due %v, want %v", o.Deadline.DueAt, want)
		}
	})
}

// TestApplyLateSteps: a handling step finished late counts once: here,
// unless the scanner already marked it overdue (and counted it).
func TestApplyLateSteps(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	_, _, claim := validRequest(t, "claim")
	_, _, sup := validRequest(t, "supervise") // with a new due date
	_, _, register := validLead(t, "register")
	for _, c := range []struct {
		name string
		m    *Machine
		it   Item
		a    Actor
		cmd  Command
		want any // late_steps set, or nil
	}{
		{"late claim", Request, Item{Status: "assigned", DueAt: &testDue, LateSteps: 2}, reqUnit, claim, 3},
		{"late claim already marked", Request, Item{Status: "assigned", DueAt: &testDue, Marked: true, LateSteps: 2}, reqUnit, claim, nil},
		{"claim on time", Request, Item{Status: "assigned", DueAt: ptr(testNow.Add(time.Hour)), LateSteps: 2}, reqUnit, claim, nil},
		{"late step given a new date by 督办", Request, Item{Status: "in_progress", DueAt: &testDue, LateSteps: 1}, reqACFIC, sup, 2},
		{"the evaluation window is not an official's step", Request,
			Item{Status: "responded", DueAt: &testDue}, reqSystem, Command{Action: ExpireEvaluation}, nil},
		{"lead steps are not counted", Lead, Item{Status: "reported", DueAt: &testDue}, leadInspector, register, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := mustApply(t, c.m, c.it, c.a, c.cmd, env)
			got, ok := o.Set["late_steps"]
			if (c.want == nil) == ok || (ok && got != c.want) {
				t.Errorf("late_steps %v (set %v), want %v", got, ok, c.want)
			}
		})
	}
}

// TestApplyRecords: what each action records, with its values.
func TestApplyRecords(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	round := testNow.Add(-48 * time.Hour)
	t.Run("assign names the unit, first assignment once", func(t *testing.T) {
		_, _, c := validRequest(t, "assign")
		o := mustApply(t, Request, Item{Status: "submitted"}, reqACFIC, c, env)
		if o.Set["department_code"] != c.DepartmentCode || o.Set["unit_region_code"] != c.RegionCode ||
			o.Set["first_assigned_at"] != testNow || o.Set["round_started_at"] != testNow {
			t.Errorf("assign set %v", o.Set)
		}
	})
	t.Run("return clears the unit and counts a 退单", func(t *testing.T) {
		_, _, c := validRequest(t, "return")
		o := mustApply(t, Request, Item{Status: "in_progress", ReturnCount: 1, PendingExtension: true, ExtensionDays: 3}, reqUnit, c, env)
		if o.Set["department_code"] != nil || o.Set["unit_region_code"] != nil || o.Set["return_count"] != 2 || o.Set["pending_extension_days"] != 0 {
			t.Errorf("return set %v", o.Set)
		}
	})
	t.Run("approving an extension moves the deadline by its working days", func(t *testing.T) {
		o := mustApply(t, Request, Item{Status: "in_progress", PendingExtension: true, ExtensionDays: 3, DueAt: &testDue}, reqACFIC,
			Command{Action: ApproveExtension}, env)
		want := env.Calendar.Due(testDue, Limit{WorkingDays: 3}).UTC()
		if !o.Deadline.DueAt.Equal(want) || o.Deadline.ClearsOverdue || o.Event.Payload["days"] != 3 {
			t.Errorf("deadline %+v payload %v, want due %s, days 3 in the payload, the overdue mark kept", o.Deadline, o.Event.Payload, want)
		}
	})
	t.Run("respond's working time counts from the round", func(t *testing.T) {
		_, _, c := validRequest(t, "respond")
		o := mustApply(t, Request, Item{Status: "in_progress", RoundStartedAt: round, StepStartedAt: testNow.Add(-time.Hour)}, reqUnit, c, env)
		if w := int64(env.Calendar.WorkingTime(round, testNow) / time.Second); o.Event.WorkingSeconds != w || o.Set["response"] != c.Response {
			t.Errorf("respond: working seconds %d (want %d), set %v", o.Event.WorkingSeconds, w, o.Set)
		}
	})
	t.Run("an unsatisfied evaluation reopens: 重办", func(t *testing.T) {
		o := mustApply(t, Request, Item{Status: "responded", ReopenCount: 1}, reqEnterprise,
			Command{Action: Evaluate, Present: []string{"comment", "score"}, Score: 2, Comment: "没解决"}, env)
		if o.To != InProgress || o.Set["reopen_count"] != 2 || o.Set["evaluation_score"] != 2 || o.Set["evaluation_comment"] != "没解决" {
			t.Errorf("reopen set %v", o.Set)
		}
	})
	t.Run("supervise with a date", func(t *testing.T) {
		_, _, c := validRequest(t, "supervise")
		d := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		c.DueAt = &d
		o := mustApply(t, Request, Item{Status: "in_progress"}, reqACFIC, c, env)
		if !o.Deadline.DueAt.Equal(d) || o.Deadline.Working || !o.Deadline.ClearsOverdue || o.Event.Payload["due_at"] != "2026-12-01T17:00:00+08:00" {
			t.Errorf("deadline %+v payload %v", o.Deadline, o.Event.Payload)
		}
	})
	t.Run("a registered lead's decision is due from receipt", func(t *testing.T) {
		created := testNow.Add(-4 * 24 * time.Hour)
		o := mustApply(t, Lead, Item{Status: "reported", CreatedAt: created}, leadInspector, Command{Action: LeadRegister}, env)
		if want := env.Calendar.Due(created, Limit{Months: 1}).UTC(); !o.Deadline.DueAt.Equal(want) || !o.Deadline.StartedAt.Equal(testNow) {
			t.Errorf("deadline %+v, want due %s started now", o.Deadline, want)
		}
	})
	t.Run("a decision sets the rectification task", func(t *testing.T) {
		c := decideCommand(t, "talk_reminder")
		o := mustApply(t, Lead, Item{Status: "investigating"}, leadInspector, c, env)
		want := env.Calendar.Due(testNow, Limit{WorkingDays: c.Days}).UTC()
		if !o.Deadline.DueAt.Equal(want) || o.Set["rectify_due_at"] != o.Deadline.DueAt || o.Set["rectify_days"] != c.Days ||
			o.Set["rectify_department_code"] != c.DepartmentCode || o.Set["rectify_region_code"] != c.UnitRegionCode {
			t.Errorf("deadline %+v set %v, want rectification due %s", o.Deadline, o.Set, want)
		}
	})
	t.Run("a rejected return visit keeps the decision's period unless given days", func(t *testing.T) {
		_, _, c := validLead(t, "verify")
		c.Accepted = ptr(false)
		o := mustApply(t, Lead, Item{Status: "verifying", RectifyDays: 7}, leadInspector, c, env)
		if o.Set["rectify_days"] != 7 || !o.Deadline.DueAt.Equal(env.Calendar.Due(testNow, Limit{WorkingDays: 7}).UTC()) {
			t.Errorf("set %v deadline %+v, want 7 working days", o.Set, o.Deadline)
		}
		c.Present, c.Days = append(slices.Clone(c.Present), "days"), 3
		if o := mustApply(t, Lead, Item{Status: "verifying", RectifyDays: 7}, leadInspector, c, env); o.Set["rectify_days"] != 3 {
			t.Errorf("set %v, want 3 days", o.Set)
		}
	})
	t.Run("the payload is what the client sent", func(t *testing.T) {
		_, _, c := validRequest(t, "assign")
		o := mustApply(t, Request, Item{Status: "submitted"}, reqACFIC, c, env)
		// and, for an assignment, how it relates to the 派单目录 (none here)
		want := map[string]any{"dispatch": DispatchNone}
		for _, f := range c.Present {
			want[f] = c.Text(f)
		}
		if !maps.Equal(o.Event.Payload, want) {
			t.Errorf("payload %v, want %v", o.Event.Payload, want)
		}
	})
	t.Run("an assignment records how it follows the 派单目录", func(t *testing.T) {
		_, _, c := validRequest(t, "assign")
		for _, x := range []struct {
			sug   *Suggestion
			actor Actor
			want  map[string]any
		}{
			{&Suggestion{DepartmentCode: c.DepartmentCode, RegionCode: c.RegionCode}, reqACFIC, map[string]any{"dispatch": DispatchFollowed}},
			{&Suggestion{DepartmentCode: "sw", RegionCode: c.RegionCode}, reqACFIC, map[string]any{"dispatch": DispatchOverridden,
				"suggested_department_code": "sw", "suggested_region_code": c.RegionCode}},
			{&Suggestion{DepartmentCode: c.DepartmentCode, RegionCode: c.RegionCode, Auto: true}, reqSystem, map[string]any{"dispatch": DispatchAuto}},
		} {
			e := env
			e.Dispatch = x.sug
			o := mustApply(t, Request, Item{Status: "submitted"}, x.actor, c, e)
			for k, v := range x.want {
				if o.Event.Payload[k] != v {
					t.Errorf("%+v by %s: payload %v, want %s=%v", *x.sug, x.actor.Role, o.Event.Payload, k, v)
				}
			}
			if _, ok := o.Event.Payload["suggested_department_code"]; ok != (x.want["dispatch"] == DispatchOverridden) {
				t.Errorf("%+v: payload %v names the suggestion only when overridden", *x.sug, o.Event.Payload)
			}
		}
	})
}

// TestOverdue: what the scanner does when a step passes its deadline.
func TestOverdue(t *testing.T) {
	t.Parallel()
	loc := testCalendar(t).Location()
	it := Item{Status: "in_progress", DueAt: &testDue, LateSteps: 1}
	set, evs := Overdue(Request, it, loc)
	if set["overdue"] != true || set["late_steps"] != 2 || set["supervised"] != true || len(evs) != 2 ||
		evs[0].Action != EventOverdue || evs[0].Step != "respond" || evs[0].StepDueAt != &testDue || evs[1].Action != Supervise ||
		evs[1].Payload["automatic"] != true {
		t.Errorf("request overdue: set %v events %+v", set, evs)
	}
	it.Supervised = true
	if _, evs := Overdue(Request, it, loc); len(evs) != 1 {
		t.Errorf("a request under 督办 already: %d events, want the overdue one", len(evs))
	}
	set, evs = Overdue(Lead, Item{Status: "rectifying", DueAt: &testDue}, loc)
	if len(set) != 1 || set["overdue"] != true || len(evs) != 1 || evs[0].Step != "rectify" {
		t.Errorf("lead overdue: set %v events %+v, want the mark and one event, no 督办", set, evs)
	}
	if r := DueSoon(Lead, Item{Status: "verifying", DueAt: &testDue}, loc); r.Action != EventDueSoon || r.Step != "verify" ||
		r.Payload["due_at"] != "2026-11-24T23:59:59+08:00" {
		t.Errorf("due soon %+v", r)
	}
}

// TestStepDeadline: a new case's first deadline; closed states have none.
func TestStepDeadline(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	due, working := Request.StepDeadline(Submitted, testNow, env)
	if due == nil || !due.Equal(env.Calendar.Due(testNow, Limit{WorkingDays: 1}).UTC()) || !working {
		t.Errorf("submitted: %v %v", due, working)
	}
	for _, st := range []Status{Closed, Rejected, Withdrawn, "bogus"} {
		if due, _ := Request.StepDeadline(st, testNow, env); due != nil {
			t.Errorf("%s: deadline %v, want none", st, due)
		}
	}
}

func ptr[T any](v T) *T { return &v }
