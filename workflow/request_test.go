package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// specRequestStates is docs/design.md#request-loop's status table, in its order.
var specRequestStates = []specState{
	{"submitted", "待受理"},
	{"assigned", "已交办"},
	{"in_progress", "办理中"},
	{"responded", "待评价"},
	{"closed", "已办结"},
	{"rejected", "不予受理"},
	{"withdrawn", "已撤回"},
	{"merged", "已合并"},
}

func specNoPendingExtension(it Item, _ Role) bool { return !it.PendingExtension }
func specPendingExtension(it Item, _ Role) bool   { return it.PendingExtension }

// specInspectorOnlyOverdue: 纪检监察 supervises overdue requests (docs/design.md#roles); 工商联 any time.
func specInspectorOnlyOverdue(it Item, r Role) bool { return r != "inspector" || it.Overdue }

// specRequestTable is docs/design.md#request-loop's action table, in its order. Where docs/design.md says
// "department" for an action on an assigned request (request_extension,
// respond) the department is that of the unit the request is assigned to, as
// for claim and return.
var specRequestTable = []specTransition{
	{action: "assign", label: "受理并交办", from: []Status{"submitted"}, to: "assigned", by: []Role{"acfic", "system"},
		require: []string{"department_code", "region_code"}, optional: []string{"note", "co_units"}},
	{action: "reject", label: "不予受理", from: []Status{"submitted"}, to: "rejected", by: []Role{"acfic"},
		require: []string{"reason"}},
	{action: "claim", label: "签收", from: []Status{"assigned"}, to: "in_progress", by: []Role{"department"},
		party: PartyAssignedUnit},
	{action: "return", label: "退回", from: []Status{"assigned", "in_progress"}, to: "submitted", by: []Role{"department"},
		party: PartyAssignedUnit, require: []string{"reason"}},
	{action: "request_extension", label: "延期申请", from: []Status{"in_progress"}, by: []Role{"department"},
		party: PartyAssignedUnit, require: []string{"days", "reason"}, guard: specNoPendingExtension},
	{action: "approve_extension", from: []Status{"in_progress"}, by: []Role{"acfic"},
		optional: []string{"note"}, guard: specPendingExtension},
	{action: "deny_extension", from: []Status{"in_progress"}, by: []Role{"acfic"},
		optional: []string{"note"}, guard: specPendingExtension},
	{action: "respond", label: "答复", from: []Status{"in_progress"}, to: "responded", by: []Role{"department"},
		party: PartyAssignedUnit, require: []string{"response"}, optional: []string{"file_ids"}},
	{action: "evaluate", label: "评价", from: []Status{"responded"}, to: "closed", by: []Role{"enterprise"},
		party: PartyFilingEnterprise, require: []string{"score"}, optional: []string{"comment"}},
	{action: "supplement", label: "补充材料", from: []Status{"submitted", "assigned", "in_progress"}, by: []Role{"enterprise", "station"},
		party: PartyFiler, require: []string{"content"}, optional: []string{"file_ids"}},
	{action: "withdraw", label: "撤回", from: []Status{"submitted", "assigned", "in_progress"}, to: "withdrawn", by: []Role{"enterprise"},
		party: PartyFilingEnterprise, optional: []string{"reason"}},
	{action: "supervise", label: "督办", from: []Status{"assigned", "in_progress"}, by: []Role{"acfic", "inspector"},
		require: []string{"note"}, optional: []string{"due_at"}, guard: specInspectorOnlyOverdue},
	{action: "expire_evaluation", from: []Status{"responded"}, to: "closed", by: []Role{"system"}},
	{action: "add_opinion", label: "协办意见", from: []Status{"assigned", "in_progress"}, by: []Role{"department"},
		party: PartyCoUnit, require: []string{"opinion"}},
	{action: "merge", label: "合并重复诉求", from: []Status{"submitted", "assigned", "in_progress"}, to: "merged", by: []Role{"acfic"},
		require: []string{"target_id"}, optional: []string{"note"}},
}

func specRequestRow(t *testing.T, a Action) specTransition {
	t.Helper()
	i := slices.IndexFunc(specRequestTable, func(w specTransition) bool { return w.action == a })
	if i < 0 {
		t.Fatalf("no spec row %q", a)
	}
	return specRequestTable[i]
}

