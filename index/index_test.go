package index

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The worked example of docs/index-method.md#worked-example: three units A, B, C in one peer group,
// a pruned tree of six leaves, C's I5 not submitted. Rates are in percent.
func workedTree() Tree {
	leaf := func(code, name string, w float64, dir, unit, owner string) Node {
		return Node{Code: code, Name: name, Weight: w, Direction: dir, Unit: unit, Owner: owner}
	}
	return Tree{Nodes: []Node{
		{Code: "H", Name: "亲清健康", Weight: 0.3, Children: []Node{
			{Code: "H1", Name: "民营经济", Weight: 1.0, Children: []Node{
				leaf("I6", "民营经济增加值增速", 1.0, Higher, "%", "tjj"),
			}},
		}},
		{Code: "P", Name: "亲近关系", Weight: 0.4, Children: []Node{
			{Code: "P1", Name: "诉求办理", Weight: 0.6, Children: []Node{
				leaf("I1", "按期办结率", 0.5, Higher, "%", ""),
				leaf("I3", "平均答复时长", 0.5, Lower, "工作小时", ""),
			}},
			{Code: "P2", Name: "政务服务", Weight: 0.4, Children: []Node{
				leaf("I2", "政务服务满意度", 1.0, Higher, "分", ""),
			}},
		}},
		{Code: "Q", Name: "清廉关系", Weight: 0.3, Children: []Node{
			{Code: "Q1", Name: "清廉政府", Weight: 1.0, Children: []Node{
				leaf("I4", "线索按期处置率", 0.6, Higher, "%", ""),
				leaf("I5", "涉企执法纠错率", 0.4, Lower, "%", "sfj"),
			}},
		}},
	}}
}

func workedInput(method string) Input {
	rate := func(num, den float64) Value { return Value{X: 100 * num / den, N: int(den), Num: num, Den: den} }
	return Input{
		Tree: workedTree(),
		Units: []Unit{
			{Code: "C", Name: "丙", Group: "county"},
			{Code: "A", Name: "甲", Group: "county"},
			{Code: "B", Name: "乙", Group: "county"},
		},
		Values: map[string]map[string]Value{
			"I1": {"A": rate(188, 200), "B": rate(291, 300), "C": rate(70, 80)},
			"I2": {"A": {X: 4.20, N: 36}, "B": {X: 4.05, N: 41}, "C": {X: 4.50, N: 32}},
			"I3": {"A": {X: 30, N: 50}, "B": {X: 42, N: 60}, "C": {X: 36, N: 20}},
			"I4": {"A": rate(40, 50), "B": rate(38, 40), "C": rate(21, 24)},
			"I5": {"A": {X: 2.0}, "B": {X: 3.5}, "C": {Missing: true, Reason: ReasonNotSubmitted}},
			"I6": {"A": {X: 6.0}, "B": {X: 5.0}, "C": {X: 8.0}},
		},
		Method: method,
		Theta:  0.5,
	}
}

func compute(t *testing.T, in Input) Report {
	t.Helper()
	rep, err := Compute(in)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return rep
}

func unitOf(t *testing.T, rep Report, code string) UnitReport {
	t.Helper()
	i := slices.IndexFunc(rep.Units, func(u UnitReport) bool { return u.Code == code })
	if i < 0 {
		t.Fatalf("unit %s not in the report", code)
	}
	return rep.Units[i]
}

// near4 reports whether got rounds to want at 4 decimals.
func near4(got, want float64) bool { return math.Abs(got-want) <= 0.00005+1e-12 }

func checkNear(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	switch {
	case got == nil:
		t.Errorf("%s = missing, want %.4f", what, want)
	case !near4(*got, want):
		t.Errorf("%s = %.6f, want %.4f", what, *got, want)
	}
}

