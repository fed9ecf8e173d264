package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// This file holds the engine-level tests and the shared test harness. The
// expected tables (specRequest…, specLead…) live in request_test.go and
// lead_test.go; they are written out from docs/design.md#request-loop and §4 by hand and never
// read from the code under test.

// specState is one row of a docs/design.md status table.
type specState struct {
	status Status
	label  string
}

// specTransition is one row of a docs/design.md action table.
type specTransition struct {
	action Action
	// label is docs/design.md's Chinese name of the action; "" where docs/design.md gives none.
	label string
	from  []Status
	// to is the usual target; "" for a row that keeps the state.
	to    Status
	by    []Role
	party Party
	// require and optional are the body fields docs/design.md lists for the action.
	require  []string
	optional []string
	// guard is docs/design.md's extra condition on the item beyond its state, as seen by
	// role r; nil when there is none.
	guard func(it Item, r Role) bool
}

// specRoles are every role an Actor may carry: the six of docs/design.md#roles, the
// scanner's system actor, and two that are no role at all.
var specRoles = []Role{"enterprise", "station", "acfic", "department", "inspector", "admin", "system", "", "root"}

// specPartySets are the party combinations the matrix tries for every role.
var specPartySets = [][]Party{
	nil,
	{PartyFilingEnterprise},
	{PartyFiler},
	{PartyFilingEnterprise, PartyFiler},
	{PartyAssignedUnit},
	{PartyRectifyingUnit},
	{PartyNotProposer},
	{PartyCoUnit},
	{PartyFilingEnterprise, PartyFiler, PartyAssignedUnit, PartyRectifyingUnit, PartyNotProposer, PartyCoUnit},
}

// specDisposalValues are Item.Disposal values the matrix tries.
var specDisposalValues = []string{"", "shelved", "no_issue", "transfer", "talk_reminder"}

// specExpect is the result docs/design.md gives for actor trying row w on it, in the
// engine's documented order: role (403), state and guard (409), party (403).
func specExpect(w specTransition, it Item, a Actor) error {
	if !slices.Contains(w.by, a.Role) {
		return ErrRoleNotAllowed
	}
	if !slices.Contains(w.from, it.Status) {
		return ErrInvalidTransition
	}
	if w.guard != nil && !w.guard(it, a.Role) {
		return ErrInvalidTransition
	}
	if w.party != PartyNone && !slices.Contains(a.Parties, w.party) {
		return ErrNotParty
	}
	return nil
}

func errName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ErrInvalidTransition):
		return "ErrInvalidTransition"
	case errors.Is(err, ErrRoleNotAllowed):
		return "ErrRoleNotAllowed"
	case errors.Is(err, ErrNotParty):
		return "ErrNotParty"
	case errors.Is(err, ErrRecused):
		return "ErrRecused"
	case errors.Is(err, ErrUnknownAction):
		return "ErrUnknownAction"
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return "ValidationError(" + ve.Error() + ")"
	}
	return "other(" + err.Error() + ")"
}

// specItems builds every item the matrix tries: each status (the machine's,
// the other machine's, an empty and a made-up one) with every combination of
// the item flags.
func specItems(statuses []Status) []Item {
	var out []Item
	for _, s := range statuses {
		for _, pending := range []bool{false, true} {
			for _, overdue := range []bool{false, true} {
				for _, d := range specDisposalValues {
					out = append(out, Item{Status: s, PendingExtension: pending, Overdue: overdue, Disposal: d})
				}
			}
		}
	}
	return out
}

// runMatrix checks every item × every action × every role × every party set
// against the expected table, through Check, Apply's gate and Available.
func runMatrix(t *testing.T, m *Machine, table []specTransition, statuses []Status) {
	t.Helper()
	items := specItems(statuses)
	checks := 0
	for _, it := range items {
		for _, role := range specRoles {
			for _, parties := range specPartySets {
				actor := Actor{Role: role, Parties: parties}
				var wantAvail []Action
				for _, w := range table {
					want := specExpect(w, it, actor)
					if want == nil {
						wantAvail = append(wantAvail, w.action)
					}
					got, err := m.Check(it, actor, w.action)
					checks++
					if errName(err) != errName(want) {
						t.Errorf("Check(%+v, %+v, %s) = %s, want %s", it, actor, w.action, errName(err), errName(want))
						continue
					}
					if got.Action != w.action {
						t.Errorf("Check(%+v, %+v, %s) returned row %q", it, actor, w.action, got.Action)
					}
					// Apply must refuse with the same error before looking at the body.
					if want != nil {
						o, aerr := m.Apply(it, actor, Command{Action: w.action}, testEnv(t))
						if errName(aerr) != errName(want) {
							t.Errorf("Apply(%+v, %+v, %s) = %s, want %s", it, actor, w.action, errName(aerr), errName(want))
						}
						if o.Action != "" {
							t.Errorf("Apply(%+v, %+v, %s) refused but returned outcome %+v", it, actor, w.action, o)
						}
					}
				}
				var gotAvail []Action
				for _, tr := range m.Available(it, actor) {
					gotAvail = append(gotAvail, tr.Action)
				}
				if !slices.Equal(gotAvail, wantAvail) {
					t.Errorf("Available(%+v, %+v) = %v, want %v", it, actor, gotAvail, wantAvail)
				}
			}
		}
	}
	if checks < 1000 {
		t.Fatalf("matrix ran only %d checks", checks)
	}
}