// Actors on a request.
var (
	reqACFIC       = Actor{Role: "acfic"}
	reqInspector   = Actor{Role: "inspector"}
	reqUnit        = Actor{Role: "department", Parties: []Party{PartyAssignedUnit}}
	reqOtherUnit   = Actor{Role: "department"}
	reqEnterprise  = Actor{Role: "enterprise", Parties: []Party{PartyFilingEnterprise, PartyFiler}}
	reqOtherEnt    = Actor{Role: "enterprise"}
	reqStation     = Actor{Role: "station", Parties: []Party{PartyFiler}}
	reqOtherSt     = Actor{Role: "station"}
	reqSystem      = Actor{Role: "system"}
	reqCoUnit      = Actor{Role: "department", Parties: []Party{PartyCoUnit}}
	reqDueAt       = time.Date(2026, 11, 20, 17, 0, 0, 0, time.FixedZone("CST", 8*3600))
	reqAllStatuses = []Status{"submitted", "assigned", "in_progress", "responded", "closed", "rejected", "withdrawn", "merged",
		"", "bogus", "SUBMITTED", "reported", "registered", "investigating", "decided", "rectifying", "verifying", "dismissed"}
)

// validRequest returns an item, an actor and a complete valid command for a.
func validRequest(t *testing.T, a Action) (Item, Actor, Command) {
	t.Helper()
	switch a {
	case "assign":
		return Item{Status: "submitted"}, reqACFIC, Command{Action: a, Present: []string{"department_code", "region_code", "note"},
			DepartmentCode: "SCJG", RegionCode: "330203", Note: "请依法办理"}
	case "reject":
		return Item{Status: "submitted"}, reqACFIC, Command{Action: a, Present: []string{"reason"}, Reason: "不属于受理范围"}
	case "claim":
		return Item{Status: "assigned"}, reqUnit, Command{Action: a}
	case "return":
		return Item{Status: "assigned"}, reqUnit, Command{Action: a, Present: []string{"reason"}, Reason: "非本单位职责"}
	case "request_extension":
		return Item{Status: "in_progress"}, reqUnit, Command{Action: a, Present: []string{"days", "reason"}, Days: 10, Reason: "需现场核查"}
	case "approve_extension", "deny_extension":
		return Item{Status: "in_progress", PendingExtension: true}, reqACFIC, Command{Action: a, Present: []string{"note"}, Note: "同意"}
	case "respond":
		return Item{Status: "in_progress"}, reqUnit, Command{Action: a, Present: []string{"response"}, Response: "已协调解决"}
	case "evaluate":
		return Item{Status: "responded"}, reqEnterprise, Command{Action: a, Present: []string{"score", "comment"}, Score: 5, Comment: "非常满意"}
	case "supplement":
		return Item{Status: "submitted"}, reqEnterprise, Command{Action: a, Present: []string{"content"}, Content: "补充营业执照复印件"}
	case "withdraw":
		return Item{Status: "submitted"}, reqEnterprise, Command{Action: a, Present: []string{"reason"}, Reason: "问题已自行解决"}
	case "supervise":
		d := reqDueAt
		return Item{Status: "assigned"}, reqACFIC, Command{Action: a, Present: []string{"note", "due_at"}, Note: "请加快办理", DueAt: &d}
	case "expire_evaluation":
		return Item{Status: "responded"}, reqSystem, Command{Action: a}
	case "add_opinion":
		return Item{Status: "in_progress"}, reqCoUnit, Command{Action: a, Present: []string{"opinion"}, Opinion: "建议同时核查消防验收材料"}
	case "merge":
		return Item{Status: "submitted"}, reqACFIC, Command{Action: a, Present: []string{"target_id", "note"}, TargetID: "42", Note: "与 42 号诉求重复"}
	}
	t.Fatalf("validRequest: no fixture for %q", a)
	return Item{}, Actor{}, Command{}
}