func checkRank(t *testing.T, what string, got *int, want int) {
	t.Helper()
	if got == nil || *got != want {
		t.Errorf("%s rank = %v, want %d", what, deref(got), want)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestWorkedExampleTotals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		want   map[string]float64
	}{
		{"", map[string]float64{"A": 79.0175, "B": 72.0000, "C": 86.8000}},
		{MethodEfficacy, map[string]float64{"A": 79.0175, "B": 72.0000, "C": 86.8000}},
		{MethodMinMax, map[string]float64{"A": 47.5439, "B": 30.0000, "C": 67.0000}},
	}
	wantRank := map[string]int{"C": 1, "A": 2, "B": 3}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rep := compute(t, workedInput(tt.method))
			if want := cmpOr(tt.method, MethodEfficacy); rep.Method != want {
				t.Errorf("Method = %q, want %q", rep.Method, want)
			}
			for u, want := range tt.want {
				ur := unitOf(t, rep, u)
				checkNear(t, u+" total", ur.Total, want)
				checkRank(t, u+" total", ur.Rank, wantRank[u])
				if ur.N != 3 {
					t.Errorf("%s N = %d, want 3", u, ur.N)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// The exact A total under min-max is 2710/57.
func TestWorkedExampleExactA(t *testing.T) {
	t.Parallel()
	a := unitOf(t, compute(t, workedInput(MethodMinMax)), "A")
	if got, want := *a.Total, 2710.0/57; math.Abs(got-want) > 1e-9 {
		t.Errorf("A total = %.12f, want 2710/57 = %.12f", got, want)
	}
}

// Every node of docs/index-method.md#worked-example step 1 and step 2 under min-max, and the same
// nodes under efficacy = 60 + 0.4 × min-max.
func TestWorkedExampleNodes(t *testing.T) {
	t.Parallel()
	minmax := map[string]map[string]float64{
		"I1": {"A": 68.4211, "B": 100, "C": 0},
		"I2": {"A": 33.3333, "B": 0, "C": 100},
		"I3": {"A": 100, "B": 0, "C": 50},
		"I4": {"A": 0, "B": 100, "C": 50},
		"I5": {"A": 100, "B": 0},
		"I6": {"A": 33.3333, "B": 0, "C": 100},
		"P1": {"A": 84.2105, "B": 50, "C": 25},
		"P2": {"A": 33.3333, "B": 0, "C": 100},
		"P":  {"A": 63.8596, "B": 30, "C": 55},
		"Q1": {"A": 40, "B": 60, "C": 50},
		"Q":  {"A": 40, "B": 60, "C": 50},
		"H1": {"A": 33.3333, "B": 0, "C": 100},
		"H":  {"A": 33.3333, "B": 0, "C": 100},
	}
	mm := compute(t, workedInput(MethodMinMax))
	ef := compute(t, workedInput(MethodEfficacy))
	for node, byUnit := range minmax {
		for u, want := range byUnit {
			checkNear(t, "minmax "+node+" "+u, unitOf(t, mm, u).Scores[node].Score, want)
			checkNear(t, "efficacy "+node+" "+u, unitOf(t, ef, u).Scores[node].Score, 60+0.4*want)
		}
	}
	for _, rep := range []Report{mm, ef} {
		c := unitOf(t, rep, "C")
		if s := c.Scores["I5"]; !s.Missing || s.Score != nil || s.Rank != nil || s.Reason != ReasonNotSubmitted || s.Note != NotRanked {
			t.Errorf("%s: C I5 = %+v, want missing (not_submitted), no rank, %s", rep.Method, s, NotRanked)
		}
		if got := c.Scores["Q1"].Coverage; math.Abs(got-0.6) > 1e-12 {
			t.Errorf("%s: C Q1 coverage = %v, want 0.6", rep.Method, got)
		}
		if got := unitOf(t, rep, "A").Scores["I5"].N; got != 2 {
			t.Errorf("%s: I5 N = %d, want 2", rep.Method, got)
		}
	}
}

// Treating C's missing I5 as zero would give 61; the rule must not.
func TestWorkedExampleMissingIsNotZero(t *testing.T) {
	t.Parallel()
	c := unitOf(t, compute(t, workedInput(MethodMinMax)), "C")
	if near4(*c.Total, 61) {
		t.Fatalf("C total = %.4f: the missing I5 was taken as zero", *c.Total)
	}
	// The 61 of docs/index-method.md#worked-example, by hand: Q1 = .6·50 + .4·0 = 30.
	zeroQ1, _, _ := AvailableCaseMean([]Part{{Weight: 0.6, Score: 50}, {Weight: 0.4, Score: 0}}, 0.5)
	if wrong := 0.3*100 + 0.4*55 + 0.3*zeroQ1; !near4(wrong, 61) {
		t.Errorf("zero-imputed C = %.4f, want 61 (the check itself is off)", wrong)
	}
}

func TestWorkedExampleLevelRanks(t *testing.T) {
	t.Parallel()
	want := map[string]map[string]int{
		"H":  {"C": 1, "A": 2, "B": 3},
		"P":  {"A": 1, "C": 2, "B": 3},
		"Q":  {"B": 1, "C": 2, "A": 3},
		"P1": {"A": 1, "B": 2, "C": 3},
		"P2": {"C": 1, "A": 2, "B": 3},
	}
	for _, method := range []string{MethodEfficacy, MethodMinMax} {
		rep := compute(t, workedInput(method))
		for node, byUnit := range want {
			for u, r := range byUnit {
				ns := unitOf(t, rep, u).Scores[node]
				checkRank(t, method+" "+node+" "+u, ns.Rank, r)
				if ns.N != 3 {
					t.Errorf("%s %s %s: N = %d, want 3", method, node, u, ns.N)
				}
			}
		}
	}
}

func TestWorkedExampleStrengthsWeaknesses(t *testing.T) {
	t.Parallel()
	want := map[string]struct{ strengths, weaknesses []string }{
		"A": {[]string{"P", "P1"}, []string{"Q", "Q1"}},
		"B": {[]string{"Q", "Q1"}, []string{"H", "H1", "P", "P2"}},
		"C": {[]string{"H", "H1", "P2"}, []string{"P1"}},
	}
	for _, method := range []string{MethodEfficacy, MethodMinMax} {
		rep := compute(t, workedInput(method))
		for u, w := range want {
			ur := unitOf(t, rep, u)
			if !slices.Equal(ur.Strengths, w.strengths) || !slices.Equal(ur.Weaknesses, w.weaknesses) {
				t.Errorf("%s %s: 优势 %v 短板 %v, want %v / %v", method, u, ur.Strengths, ur.Weaknesses, w.strengths, w.weaknesses)
			}
		}
	}
}

func TestWorkedExampleEffectiveWeights(t *testing.T) {
	t.Parallel()
	ab := map[string]float64{"I1": .12, "I3": .12, "I2": .16, "I4": .18, "I5": .12, "I6": .30}
	want := map[string]map[string]float64{
		"A": ab, "B": ab,
		"C": {"I1": .12, "I3": .12, "I2": .16, "I4": .30, "I6": .30},
	}
	rep := compute(t, workedInput(""))
	for u, w := range want {
		got := unitOf(t, rep, u).EffectiveWeights
		if len(got) != len(w) {
			t.Errorf("%s: effective weights %v, want %v", u, got, w)
			continue
		}
		var sum float64
		for leaf, ww := range w {
			if math.Abs(got[leaf]-ww) > 1e-12 {
				t.Errorf("%s: W(%s) = %v, want %v", u, leaf, got[leaf], ww)
			}
			sum += got[leaf]
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("%s: effective weights sum to %v, want 1", u, sum)
		}
	}
}

// rectifyWant is the expected part of a 问题整改清单 item.
type rectifyWant struct {
	code       string
	kind       string
	rank, n    int
	scoreGap   float64
	weighted   float64
	rawGap     float64
	benchmarks []string
	owner      string
}

func TestWorkedExampleTwoWayLists(t *testing.T) {
	t.Parallel()
	type promoteWant struct {
		code    string
		rank, n int
	}
	want := map[string]struct {
		promote []promoteWant
		rectify []rectifyWant
	}{
		"A": {
			promote: []promoteWant{{"I3", 1, 3}, {"I5", 1, 2}},
			rectify: []rectifyWant{{"I4", RectifyGap, 3, 3, 100, 18, 15, []string{"B"}, ""}},
		},
		"B": {
			promote: []promoteWant{{"I1", 1, 3}, {"I4", 1, 3}},
			rectify: []rectifyWant{
				{"I6", RectifyGap, 3, 3, 100, 30, 3, []string{"C"}, "tjj"},
				{"I2", RectifyGap, 3, 3, 100, 16, 0.45, []string{"C"}, ""},
				{"I3", RectifyGap, 3, 3, 100, 12, 12, []string{"A"}, ""},
				{"I5", RectifyGap, 2, 2, 100, 12, 1.5, []string{"A"}, "sfj"},
			},
		},
		"C": {
			promote: []promoteWant{{"I2", 1, 3}, {"I6", 1, 3}},
			rectify: []rectifyWant{
				{"I1", RectifyGap, 3, 3, 100, 12, 9.5, []string{"B"}, ""},
				{code: "I5", kind: RectifyData, owner: "sfj"},
			},
		},
	}
	// Min-max gives the score gaps of docs/index-method.md#worked-example; efficacy gives 0.4 × them
	// and the same lists.
	for _, tc := range []struct {
		method string
		scale  float64
	}{{MethodMinMax, 1}, {MethodEfficacy, 0.4}} {
		rep := compute(t, workedInput(tc.method))
		for u, w := range want {
			ur := unitOf(t, rep, u)
			var gotPromote []promoteWant
			for _, p := range ur.Promote {
				gotPromote = append(gotPromote, promoteWant{p.Code, p.Rank, p.N})
			}
			if !slices.Equal(gotPromote, w.promote) {
				t.Errorf("%s %s 推广 = %v, want %v", tc.method, u, gotPromote, w.promote)
			}
			if len(ur.Rectify) != len(w.rectify) {
				t.Errorf("%s %s 整改 = %s, want %v", tc.method, u, rectifyCodes(ur.Rectify), w.rectify)
				continue
			}
			for i, r := range ur.Rectify {
				checkRectify(t, fmt.Sprintf("%s %s 整改[%d]", tc.method, u, i), r, w.rectify[i], tc.scale)
			}
		}
	}
}

func rectifyCodes(items []RectifyItem) string {
	var s []string
	for _, r := range items {
		s = append(s, r.Code+"/"+r.Kind)
	}
	return strings.Join(s, ", ")
}

func checkRectify(t *testing.T, what string, got RectifyItem, w rectifyWant, scale float64) {
	t.Helper()
	if got.Code != w.code || got.Kind != w.kind || got.Owner != w.owner {
		t.Errorf("%s = %s/%s owner %q, want %s/%s owner %q", what, got.Code, got.Kind, got.Owner, w.code, w.kind, w.owner)
		return
	}
	if w.kind == RectifyData {
		if got.Reason != ReasonNotSubmitted || got.Score != nil || got.Raw != nil || got.WeightedShortfall != nil {
			t.Errorf("%s: data item %+v, want reason not_submitted and no values", what, got)
		}
		return
	}
	if got.Rank != w.rank || got.N != w.n {
		t.Errorf("%s: rank %d/%d, want %d/%d", what, got.Rank, got.N, w.rank, w.n)
	}
	checkNear(t, what+" score gap", got.ScoreGap, scale*w.scoreGap)
	checkNear(t, what+" weighted shortfall", got.WeightedShortfall, scale*w.weighted)
	checkNear(t, what+" raw gap", got.RawGap, w.rawGap)
	if !slices.Equal(got.Benchmarks, w.benchmarks) {
		t.Errorf("%s: benchmarks %v, want %v", what, got.Benchmarks, w.benchmarks)
	}
}

// goalposts sets the efficacy goalposts of the worked example's "goalposts
// 0–100" scenario on the tree (rates in percent).
func goalposts(tr Tree) Tree {
	posts := map[string][2]float64{ // floor (bad), excellent (good)
		"I1": {80, 100}, "I2": {3, 5}, "I3": {80, 8}, "I4": {70, 100}, "I5": {5, 0}, "I6": {0, 10},
	}
	var walk func([]Node) []Node
	walk = func(nodes []Node) []Node {
		out := slices.Clone(nodes)
		for i := range out {
			if p, ok := posts[out[i].Code]; ok {
				out[i].Floor, out[i].Excellent = ptr(p[0]), ptr(p[1])
			}
			out[i].Children = walk(out[i].Children)
		}
		return out
	}
	return Tree{Nodes: walk(tr.Nodes)}
}

// The "goalposts 0–100" row of docs/index-method.md#worked-example is s = 100·t; the efficacy score
// with the same goalposts is 60 + 40·t, so its totals are 60 + 0.4 × the row.
func TestEfficacyGoalposts(t *testing.T) {
	t.Parallel()
	in := workedInput(MethodEfficacy)
	in.Tree = goalposts(in.Tree)
	rep := compute(t, in)
	table := map[string]float64{"A": 57.5333, "B": 58.5333, "C": 65.3333}
	ranks := map[string]int{"C": 1, "B": 2, "A": 3}
	for u, row := range table {
		ur := unitOf(t, rep, u)
		checkNear(t, u+" efficacy with goalposts", ur.Total, 60+0.4*row)
		if hundred := (*ur.Total - 60) / 0.4; !near4(hundred, row) {
			t.Errorf("%s: (total − 60)/0.4 = %.6f, want the table's %.4f", u, hundred, row)
		}
		checkRank(t, u+" goalposts", ur.Rank, ranks[u])
	}
	// Goalposts are per unit, not per group: A's I1 (94%) sits at
	// t = (94 − 80)/20 = 0.7.
	checkNear(t, "A I1", unitOf(t, rep, "A").Scores["I1"].Score, 60+40*0.7)
}

func TestGoalpostPositionClamps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		x, floor, excellent, want float64
	}{
		{90, 80, 100, 0.5},
		{120, 80, 100, 1},
		{50, 80, 100, 0},
		{44, 80, 8, 0.5}, // lower is better: excellent < floor
		{2, 80, 8, 1},
		{99, 80, 8, 0},
	}
	for _, tt := range tests {
		if got := goalpostPosition(tt.x, tt.floor, tt.excellent); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("goalpostPosition(%v, %v, %v) = %v, want %v", tt.x, tt.floor, tt.excellent, got, tt.want)
		}
	}
}

func TestAvailableCaseMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		parts        []Part
		theta        float64
		wantScore    float64
		wantCoverage float64
		wantOK       bool
	}{
		{"all present", []Part{{Weight: 0.6, Score: 50}, {Weight: 0.4, Score: 100}}, 0.5, 70, 1, true},
		{"missing re-normalises", []Part{{Weight: 0.6, Score: 50}, {Weight: 0.4, Missing: true}}, 0.5, 50, 0.6, true},
		{"zero is a value", []Part{{Weight: 0.6, Score: 50}, {Weight: 0.4, Score: 0}}, 0.5, 30, 1, true},
		{"coverage below theta", []Part{{Weight: 0.4, Score: 50}, {Weight: 0.6, Missing: true}}, 0.5, 0, 0.4, false},
		{"coverage exactly theta", []Part{{Weight: 0.2, Score: 10}, {Weight: 0.3, Score: 20}, {Weight: 0.5, Missing: true}}, 0.5, 16, 0.5, true},
		{"all missing", []Part{{Weight: 1, Missing: true}}, 0.5, 0, 0, false},
		{"score of a missing part is ignored", []Part{{Weight: 0.5, Score: 80}, {Weight: 0.5, Score: 999, Missing: true}}, 0.5, 80, 0.5, true},
	}
	for _, tt := range tests {
		s, cov, ok := AvailableCaseMean(tt.parts, tt.theta)
		if ok != tt.wantOK || math.Abs(cov-tt.wantCoverage) > 1e-12 || (ok && math.Abs(s-tt.wantScore) > 1e-12) {
			t.Errorf("%s: = (%v, %v, %v), want (%v, %v, %v)", tt.name, s, cov, ok, tt.wantScore, tt.wantCoverage, tt.wantOK)
		}
	}
	// A zero value and a missing value must not give the same parent.
	zero, _, _ := AvailableCaseMean([]Part{{Weight: 0.6, Score: 50}, {Weight: 0.4, Score: 0}}, 0.5)
	missing, _, _ := AvailableCaseMean([]Part{{Weight: 0.6, Score: 50}, {Weight: 0.4, Missing: true}}, 0.5)
	if zero == missing {
		t.Errorf("zero and missing both give %v", zero)
	}
}