// compareTable checks a machine's states and rows against the docs/design.md tables.
func compareTable(t *testing.T, m *Machine, states []specState, table []specTransition) {
	t.Helper()
	if len(m.States) != len(states) {
		t.Errorf("machine has %d states, docs/design.md %d", len(m.States), len(states))
	}
	for i, w := range states {
		if i < len(m.States) && m.States[i].Status != w.status {
			t.Errorf("state %d = %q, want %q (the order of docs/design.md)", i, m.States[i].Status, w.status)
		}
		st, ok := m.State(w.status)
		if !ok {
			t.Errorf("State(%q) missing", w.status)
			continue
		}
		if st.Label != w.label {
			t.Errorf("State(%q).Label = %q, want %q", w.status, st.Label, w.label)
		}
		if got := m.Label(w.status); got != w.label {
			t.Errorf("Label(%q) = %q, want %q", w.status, got, w.label)
		}
	}
	if len(m.Table) != len(table) {
		t.Errorf("machine has %d actions, docs/design.md %d", len(m.Table), len(table))
	}
	var wantActions []Action
	for _, w := range table {
		wantActions = append(wantActions, w.action)
	}
	if got := m.Actions(); !slices.Equal(got, wantActions) {
		t.Errorf("Actions() = %v, want %v (the order of docs/design.md)", got, wantActions)
	}
	for _, w := range table {
		got, ok := m.Transition(w.action)
		if !ok {
			t.Errorf("Transition(%q) missing", w.action)
			continue
		}
		if w.label != "" && got.Label != w.label {
			t.Errorf("%s: label %q, want %q", w.action, got.Label, w.label)
		}
		if strings.TrimSpace(got.Label) == "" || got.Label == string(w.action) {
			t.Errorf("%s: label %q is not a Chinese label", w.action, got.Label)
		}
		if !sameSet(got.From, w.from) {
			t.Errorf("%s: from %v, want %v", w.action, got.From, w.from)
		}
		if w.to == "" {
			if !got.SameState || got.To != "" {
				t.Errorf("%s: SameState=%v To=%q, want a same-state row", w.action, got.SameState, got.To)
			}
		} else if got.SameState || got.To != w.to {
			t.Errorf("%s: SameState=%v To=%q, want To=%q", w.action, got.SameState, got.To, w.to)
		}
		if !sameSet(got.By, w.by) {
			t.Errorf("%s: by %v, want %v", w.action, got.By, w.by)
		}
		if got.Party != w.party {
			t.Errorf("%s: party %d, want %d", w.action, got.Party, w.party)
		}
		if !sameSet(got.Require, w.require) {
			t.Errorf("%s: require %v, want %v", w.action, got.Require, w.require)
		}
		if !sameSet(got.Optional, w.optional) {
			t.Errorf("%s: optional %v, want %v", w.action, got.Optional, w.optional)
		}
		wantFields := append(slices.Clone(w.require), w.optional...)
		if gotFields := m.Fields(w.action); !sameSet(gotFields, wantFields) {
			t.Errorf("Fields(%s) = %v, want %v", w.action, gotFields, wantFields)
		}
		// The required fields come first.
		if gotFields := m.Fields(w.action); len(gotFields) >= len(w.require) && !sameSet(gotFields[:len(w.require)], w.require) {
			t.Errorf("Fields(%s) = %v: required fields %v not first", w.action, gotFields, w.require)
		}
	}
}