func TestRequestTableMatchesDesign(t *testing.T) {
	t.Parallel()
	compareTable(t, Request, specRequestStates, specRequestTable)

	// The Go constants spell docs/design.md's names.
	statuses := map[Status]Status{Submitted: "submitted", Assigned: "assigned", InProgress: "in_progress",
		Responded: "responded", Closed: "closed", Rejected: "rejected", Withdrawn: "withdrawn", Merged: "merged"}
	for got, want := range statuses {
		if got != want {
			t.Errorf("status constant %q, want %q", got, want)
		}
	}
	actions := map[Action]Action{Assign: "assign", Reject: "reject", Claim: "claim", Return: "return",
		RequestExtension: "request_extension", ApproveExtension: "approve_extension", DenyExtension: "deny_extension",
		Respond: "respond", Evaluate: "evaluate", Supplement: "supplement", Withdraw: "withdraw", Supervise: "supervise", Merge: "merge",
		ExpireEvaluation: "expire_evaluation", EventOverdue: "overdue", EventDueSoon: "due_soon"}
	for got, want := range actions {
		if got != want {
			t.Errorf("action constant %q, want %q", got, want)
		}
	}
	if SatisfiedScore != 3 {
		t.Errorf("SatisfiedScore = %d, want 3 (基本满意 closes)", SatisfiedScore)
	}
	if MaxExtensionDays != 30 {
		t.Errorf("MaxExtensionDays = %d, want 30", MaxExtensionDays)
	}
}

func TestRequestLabels(t *testing.T) {
	t.Parallel()
	for _, s := range []Status{"", "bogus", "reported", "Submitted"} {
		if got := Request.Label(s); got != string(s) {
			t.Errorf("Label(%q) = %q, want the status itself", s, got)
		}
		if _, ok := Request.State(s); ok {
			t.Errorf("State(%q) found", s)
		}
	}
	// Every open request carries a deadline (docs/design.md#deadlines); the end states do not.
	want := []Status{"submitted", "assigned", "in_progress", "responded"}
	if got := Request.OpenStatuses(); !sameSet(got, want) {
		t.Errorf("OpenStatuses() = %v, want %v", got, want)
	}
	for _, w := range specRequestTable {
		got := ActionLabel(w.action)
		if w.label != "" && got != w.label {
			t.Errorf("ActionLabel(%q) = %q, want %q", w.action, got, w.label)
		}
		if got == "" || got == string(w.action) {
			t.Errorf("ActionLabel(%q) = %q: no Chinese label", w.action, got)
		}
	}
	for _, a := range []Action{"create", "overdue", "due_soon"} {
		if got := ActionLabel(a); got == "" || got == string(a) {
			t.Errorf("ActionLabel(%q) = %q: no Chinese label", a, got)
		}
	}
	if got := ActionLabel("no_such_action"); got != "no_such_action" {
		t.Errorf("ActionLabel(unknown) = %q", got)
	}
}

// TestRequestMatrix: every status × item flags × action × role × parties.
func TestRequestMatrix(t *testing.T) {
	t.Parallel()
	runMatrix(t, Request, specRequestTable, reqAllStatuses)
}

// TestRequestPartyActors spells out the party rule with named actors.
func TestRequestPartyActors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status Status
		action Action
		actor  Actor
		name   string
		want   error
	}{
		{"assigned", "claim", reqUnit, "assigned unit", nil},
		{"assigned", "claim", reqOtherUnit, "another unit", ErrNotParty},
		{"in_progress", "return", reqUnit, "assigned unit", nil},
		{"in_progress", "return", reqOtherUnit, "another unit", ErrNotParty},
		{"assigned", "return", reqOtherUnit, "another unit", ErrNotParty},
		{"in_progress", "request_extension", reqOtherUnit, "another unit", ErrNotParty},
		{"in_progress", "respond", reqUnit, "assigned unit", nil},
		{"in_progress", "respond", reqOtherUnit, "another unit", ErrNotParty},
		{"responded", "evaluate", reqEnterprise, "filing enterprise", nil},
		{"responded", "evaluate", reqOtherEnt, "another enterprise", ErrNotParty},
		{"responded", "evaluate", Actor{Role: "enterprise", Parties: []Party{PartyFiler}}, "filer without filing-enterprise party", ErrNotParty},
		{"responded", "evaluate", reqStation, "filing station", ErrRoleNotAllowed},
		{"submitted", "supplement", reqEnterprise, "filing enterprise", nil},
		{"assigned", "supplement", reqStation, "filing station", nil},
		{"in_progress", "supplement", reqOtherSt, "another station", ErrNotParty},
		{"in_progress", "supplement", reqOtherEnt, "another enterprise", ErrNotParty},
		{"submitted", "withdraw", reqEnterprise, "filing enterprise", nil},
		{"submitted", "withdraw", reqOtherEnt, "another enterprise", ErrNotParty},
		{"submitted", "withdraw", reqStation, "filing station", ErrRoleNotAllowed},
		{"submitted", "assign", Actor{Role: "acfic"}, "any acfic (region is policy's)", nil},
		{"assigned", "claim", Actor{Role: "acfic", Parties: []Party{PartyAssignedUnit}}, "acfic as party", ErrRoleNotAllowed},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.action, tc.status, tc.name), func(t *testing.T) {
			t.Parallel()
			_, err := Request.Check(Item{Status: tc.status}, tc.actor, tc.action)
			if errName(err) != errName(tc.want) {
				t.Errorf("Check = %s, want %s", errName(err), errName(tc.want))
			}
		})
	}
}