// oneLeaf is a tree of a single higher-is-better leaf X.
func oneLeaf() Tree {
	return Tree{Nodes: []Node{{Code: "X", Name: "X", Weight: 1, Direction: Higher, Unit: "%"}}}
}

func valuesOf(leaf string, xs map[string]float64) map[string]map[string]Value {
	m := map[string]Value{}
	for u, x := range xs {
		m[u] = Value{X: x}
	}
	return map[string]map[string]Value{leaf: m}
}

func TestCompetitionRanking(t *testing.T) {
	t.Parallel()
	// Min-max scores 100, 50.004, 49.996, 0: the middle two are 50.00 at 2
	// decimals and share rank 2 ("1224").
	in := Input{
		Tree:   oneLeaf(),
		Units:  []Unit{{Code: "u1"}, {Code: "u2"}, {Code: "u3"}, {Code: "u4"}},
		Values: valuesOf("X", map[string]float64{"u1": 100, "u2": 50.004, "u3": 49.996, "u4": 0}),
		Method: MethodMinMax,
	}
	rep := compute(t, in)
	want := map[string]int{"u1": 1, "u2": 2, "u3": 2, "u4": 4}
	for u, r := range want {
		ur := unitOf(t, rep, u)
		checkRank(t, u, ur.Rank, r)
		checkRank(t, u+" X", ur.Scores["X"].Rank, r)
	}
	// n = 4, q = 1: u1 is in the top quartile, u4 in the bottom one.
	if u1 := unitOf(t, rep, "u1"); len(u1.Promote) != 1 || len(u1.Rectify) != 0 {
		t.Errorf("u1: promote %v, rectify %v", u1.Promote, u1.Rectify)
	}
	if u4 := unitOf(t, rep, "u4"); len(u4.Promote) != 0 || len(u4.Rectify) != 1 || u4.Rectify[0].Benchmarks[0] != "u1" {
		t.Errorf("u4: promote %v, rectify %v", u4.Promote, u4.Rectify)
	}
	// Ties at the top: both are benchmarks, and the best raw value is the
	// larger one.
	in.Values = valuesOf("X", map[string]float64{"u1": 100, "u2": 99.999, "u3": 50, "u4": 0})
	u4 := unitOf(t, compute(t, in), "u4")
	if got := u4.Rectify[0]; !slices.Equal(got.Benchmarks, []string{"u1", "u2"}) || *got.BestRaw != 100 {
		t.Errorf("u4 rectify = benchmarks %v best raw %v, want [u1 u2] 100", got.Benchmarks, *got.BestRaw)
	}
}

