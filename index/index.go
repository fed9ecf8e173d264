// Package index computes the 亲清健康指数 (docs/index-method.md): it takes
// an indicator tree and one value per leaf and evaluated unit, and returns the
// normalised leaf scores, the weighted aggregates up the tree, the ranks in
// each peer group, every unit's comparative strengths and weaknesses
// (比较优势 / 短板不足) and its two-way list (成绩推广清单 / 问题整改清单).
//
// The package is pure: it does no I/O, reads no clock and keeps no state. The
// caller (model) gathers the leaf values, marking a value it does not have as
// missing with a reason; index never treats a missing value as zero (see
// AvailableCaseMean). Scores are kept at full precision; they are rounded only
// to rank (2 decimals, ties share a rank) and for display.
//
// Strengths, weaknesses and the two-way list use the quartile q = ceil(n/4)
// of the n units ranked at a node: rank ≤ q is top, rank > n − q is bottom.
// A node with fewer than two ranked units, or at which every ranked unit
// shares rank 1 (the values do not discriminate), puts nobody in either.
package index

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Scoring methods.
const (
	// MethodEfficacy is the 功效系数法 of DB3302/T 1178-2025, the default:
	// s = 60 + 40·t, t ∈ [0, 1] the position of the value between the leaf's
	// floor (不允许值) and excellent value (满意值), clamped, or, when the leaf
	// gives no goalposts, between the worst and best value in the peer group.
	MethodEfficacy = "efficacy"
	// MethodMinMax is s = 100·(x − lo)/(hi − lo) over the peer group
	// (reversed for lower-is-better). Goalposts are ignored.
	MethodMinMax = "minmax"
	// MethodZScore is s = (x − mean)/sd over the peer group (population sd;
	// sign reversed for lower-is-better). Goalposts are ignored.
	//
	// Caveat: z-scores are unbounded, centred on the group mean and differ in
	// spread from leaf to leaf, so the weighted mean of z-scores is a relative
	// position, not a 0–100 index: it cannot be compared across groups or
	// periods, a leaf with a long tail dominates its parent, and when a unit
	// misses a leaf the re-normalised mean of its other z-scores is not
	// centred like the others'. Ranks on z are rounded to 2 decimals like any
	// other score, which is coarse on this scale. Use it as a sensitivity
	// check, not for the published ranking.
	MethodZScore = "zscore"
)

// Directions of a leaf.
const (
	Higher = "higher" // higher is better (+)
	Lower  = "lower"  // lower is better (−)
)

// Reasons a value or a score is missing.
const (
	ReasonNotSubmitted          = "not_submitted"          // the department did not submit it
	ReasonNoCases               = "no_cases"               // a rate with denominator 0
	ReasonInsufficientCases     = "insufficient_cases"     // denominator below min_cases
	ReasonInsufficientResponses = "insufficient_responses" // survey responses below min_responses
	ReasonNotApplicable         = "not_applicable"         // the indicator does not apply to the unit
	// ReasonInsufficientCoverage marks a non-leaf node whose present
	// children carry less weight than θ.
	ReasonInsufficientCoverage = "insufficient_coverage"
)

// NotRanked is shown instead of a rank when a score is missing.
const NotRanked = "数据不足，不予排名"

// Kinds of 问题整改清单 item.
const (
	// RectifyGap is a leaf on which the unit is in the bottom quartile.
	RectifyGap = "gap"
	// RectifyData is a leaf the responsible department did not submit.
	RectifyData = "data"
)

// DefaultTheta is the default coverage threshold θ.
const DefaultTheta = 0.5

// weightTolerance is how far the weights under a parent may sum from 1.
const weightTolerance = 1e-6

// coverageTolerance absorbs rounding when coverage is compared with θ, so
// that weights 0.2 + 0.3 meet θ = 0.5 however the sum rounds.
const coverageTolerance = 1e-9