func TestRequestGuards(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		it     Item
		actor  Actor
		action Action
		want   error
	}{
		{"extension asked, none pending", Item{Status: "in_progress"}, reqUnit, "request_extension", nil},
		{"extension asked while one pending", Item{Status: "in_progress", PendingExtension: true}, reqUnit, "request_extension", ErrInvalidTransition},
		{"approve without pending", Item{Status: "in_progress"}, reqACFIC, "approve_extension", ErrInvalidTransition},
		{"approve with pending", Item{Status: "in_progress", PendingExtension: true}, reqACFIC, "approve_extension", nil},
		{"deny without pending", Item{Status: "in_progress"}, reqACFIC, "deny_extension", ErrInvalidTransition},
		{"deny with pending", Item{Status: "in_progress", PendingExtension: true}, reqACFIC, "deny_extension", nil},
		{"approve pending but assigned", Item{Status: "assigned", PendingExtension: true}, reqACFIC, "approve_extension", ErrInvalidTransition},
		{"deny pending but responded", Item{Status: "responded", PendingExtension: true}, reqACFIC, "deny_extension", ErrInvalidTransition},
		{"extension in assigned", Item{Status: "assigned"}, reqUnit, "request_extension", ErrInvalidTransition},
		{"inspector supervise not overdue, assigned", Item{Status: "assigned"}, reqInspector, "supervise", ErrInvalidTransition},
		{"inspector supervise not overdue, in_progress", Item{Status: "in_progress"}, reqInspector, "supervise", ErrInvalidTransition},
		{"inspector supervise overdue, assigned", Item{Status: "assigned", Overdue: true}, reqInspector, "supervise", nil},
		{"inspector supervise overdue, in_progress", Item{Status: "in_progress", Overdue: true}, reqInspector, "supervise", nil},
		{"inspector supervise overdue, submitted", Item{Status: "submitted", Overdue: true}, reqInspector, "supervise", ErrInvalidTransition},
		{"inspector supervise overdue, responded", Item{Status: "responded", Overdue: true}, reqInspector, "supervise", ErrInvalidTransition},
		{"acfic supervise not overdue", Item{Status: "assigned"}, reqACFIC, "supervise", nil},
		{"acfic supervise overdue", Item{Status: "in_progress", Overdue: true}, reqACFIC, "supervise", nil},
		{"acfic supervise closed", Item{Status: "closed", Overdue: true}, reqACFIC, "supervise", ErrInvalidTransition},
		{"system supervise", Item{Status: "in_progress", Overdue: true}, reqSystem, "supervise", ErrRoleNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Request.Check(tc.it, tc.actor, tc.action)
			if errName(err) != errName(tc.want) {
				t.Errorf("Check = %s, want %s", errName(err), errName(tc.want))
			}
			avail := slices.ContainsFunc(Request.Available(tc.it, tc.actor), func(tr Transition) bool { return tr.Action == tc.action })
			if avail != (tc.want == nil) {
				t.Errorf("Available lists %s = %v, want %v", tc.action, avail, tc.want == nil)
			}
		})
	}
}

