package policy

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// roles are the six roles of docs/design.md#roles.
func roles() []string {
	return []string{"enterprise", "station", "acfic", "department", "inspector", "admin"}
}

// grant is one line of the vocabulary: who may take act on kind, and with
// which scope. roles "" means nobody.
type grant struct {
	kind, act, roles, scope string
}

// vocabulary is the permission table of the brief, written independently of
// policy.csv so that the two pin each other.
func vocabulary() []grant {
	const (
		all      = "enterprise station acfic department inspector admin"
		officers = "acfic department inspector"
	)
	return []grant{
		{"request", "create", "enterprise station", "region"},
		{"request", "read", "enterprise station acfic department inspector", "region"},
		{"request", "list", "enterprise station acfic department inspector", "region"},
		{"request", "export", "enterprise station acfic department inspector", "region"}, // the list's ledger
		{"request", "events", "enterprise station acfic department inspector", "region"},
		{"request", "assign", "acfic", "region"},
		{"request", "merge", "acfic", "region"},
		{"request", "reject", "acfic", "region"},
		{"request", "claim", "department", "region"},
		{"request", "return", "department", "region"},
		{"request", "request_extension", "department", "region"},
		{"request", "approve_extension", "acfic", "region"},
		{"request", "deny_extension", "acfic", "region"},
		{"request", "respond", "department", "region"},
		{"request", "add_opinion", "department", "region"},
		{"request", "evaluate", "enterprise", "region"},
		{"request", "supplement", "enterprise station", "region"},
		{"request", "withdraw", "enterprise", "region"},
		{"request", "supervise", "acfic inspector", "region"},
		{"request", "expire_evaluation", "", ""}, // the system's, not a role's
		{"request", "delete", "", ""},

		{"lead", "create", "enterprise station", "region"},
		{"lead", "read", "enterprise station department inspector", "region"},
		{"lead", "list", "enterprise station department inspector", "region"},
		{"lead", "export", "inspector", "region"}, // the ledger: inspectors only
		{"lead", "events", "inspector", "region"},
		{"lead", "reads", "inspector", "region"},
		{"lead", "register", "inspector", "region"},
		{"lead", "dismiss", "inspector", "region"},
		{"lead", "investigate", "inspector", "region"},
		{"lead", "decide", "inspector", "region"},
		{"lead", "propose_disposal", "inspector", "region"},
		{"lead", "approve_disposal", "inspector", "region"},
		{"lead", "send_back_disposal", "inspector", "region"},
		{"lead", "record_inquiry_reply", "inspector", "region"},
		{"lead", "conclude_inquiry", "inspector", "region"},
		{"lead", "record_feedback", "inspector", "region"},
		{"lead", "complete_rectification", "department", "region"},
		{"lead", "verify", "inspector", "region"},
		{"lead", "reopen", "inspector", "region"},
		{"lead", "set_subject", "inspector", "region"},
		{"lead", "recuse", "inspector", "region"},
		{"lead", "delete", "", ""},
		{"exemption", "create", "department acfic inspector", "region"},
		{"exemption", "read", "enterprise department acfic inspector", "region"},
		{"exemption", "list", "enterprise department acfic inspector", "region"},
		{"exemption", "events", "inspector", "region"},
		{"exemption", "accept", "inspector", "region"},
		{"exemption", "reject_application", "inspector", "region"},
		{"exemption", "verify_facts", "inspector", "region"},
		{"exemption", "determine", "inspector", "region"},
		{"exemption", "issue_decision", "inspector", "region"},
		{"exemption", "file_record", "inspector", "region"},
		{"consultation", "create", "acfic", "region"},
		{"consultation", "read", "acfic department inspector", "region"},
		{"consultation", "list", "acfic department inspector", "region"},
		{"consultation", "events", "acfic inspector", "region"},
		{"consultation", "gather_common_issues", "acfic", "region"},
		{"consultation", "publish_agenda", "acfic", "region"},
		{"consultation", "record_meeting", "acfic", "region"},
		{"consultation", "cancel", "acfic", "region"},
		{"consultation", "raise_issue", "acfic", "region"},
		{"consultation.invitation", "read", "enterprise", "any"},
		{"consultation.invitation", "list", "enterprise", "any"},
		{"consultation.invitation", "raise_issue", "enterprise", "any"},
		{"lead.reporter", "read", "inspector", "region"},
		{"lead.investigation", "read", "inspector", "region"},
		{"lead.content", "read", "inspector", "region"},
		{"lead.rectification", "read", "department inspector", "region"},
		{"lead.reporter", "list", "", ""},

		{"deadline", "list", officers, "region"},
		{"stats", "read", officers, "region"},
		{"stats.leads", "read", "inspector", "region"},
		{"indicator", "read", all, "any"},
		{"indicator", "replace", "acfic", "region"},
		{"indicator_value", "submit", "department", "region"},
		{"survey", "respond", "enterprise", "any"},
		{"file", "upload", "enterprise station department", "any"},
		{"stats.units", "read", "acfic inspector", "region"},
		{"file", "read", "enterprise station acfic department inspector", "any"},
		{"index_run", "create", "acfic", "region"},
		{"index_run", "read", "acfic", "region"},
		{"index_run", "publish", "acfic", "region"},
		{"index_period", "open", "acfic", "region"},
		{"index_period", "confirm", "acfic", "region"},
		{"index_period", "read", "acfic department", "region"},
		{"rectification_item", "read", "acfic department inspector", "region"},
		{"rectification_item", "list", "acfic department inspector", "region"},
		{"rectification_item", "report", "department", "region"},
		{"rectification_item", "close", "acfic", "region"},
		{"notice", "read", all, "any"},
		{"notice", "mark_read", all, "any"},
		{"notice", "settings", all, "any"},
		{"enterprise", "create", "admin acfic station", "region"},
		{"enterprise", "read", "admin acfic station inspector department enterprise", "region"},
		{"enterprise", "list", "admin acfic station inspector department", "region"},
		{"station", "create", "admin", "region"},
		{"station", "list", "admin acfic station inspector", "region"},
		{"user", "create", "admin", "region"},
		{"user", "list", "admin", "region"},
		{"user", "read", "admin", "region"},
		{"user", "update", "admin", "region"},
		{"api_key", "create", "admin", "region"},
		{"api_key", "list", "admin", "region"},
		{"api_key", "revoke", "admin", "region"},
		{"user", "delete", "", ""},
		{"reference", "read", all, "any"},
		{"reference", "replace", "", ""},
		{"audit", "verify", "inspector admin", "region"},
	}
}