func sameSet[T ~string](a, b []T) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// invalidFields returns the sorted, distinct field names of a *ValidationError.
func invalidFields(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("error %v (%T) is not a *ValidationError", err, err)
		return nil
	}
	var out []string
	for _, f := range ve.Errors {
		if f.Field == "" || strings.TrimSpace(f.Message) == "" {
			t.Errorf("field error %+v lacks a field or a message", f)
		}
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// expectInvalid applies cmd and wants a validation error on exactly fields.
func expectInvalid(t *testing.T, m *Machine, it Item, a Actor, cmd Command, fields ...string) {
	t.Helper()
	o, err := m.Apply(it, a, cmd, testEnv(t))
	if err == nil {
		t.Errorf("Apply(%s, present %v) = %+v, nil; want a validation error on %v", cmd.Action, cmd.Present, o, fields)
		return
	}
	for _, sentinel := range []error{ErrInvalidTransition, ErrRoleNotAllowed, ErrNotParty, ErrRecused, ErrUnknownAction} {
		if errors.Is(err, sentinel) {
			t.Errorf("Apply(%s) = %v, want a validation error on %v", cmd.Action, err, fields)
			return
		}
	}
	want := slices.Clone(fields)
	slices.Sort(want)
	want = slices.Compact(want)
	if got := invalidFields(t, err); !slices.Equal(got, want) {
		t.Errorf("Apply(%s, present %v): invalid fields %v, want %v (%v)", cmd.Action, cmd.Present, got, want, err)
	}
	if o.Action != "" {
		t.Errorf("Apply(%s) refused but returned outcome %+v", cmd.Action, o)
	}
}

// expectValid applies cmd and wants no error.
func expectValid(t *testing.T, m *Machine, it Item, a Actor, cmd Command) Outcome {
	t.Helper()
	o, err := m.Apply(it, a, cmd, testEnv(t))
	if err != nil {
		t.Errorf("Apply(%s, present %v) = %v, want success", cmd.Action, cmd.Present, err)
	}
	return o
}

// setText sets the text field named f (its JSON name) on c and marks it present.
func setText(t *testing.T, c *Command, f, v string) {
	t.Helper()
	switch f {
	case "note":
		c.Note = v
	case "reason":
		c.Reason = v
	case "response":
		c.Response = v
	case "comment":
		c.Comment = v
	case "content":
		c.Content = v
	case "department_code":
		c.DepartmentCode = v
	case "region_code":
		c.RegionCode = v
	case "notes":
		c.Notes = v
	case "assessment":
		c.Assessment = v
	case "disposal":
		c.Disposal = v
	case "unit_region_code":
		c.UnitRegionCode = v
	case "transfer_to":
		c.TransferTo = v
	case "grounds":
		c.Grounds = v
	case "report":
		c.Report = v
	case "result":
		c.Result = v
	case "letter":
		c.Letter = v
	case "reply":
		c.Reply = v
	default:
		t.Fatalf("setText: %q is not a text field", f)
	}
	if !slices.Contains(c.Present, f) {
		c.Present = append(c.Present, f)
	}
}

// withPresent returns a copy of c whose Present is replaced.
func withPresent(c Command, present ...string) Command {
	c.Present = present
	return c
}

// without returns a copy of c with field f no longer present.
func without(c Command, f string) Command {
	c.Present = slices.DeleteFunc(slices.Clone(c.Present), func(s string) bool { return s == f })
	return c
}

// textFields are the fields that carry text (the others: days, score, accepted, due_at).
var textFields = []string{"note", "reason", "response", "comment", "content", "department_code", "region_code",
	"notes", "assessment", "disposal", "unit_region_code", "transfer_to", "grounds", "report", "result", "letter", "reply"}

// freeTextFields are the fields people write prose in.
var freeTextFields = []string{"note", "reason", "response", "comment", "content", "notes", "assessment", "grounds", "report", "result",
	"letter", "reply"}

// blankTexts are values that hold no text.
var blankTexts = []string{"", " ", "   ", "\t\n", "\r\n ", "\u3000\u3000", "\u00a0"}

// richText mixes CJK Extension B, astral emoji, a ZWJ sequence and a flag.
const richText = "𠀀𠮷𪚥𰻞 企业诉求😀👩‍💻🇨🇳 test"

func TestRolesMatchDesign(t *testing.T) {
	t.Parallel()
	want := []Role{"enterprise", "station", "acfic", "department", "inspector", "admin"}
	if got := Roles(); !slices.Equal(got, want) {
		t.Errorf("Roles() = %v, want %v", got, want)
	}
	consts := map[Role]Role{RoleEnterprise: "enterprise", RoleStation: "station", RoleACFIC: "acfic",
		RoleDepartment: "department", RoleInspector: "inspector", RoleAdmin: "admin", RoleSystem: "system"}
	for got, want := range consts {
		if got != want {
			t.Errorf("role constant %q, want %q", got, want)
		}
	}
	for _, tc := range []struct {
		role Role
		want bool
	}{
		{"enterprise", true}, {"station", true}, {"acfic", true}, {"department", true}, {"inspector", true}, {"admin", true},
		{"system", false}, {"", false}, {"Admin", false}, {"ACFIC", false}, {"root", false}, {" admin", false},
	} {
		if got := ValidRole(tc.role); got != tc.want {
			t.Errorf("ValidRole(%q) = %v, want %v", tc.role, got, tc.want)
		}
	}
	if KindRequest != "request" || KindLead != "lead" {
		t.Errorf("kinds = %q, %q", KindRequest, KindLead)
	}
	if Request.Kind != KindRequest || Lead.Kind != KindLead {
		t.Errorf("machine kinds = %q, %q", Request.Kind, Lead.Kind)
	}
}

func TestUnknownAction(t *testing.T) {
	t.Parallel()
	requestActions := []Action{"assign", "reject", "claim", "return", "request_extension", "approve_extension",
		"deny_extension", "respond", "evaluate", "supplement", "withdraw", "supervise", "expire_evaluation"}
	leadActions := []Action{"register", "dismiss", "investigate", "decide", "complete_rectification", "verify", "reopen"}
	bogus := []Action{"", " ", "fly", "ASSIGN", "Assign", "assign ", " register", "create", "overdue", "due_soon", "report",
		"close", "approve", "extension", "supervised", "评价", "delete"}
	cases := []struct {
		name    string
		m       *Machine
		unknown []Action
	}{
		{"request", Request, append(slices.Clone(bogus), leadActions...)},
		{"lead", Lead, append(slices.Clone(bogus), requestActions...)},
	}
	actors := []Actor{
		{Role: "inspector"},
		{Role: "acfic"},
		{Role: "system"},
		{Role: "department", Parties: []Party{PartyAssignedUnit, PartyRectifyingUnit}},
		{Role: "enterprise", Parties: []Party{PartyFilingEnterprise, PartyFiler}},
		// Unknown is answered before recusal: there is nothing to recuse from.
		{Role: "inspector", Subject: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, a := range tc.unknown {
				if _, ok := tc.m.Transition(a); ok {
					t.Errorf("Transition(%q) found", a)
				}
				if f := tc.m.Fields(a); f != nil {
					t.Errorf("Fields(%q) = %v, want nil", a, f)
				}
				for _, actor := range actors {
					for _, st := range []Status{"submitted", "in_progress", "reported", "investigating", "closed", ""} {
						it := Item{Status: st, PendingExtension: true, Overdue: true, Disposal: "shelved"}
						tr, err := tc.m.Check(it, actor, a)
						if !errors.Is(err, ErrUnknownAction) {
							t.Errorf("Check(%q, %q as %+v) = %s, want ErrUnknownAction", st, a, actor, errName(err))
						}
						if tr.Action != "" || tr.From != nil || tr.By != nil {
							t.Errorf("Check(%q) returned a row %+v", a, tr)
						}
						o, err := tc.m.Apply(it, actor, Command{Action: a, Present: []string{"note"}, Note: "x"}, testEnv(t))
						if !errors.Is(err, ErrUnknownAction) {
							t.Errorf("Apply(%q, %q as %+v) = %s, want ErrUnknownAction", st, a, actor, errName(err))
						}
						if o.Action != "" {
							t.Errorf("Apply(%q) returned outcome %+v", a, o)
						}
					}
				}
			}
		})
	}
}