func TestRequestApplyOutcomes(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		it    Item
		actor Actor
		cmd   Command
		want  string // describe(outcome)
	}
	cmd := func(a Action) Command { _, _, c := validRequest(t, a); return c }
	withScore := func(s int) Command { c := cmd("evaluate"); c.Score = s; return c }
	const (
		assigned   = "submitted→assigned ends:accept deadline:started:claim set:co_units,department_code,first_assigned_at,round_started_at,unit_region_code"
		evaluated  = "responded→closed step:evaluate deadline:cleared closes set:evaluated_at,evaluation_comment,evaluation_score"
		reopened   = "responded→in_progress step:evaluate deadline:started:respond set:evaluated_at,evaluation_comment,evaluation_score,reopen_count,round_started_at"
		supervised = "set:supervised"
		extension  = "in_progress→in_progress set:pending_extension_days"
	)
	cases := []tc{
		{"assign", Item{Status: "submitted"}, reqACFIC, cmd("assign"), assigned},
		{"assign again after a return", Item{Status: "submitted", Assigned: true}, reqACFIC, cmd("assign"),
			"submitted→assigned ends:accept deadline:started:claim set:co_units,department_code,round_started_at,unit_region_code"},
		{"reject", Item{Status: "submitted"}, reqACFIC, cmd("reject"), "submitted→rejected ends:accept deadline:cleared closes"},
		{"claim", Item{Status: "assigned"}, reqUnit, cmd("claim"), "assigned→in_progress ends:claim deadline:started:respond"},
		{"return from assigned", Item{Status: "assigned"}, reqUnit, cmd("return"),
			"assigned→submitted ends:claim deadline:started:accept set:co_units,department_code,pending_extension_days,return_count,unit_region_code"},
		{"return from in_progress", Item{Status: "in_progress"}, reqUnit, cmd("return"),
			"in_progress→submitted ends:respond deadline:started:accept set:co_units,department_code,pending_extension_days,return_count,unit_region_code"},
		{"request_extension", Item{Status: "in_progress"}, reqUnit, cmd("request_extension"), extension},
		{"approve_extension", Item{Status: "in_progress", PendingExtension: true, ExtensionDays: 3, DueAt: &testDue}, reqACFIC, cmd("approve_extension"),
			"in_progress→in_progress deadline:moved set:pending_extension_days"},
		{"deny_extension", Item{Status: "in_progress", PendingExtension: true}, reqACFIC, cmd("deny_extension"), extension},
		{"respond", Item{Status: "in_progress"}, reqUnit, cmd("respond"), "in_progress→responded ends:respond deadline:started:evaluate set:response"},
		{"evaluate 5 非常满意", Item{Status: "responded"}, reqEnterprise, withScore(5), evaluated},
		{"evaluate 4 满意", Item{Status: "responded"}, reqEnterprise, withScore(4), evaluated},
		{"evaluate 3 基本满意", Item{Status: "responded"}, reqEnterprise, withScore(3), evaluated},
		{"evaluate 2 不满意", Item{Status: "responded"}, reqEnterprise, withScore(2), reopened},
		{"evaluate 1 非常不满意", Item{Status: "responded"}, reqEnterprise, withScore(1), reopened},
		{"evaluate without comment", Item{Status: "responded"}, reqEnterprise, Command{Action: "evaluate", Present: []string{"score"}, Score: 3}, evaluated},
		{"supplement submitted", Item{Status: "submitted"}, reqEnterprise, cmd("supplement"), "submitted→submitted"},
		{"supplement assigned by station", Item{Status: "assigned"}, reqStation, cmd("supplement"), "assigned→assigned"},
		{"supplement in_progress", Item{Status: "in_progress"}, reqEnterprise, cmd("supplement"), "in_progress→in_progress"},
		{"withdraw submitted", Item{Status: "submitted"}, reqEnterprise, cmd("withdraw"), "submitted→withdrawn ends:accept deadline:cleared closes"},
		{"withdraw assigned, no reason", Item{Status: "assigned"}, reqEnterprise, Command{Action: "withdraw"}, "assigned→withdrawn ends:claim deadline:cleared closes"},
		{"withdraw in_progress", Item{Status: "in_progress"}, reqEnterprise, cmd("withdraw"), "in_progress→withdrawn ends:respond deadline:cleared closes"},
		{"supervise assigned by acfic, with a new due date", Item{Status: "assigned"}, reqACFIC, cmd("supervise"), "assigned→assigned deadline:moved " + supervised},
		{"supervise in_progress by acfic, no due_at", Item{Status: "in_progress"}, reqACFIC, Command{Action: "supervise", Present: []string{"note"}, Note: "督办"},
			"in_progress→in_progress " + supervised},
		{"supervise overdue by inspector", Item{Status: "in_progress", Overdue: true}, reqInspector, cmd("supervise"), "in_progress→in_progress deadline:moved " + supervised},
		{"supervise keeps a pending extension's state", Item{Status: "in_progress", PendingExtension: true, Overdue: true}, reqInspector, cmd("supervise"),
			"in_progress→in_progress deadline:moved " + supervised},
		{"expire_evaluation", Item{Status: "responded"}, reqSystem, cmd("expire_evaluation"), "responded→closed step:evaluate deadline:cleared closes"},
		{"approve without note", Item{Status: "in_progress", PendingExtension: true}, reqACFIC, Command{Action: "approve_extension"}, extension},
		{"add_opinion by a co-handling unit", Item{Status: "in_progress"}, reqCoUnit, cmd("add_opinion"), "in_progress→in_progress"},
		{"merge submitted", Item{Status: "submitted"}, reqACFIC, cmd("merge"), "submitted→merged ends:accept deadline:cleared closes set:merged_into"},
		{"merge in_progress", Item{Status: "in_progress"}, reqACFIC, cmd("merge"), "in_progress→merged ends:respond deadline:cleared closes set:merged_into"},
		{"assign without note", Item{Status: "submitted"}, reqACFIC,
			Command{Action: "assign", Present: []string{"department_code", "region_code"}, DepartmentCode: "FGW", RegionCode: "3302QW"}, assigned},
		{"action and expected_version are not body fields", Item{Status: "assigned"}, reqUnit,
			Command{Action: "claim", Present: []string{"action", "expected_version"}}, "assigned→in_progress ends:claim deadline:started:respond"},
	}
	// Every action has at least one outcome case.
	for _, w := range specRequestTable {
		if !slices.ContainsFunc(cases, func(c tc) bool { return c.cmd.Action == w.action }) {
			t.Errorf("no outcome case for %s", w.action)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := Request.Apply(c.it, c.actor, c.cmd, testEnv(t))
			if err != nil {
				t.Fatalf("Apply = %v", err)
			}
			if d := describe(got); d != c.want {
				t.Errorf("Apply =\n %s\nwant\n %s", d, c.want)
			}
			if got.Action != c.cmd.Action || got.Event.Action != c.cmd.Action || got.Event.From != got.From || got.Event.To != got.To {
				t.Errorf("Apply: action %s, event %+v; want both %s and the event's states the outcome's", got.Action, got.Event, c.cmd.Action)
			}
		})
	}
}