// Node is a node of the indicator tree. Weight is relative to the node's
// siblings (the weights under a parent sum to 1). Leaves have a Direction
// and no Children; the other leaf fields are used in reports.
type Node struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Weight    float64 `json:"weight"`
	Direction string  `json:"direction,omitempty"` // Higher or Lower; leaves only
	Unit      string  `json:"unit,omitempty"`      // unit of the raw value, e.g. "%"
	// Owner is the department that submits the value, for a submitted leaf;
	// it is the responsible department in the 问题整改清单.
	Owner string `json:"owner,omitempty"`
	// Floor (不允许值) and Excellent (满意值) are the efficacy goalposts; both
	// or neither. For a lower-is-better leaf Excellent < Floor.
	Floor     *float64 `json:"floor,omitempty"`
	Excellent *float64 `json:"excellent,omitempty"`
	Children  []Node   `json:"children,omitempty"`
}

// IsLeaf reports whether n is a leaf (an indicator with a value).
func (n Node) IsLeaf() bool { return len(n.Children) == 0 }

// Tree is an indicator tree: the children of an implicit root, whose score is
// the index itself.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Unit is an evaluated unit (a region). Units are normalised and ranked
// only against units of the same Group (county, city, town).
type Unit struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

// Value is one leaf value of one unit. A value the caller does not have is
// Missing with a Reason (ReasonNotSubmitted …); X is then ignored.
type Value struct {
	X       float64 `json:"x"`
	Missing bool    `json:"missing,omitempty"`
	Reason  string  `json:"reason,omitempty"`
	// N is the number of cases or survey responses behind the value.
	N int `json:"n,omitempty"`
	// Num and Den are the counts of a rate, when the value is one.
	Num float64 `json:"num,omitempty"`
	Den float64 `json:"den,omitempty"`
}

// Input is what Compute scores.
type Input struct {
	Tree  Tree   `json:"tree"`
	Units []Unit `json:"units"`
	// Values maps leaf code → unit code → value. Every leaf must have an
	// entry for every unit; a value the caller does not have is given as
	// Missing, never left out.
	Values map[string]map[string]Value `json:"values"`
	// Method is MethodEfficacy (when empty), MethodMinMax or MethodZScore.
	Method string `json:"method,omitempty"`
	// Theta is the coverage threshold θ in (0, 1]; 0 means DefaultTheta.
	Theta float64 `json:"theta,omitempty"`
}

// Report is the result of an index run.
type Report struct {
	Method string  `json:"method"`
	Theta  float64 `json:"theta"`
	// Units are sorted by group, then code.
	Units []UnitReport `json:"units"`
}

// UnitReport is one unit's part of the report.
type UnitReport struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Group string `json:"group"`
	// Total is the index; nil when it is missing (coverage below θ).
	Total *float64 `json:"total"`
	// Rank is the rank of Total among the N units of the group with a total;
	// nil (and Note = NotRanked) when Total is missing.
	Rank     *int    `json:"rank"`
	N        int     `json:"n"`
	Coverage float64 `json:"coverage"`
	Note     string  `json:"note,omitempty"`
	// Scores holds every node of the tree except the root, by code.
	Scores map[string]NodeScore `json:"scores"`
	// Strengths (比较优势) and Weaknesses (短板不足) are the codes of the
	// non-leaf nodes in the top and bottom quartile of the group, sorted by
	// code (CompareCodes).
	Strengths  []string `json:"strengths"`
	Weaknesses []string `json:"weaknesses"`
	// Promote is the 成绩推广清单, sorted by leaf code.
	Promote []PromoteItem `json:"promote"`
	// Rectify is the 问题整改清单: gap items by weighted shortfall
	// (descending), then leaf code; then data items by leaf code.
	Rectify []RectifyItem `json:"rectify"`
	// EffectiveWeights are the leaf weights W_q that make up Total: the
	// product over the path of w/coverage. They sum to 1; leaves that do
	// not count (missing, or under a missing node) are absent.
	EffectiveWeights map[string]float64 `json:"effective_weights"`
}