func TestSentinelErrorsDistinct(t *testing.T) {
	t.Parallel()
	all := []error{ErrInvalidTransition, ErrNotParty, ErrRoleNotAllowed, ErrRecused, ErrUnknownAction}
	for i, a := range all {
		if a == nil || a.Error() == "" {
			t.Errorf("sentinel %d is empty", i)
		}
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
	var ve *ValidationError
	for _, e := range all {
		if errors.As(e, &ve) {
			t.Errorf("%v is a ValidationError", e)
		}
	}
}

// TestCheckOrder pins the documented order of refusals on hand-picked cases
// where two reasons apply at once.
func TestCheckOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		m     *Machine
		it    Item
		actor Actor
		a     Action
		want  error
	}{
		{"recusal before role", Lead, Item{Status: "reported"}, Actor{Role: "station", Subject: true}, "register", ErrRecused},
		{"recusal before state", Lead, Item{Status: "closed"}, Actor{Role: "inspector", Subject: true}, "register", ErrRecused},
		{"recusal before party", Lead, Item{Status: "rectifying"}, Actor{Role: "department", Subject: true}, "complete_rectification", ErrRecused},
		{"role before state", Request, Item{Status: "closed"}, Actor{Role: "admin"}, "assign", ErrRoleNotAllowed},
		{"role before party", Request, Item{Status: "assigned"}, Actor{Role: "station"}, "claim", ErrRoleNotAllowed},
		{"state before party", Request, Item{Status: "submitted"}, Actor{Role: "department"}, "claim", ErrInvalidTransition},
		{"guard before party", Request, Item{Status: "in_progress", PendingExtension: true}, Actor{Role: "department"}, "request_extension", ErrInvalidTransition},
		{"party last", Request, Item{Status: "assigned"}, Actor{Role: "department", Parties: []Party{PartyRectifyingUnit}}, "claim", ErrNotParty},
		{"lead party last", Lead, Item{Status: "rectifying"}, Actor{Role: "department", Parties: []Party{PartyAssignedUnit}}, "complete_rectification", ErrNotParty},
		{"system never a department", Request, Item{Status: "assigned"}, Actor{Role: "system", Parties: []Party{PartyAssignedUnit}}, "claim", ErrRoleNotAllowed},
		{"admin has no case actions", Request, Item{Status: "responded"}, Actor{Role: "admin"}, "expire_evaluation", ErrRoleNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.m.Check(tc.it, tc.actor, tc.a)
			if errName(err) != errName(tc.want) {
				t.Errorf("Check = %s, want %s", errName(err), errName(tc.want))
			}
			// Apply answers the same, whatever the body.
			_, err = tc.m.Apply(tc.it, tc.actor, Command{Action: tc.a, Present: []string{"bogus"}}, testEnv(t))
			if errName(err) != errName(tc.want) {
				t.Errorf("Apply = %s, want %s", errName(err), errName(tc.want))
			}
		})
	}
}