func TestRequestValidationMissingRequired(t *testing.T) {
	t.Parallel()
	for _, w := range specRequestTable {
		t.Run(string(w.action), func(t *testing.T) {
			t.Parallel()
			it, actor, _ := validRequest(t, w.action)
			cmd := Command{Action: w.action}
			if len(w.require) == 0 {
				expectValid(t, Request, it, actor, cmd)
				return
			}
			// Nothing sent: every required field is named at once.
			expectInvalid(t, Request, it, actor, cmd, w.require...)
			// Each required field left out on its own.
			_, _, full := validRequest(t, w.action)
			for _, f := range w.require {
				expectInvalid(t, Request, it, actor, without(full, f), f)
			}
		})
	}
}

func TestRequestValidationBlankText(t *testing.T) {
	t.Parallel()
	for _, w := range specRequestTable {
		for _, f := range w.require {
			if !slices.Contains(textFields, f) {
				continue
			}
			t.Run(string(w.action)+"/"+f, func(t *testing.T) {
				t.Parallel()
				for _, blank := range blankTexts {
					it, actor, cmd := validRequest(t, w.action)
					setText(t, &cmd, f, blank)
					expectInvalid(t, Request, it, actor, cmd, f)
				}
			})
		}
	}
}

func TestRequestValidationScore(t *testing.T) {
	t.Parallel()
	it, actor, base := validRequest(t, "evaluate")
	for _, s := range []int{0, 6, -1, 10, 100, -5} {
		c := base
		c.Score = s
		expectInvalid(t, Request, it, actor, c, "score")
	}
	for _, s := range []int{1, 2, 3, 4, 5} {
		c := base
		c.Score = s
		expectValid(t, Request, it, actor, c)
	}
}