// testParents is a small tree with the awkward cases: a village below a
// town, and two children of the city whose codes start with 330203.
func testParents() map[string]string {
	return map[string]string{
		"330200":         "",
		"330203":         "330200",
		"330203-T01":     "330203",
		"330203-T01-V01": "330203-T01",
		"330203-T02":     "330203",
		"330205":         "330200",
		"330205-T01":     "330205",
		"3302030":        "330200",
		"3302031":        "330200",
	}
}

// realParents reads the region tree shipped in configs/regions.yaml (the
// city, its 10 county-level divisions, the two functional zones and the key
// towns of docs/design.md#organisation-model). A tiny local struct keeps this package independent of
// package configs.
func realParents(t testing.TB) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "configs", "regions.yaml"))
	if err != nil {
		t.Fatalf("read the real region list: %v", err)
	}
	var file struct {
		Regions []struct {
			Code   string `yaml:"code"`
			Parent string `yaml:"parent_code"`
		} `yaml:"regions"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("parse configs/regions.yaml: %v", err)
	}
	parents := make(map[string]string, len(file.Regions))
	for _, r := range file.Regions {
		parents[r.Code] = r.Parent
	}
	return parents
}

func newTest(t *testing.T, parents map[string]string) *Authorizer {
	t.Helper()
	a, err := New(parents)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// TestVocabulary checks every role against every kind and action: Can, and
// Authorize inside the home region, outside it, and with an unknown object
// region.
func TestVocabulary(t *testing.T) {
	a := newTest(t, testParents())
	for _, g := range vocabulary() {
		for _, role := range append(roles(), "guest") {
			allowed := slices.Contains(strings.Fields(g.roles), role)
			sub := Subject{Role: role, Region: "330203"}
			tests := []struct {
				region string
				want   bool
			}{
				{"330203-T01", allowed},
				{"330205-T01", allowed && g.scope == "any"},
				{"3302039", allowed && g.scope == "any"},
			}
			if got := a.Can(role, g.kind, g.act); got != allowed {
				t.Errorf("Can(%s, %s, %s) = %v, want %v", role, g.kind, g.act, got, allowed)
			}
			for _, tt := range tests {
				res := Resource{Kind: g.kind, Region: tt.region}
				if got := a.Allowed(sub, g.act, res); got != tt.want {
					t.Errorf("Allowed(%v, %s, %v) = %v, want %v", sub, g.act, res, got, tt.want)
				}
			}
		}
	}
}

// TestPolicyMatchesVocabulary checks that policy.csv grants nothing the
// vocabulary does not list, with the scope it lists.
func TestPolicyMatchesVocabulary(t *testing.T) {
	a := newTest(t, testParents())
	want := make(map[string]map[string][]string) // role → kind → actions
	scope := make(map[string]string)             // "role kind act" → scope
	for _, g := range vocabulary() {
		for _, role := range strings.Fields(g.roles) {
			if want[role] == nil {
				want[role] = make(map[string][]string)
			}
			want[role][g.kind] = append(want[role][g.kind], g.act)
			scope[role+" "+g.kind+" "+g.act] = g.scope
		}
	}
	kinds := make(map[string]bool)
	for _, g := range vocabulary() {
		kinds[g.kind] = true
	}
	for role, byKind := range a.actions {
		if !slices.Contains(roles(), role) {
			t.Errorf("policy.csv names unknown role %q", role)
		}
		for kind := range byKind {
			if !kinds[kind] {
				t.Errorf("policy.csv names kind %q that the vocabulary lacks", kind)
			}
		}
	}
	for _, role := range roles() {
		for kind := range kinds {
			w := slices.Sorted(slices.Values(want[role][kind]))
			if got := a.Actions(role, kind); !slices.Equal(got, w) {
				t.Errorf("Actions(%s, %s) = %v, want %v", role, kind, got, w)
			}
		}
	}

	rules, err := parseRules(policyText)
	if err != nil {
		t.Fatalf("parseRules: %v", err)
	}
	for _, r := range rules {
		key := strings.Join(r[:3], " ")
		if got, want := r[3], scope[key]; got != want {
			t.Errorf("policy.csv %s: scope %q, want %q", key, got, want)
		}
	}
}

// TestRegions pins the region rule: a grant covers its region and every
// region below it by the tree, never a parent, a sibling or a code that
// merely shares a prefix.
func TestRegions(t *testing.T) {
	a := newTest(t, testParents())
	tests := []struct {
		name              string
		role, home        string
		region, kind, act string
		want              bool
	}{
		{"same region", "acfic", "330203", "330203", "request", "assign", true},
		{"child", "acfic", "330203", "330203-T01", "request", "assign", true},
		{"grandchild", "acfic", "330203", "330203-T01-V01", "request", "assign", true},
		{"city to town", "inspector", "330200", "330203-T01", "request", "supervise", true},
		{"city to village", "inspector", "330200", "330203-T01-V01", "lead", "register", true},
		{"parent", "acfic", "330203-T01", "330203", "request", "assign", false},
		{"grandparent", "acfic", "330203-T01", "330200", "request", "assign", false},
		{"sibling", "acfic", "330203", "330205", "request", "assign", false},
		{"sibling's child", "acfic", "330203", "330205-T01", "request", "assign", false},
		{"sibling town", "department", "330203-T01", "330203-T02", "request", "claim", false},
		{"prefix sibling 3302030", "acfic", "330203", "3302030", "request", "assign", false},
		{"prefix sibling 3302031", "inspector", "330203", "3302031", "lead", "read", false},
		{"unknown region", "acfic", "330203", "3302039", "request", "assign", false},
		{"unknown region below by prefix", "acfic", "330203", "330203-T09", "request", "read", false},
		{"unknown home", "acfic", "3302039", "330203", "request", "assign", false},
		{"unknown home, same code", "acfic", "3302039", "3302039", "request", "assign", false},
		{"empty home", "acfic", "", "330203", "request", "assign", false},
		{"city-wide object, root account", "acfic", "330200", "", "index_run", "publish", true},
		{"city-wide object, district account", "acfic", "330203", "", "index_run", "publish", false},
		{"city-wide indicator tree, root", "acfic", "330200", "", "indicator", "replace", true},
		{"city-wide indicator tree, district", "acfic", "330203", "", "indicator", "replace", false},
		{"audit chain, root inspector", "inspector", "330200", "", "audit", "verify", true},
		{"audit chain, root admin", "admin", "330200", "", "audit", "verify", true},
		{"audit chain, district admin", "admin", "330203", "", "audit", "verify", false},
		{"empty home and city-wide object", "acfic", "", "", "index_run", "read", false},
		{"scope any, city-wide", "enterprise", "330203-T01", "", "reference", "read", true},
		{"scope any, elsewhere", "enterprise", "330203-T01", "330205", "indicator", "read", true},
		{"scope any, unknown", "station", "330203-T01", "nowhere", "reference", "read", true},
		{"scope any, survey", "enterprise", "330203-T01", "", "survey", "respond", true},
		{"admin manages accounts below", "admin", "330200", "330203-T01", "user", "create", true},
		{"admin not beside", "admin", "330203", "330205", "user", "create", false},
		{"station files in its town", "station", "330203-T01", "330203-T01", "request", "create", true},
		{"station not in the next town", "station", "330203-T01", "330203-T02", "request", "create", false},
		{"department rectification below", "department", "330203", "330203-T02", "lead.rectification", "read", true},
		{"department rectification beside", "department", "330203", "330205-T01", "lead.rectification", "read", false},
		{"role names are exact", "Acfic", "330203", "330203", "request", "assign", false},
	}
	for _, tt := range tests {
		sub := Subject{Role: tt.role, Region: tt.home}
		res := Resource{Kind: tt.kind, Region: tt.region}
		if got := a.Allowed(sub, tt.act, res); got != tt.want {
			t.Errorf("%s: Allowed(%v, %s, %v) = %v, want %v", tt.name, sub, tt.act, res, got, tt.want)
		}
	}
}

// TestRealRegions checks the rule on the Ningbo tree of docs/design.md#organisation-model, as
// shipped in configs/regions.yaml.
func TestRealRegions(t *testing.T) {
	parents := realParents(t)
	a := newTest(t, parents)
	for _, code := range []string{
		"330200", "330203", "330205", "330206", "330211", "330212", "330213",
		"330225", "330226", "330281", "330282", "3302QW", "3302GX",
		"330212-T02", "330211-T01", "330281-T01", "330281-T02", "330282-T01",
		"330282-T02", "330225-T01", "330225-T02", "330226-T02",
	} {
		if _, ok := parents[code]; !ok {
			t.Fatalf("configs/regions.yaml lacks %s, which this test uses", code)
		}
	}
	if got, want := parents["330200"], ""; got != want {
		t.Errorf("parent of 330200 = %q, want %q (the root)", got, want)
	}
	for _, c := range []string{"3302QW", "3302GX"} {
		if got, want := parents[c], "330200"; got != want {
			t.Errorf("parent of %s = %q, want %q", c, got, want)
		}
	}
	tests := []struct {
		role, home, region, kind, act string
		want                          bool
	}{
		{"inspector", "330200", "330282-T02", "request", "supervise", true},
		{"inspector", "330200", "3302QW", "lead", "investigate", true},
		{"acfic", "330212", "330212-T02", "request", "assign", true},
		{"acfic", "330212", "330211-T01", "request", "assign", false},
		{"acfic", "330212", "3302GX", "request", "assign", false}, // located in 鄞州 but not below it
		{"acfic", "3302QW", "330282-T01", "request", "assign", false},
		{"acfic", "3302QW", "3302QW", "request", "assign", true},
		{"department", "330281", "330282-T01", "request", "claim", false},
		{"department", "330281", "330281-T02", "request", "respond", true},
		{"department", "330281-T01", "330281", "request", "respond", false},
		{"enterprise", "330225-T01", "330225-T01", "request", "create", true},
		{"enterprise", "330225-T01", "330225-T02", "request", "read", false},
		{"admin", "330200", "330226-T02", "user", "read", true},
		{"admin", "330226", "330225", "user", "read", false},
	}
	for _, tt := range tests {
		sub := Subject{Role: tt.role, Region: tt.home}
		res := Resource{Kind: tt.kind, Region: tt.region}
		if got := a.Allowed(sub, tt.act, res); got != tt.want {
			t.Errorf("Allowed(%v, %s, %v) = %v, want %v", sub, tt.act, res, got, tt.want)
		}
	}

	if got, want := len(a.Descendants("330200")), len(parents); got != want {
		t.Errorf("len(Descendants(330200)) = %d, want %d", got, want)
	}
	for code, parent := range parents {
		if parent == "" {
			continue
		}
		// A division covers exactly itself and the towns whose parent it is.
		want := []string{parent}
		for c, p := range parents {
			if p == parent {
				want = append(want, c)
			}
		}
		slices.Sort(want)
		if parent != "330200" {
			if got := a.Descendants(parent); !slices.Equal(got, want) {
				t.Errorf("Descendants(%s) = %v, want %v", parent, got, want)
			}
		}
		if got := a.Within(code, "330200"); !got {
			t.Errorf("Within(%s, 330200) = false, want true", code)
		}
	}
}

// TestConfidentialFields pins who sees which part of a lead (docs/design.md#lead-loop).
func TestConfidentialFields(t *testing.T) {
	a := newTest(t, testParents())
	fields := []string{"lead.reporter", "lead.investigation", "lead.content", "lead.rectification"}
	want := map[string][]bool{ // role → one answer per field above
		"enterprise": {false, false, false, false},
		"station":    {false, false, false, false},
		"acfic":      {false, false, false, false},
		"department": {false, false, false, true},
		"inspector":  {true, true, true, true},
		"admin":      {false, false, false, false},
	}
	for role, answers := range want {
		for i, field := range fields {
			sub := Subject{Role: role, Region: "330200"}
			res := Resource{Kind: field, Region: "330203-T01"}
			if got := a.Allowed(sub, "read", res); got != answers[i] {
				t.Errorf("Allowed(%s, read, %s) = %v, want %v", role, field, got, answers[i])
			}
			if got := a.Can(role, field, "read"); got != answers[i] {
				t.Errorf("Can(%s, %s, read) = %v, want %v", role, field, got, answers[i])
			}
		}
	}
}

// TestAdminHasNoCaseActions checks that admin can do nothing on requests and
// leads, even at the root of the tree.
func TestAdminHasNoCaseActions(t *testing.T) {
	a := newTest(t, testParents())
	for _, kind := range []string{"request", "lead", "lead.reporter", "lead.investigation", "lead.content", "lead.rectification"} {
		if got := a.Actions("admin", kind); got != nil {
			t.Errorf("Actions(admin, %s) = %v, want none", kind, got)
		}
	}
	sub := Subject{Role: "admin", Region: "330200"}
	for _, g := range vocabulary() {
		if g.kind != "request" && !strings.HasPrefix(g.kind, "lead") {
			continue
		}
		res := Resource{Kind: g.kind, Region: "330203"}
		if err := a.Authorize(sub, g.act, res); !errors.Is(err, ErrForbidden) {
			t.Errorf("Authorize(admin, %s, %v) = %v, want ErrForbidden", g.act, res, err)
		}
	}
}

// TestUnknownRole checks that a role the policy does not name gets nothing,
// not even public reads.
func TestUnknownRole(t *testing.T) {
	a := newTest(t, testParents())
	for _, role := range []string{"", "guest", "Admin", "system", "inspector "} {
		for _, g := range vocabulary() {
			sub := Subject{Role: role, Region: "330200"}
			res := Resource{Kind: g.kind, Region: "330203"}
			if err := a.Authorize(sub, g.act, res); !errors.Is(err, ErrForbidden) {
				t.Errorf("Authorize(%q, %s, %v) = %v, want ErrForbidden", role, g.act, res, err)
			}
			if a.Can(role, g.kind, g.act) {
				t.Errorf("Can(%q, %s, %s) = true, want false", role, g.kind, g.act)
			}
		}
	}
}

// TestSplitChangesNoDecision compares the per-(role, kind) enforcers with
// one casbin enforcer holding every row of policy.csv.
func TestSplitChangesNoDecision(t *testing.T) {
	a := newTest(t, testParents())
	rules, err := parseRules(policyText)
	if err != nil {
		t.Fatalf("parseRules: %v", err)
	}
	whole, err := a.newEnforcer(rules)
	if err != nil {
		t.Fatalf("newEnforcer: %v", err)
	}
	regions := append(slices.Sorted(maps.Keys(testParents())), "", "3302039")
	for _, g := range vocabulary() {
		for _, role := range append(roles(), "guest") {
			for _, home := range []string{"330200", "330203", "330203-T01"} {
				for _, region := range regions {
					want, err := whole.Enforce(role, home, region, g.kind, g.act)
					if err != nil {
						t.Fatalf("Enforce: %v", err)
					}
					sub := Subject{Role: role, Region: home}
					res := Resource{Kind: g.kind, Region: region}
					if got := a.Allowed(sub, g.act, res); got != want {
						t.Errorf("Allowed(%v, %s, %v) = %v, one enforcer says %v", sub, g.act, res, got, want)
					}
				}
			}
		}
	}
}

func TestAuthorizeErrors(t *testing.T) {
	a := newTest(t, testParents())
	sub := Subject{Role: "department", Region: "330203"}
	if err := a.Authorize(sub, "claim", Resource{Kind: "request", Region: "330203-T01"}); err != nil {
		t.Errorf("Authorize allowed: got %v, want nil", err)
	}
	err := a.Authorize(sub, "claim", Resource{Kind: "request", Region: "330205"})
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("Authorize denied: got %v, want ErrForbidden", err)
	}
	if err != nil && !strings.Contains(err.Error(), "330205") {
		t.Errorf("Authorize denied: %q does not name the region", err)
	}
}

func TestWithinAndDescendants(t *testing.T) {
	a := newTest(t, testParents())
	within := []struct {
		region, home string
		want         bool
	}{
		{"330203", "330203", true},
		{"330203-T01", "330203", true},
		{"330203-T01-V01", "330203", true},
		{"330203-T01-V01", "330200", true},
		{"330203-T01-V01", "330203-T02", false},
		{"330203", "330203-T01", false},
		{"3302030", "330203", false},
		{"3302031", "330203", false},
		{"330205", "330203", false},
		{"3302039", "330203", false},
		{"3302039", "3302039", false},
		{"330203", "", false},
		{"", "330200", true},
		{"", "330203", false},
		{"", "", false},
	}
	for _, tt := range within {
		if got := a.Within(tt.region, tt.home); got != tt.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.region, tt.home, got, tt.want)
		}
	}

	descendants := []struct {
		home string
		want []string
	}{
		{"330203", []string{"330203", "330203-T01", "330203-T01-V01", "330203-T02"}},
		{"330203-T01", []string{"330203-T01", "330203-T01-V01"}},
		{"330203-T02", []string{"330203-T02"}},
		{"3302030", []string{"3302030"}},
		{"330200", []string{"330200", "330203", "330203-T01", "330203-T01-V01", "330203-T02", "3302030", "3302031", "330205", "330205-T01"}},
		{"3302039", nil},
		{"", nil},
	}
	for _, tt := range descendants {
		if got := a.Descendants(tt.home); !slices.Equal(got, tt.want) {
			t.Errorf("Descendants(%q) = %v, want %v", tt.home, got, tt.want)
		}
	}

	// The slices handed out are the caller's.
	d := a.Descendants("330203")
	d[0] = "changed"
	if got := a.Descendants("330203")[0]; got != "330203" {
		t.Errorf("Descendants after caller's change: first = %q, want 330203", got)
	}
	acts := a.Actions("acfic", "request")
	acts[0] = "changed"
	if got := a.Actions("acfic", "request")[0]; got != "approve_extension" {
		t.Errorf("Actions after caller's change: first = %q, want approve_extension", got)
	}
}

func TestNewRejectsBadTrees(t *testing.T) {
	tests := []struct {
		name    string
		parents map[string]string
		wantErr bool
	}{
		{"empty tree", map[string]string{}, false},
		{"nil tree", nil, false},
		{"forest", map[string]string{"a": "", "b": ""}, false},
		{"unknown parent", map[string]string{"330200": "330000"}, true},
		{"empty code", map[string]string{"": "", "a": ""}, true},
		{"self parent", map[string]string{"a": "a"}, true},
		{"cycle", map[string]string{"r": "", "a": "b", "b": "a"}, true},
		{"cycle above", map[string]string{"c": "a", "a": "b", "b": "a"}, true},
	}
	for _, tt := range tests {
		_, err := New(tt.parents)
		if got := err != nil; got != tt.wantErr {
			t.Errorf("%s: New error = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestParseRules(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    int
		wantErr bool
	}{
		{"comments and blanks", "# c\n\n  p, acfic, request, read, region  \n", 1, false},
		{"aligned columns", "p, acfic,   request, read,    any\np, admin, user, read, region", 2, false},
		{"too few fields", "p, acfic, request, read", 0, true},
		{"too many fields", "p, acfic, request, read, region, allow", 0, true},
		{"empty field", "p, acfic, , read, region", 0, true},
		{"not p", "g, alice, acfic, region", 0, true},
		{"unknown scope", "p, acfic, request, read, city", 0, true},
		{"duplicate", "p, acfic, request, read, region\np, acfic, request, read, any", 0, true},
	}
	for _, tt := range tests {
		rules, err := parseRules(tt.text)
		if got := err != nil; got != tt.wantErr {
			t.Errorf("%s: error = %v, want error %v", tt.name, err, tt.wantErr)
		}
		if got := len(rules); got != tt.want {
			t.Errorf("%s: %d rules, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWithinFuncArguments(t *testing.T) {
	a := newTest(t, testParents())
	tests := []struct {
		args    []interface{}
		want    interface{}
		wantErr bool
	}{
		{[]interface{}{"330203-T01", "330203"}, true, false},
		{[]interface{}{"330203", "330203-T01"}, false, false},
		{[]interface{}{"330203"}, nil, true},
		{[]interface{}{"330203", 330203}, nil, true},
	}
	for _, tt := range tests {
		got, err := a.withinFunc(tt.args...)
		if (err != nil) != tt.wantErr {
			t.Errorf("withinFunc(%v) error = %v, want error %v", tt.args, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("withinFunc(%v) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// TestConcurrentAuthorize runs 8 goroutines × 1,000 decisions on one
// Authorizer; run it with -race.
func TestConcurrentAuthorize(t *testing.T) {
	a := newTest(t, realParents(t))
	cases := []struct {
		sub  Subject
		act  string
		res  Resource
		want bool
	}{
		{Subject{"acfic", "330203"}, "assign", Resource{"request", "330203-T01"}, true},
		{Subject{"acfic", "330203"}, "assign", Resource{"request", "330205-T01"}, false},
		{Subject{"inspector", "330200"}, "read", Resource{"lead.reporter", "330282-T02"}, true},
		{Subject{"department", "330282"}, "read", Resource{"lead.reporter", "330282-T02"}, false},
		{Subject{"admin", "330200"}, "read", Resource{"request", "330203"}, false},
		{Subject{"enterprise", "330281-T01"}, "read", Resource{"reference", ""}, true},
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c := cases[(g+i)%len(cases)]
				err := a.Authorize(c.sub, c.act, c.res)
				if got := err == nil; got != c.want {
					t.Errorf("goroutine %d: Authorize(%v, %s, %v) = %v, want allowed %v", g, c.sub, c.act, c.res, err, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func ExampleAuthorizer_Authorize() {
	a, err := New(map[string]string{"330200": "", "330203": "330200", "330203-T01": "330203", "330205": "330200"})
	if err != nil {
		panic(err)
	}
	acfic := Subject{Role: "acfic", Region: "330203"}
	fmt.Println(a.Authorize(acfic, "assign", Resource{Kind: "request", Region: "330203-T01"}))
	fmt.Println(errors.Is(a.Authorize(acfic, "assign", Resource{Kind: "request", Region: "330205"}), ErrForbidden))
	fmt.Println(a.Can("admin", "request", "read"), a.Descendants("330203"))
	// Output:
	// <nil>
	// true
	// false [330203 330203-T01]
}

// TestGrantAgreesWithAuthorize: the region set Grant hands the store gives
// the same verdict as Authorize for every role, home, action and region of
// the real tree.
func TestGrantAgreesWithAuthorize(t *testing.T) {
	parents := realParents(t)
	a := newTest(t, parents)
	regions := append(slices.Sorted(maps.Keys(parents)), "", "bogus")
	homes := []string{"330200", "330203", "330212", "3302QW"}
	checked := 0
	for _, g := range vocabulary() {
		for _, role := range append(roles(), "guest") {
			for _, home := range homes {
				sub := Subject{Role: role, Region: home}
				all, grant := a.Grant(sub, g.kind, g.act)
				for _, region := range regions {
					if region == "" {
						continue // a city-wide object is not a case: the store never asks
					}
					want := a.Allowed(sub, g.act, Resource{Kind: g.kind, Region: region})
					if got := all || slices.Contains(grant, region); got != want {
						t.Errorf("Grant(%v, %s %s) covers %s: %v, Authorize says %v", sub, g.act, g.kind, region, got, want)
					}
					checked++
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d decisions compared", checked)
	}
}