func TestCompetitionRanks(t *testing.T) {
	t.Parallel()
	got := competitionRanks(map[string]float64{"a": 90, "b": 80.004, "c": 79.996, "d": 80, "e": -1})
	want := map[string]int{"a": 1, "b": 2, "c": 2, "d": 2, "e": 5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("competitionRanks = %v, want %v", got, want)
	}
}

func TestCoverageBelowThetaPropagates(t *testing.T) {
	t.Parallel()
	tree := Tree{Nodes: []Node{
		{Code: "K", Name: "K", Weight: 0.6, Children: []Node{
			{Code: "a", Name: "a", Weight: 0.3, Direction: Higher},
			{Code: "b", Name: "b", Weight: 0.7, Direction: Higher},
		}},
		{Code: "L", Name: "L", Weight: 0.4, Children: []Node{
			{Code: "c", Name: "c", Weight: 1, Direction: Higher},
		}},
	}}
	in := Input{
		Tree:  tree,
		Units: []Unit{{Code: "u1"}, {Code: "u2"}, {Code: "u3"}},
		Values: map[string]map[string]Value{
			"a": {"u1": {X: 1}, "u2": {X: 2}, "u3": {X: 3}},
			"b": {"u1": {X: 1}, "u2": {X: 2}, "u3": {Missing: true, Reason: ReasonNoCases}},
			"c": {"u1": {X: 1}, "u2": {X: 2}, "u3": {X: 3}},
		},
		Method: MethodMinMax,
	}
	rep := compute(t, in)
	u3 := unitOf(t, rep, "u3")
	// K: coverage 0.3 < 0.5, so missing; root: coverage 0.4 < 0.5, missing.
	if k := u3.Scores["K"]; !k.Missing || k.Rank != nil || k.Reason != ReasonInsufficientCoverage || math.Abs(k.Coverage-0.3) > 1e-12 {
		t.Errorf("u3 K = %+v, want missing with coverage 0.3", k)
	}
	if u3.Total != nil || u3.Rank != nil || u3.Note != NotRanked || math.Abs(u3.Coverage-0.4) > 1e-12 {
		t.Errorf("u3 total = %v rank %v note %q coverage %v, want missing, %s, 0.4", deref(u3.Total), deref(u3.Rank), u3.Note, u3.Coverage, NotRanked)
	}
	if len(u3.EffectiveWeights) != 0 {
		t.Errorf("u3 effective weights = %v, want none", u3.EffectiveWeights)
	}
	// The ranked units are the two with a total.
	for _, u := range []string{"u1", "u2"} {
		if ur := unitOf(t, rep, u); ur.Total == nil || ur.N != 2 {
			t.Errorf("%s: total %v N %d, want present and N 2", u, deref(ur.Total), ur.N)
		}
	}
	// The leaf c is still scored and ranked for u3, among three.
	if c := u3.Scores["c"]; c.Rank == nil || *c.Rank != 1 || c.N != 3 {
		t.Errorf("u3 c = %+v, want rank 1 of 3", c)
	}
	// With θ = 0.3 both K and the root are present for u3.
	in.Theta = 0.3
	u3 = unitOf(t, compute(t, in), "u3")
	if u3.Total == nil || u3.Scores["K"].Missing {
		t.Errorf("θ = 0.3: u3 total %v K %+v, want present", deref(u3.Total), u3.Scores["K"])
	}
}