func TestRequestValidationDays(t *testing.T) {
	t.Parallel()
	it, actor, base := validRequest(t, "request_extension")
	for _, d := range []int{0, -1, 31, 60, 365} {
		c := base
		c.Days = d
		expectInvalid(t, Request, it, actor, c, "days")
	}
	for _, d := range []int{1, 2, 15, 29, 30} {
		c := base
		c.Days = d
		if o := expectValid(t, Request, it, actor, c); o.Set["pending_extension_days"] != d {
			t.Errorf("days %d: outcome records a pending extension of %v", d, o.Set["pending_extension_days"])
		}
	}
}

// TestRequestValidationForeignField: a field that belongs to another action,
// or that no client may set, is refused rather than ignored (docs/design.md#api-conventions).
func TestRequestValidationForeignField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		action Action
		field  string
	}{
		{"claim", "score"},
		{"claim", "reason"},
		{"claim", "note"},
		{"assign", "score"},
		{"assign", "reason"},
		{"assign", "unit_region_code"},
		{"reject", "department_code"},
		{"reject", "note"},
		{"return", "response"},
		{"return", "days"},
		{"request_extension", "response"},
		{"request_extension", "note"},
		{"approve_extension", "days"},
		{"approve_extension", "reason"},
		{"deny_extension", "due_at"},
		{"respond", "score"},
		{"respond", "comment"},
		{"evaluate", "response"},
		{"evaluate", "reason"},
		{"supplement", "days"},
		{"supplement", "note"},
		{"withdraw", "content"},
		{"withdraw", "score"},
		{"supervise", "days"},
		{"supervise", "reason"},
		{"expire_evaluation", "note"},
		{"expire_evaluation", "score"},
		{"assign", "disposal"},
		{"respond", "accepted"},
		// Fields no caller may set at all.
		{"assign", "status"},
		{"assign", "owner"},
		{"claim", "id"},
		{"respond", "created_at"},
		{"evaluate", "version"},
		{"supplement", "enterprise_id"},
		{"withdraw", "Reason"},
	}
	for _, tc := range cases {
		t.Run(string(tc.action)+"/"+tc.field, func(t *testing.T) {
			t.Parallel()
			it, actor, cmd := validRequest(t, tc.action)
			cmd.Present = append(slices.Clone(cmd.Present), tc.field)
			expectInvalid(t, Request, it, actor, cmd, tc.field)
		})
	}
}

func TestRequestValidationLength(t *testing.T) {
	t.Parallel()
	for _, w := range specRequestTable {
		for _, f := range append(slices.Clone(w.require), w.optional...) {
			if !slices.Contains(textFields, f) {
				continue
			}
			t.Run(string(w.action)+"/"+f, func(t *testing.T) {
				t.Parallel()
				for _, long := range []string{strings.Repeat("字", 5001), strings.Repeat("a", 5001), strings.Repeat("𠀀", 5001), strings.Repeat("字", 20000)} {
					it, actor, cmd := validRequest(t, w.action)
					setText(t, &cmd, f, long)
					expectInvalid(t, Request, it, actor, cmd, f)
				}
				if slices.Contains(freeTextFields, f) {
					// 5000 characters are fine, however many bytes they take.
					for _, max := range []string{strings.Repeat("字", 5000), strings.Repeat("𠀀", 5000), strings.Repeat("😀", 5000)} {
						it, actor, cmd := validRequest(t, w.action)
						setText(t, &cmd, f, max)
						expectValid(t, Request, it, actor, cmd)
					}
				}
			})
		}
	}
}