// NodeScore is a unit's score at one node.
type NodeScore struct {
	// Score is nil when the node is missing.
	Score *float64 `json:"score"`
	// Rank is among the N units of the group with a score here; nil (and
	// Note = NotRanked) when the score is missing.
	Rank    *int   `json:"rank"`
	N       int    `json:"n"`
	Missing bool   `json:"missing"`
	Reason  string `json:"reason,omitempty"`
	Note    string `json:"note,omitempty"`
	// Coverage is the weight of the present children (1 or 0 for a leaf).
	Coverage float64 `json:"coverage"`
	// Raw, Cases, Num and Den are the leaf value, for leaves with one.
	Raw   *float64 `json:"raw,omitempty"`
	Cases int      `json:"cases,omitempty"`
	Num   float64  `json:"num,omitempty"`
	Den   float64  `json:"den,omitempty"`
}

// PromoteItem is a 成绩推广清单 entry: a leaf on which the unit is in the
// top quartile of its group.
type PromoteItem struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Raw   float64 `json:"raw"`
	Score float64 `json:"score"`
	Rank  int     `json:"rank"`
	N     int     `json:"n"`
}

// RectifyItem is a 问题整改清单 entry. A gap item (Kind RectifyGap) is a
// leaf on which the unit is in the bottom quartile, with its gap to the best
// unit(s); a data item (Kind RectifyData) is a leaf that was not submitted,
// and carries only the code, name, owner and reason.
type RectifyItem struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Unit  string `json:"unit,omitempty"`
	Owner string `json:"owner,omitempty"`
	// Reason is the missing-value reason of a data item.
	Reason string   `json:"reason,omitempty"`
	Raw    *float64 `json:"raw,omitempty"`
	Score  *float64 `json:"score,omitempty"`
	Rank   int      `json:"rank,omitempty"`
	N      int      `json:"n,omitempty"`
	// ScoreGap is g = best score − own score.
	ScoreGap *float64 `json:"score_gap,omitempty"`
	// BestRaw is the most favourable raw value among the benchmarks;
	// RawGap = (BestRaw − Raw) for higher-is-better, (Raw − BestRaw) for
	// lower-is-better, in the leaf's unit.
	BestRaw *float64 `json:"best_raw,omitempty"`
	RawGap  *float64 `json:"raw_gap,omitempty"`
	// Benchmarks are the codes of the units ranked first (all of them on a
	// tie), sorted.
	Benchmarks []string `json:"benchmarks,omitempty"`
	// Weight is the unit's effective weight W_q of the leaf (0 when the leaf
	// does not count towards its total), and WeightedShortfall = W_q·g: the
	// index points lost against the best on this leaf.
	Weight            *float64 `json:"weight,omitempty"`
	WeightedShortfall *float64 `json:"weighted_shortfall,omitempty"`
}

// Part is one child's contribution to its parent, for AvailableCaseMean.
type Part struct {
	Weight  float64
	Score   float64
	Missing bool
}

// AvailableCaseMean is the missing-value rule (docs/index-method.md#missing-values, the JRC
// "available case" rule): a parent's score is the weighted mean of its
// present children only, their weights re-normalised to sum to 1:
//
//	S = Σ_{present} w·S_c / Σ_{present} w,   coverage = Σ_{present} w.
//
// A missing child is never counted as zero; it simply drops out. If the
// coverage is below theta the parent is missing as well (ok = false), and so
// the rule propagates upwards. Weights are taken to sum to 1 over all the
// parts, so coverage is the present share of the parent's weight.
func AvailableCaseMean(parts []Part, theta float64) (score, coverage float64, ok bool) {
	var sum float64
	for _, p := range parts {
		if p.Missing {
			continue
		}
		coverage += p.Weight
		sum += p.Weight * p.Score
	}
	if coverage <= 0 || coverage < theta-coverageTolerance {
		return 0, coverage, false
	}
	return sum / coverage, coverage, true
}