// One unit in a group, or all units equal: nothing discriminates, so every
// unit gets the top score (100 under min-max and efficacy, 0 under z-score)
// and there are no strengths, weaknesses or list items.
func TestNoDiscrimination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		want   float64
	}{{MethodMinMax, 100}, {MethodEfficacy, 100}, {MethodZScore, 0}}
	for _, tt := range tests {
		for name, values := range map[string]map[string]float64{
			"single":    {"u1": 42},
			"all equal": {"u1": 0.1, "u2": 0.1, "u3": 0.1},
		} {
			in := Input{Tree: oneLeaf(), Values: valuesOf("X", values), Method: tt.method}
			for _, u := range slices.Sorted(maps.Keys(values)) {
				in.Units = append(in.Units, Unit{Code: u, Group: "town"})
			}
			for _, ur := range compute(t, in).Units {
				checkNear(t, tt.method+" "+name+" "+ur.Code, ur.Total, tt.want)
				checkRank(t, tt.method+" "+name+" "+ur.Code, ur.Rank, 1)
				if len(ur.Promote)+len(ur.Rectify)+len(ur.Strengths)+len(ur.Weaknesses) != 0 {
					t.Errorf("%s %s %s: lists %+v", tt.method, name, ur.Code, ur)
				}
			}
		}
	}
}