func TestRequestValidationUnicode(t *testing.T) {
	t.Parallel()
	for _, w := range specRequestTable {
		for _, f := range append(slices.Clone(w.require), w.optional...) {
			if !slices.Contains(textFields, f) {
				continue
			}
			t.Run(string(w.action)+"/"+f, func(t *testing.T) {
				t.Parallel()
				if slices.Contains(freeTextFields, f) {
					for _, s := range []string{richText, "𠀀", "😀", "👨‍👩‍👧‍👦", "  前后有空格  ", "第一行\n第二行"} {
						it, actor, cmd := validRequest(t, w.action)
						setText(t, &cmd, f, s)
						expectValid(t, Request, it, actor, cmd)
					}
				}
				for _, bad := range []string{"\xff", "办理\xc3(", "\xed\xa0\x80"} {
					it, actor, cmd := validRequest(t, w.action)
					setText(t, &cmd, f, bad)
					expectInvalid(t, Request, it, actor, cmd, f)
				}
			})
		}
	}
}

// TestRequestApplyCheckBeforeValidation: a command that is both refused and
// malformed answers the refusal (403/409), not the validation error.
func TestRequestApplyCheckBeforeValidation(t *testing.T) {
	t.Parallel()
	bad := Command{Action: "evaluate", Present: []string{"score", "status"}, Score: 9}
	cases := []struct {
		it    Item
		actor Actor
		want  error
	}{
		{Item{Status: "in_progress"}, reqEnterprise, ErrInvalidTransition},
		{Item{Status: "responded"}, reqOtherEnt, ErrNotParty},
		{Item{Status: "responded"}, reqACFIC, ErrRoleNotAllowed},
	}
	for _, tc := range cases {
		_, err := Request.Apply(tc.it, tc.actor, bad, testEnv(t))
		if !errors.Is(err, tc.want) {
			t.Errorf("Apply(%+v, %+v) = %s, want %s", tc.it, tc.actor, errName(err), errName(tc.want))
		}
	}
	// The same command by the right actor in the right state is a validation error.
	expectInvalid(t, Request, Item{Status: "responded"}, reqEnterprise, bad, "score", "status")
}

// TestMergeTarget: a merge names the request it closes into by its id.
func TestMergeTarget(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		target string
		ok     bool
	}{{"42", true}, {"9007199254740992", true}, {"0", false}, {"-3", false}, {"abc", false}, {"9007199254740993", false}, {" ", false}} {
		_, err := Request.Apply(Item{Status: "submitted"}, reqACFIC,
			Command{Action: Merge, Present: []string{"target_id"}, TargetID: c.target}, Env{})
		if (err == nil) != c.ok {
			t.Errorf("merge into %q: %v, want ok=%v", c.target, err, c.ok)
		}
	}
}

// TestCoUnits: an assignment names up to five co-handling units, each in
// full, none twice, never the lead unit; they are kept as dept@region.
func TestCoUnits(t *testing.T) {
	t.Parallel()
	u := func(d, r string) Unit { return Unit{DepartmentCode: d, RegionCode: r} }
	cases := []struct {
		name  string
		units []Unit
		ok    bool
	}{
		{"none", nil, true},
		{"two", []Unit{u("sw", "330203"), u("zjj", "330200")}, true},
		{"five", []Unit{u("a", "1"), u("b", "1"), u("c", "1"), u("d", "1"), u("e", "1")}, true},
		{"six", []Unit{u("a", "1"), u("b", "1"), u("c", "1"), u("d", "1"), u("e", "1"), u("f", "1")}, false},
		{"twice", []Unit{u("sw", "330203"), u("sw", "330203")}, false},
		{"the lead unit", []Unit{u("scjg", "330203")}, false},
		{"no region", []Unit{u("sw", "")}, false},
		{"a separator", []Unit{u("s;w", "330203")}, false},
	}
	for _, c := range cases {
		cmd := Command{Action: Assign, Present: []string{"department_code", "region_code", "co_units"},
			DepartmentCode: "scjg", RegionCode: "330203", CoUnits: c.units}
		o, err := Request.Apply(Item{Status: "submitted"}, reqACFIC, cmd, Env{})
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if err == nil {
			if got := DecodeUnits(o.Set["co_units"].(string)); !slices.Equal(got, c.units) {
				t.Errorf("%s: kept %q, decoded %v", c.name, o.Set["co_units"], got)
			}
		}
	}
}