// Compute scores, aggregates and ranks in, per peer group, and builds every
// unit's report. It returns an error when the input is inconsistent: an
// invalid tree, an unknown method, θ outside (0, 1], duplicate units, or a
// leaf value that is absent, not finite or for an unknown leaf or unit.
func Compute(in Input) (Report, error) {
	method, theta, err := settings(in.Method, in.Theta)
	if err != nil {
		return Report{}, err
	}
	leaves, err := in.Tree.validate()
	if err != nil {
		return Report{}, err
	}
	if err := validateUnits(in.Units); err != nil {
		return Report{}, err
	}
	if err := validateValues(leaves, in.Units, in.Values); err != nil {
		return Report{}, err
	}

	units := slices.Clone(in.Units)
	slices.SortFunc(units, func(a, b Unit) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Code, b.Code))
	})
	rep := Report{Method: method, Theta: theta, Units: make([]UnitReport, 0, len(units))}
	for _, g := range groups(units) {
		rep.Units = append(rep.Units, computeGroup(in.Tree, leaves, g, in.Values, method, theta)...)
	}
	return rep, nil
}

// settings applies the defaults to method and theta and checks them.
func settings(method string, theta float64) (string, float64, error) {
	if method == "" {
		method = MethodEfficacy
	}
	switch method {
	case MethodEfficacy, MethodMinMax, MethodZScore:
	default:
		return "", 0, fmt.Errorf("index: method %q is not %s, %s or %s", method, MethodEfficacy, MethodMinMax, MethodZScore)
	}
	if theta == 0 {
		theta = DefaultTheta
	}
	if !(theta > 0 && theta <= 1) {
		return "", 0, fmt.Errorf("index: theta %v is not in (0, 1]", theta)
	}
	return method, theta, nil
}

// validate checks the tree and returns its leaves in tree order.
func (t Tree) validate() ([]Node, error) {
	if len(t.Nodes) == 0 {
		return nil, errors.New("index: the tree has no nodes")
	}
	seen := map[string]bool{}
	var leaves []Node
	var walk func(parent string, nodes []Node) error
	walk = func(parent string, nodes []Node) error {
		var sum float64
		for _, n := range nodes {
			switch {
			case n.Code == "":
				return fmt.Errorf("index: a node under %s has no code", parent)
			case seen[n.Code]:
				return fmt.Errorf("index: node %s: code listed twice", n.Code)
			case !(n.Weight > 0) || math.IsInf(n.Weight, 0):
				return fmt.Errorf("index: node %s: weight %v is not > 0", n.Code, n.Weight)
			}
			seen[n.Code] = true
			sum += n.Weight
			if !n.IsLeaf() {
				if n.Direction != "" || n.Floor != nil || n.Excellent != nil {
					return fmt.Errorf("index: node %s: only leaves have a direction or goalposts", n.Code)
				}
				if err := walk("node "+n.Code, n.Children); err != nil {
					return err
				}
				continue
			}
			if n.Direction != Higher && n.Direction != Lower {
				return fmt.Errorf("index: leaf %s: direction %q is not %s or %s", n.Code, n.Direction, Higher, Lower)
			}
			if err := checkGoalposts(n); err != nil {
				return err
			}
			leaves = append(leaves, n)
		}
		if math.Abs(sum-1) > weightTolerance {
			return fmt.Errorf("index: %s: children weights sum to %s, want 1", parent, fmtFloat(sum))
		}
		return nil
	}
	if err := walk("root", t.Nodes); err != nil {
		return nil, err
	}
	return leaves, nil
}