// Units are normalised and ranked only within their group.
func TestPeerGroups(t *testing.T) {
	t.Parallel()
	in := Input{
		Tree: oneLeaf(),
		Units: []Unit{
			{Code: "t1", Group: "town"}, {Code: "c2", Group: "county"}, {Code: "c1", Group: "county"},
		},
		Values: valuesOf("X", map[string]float64{"c1": 10, "c2": 20, "t1": 1000}),
		Method: MethodMinMax,
	}
	rep := compute(t, in)
	var order []string
	for _, u := range rep.Units {
		order = append(order, u.Group+"/"+u.Code)
	}
	if want := []string{"county/c1", "county/c2", "town/t1"}; !slices.Equal(order, want) {
		t.Errorf("unit order = %v, want %v", order, want)
	}
	want := map[string]struct {
		score   float64
		rank, n int
	}{"c1": {0, 2, 2}, "c2": {100, 1, 2}, "t1": {100, 1, 1}}
	for u, w := range want {
		ur := unitOf(t, rep, u)
		checkNear(t, u, ur.Total, w.score)
		if ur.Rank == nil || *ur.Rank != w.rank || ur.N != w.n {
			t.Errorf("%s: rank %v/%d, want %d/%d", u, deref(ur.Rank), ur.N, w.rank, w.n)
		}
	}
}

// Z-scores by hand. X (higher): 1, 2, 3 → mean 2, sd √(2/3) → −√1.5, 0, √1.5.
// Y (lower): 10, 10, 40 → mean 20, sd √200 → −√0.5, −√0.5, √2, reversed.
// Totals (½ each): u1 (−√1.5 + √0.5)/2, u2 √0.5/2, u3 (√1.5 − √2)/2.
func TestZScore(t *testing.T) {
	t.Parallel()
	in := Input{
		Tree: Tree{Nodes: []Node{
			{Code: "X", Name: "X", Weight: 0.5, Direction: Higher},
			{Code: "Y", Name: "Y", Weight: 0.5, Direction: Lower},
		}},
		Units: []Unit{{Code: "u1"}, {Code: "u2"}, {Code: "u3"}},
		Values: map[string]map[string]Value{
			"X": {"u1": {X: 1}, "u2": {X: 2}, "u3": {X: 3}},
			"Y": {"u1": {X: 10}, "u2": {X: 10}, "u3": {X: 40}},
		},
		Method: MethodZScore,
	}
	rep := compute(t, in)
	want := map[string]struct {
		x, y, total float64
		rank        int
	}{
		"u1": {-1.2247, 0.7071, -0.2588, 3},
		"u2": {0, 0.7071, 0.3536, 1},
		"u3": {1.2247, -1.4142, -0.0947, 2},
	}
	for u, w := range want {
		ur := unitOf(t, rep, u)
		checkNear(t, u+" X", ur.Scores["X"].Score, w.x)
		checkNear(t, u+" Y", ur.Scores["Y"].Score, w.y)
		checkNear(t, u+" total", ur.Total, w.total)
		checkRank(t, u, ur.Rank, w.rank)
	}
	// Goalposts do not change z-scores.
	in.Tree.Nodes[0].Floor, in.Tree.Nodes[0].Excellent = ptr(0.0), ptr(1.0)
	checkNear(t, "u3 X with goalposts", unitOf(t, compute(t, in), "u3").Scores["X"].Score, 1.2247)
}

