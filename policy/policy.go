// Package policy decides which role may take which action on which kind of
// object, and where.
//
// The rules are a casbin model (model.conf) and a permission list (policy.csv),
// both embedded so that a reviewer reads them in one sitting. Subjects are
// roles; the account's role and home region come from the accounts table with
// every call, so casbin holds no user → role rows and nothing in it can go
// stale when another instance changes an account. Regions are domains: a grant
// at a region covers every region below it in the region tree.
//
// An Authorizer is built once (in main) and never changed afterwards; it is
// safe for concurrent use.
package policy

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// ErrForbidden is returned (wrapped) by Authorize when the policy does not
// allow the action. The api answers it with 403, or 404 where answering 403
// would reveal that an object exists.
var ErrForbidden = errors.New("forbidden")

// Scopes of a permission row (the fourth field of policy.csv).
const (
	// scopeRegion requires the object's region to be within the account's
	// home region.
	scopeRegion = "region"
	// scopeAny applies no region check.
	scopeAny = "any"
)

// Subject is the caller: the account's role and home region code.
type Subject struct {
	Role   string
	Region string
}

// Resource is the object acted on: its kind (request, lead, lead.reporter,
// stats, …) and the code of the region it lives in, e.g.
// {"request", "330203-T01"}.
//
// Region "" means the object belongs to no single region and is city-wide
// (the indicator tree, an index run, the audit chain). It counts as sitting
// at the top of the region tree: a "region" rule reaches it only for an
// account whose home region is a root of the tree; "any" rules reach it as
// always.
type Resource struct {
	Kind   string
	Region string
}

// roleKind keys the per-group enforcers of an Authorizer.
type roleKind struct{ role, kind string }

// Authorizer answers authorization questions from the embedded policy and a
// region tree. Its zero value is not usable; build one with New.
type Authorizer struct {
	// enforcers holds, per role and kind, a casbin enforcer with model.conf
	// and the rows of policy.csv for that role and kind. Casbin tries rules
	// one by one (it has no index), so one enforcer over all ~100 rows made a
	// denial cost ~35 µs (measured); splitting on two of the matcher's
	// equality terms, role and object, bounds a decision by the largest
	// (role, kind) group (10 rows, ~8 µs).
	// The split changes no decision: a pair without rows is denied either
	// way, and each enforcer still evaluates the whole matcher.
	//
	// They are SyncedEnforcers although nothing mutates them after New:
	// Enforce on a plain casbin v2.135.0 Enforcer only reads the model,
	// copies the function map and caches the compiled matcher in a sync.Map,
	// so it is in practice safe, but casbin does not promise that. The read
	// lock costs tens of nanoseconds and keeps the guarantee ours.
	enforcers map[roleKind]*casbin.SyncedEnforcer

	// ancestors maps each region code to the set of itself and every region
	// above it, so that within() is two map lookups whatever the tree size.
	ancestors map[string]map[string]struct{}
	// roots holds the regions without a parent.
	roots map[string]struct{}
	// descendants maps each region code to itself and every region below
	// it, sorted.
	descendants map[string][]string
	// actions maps role → kind → the sorted actions policy.csv grants.
	actions map[string]map[string][]string
	// scopes holds the scope of each permission of policy.csv (Grant).
	scopes map[ruleKey]string
}

// ruleKey names a permission: a role's action on a kind.
type ruleKey struct{ role, kind, act string }

// New builds an Authorizer from the embedded model and policy and a region
// tree given as code → parent code, "" marking a root (the city). Every parent
// must itself be a key of parents, and the tree must have no cycle; otherwise,
// or if the embedded policy is malformed, New returns an error.
func New(parents map[string]string) (*Authorizer, error) {
	a := &Authorizer{
		ancestors:   make(map[string]map[string]struct{}, len(parents)),
		roots:       make(map[string]struct{}),
		descendants: make(map[string][]string, len(parents)),
		actions:     make(map[string]map[string][]string),
		scopes:      make(map[ruleKey]string),
	}
	if err := a.buildTree(parents); err != nil {
		return nil, fmt.Errorf("policy: region tree: %w", err)
	}

	rules, err := parseRules(policyText)
	if err != nil {
		return nil, fmt.Errorf("policy: policy.csv: %w", err)
	}
	for _, r := range rules {
		role, kind, act := r[0], r[1], r[2]
		if a.actions[role] == nil {
			a.actions[role] = make(map[string][]string)
		}
		a.actions[role][kind] = append(a.actions[role][kind], act)
		a.scopes[ruleKey{role, kind, act}] = r[3] // one row per action (parseRules)
	}
	for _, kinds := range a.actions {
		for _, acts := range kinds {
			slices.Sort(acts)
		}
	}

	groups := make(map[roleKind][][]string)
	for _, r := range rules {
		k := roleKind{r[0], r[1]}
		groups[k] = append(groups[k], r)
	}
	a.enforcers = make(map[roleKind]*casbin.SyncedEnforcer, len(groups))
	for k, rows := range groups {
		e, err := a.newEnforcer(rows)
		if err != nil {
			return nil, fmt.Errorf("policy: enforcer for %s on %s: %w", k.role, k.kind, err)
		}
		a.enforcers[k] = e
	}
	return a, nil
}