// checkGoalposts checks a leaf's floor and excellent values: both or
// neither, finite, and ordered by the direction.
func checkGoalposts(n Node) error {
	if (n.Floor == nil) != (n.Excellent == nil) {
		return fmt.Errorf("index: leaf %s: give both floor and excellent, or neither", n.Code)
	}
	if n.Floor == nil {
		return nil
	}
	f, e := *n.Floor, *n.Excellent
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || math.IsNaN(e) || math.IsInf(e, 0):
		return fmt.Errorf("index: leaf %s: goalposts must be finite", n.Code)
	case n.Direction == Higher && !(e > f):
		return fmt.Errorf("index: leaf %s: higher is better, so excellent (%v) must exceed floor (%v)", n.Code, e, f)
	case n.Direction == Lower && !(e < f):
		return fmt.Errorf("index: leaf %s: lower is better, so excellent (%v) must be below floor (%v)", n.Code, e, f)
	}
	return nil
}

func validateUnits(units []Unit) error {
	if len(units) == 0 {
		return errors.New("index: no units")
	}
	seen := map[string]bool{}
	for i, u := range units {
		switch {
		case u.Code == "":
			return fmt.Errorf("index: units[%d] (%s): code is required", i, u.Name)
		case seen[u.Code]:
			return fmt.Errorf("index: unit %s: listed twice", u.Code)
		}
		seen[u.Code] = true
	}
	return nil
}

// validReason reports whether r is a reason a leaf value may be missing for.
func validReason(r string) bool {
	switch r {
	case "", ReasonNotSubmitted, ReasonNoCases, ReasonInsufficientCases, ReasonInsufficientResponses, ReasonNotApplicable:
		return true
	}
	return false
}

func validateValues(leaves []Node, units []Unit, values map[string]map[string]Value) error {
	isLeaf := make(map[string]bool, len(leaves))
	for _, l := range leaves {
		isLeaf[l.Code] = true
	}
	isUnit := make(map[string]bool, len(units))
	for _, u := range units {
		isUnit[u.Code] = true
	}
	for _, code := range sortedKeys(values) {
		if !isLeaf[code] {
			return fmt.Errorf("index: values given for %s, which is not a leaf of the tree", code)
		}
		for _, u := range sortedKeys(values[code]) {
			if !isUnit[u] {
				return fmt.Errorf("index: leaf %s: value for unknown unit %s", code, u)
			}
		}
	}
	for _, l := range leaves {
		for _, u := range units {
			v, ok := values[l.Code][u.Code]
			switch {
			case !ok:
				return fmt.Errorf("index: leaf %s, unit %s: no value (give a missing value with its reason instead)", l.Code, u.Code)
			case !validReason(v.Reason):
				return fmt.Errorf("index: leaf %s, unit %s: unknown reason %q", l.Code, u.Code, v.Reason)
			case !v.Missing && (math.IsNaN(v.X) || math.IsInf(v.X, 0)):
				return fmt.Errorf("index: leaf %s, unit %s: value %v is not finite", l.Code, u.Code, v.X)
			}
		}
	}
	return nil
}

// groups splits units, sorted by group, into runs of one group each.
func groups(units []Unit) [][]Unit {
	var out [][]Unit
	for i := 0; i < len(units); {
		j := i + 1
		for j < len(units) && units[j].Group == units[i].Group {
			j++
		}
		out = append(out, units[i:j])
		i = j
	}
	return out
}

// nodeResult is one unit's raw result at one node, before ranking.
type nodeResult struct {
	score    float64
	coverage float64
	ok       bool
	reason   string
}

// groupRun holds the state of the computation for one peer group.
type groupRun struct {
	units  []Unit
	values map[string]map[string]Value
	method string
	theta  float64
	// res[node code][unit code]; the root is under "".
	res map[string]map[string]nodeResult
	// ranks[node code][unit code] for units with a score, and n[node code]
	// the number of them.
	ranks map[string]map[string]int
	n     map[string]int
}