func TestValidationErrorType(t *testing.T) {
	t.Parallel()
	var empty ValidationError
	if err := empty.Err(); err != nil {
		t.Errorf("empty ValidationError.Err() = %v, want nil", err)
	}
	var nilVE *ValidationError
	if err := nilVE.Err(); err != nil {
		t.Errorf("nil ValidationError.Err() = %v, want nil", err)
	}
	var v ValidationError
	v.Add("score", "评分必须是 1 到 5 之间的整数")
	v.Add("reason", "为必填字段")
	err := v.Err()
	if err == nil {
		t.Fatal("Err() = nil with two field errors")
	}
	msg := err.Error()
	for _, want := range []string{"score", "reason", "评分必须是 1 到 5 之间的整数", "为必填字段"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, lacks %q", msg, want)
		}
	}
	if got := invalidFields(t, err); !slices.Equal(got, []string{"reason", "score"}) {
		t.Errorf("fields = %v", got)
	}
	wrapped := fmt.Errorf("transition: %w", Invalid("days", "天数过大"))
	var ve *ValidationError
	if !errors.As(wrapped, &ve) {
		t.Fatal("Invalid() is not a *ValidationError")
	}
	if len(ve.Errors) != 1 || ve.Errors[0] != (FieldError{Field: "days", Message: "天数过大"}) {
		t.Errorf("Invalid() = %+v", ve.Errors)
	}
}

// TestFieldsReturnsCopy: changing what Fields returns must not change the table.
func TestFieldsReturnsCopy(t *testing.T) {
	t.Parallel()
	for _, m := range []*Machine{Request, Lead} {
		for _, a := range m.Actions() {
			f := m.Fields(a)
			if len(f) == 0 {
				continue
			}
			before := slices.Clone(f)
			f[0] = "tampered"
			_ = append(f, "extra")
			if again := m.Fields(a); !slices.Equal(again, before) {
				t.Errorf("%s Fields(%s) changed to %v after the caller edited its copy", m.Kind, a, again)
			}
		}
	}
}

// TestApplyDoesNotMutateCommand: Apply leaves the caller's Present alone.
func TestApplyDoesNotMutateCommand(t *testing.T) {
	t.Parallel()
	present := []string{"department_code", "region_code", "note"}
	cmd := Command{Action: "assign", Present: present, DepartmentCode: "SCJG", RegionCode: "330203", Note: "请办理"}
	if _, err := Request.Apply(Item{Status: "submitted"}, Actor{Role: "acfic"}, cmd, testEnv(t)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(present, []string{"department_code", "region_code", "note"}) {
		t.Errorf("Present changed to %v", present)
	}
	if fields := Request.Fields("assign"); !sameSet(fields, []string{"department_code", "region_code", "note", "co_units"}) {
		t.Errorf("table changed: %v", fields)
	}
}