// newEnforcer returns a casbin enforcer with model.conf, the within function
// and the given rows of policy.csv.
func (a *Authorizer) newEnforcer(rows [][]string) (*casbin.SyncedEnforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("model.conf: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, err
	}
	// The function must be registered before the first Enforce: casbin
	// compiles the matcher once, with the functions known at that moment.
	e.AddFunction("within", a.withinFunc)
	if _, err := e.AddPolicies(rows); err != nil {
		return nil, fmt.Errorf("load policy.csv: %w", err)
	}
	return e, nil
}

// buildTree fills ancestors, roots and descendants from code → parent.
func (a *Authorizer) buildTree(parents map[string]string) error {
	for code, parent := range parents {
		if code == "" {
			return errors.New("empty region code")
		}
		if parent == "" {
			a.roots[code] = struct{}{}
			continue
		}
		if _, ok := parents[parent]; !ok {
			return fmt.Errorf("region %q: parent %q is not a known region (use \"\" for a root)", code, parent)
		}
	}
	for code := range parents {
		set := make(map[string]struct{})
		for c := code; c != ""; c = parents[c] {
			if _, seen := set[c]; seen {
				return fmt.Errorf("region %q: cycle through %q", code, c)
			}
			set[c] = struct{}{}
			a.descendants[c] = append(a.descendants[c], code)
		}
		a.ancestors[code] = set
	}
	for _, codes := range a.descendants {
		slices.Sort(codes)
	}
	return nil
}

// parseRules reads policy.csv: one "p, role, object, action, scope" row per
// line, blank lines and lines starting with # ignored. It rejects rows of the
// wrong shape, unknown scopes and duplicates, which casbin would otherwise
// load silently or drop.
func parseRules(text string) ([][]string, error) {
	var rules [][]string
	seen := make(map[string]int)
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if len(fields) != 5 || fields[0] != "p" || slices.Contains(fields, "") {
			return nil, fmt.Errorf("line %d: want \"p, role, object, action, scope\", got %q", i+1, line)
		}
		rule := fields[1:]
		if scope := rule[3]; scope != scopeRegion && scope != scopeAny {
			return nil, fmt.Errorf("line %d: unknown scope %q", i+1, scope)
		}
		key := strings.Join(rule[:3], ",")
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("line %d: %s %s %s already granted on line %d", i+1, rule[0], rule[1], rule[2], prev)
		}
		seen[key] = i + 1
		rules = append(rules, rule)
	}
	return rules, nil
}

// withinFunc adapts Within to a casbin (govaluate) matcher function.
func (a *Authorizer) withinFunc(args ...interface{}) (interface{}, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("within: want 2 arguments, got %d", len(args))
	}
	region, ok1 := args[0].(string)
	home, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("within: want string arguments, got %T and %T", args[0], args[1])
	}
	return a.Within(region, home), nil
}

// Authorize returns nil if a sub may take act on res, an error wrapping
// ErrForbidden if the policy does not allow it (unknown roles, kinds, actions
// and regions included), or another error if the policy could not be
// evaluated.
func (a *Authorizer) Authorize(sub Subject, act string, res Resource) error {
	ok := false
	if e := a.enforcers[roleKind{sub.Role, res.Kind}]; e != nil {
		var err error
		ok, err = e.Enforce(sub.Role, sub.Region, res.Region, res.Kind, act)
		if err != nil {
			return fmt.Errorf("policy: %s at %q, %s %s at %q: %w", sub.Role, sub.Region, act, res.Kind, res.Region, err)
		}
	}
	if !ok {
		return fmt.Errorf("policy: %s at %q may not %s %s at %q: %w", sub.Role, sub.Region, act, res.Kind, res.Region, ErrForbidden)
	}
	return nil
}

// Allowed reports whether Authorize returns nil. An evaluation error counts
// as not allowed.
func (a *Authorizer) Allowed(sub Subject, act string, res Resource) bool {
	return a.Authorize(sub, act, res) == nil
}

// Can reports whether role may ever take act on kind, in some region. The api
// uses it to tell an action the role may never take (403) from one that the
// object's region or state rules out (404, 409).
func (a *Authorizer) Can(role, kind, act string) bool {
	_, ok := slices.BinarySearch(a.actions[role][kind], act)
	return ok
}

// Actions returns the actions policy.csv grants role on kind, sorted, or nil
// if there are none. The caller may modify the slice.
func (a *Authorizer) Actions(role, kind string) []string {
	return slices.Clone(a.actions[role][kind])
}

// Within reports whether region is home or lies below home in the region
// tree. It is the within() of model.conf. Unknown codes are within nothing;
// region "" (a city-wide object) is within every root of the tree and
// nothing else.
func (a *Authorizer) Within(region, home string) bool {
	if region == "" {
		_, ok := a.roots[home]
		return ok
	}
	_, ok := a.ancestors[region][home]
	return ok
}

// Descendants returns home and every region below it, sorted, for scoping
// list queries (region_code IN (...)). It returns nil for an unknown code.
// The caller may modify the slice.
func (a *Authorizer) Descendants(home string) []string {
	return slices.Clone(a.descendants[home])
}

// Grant returns where sub may take act on kind: every region (all, from a
// rule of scope any), its home region and every region below it (a rule of
// scope region), or nowhere (no rule). It gives the same verdict as
// Authorize for every region, without a decision per region; the store
// checks it on the row it reads. The caller may modify the slice.
func (a *Authorizer) Grant(sub Subject, kind, act string) (all bool, regions []string) {
	switch a.scopes[ruleKey{sub.Role, kind, act}] {
	case scopeAny:
		return true, nil
	case scopeRegion:
		return false, a.Descendants(sub.Region)
	}
	return false, nil
}