// computeGroup runs the index over one peer group.
func computeGroup(t Tree, leaves []Node, units []Unit, values map[string]map[string]Value, method string, theta float64) []UnitReport {
	g := &groupRun{
		units: units, values: values, method: method, theta: theta,
		res:   map[string]map[string]nodeResult{},
		ranks: map[string]map[string]int{},
		n:     map[string]int{},
	}
	for _, l := range leaves {
		g.scoreLeaf(l)
	}
	root := Node{Children: t.Nodes}
	g.aggregate(root)
	for code, byUnit := range g.res {
		scores := map[string]float64{}
		for u, r := range byUnit {
			if r.ok {
				scores[u] = r.score
			}
		}
		g.ranks[code] = competitionRanks(scores)
		g.n[code] = len(scores)
	}

	out := make([]UnitReport, 0, len(units))
	for _, u := range units {
		out = append(out, g.report(t, leaves, u))
	}
	return out
}

// scoreLeaf normalises leaf l over the units of the group that have a value.
func (g *groupRun) scoreLeaf(l Node) {
	res := map[string]nodeResult{}
	var codes []string
	var xs []float64
	for _, u := range g.units {
		v := g.values[l.Code][u.Code]
		if v.Missing {
			res[u.Code] = nodeResult{reason: v.Reason}
			continue
		}
		codes = append(codes, u.Code)
		xs = append(xs, v.X)
	}
	for i, s := range normalise(g.method, l, xs) {
		res[codes[i]] = nodeResult{score: s, coverage: 1, ok: true}
	}
	g.res[l.Code] = res
}