func TestComputeRejects(t *testing.T) {
	t.Parallel()
	good := func() Input { return workedInput(MethodEfficacy) }
	tests := []struct {
		name   string
		mutate func(*Input)
		want   string
	}{
		{"unknown method", func(in *Input) { in.Method = "entropy" }, `method "entropy"`},
		{"theta above 1", func(in *Input) { in.Theta = 1.5 }, "theta 1.5"},
		{"weights off", func(in *Input) { in.Tree.Nodes[1].Children[0].Weight = 0.55 }, "node P: children weights sum to 0.95, want 1"},
		{"root weights off", func(in *Input) { in.Tree.Nodes[0].Weight = 0.2 }, "root: children weights sum to 0.9, want 1"},
		{"duplicate code", func(in *Input) { in.Tree.Nodes[0].Children[0].Code = "P1" }, "node P1: code listed twice"},
		{"leaf without direction", func(in *Input) { in.Tree.Nodes[0].Children[0].Children[0].Direction = "" }, "leaf I6: direction"},
		{"one goalpost", func(in *Input) { in.Tree.Nodes[0].Children[0].Children[0].Floor = ptr(1.0) }, "leaf I6: give both"},
		{"goalposts reversed", func(in *Input) {
			l := &in.Tree.Nodes[0].Children[0].Children[0]
			l.Floor, l.Excellent = ptr(10.0), ptr(0.0)
		}, "leaf I6: higher is better"},
		{"absent value", func(in *Input) { delete(in.Values["I2"], "B") }, "leaf I2, unit B: no value"},
		{"value for a non-leaf", func(in *Input) { in.Values["P1"] = map[string]Value{} }, "P1, which is not a leaf"},
		{"value for an unknown unit", func(in *Input) { in.Values["I2"]["Z"] = Value{X: 1} }, "unknown unit Z"},
		{"NaN", func(in *Input) { in.Values["I2"]["B"] = Value{X: math.NaN()} }, "not finite"},
		{"unknown reason", func(in *Input) { in.Values["I2"]["B"] = Value{Missing: true, Reason: "lost"} }, `unknown reason "lost"`},
		{"duplicate unit", func(in *Input) { in.Units = append(in.Units, Unit{Code: "A"}) }, "unit A: listed twice"},
	}
	for _, tt := range tests {
		in := good()
		tt.mutate(&in)
		_, err := Compute(in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestCompareCodes(t *testing.T) {
	t.Parallel()
	codes := []string{"2.1.10", "10", "2.1", "I5", "2", "2.1.9", "1.2.2.2", "I3", "2.1.1.1"}
	slices.SortFunc(codes, CompareCodes)
	want := []string{"1.2.2.2", "2", "2.1", "2.1.1.1", "2.1.9", "2.1.10", "10", "I3", "I5"}
	if !slices.Equal(codes, want) {
		t.Errorf("sorted = %v, want %v", codes, want)
	}
}

// golden is the content of testdata/worked_example.golden.json: the input
// and the report under each method.
type golden struct {
	Input   Input             `json:"input"`
	Reports map[string]Report `json:"reports"`
}

// TestGolden compares the reports on the worked example with
// testdata/worked_example.golden.json; go test ./index -update rewrites it.
// Numbers are compared to 1e-9, so that fused multiply-add on some
// architectures does not fail the test.
func TestGolden(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "worked_example.golden.json")
	g := golden{Input: workedInput(""), Reports: map[string]Report{}}
	for _, m := range []string{MethodEfficacy, MethodMinMax, MethodZScore} {
		in := g.Input
		in.Method = m
		g.Reports[m] = compute(t, in)
	}
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./index -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if diff := jsonDiff("", gotV, wantV); diff != "" {
		t.Errorf("report differs from %s (go test ./index -update to accept): %s", path, diff)
	}
	// The golden input must still be the worked example.
	var fromFile golden
	if err := json.Unmarshal(want, &fromFile); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{MethodEfficacy, MethodMinMax, MethodZScore} {
		in := fromFile.Input
		in.Method = m
		rep := compute(t, in)
		if a, b := *unitOf(t, rep, "A").Total, *unitOf(t, g.Reports[m], "A").Total; math.Abs(a-b) > 1e-9 {
			t.Errorf("%s: golden input gives A %v, the worked example %v", m, a, b)
		}
	}
}

// jsonDiff returns the first difference between decoded JSON values, with
// numbers equal within 1e-9; "" when there is none.
func jsonDiff(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %v, want an object", path, got)
		}
		keys := maps.Clone(w)
		maps.Copy(keys, g)
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if d := jsonDiff(path+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-9*max(1, math.Abs(w)) {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
	default:
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
	}
	return ""
}