// normalise returns the scores of the values xs of leaf l under method.
// When every value is the same (or there is only one) nothing
// discriminates: min-max gives every unit 100, efficacy without goalposts
// 100, z-score 0.
func normalise(method string, l Node, xs []float64) []float64 {
	out := make([]float64, len(xs))
	if len(xs) == 0 {
		return out
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	// t is the min-max position in [0, 1], 1 = best.
	t := func(x float64) float64 {
		if hi == lo {
			return 1
		}
		if l.Direction == Lower {
			return (hi - x) / (hi - lo)
		}
		return (x - lo) / (hi - lo)
	}
	switch method {
	case MethodMinMax:
		for i, x := range xs {
			out[i] = 100 * t(x)
		}
	case MethodEfficacy:
		for i, x := range xs {
			if l.Floor != nil && l.Excellent != nil {
				out[i] = 60 + 40*goalpostPosition(x, *l.Floor, *l.Excellent)
			} else {
				out[i] = 60 + 40*t(x)
			}
		}
	case MethodZScore:
		if hi == lo {
			return out
		}
		var mean float64
		for _, x := range xs {
			mean += x
		}
		mean /= float64(len(xs))
		var ss float64
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		sd := math.Sqrt(ss / float64(len(xs)))
		if sd == 0 {
			return out
		}
		for i, x := range xs {
			out[i] = (x - mean) / sd
			if l.Direction == Lower {
				out[i] = -out[i]
			}
		}
	}
	return out
}

// goalpostPosition is t = clamp((x − floor)/(excellent − floor), 0, 1); it
// handles both directions, since a lower-is-better leaf has excellent < floor.
func goalpostPosition(x, floor, excellent float64) float64 {
	return min(1, max(0, (x-floor)/(excellent-floor)))
}

// aggregate computes n's result for every unit of the group from its
// children's (by AvailableCaseMean), recursively.
func (g *groupRun) aggregate(n Node) {
	if n.IsLeaf() {
		return
	}
	for _, c := range n.Children {
		g.aggregate(c)
	}
	res := map[string]nodeResult{}
	for _, u := range g.units {
		parts := make([]Part, len(n.Children))
		for i, c := range n.Children {
			r := g.res[c.Code][u.Code]
			parts[i] = Part{Weight: c.Weight, Score: r.score, Missing: !r.ok}
		}
		s, cov, ok := AvailableCaseMean(parts, g.theta)
		r := nodeResult{score: s, coverage: cov, ok: ok}
		if !ok {
			r.reason = ReasonInsufficientCoverage
		}
		res[u.Code] = r
	}
	g.res[n.Code] = res
}

// rankKey is a score rounded to 2 decimals, as an integer so that equal
// rounded scores compare equal.
func rankKey(s float64) int64 { return int64(math.Round(s * 100)) }

// competitionRanks ranks scores ("1224"): a unit's rank is 1 + the number
// of units whose score, rounded to 2 decimals, is higher.
func competitionRanks(scores map[string]float64) map[string]int {
	ranks := make(map[string]int, len(scores))
	for u, s := range scores {
		r := 1
		for _, o := range scores {
			if rankKey(o) > rankKey(s) {
				r++
			}
		}
		ranks[u] = r
	}
	return ranks
}

// quartile returns q = ceil(n/4) and whether node code discriminates: at
// least two units are ranked and they do not all share rank 1. A node that
// does not discriminate yields no strengths, weaknesses or list items.
func (g *groupRun) quartile(code string) (q, n int, ok bool) {
	n = g.n[code]
	if n < 2 {
		return 0, n, false
	}
	allFirst := true
	for _, r := range g.ranks[code] {
		if r != 1 {
			allFirst = false
			break
		}
	}
	return (n + 3) / 4, n, !allFirst
}

// report builds unit u's report.
func (g *groupRun) report(t Tree, leaves []Node, u Unit) UnitReport {
	total := g.res[""][u.Code]
	ur := UnitReport{
		Code: u.Code, Name: u.Name, Group: u.Group,
		N:                g.n[""],
		Coverage:         total.coverage,
		Scores:           map[string]NodeScore{},
		Strengths:        []string{},
		Weaknesses:       []string{},
		Promote:          []PromoteItem{},
		Rectify:          []RectifyItem{},
		EffectiveWeights: map[string]float64{},
	}
	if total.ok {
		ur.Total = ptr(total.score)
		ur.Rank = ptr(g.ranks[""][u.Code])
	} else {
		ur.Note = NotRanked
	}

	var walk func(nodes []Node, weight float64, counts bool)
	walk = func(nodes []Node, weight float64, counts bool) {
		for _, n := range nodes {
			r := g.res[n.Code][u.Code]
			ns := NodeScore{N: g.n[n.Code], Coverage: r.coverage, Missing: !r.ok, Reason: r.reason}
			if r.ok {
				ns.Score = ptr(r.score)
				ns.Rank = ptr(g.ranks[n.Code][u.Code])
			} else {
				ns.Note = NotRanked
			}
			w := 0.0
			if counts && r.ok {
				w = weight * n.Weight
			}
			if n.IsLeaf() {
				if v := g.values[n.Code][u.Code]; !v.Missing {
					ns.Raw, ns.Cases, ns.Num, ns.Den = ptr(v.X), v.N, v.Num, v.Den
				}
				if w > 0 {
					ur.EffectiveWeights[n.Code] = w
				}
			} else {
				if r.ok {
					if q, k, ok := g.quartile(n.Code); ok {
						rank := g.ranks[n.Code][u.Code]
						if rank <= q {
							ur.Strengths = append(ur.Strengths, n.Code)
						} else if rank > k-q {
							ur.Weaknesses = append(ur.Weaknesses, n.Code)
						}
					}
				}
				// The children's weights are re-normalised by the coverage.
				cw := 0.0
				if w > 0 {
					cw = w / r.coverage
				}
				walk(n.Children, cw, w > 0)
			}
			ur.Scores[n.Code] = ns
		}
	}
	rootWeight := 0.0
	if total.ok {
		rootWeight = 1 / total.coverage
	}
	walk(t.Nodes, rootWeight, total.ok)

	var data []RectifyItem
	for _, l := range leaves {
		r := g.res[l.Code][u.Code]
		if !r.ok {
			if r.reason == ReasonNotSubmitted {
				data = append(data, RectifyItem{
					Code: l.Code, Name: l.Name, Kind: RectifyData, Unit: l.Unit, Owner: l.Owner, Reason: r.reason,
				})
			}
			continue
		}
		q, n, ok := g.quartile(l.Code)
		if !ok {
			continue
		}
		rank := g.ranks[l.Code][u.Code]
		raw := g.values[l.Code][u.Code].X
		switch {
		case rank <= q:
			ur.Promote = append(ur.Promote, PromoteItem{
				Code: l.Code, Name: l.Name, Unit: l.Unit, Raw: raw, Score: r.score, Rank: rank, N: n,
			})
		case rank > n-q:
			ur.Rectify = append(ur.Rectify, g.gapItem(l, u.Code, ur.EffectiveWeights[l.Code]))
		}
	}
	slices.SortFunc(ur.Strengths, CompareCodes)
	slices.SortFunc(ur.Weaknesses, CompareCodes)
	slices.SortFunc(ur.Promote, func(a, b PromoteItem) int { return CompareCodes(a.Code, b.Code) })
	// Shortfalls are compared at 6 decimals, so that two equal shortfalls
	// reached by different float arithmetic (.4·.6·.5 and .3·.4) tie and
	// fall back to the leaf code.
	slices.SortStableFunc(ur.Rectify, func(a, b RectifyItem) int {
		return cmp.Or(
			cmp.Compare(math.Round(*b.WeightedShortfall*1e6), math.Round(*a.WeightedShortfall*1e6)),
			CompareCodes(a.Code, b.Code),
		)
	})
	slices.SortStableFunc(data, func(a, b RectifyItem) int { return CompareCodes(a.Code, b.Code) })
	ur.Rectify = append(ur.Rectify, data...)
	return ur
}

// gapItem builds the 问题整改清单 gap item of leaf l for unit u, whose
// effective weight of l is w.
func (g *groupRun) gapItem(l Node, u string, w float64) RectifyItem {
	res := g.res[l.Code]
	own := res[u].score
	raw := g.values[l.Code][u].X
	best := math.Inf(-1)
	var benchmarks []string
	var bestRaw float64
	for _, o := range g.units {
		r := res[o.Code]
		if !r.ok {
			continue
		}
		best = max(best, r.score)
		if g.ranks[l.Code][o.Code] != 1 {
			continue
		}
		x := g.values[l.Code][o.Code].X
		if len(benchmarks) == 0 || (l.Direction == Lower && x < bestRaw) || (l.Direction == Higher && x > bestRaw) {
			bestRaw = x
		}
		benchmarks = append(benchmarks, o.Code)
	}
	slices.Sort(benchmarks)
	gap := best - own
	rawGap := bestRaw - raw
	if l.Direction == Lower {
		rawGap = -rawGap
	}
	return RectifyItem{
		Code: l.Code, Name: l.Name, Kind: RectifyGap, Unit: l.Unit, Owner: l.Owner,
		Raw: ptr(raw), Score: ptr(own), Rank: g.ranks[l.Code][u], N: g.n[l.Code],
		ScoreGap: ptr(gap), BestRaw: ptr(bestRaw), RawGap: ptr(rawGap), Benchmarks: benchmarks,
		Weight: ptr(w), WeightedShortfall: ptr(w * gap),
	}
}

// CompareCodes orders indicator codes: dot-separated segments compare
// numerically when both are whole numbers ("2.1.10" after "2.1.9"), else as
// text; a code sorts before its descendants.
func CompareCodes(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range min(len(as), len(bs)) {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		var c int
		if errX == nil && errY == nil {
			c = cmp.Compare(x, y)
		} else {
			c = cmp.Compare(as[i], bs[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

func ptr[T any](v T) *T { return &v }

// fmtFloat formats a sum of weights for a message: enough digits to show a
// real difference from 1, without the noise of float arithmetic.
func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', 9, 64) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
