package configs

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"qinqing/index"
)

// indicatorsFile is the embedded sample indicator tree.
const indicatorsFile = "indicators.yaml"

// Sources of a leaf indicator's value.
const (
	SourceTracker   = "tracker"   // computed here from requests and leads (TrackerCode)
	SourceSubmitted = "submitted" // submitted by a department (Owner) per region and period
	SourceSurvey    = "survey"    // mean of the enterprise satisfaction questionnaire (1–5)
)

// Defaults of the tree-level settings, used when a tree leaves them out.
const (
	DefaultIndicatorMethod = index.MethodEfficacy
	DefaultTheta           = index.DefaultTheta
	DefaultMinCases        = 5
)

// defaultMinResponses returns the default minimum number of survey
// responses per peer group.
func defaultMinResponses() map[string]int {
	return map[string]int{"county": 30, "city": 30, "town": 10}
}

// IndicatorTree is the 亲清健康指数 indicator system (docs/index-method.md): the
// scoring settings and the tree of indicators, whose top-level nodes are the
// level-1 indicators. The shipped tree is a sample (docs/index-method.md#sample-tree).
type IndicatorTree struct {
	Version string `yaml:"version" json:"version"`
	// Method is index.MethodEfficacy (功效系数法, the default),
	// index.MethodMinMax or index.MethodZScore.
	Method string `yaml:"method" json:"method"`
	// Theta is the coverage threshold θ: a parent whose present children
	// carry less weight is missing.
	Theta float64 `yaml:"theta" json:"theta"`
	// MinCases is the smallest denominator of a tracker rate; below it the
	// value is missing (insufficient_cases).
	MinCases int `yaml:"min_cases" json:"min_cases"`
	// MinResponses is the smallest number of survey responses per peer group
	// (county, city, town); below it the value is missing
	// (insufficient_responses).
	MinResponses map[string]int `yaml:"min_responses" json:"min_responses"`
	// Nodes are the level-1 indicators.
	Nodes []Indicator `yaml:"indicators" json:"indicators"`
}

// Indicator is a node of the indicator tree. Weight is relative to its
// siblings. A leaf (no Children) has a Direction, a Unit and a Source, and
// TrackerCode (tracker) or Owner (submitted); Floor and Excellent are its
// optional 功效系数法 goalposts (不允许值, 满意值); Min and Max optionally
// bound the values a department may submit for it (ValueRange).
type Indicator struct {
	Code        string      `yaml:"code" json:"code"`
	Name        string      `yaml:"name" json:"name"`
	Weight      float64     `yaml:"weight" json:"weight"`
	Direction   string      `yaml:"direction" json:"direction,omitempty"` // index.Higher or index.Lower
	Unit        string      `yaml:"unit" json:"unit,omitempty"`
	Source      string      `yaml:"source" json:"source,omitempty"`
	TrackerCode string      `yaml:"tracker_code" json:"tracker_code,omitempty"` // T01–T15, docs/index-method.md#tracker-indicators
	Owner       string      `yaml:"owner" json:"owner,omitempty"`               // department code
	Floor       *float64    `yaml:"floor" json:"floor,omitempty"`
	Excellent   *float64    `yaml:"excellent" json:"excellent,omitempty"`
	Min         *float64    `yaml:"min" json:"min,omitempty"` // submitted leaves only
	Max         *float64    `yaml:"max" json:"max,omitempty"` // submitted leaves only
	Children    []Indicator `yaml:"children" json:"children,omitempty"`
}

// MaxSubmittedValue bounds a submitted value whose indicator sets no Max
// and is not in percent.
const MaxSubmittedValue = 1e12

// ValueRange returns the closed range a submitted value of leaf i must lie
// in: [Min, Max] where the tree gives them; otherwise [0, 100] for a value
// in percent and [0, MaxSubmittedValue] for any other unit. A growth rate,
// which may be negative or above 100 %, gives its own (e.g. min: -100).
func (i Indicator) ValueRange() (lo, hi float64) {
	lo, hi = 0, MaxSubmittedValue
	if i.Unit == "%" {
		hi = 100
	}
	if i.Min != nil {
		lo = *i.Min
	}
	if i.Max != nil {
		hi = *i.Max
	}
	return lo, hi
}

// IsLeaf reports whether i is a leaf (level-4 in the sample tree).
func (i Indicator) IsLeaf() bool { return len(i.Children) == 0 }

// IndicatorError is a problem with an indicator tree, in English and
// Chinese. Code names the offending indicator; it is "" for the tree-level
// settings and the list of level-1 indicators.
type IndicatorError struct {
	Code    string
	Message string // English
	Chinese string
}

func (e *IndicatorError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s (%s)", e.Message, e.Chinese)
	}
	return fmt.Sprintf("indicator %s: %s (指标 %s：%s)", e.Code, e.Message, e.Code, e.Chinese)
}

// LoadIndicators decodes and validates the embedded sample indicator tree,
// configs/indicators.yaml. Errors name the file and the indicator.
func LoadIndicators() (IndicatorTree, error) {
	data, err := files.ReadFile(indicatorsFile)
	if err != nil {
		return IndicatorTree{}, fmt.Errorf("%s: %w", indicatorsFile, err)
	}
	t, err := ParseIndicators(data)
	if err != nil {
		return IndicatorTree{}, fmt.Errorf("%s: %w", indicatorsFile, err)
	}
	return t, nil
}

// ParseIndicators decodes an indicator tree in the YAML format of
// configs/indicators.yaml (JSON is YAML too), such as a replacement tree
// uploaded by 工商联, fills the defaults of the settings it leaves out
// (method efficacy, theta 0.5, min_cases 5, min_responses county 30, city
// 30, town 10) and validates it. Unknown keys are an error. A validation
// error is an *IndicatorError naming the indicator, for example
// "indicator 2.1.1: children weights sum to 0.95, want 1 (…)".
//
// Validation: the version is given; the method is known; 0 < theta ≤ 1;
// min_cases and min_responses are ≥ 1 (for county, city and town only);
// every code is unique and extends its parent's ("2.1" → "2.1.3"); every
// indicator has a name and a weight > 0, and the weights under each parent
// (and of the level-1 indicators) sum to 1 within 1e-6; a leaf has a
// direction (higher or lower), a unit and a source — tracker with a known
// tracker_code (T01–T15, each used once, in its own direction), submitted
// with an owner, survey with neither — and both or neither goalposts,
// ordered by the direction; other indicators have none of these.
// Department codes are checked against the reference data by CheckOwners.
func ParseIndicators(data []byte) (IndicatorTree, error) {
	var t IndicatorTree
	if err := decodeStrict(data, &t); err != nil {
		if errors.Is(err, io.EOF) {
			return IndicatorTree{}, errors.New("empty indicator tree (指标体系为空)")
		}
		return IndicatorTree{}, err
	}
	t.fillDefaults()
	if err := t.validate(); err != nil {
		return IndicatorTree{}, err
	}
	return t, nil
}

// fillDefaults sets the settings t leaves out.
func (t *IndicatorTree) fillDefaults() {
	if t.Method == "" {
		t.Method = DefaultIndicatorMethod
	}
	if t.Theta == 0 {
		t.Theta = DefaultTheta
	}
	if t.MinCases == 0 {
		t.MinCases = DefaultMinCases
	}
	def := defaultMinResponses()
	if t.MinResponses == nil {
		t.MinResponses = def
		return
	}
	for g, n := range def {
		if _, ok := t.MinResponses[g]; !ok {
			t.MinResponses[g] = n
		}
	}
}

// treeErr returns a tree-level *IndicatorError.
func treeErr(en, zh string, args ...any) error {
	return &IndicatorError{Message: fmt.Sprintf(en, args...), Chinese: fmt.Sprintf(zh, args...)}
}

// nodeErr returns an *IndicatorError for indicator code.
func nodeErr(code, en, zh string, args ...any) error {
	return &IndicatorError{Code: code, Message: fmt.Sprintf(en, args...), Chinese: fmt.Sprintf(zh, args...)}
}

// trackerDirection returns the direction of tracker indicator code (docs/index-method.md#tracker-indicators)
// and whether the code is known.
func trackerDirection(code string) (string, bool) {
	switch code {
	case "T01", "T02", "T05", "T06", "T10", "T11", "T12", "T13", "T14", "T15":
		return index.Higher, true
	case "T03", "T04", "T07", "T08", "T09":
		return index.Lower, true
	}
	return "", false
}

// formatSum formats a sum of weights for a message without float noise.
func formatSum(x float64) string { return strconv.FormatFloat(x, 'g', 9, 64) }

func (t IndicatorTree) validate() error {
	switch {
	case strings.TrimSpace(t.Version) == "":
		return treeErr("version is required", "缺少版本号 version")
	case t.Method != index.MethodEfficacy && t.Method != index.MethodMinMax && t.Method != index.MethodZScore:
		return treeErr("method %q is not efficacy, minmax or zscore", "评分方法 %q 不是 efficacy（功效系数法）、minmax 或 zscore", t.Method)
	case !(t.Theta > 0 && t.Theta <= 1):
		return treeErr("theta %v is not in (0, 1]", "覆盖率阈值 theta %v 不在 (0, 1] 内", t.Theta)
	case t.MinCases < 1:
		return treeErr("min_cases must be ≥ 1, got %d", "最少案件数 min_cases 应不小于 1，实为 %d", t.MinCases)
	}
	for _, g := range sortedKeys(t.MinResponses) {
		n := t.MinResponses[g]
		if _, ok := defaultMinResponses()[g]; !ok {
			return treeErr("min_responses: %q is not county, city or town", "min_responses：%q 不是 county、city 或 town", g)
		}
		if n < 1 {
			return treeErr("min_responses.%s must be ≥ 1, got %d", "min_responses.%s 应不小于 1，实为 %d", g, n)
		}
	}
	if len(t.Nodes) == 0 {
		return treeErr("no indicators", "没有指标")
	}
	v := treeValidator{codes: map[string]bool{}, trackers: map[string]string{}}
	return v.children("", t.Nodes)
}

// treeValidator walks an indicator tree, remembering codes seen.
type treeValidator struct {
	codes    map[string]bool
	trackers map[string]string // tracker code → indicator code
}

// children validates nodes, the children of parent ("" for the level-1
// indicators), and their weights.
func (v treeValidator) children(parent string, nodes []Indicator) error {
	var sum float64
	for i, n := range nodes {
		if err := v.node(parent, i, n); err != nil {
			return err
		}
		sum += n.Weight
	}
	if math.Abs(sum-1) > 1e-6 {
		if parent == "" {
			return treeErr("level-1 indicators: weights sum to %s, want 1", "一级指标权重之和为 %s，应为 1", formatSum(sum))
		}
		return nodeErr(parent, "children weights sum to %s, want 1", "下级指标权重之和为 %s，应为 1", formatSum(sum))
	}
	return nil
}

func (v treeValidator) node(parent string, i int, n Indicator) error {
	if n.Code == "" {
		if parent == "" {
			return treeErr("indicators[%d] (%s): code is required", "第 %d 个一级指标（%s）缺少编码", i, n.Name)
		}
		return nodeErr(parent, "children[%d] (%s): code is required", "第 %d 个下级指标（%s）缺少编码", i, n.Name)
	}
	c := n.Code
	rest := c
	if parent != "" {
		var ok bool
		if rest, ok = strings.CutPrefix(c, parent+"."); !ok {
			return nodeErr(c, "code must start with its parent's code %q", "编码应以上级指标编码 %q 开头", parent+".")
		}
	}
	switch {
	case rest == "" || strings.Contains(rest, ".") || strings.ContainsAny(c, " \t\r\n"):
		return nodeErr(c, "code must add one segment to its parent's (e.g. 2.1 → 2.1.3), without spaces", "编码应在上级编码后增加一段（如 2.1 → 2.1.3），且不含空格")
	case v.codes[c]:
		return nodeErr(c, "code listed twice", "编码重复")
	case strings.TrimSpace(n.Name) == "":
		return nodeErr(c, "name is required", "缺少名称")
	case !(n.Weight > 0) || math.IsInf(n.Weight, 0):
		return nodeErr(c, "weight must be > 0, got %v", "权重应大于 0，实为 %v", n.Weight)
	}
	v.codes[c] = true
	if !n.IsLeaf() {
		if n.Direction != "" || n.Unit != "" || n.Source != "" || n.TrackerCode != "" || n.Owner != "" || n.Floor != nil || n.Excellent != nil ||
			n.Min != nil || n.Max != nil {
			return nodeErr(c, "has children, so it takes no direction, unit, source, tracker_code, owner, floor, excellent, min or max",
				"有下级指标，不应设置 direction、unit、source、tracker_code、owner、floor、excellent、min 或 max")
		}
		return v.children(c, n.Children)
	}
	return v.leaf(n)
}

func (v treeValidator) leaf(n Indicator) error {
	c := n.Code
	switch {
	case n.Direction != index.Higher && n.Direction != index.Lower:
		return nodeErr(c, "direction %q is not higher or lower", "方向 direction %q 不是 higher（正向）或 lower（逆向）", n.Direction)
	case strings.TrimSpace(n.Unit) == "":
		return nodeErr(c, "unit is required", "缺少计量单位 unit")
	}
	switch n.Source {
	case SourceTracker:
		dir, ok := trackerDirection(n.TrackerCode)
		switch {
		case !ok:
			return nodeErr(c, "tracker_code %q is not one of T01–T15", "系统计算指标代码 tracker_code %q 不在 T01–T15 内", n.TrackerCode)
		case v.trackers[n.TrackerCode] != "":
			return nodeErr(c, "tracker_code %s is already used by %s", "tracker_code %s 已用于指标 %s", n.TrackerCode, v.trackers[n.TrackerCode])
		case n.Direction != dir:
			return nodeErr(c, "tracker_code %s is %s-is-better, not %s", "tracker_code %s 的方向为 %s，不是 %s", n.TrackerCode, dir, n.Direction)
		case n.Owner != "":
			return nodeErr(c, "a tracker indicator has no owner", "系统计算指标不设 owner")
		}
		v.trackers[n.TrackerCode] = c
	case SourceSubmitted:
		switch {
		case strings.TrimSpace(n.Owner) == "":
			return nodeErr(c, "a submitted indicator needs the owner department", "部门报送指标缺少报送部门 owner")
		case n.TrackerCode != "":
			return nodeErr(c, "only a tracker indicator has a tracker_code", "只有系统计算指标设 tracker_code")
		}
	case SourceSurvey:
		if n.TrackerCode != "" || n.Owner != "" {
			return nodeErr(c, "a survey indicator has no tracker_code or owner", "问卷指标不设 tracker_code 或 owner")
		}
	case "":
		return nodeErr(c, "source is required (tracker, submitted or survey)", "缺少数据来源 source（tracker、submitted 或 survey）")
	default:
		return nodeErr(c, "source %q is not tracker, submitted or survey", "数据来源 source %q 不是 tracker、submitted 或 survey", n.Source)
	}
	if (n.Min != nil || n.Max != nil) && n.Source != SourceSubmitted {
		return nodeErr(c, "only a submitted indicator takes min or max", "只有部门报送指标可设置取值范围 min、max")
	}
	if lo, hi := n.ValueRange(); math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || !(lo < hi) {
		return nodeErr(c, "the value range [%v, %v] (min, max) must be finite with min < max", "取值范围 [%v, %v]（min、max）应为有限数且 min 小于 max", lo, hi)
	}
	if (n.Floor == nil) != (n.Excellent == nil) {
		return nodeErr(c, "give both floor and excellent, or neither", "不允许值 floor 与满意值 excellent 应同时设置或同时不设")
	}
	if n.Floor != nil {
		f, e := *n.Floor, *n.Excellent
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0) || math.IsNaN(e) || math.IsInf(e, 0):
			return nodeErr(c, "floor and excellent must be finite", "floor 与 excellent 应为有限数")
		case n.Direction == index.Higher && !(e > f):
			return nodeErr(c, "higher is better, so excellent (%v) must exceed floor (%v)", "正向指标的满意值（%v）应大于不允许值（%v）", e, f)
		case n.Direction == index.Lower && !(e < f):
			return nodeErr(c, "lower is better, so excellent (%v) must be below floor (%v)", "逆向指标的满意值（%v）应小于不允许值（%v）", e, f)
		}
	}
	return nil
}

// CheckOwners checks that the owner of every submitted indicator is one of
// departments, and names the first that is not.
func (t IndicatorTree) CheckOwners(departments []Department) error {
	for _, l := range t.Leaves() {
		if l.Source != SourceSubmitted {
			continue
		}
		if !slices.ContainsFunc(departments, func(d Department) bool { return d.Code == l.Owner }) {
			return nodeErr(l.Code, "owner %q is not a department", "报送部门 owner %q 不在部门列表中", l.Owner)
		}
	}
	return nil
}

// walk calls fn for every indicator of t in tree order, with its level
// (1 for the level-1 indicators).
func (t IndicatorTree) walk(fn func(n Indicator, level int)) {
	var rec func(nodes []Indicator, level int)
	rec = func(nodes []Indicator, level int) {
		for _, n := range nodes {
			fn(n, level)
			rec(n.Children, level+1)
		}
	}
	rec(t.Nodes, 1)
}

// Leaves returns the leaf indicators of t in tree order.
func (t IndicatorTree) Leaves() []Indicator {
	var out []Indicator
	t.walk(func(n Indicator, _ int) {
		if n.IsLeaf() {
			out = append(out, n)
		}
	})
	return out
}

// CountByLevel returns the number of indicators at each level: element 0
// is level 1. The sample tree gives [3 6 14 37].
func (t IndicatorTree) CountByLevel() []int {
	var out []int
	t.walk(func(_ Indicator, level int) {
		for len(out) < level {
			out = append(out, 0)
		}
		out[level-1]++
	})
	return out
}

// Find returns the indicator with the given code.
func (t IndicatorTree) Find(code string) (Indicator, bool) {
	var found Indicator
	ok := false
	t.walk(func(n Indicator, _ int) {
		if !ok && n.Code == code {
			found, ok = n, true
		}
	})
	return found, ok
}

// IndexTree converts t to the tree that package index scores.
func (t IndicatorTree) IndexTree() index.Tree {
	var conv func([]Indicator) []index.Node
	conv = func(nodes []Indicator) []index.Node {
		if len(nodes) == 0 {
			return nil
		}
		out := make([]index.Node, len(nodes))
		for i, n := range nodes {
			out[i] = index.Node{
				Code: n.Code, Name: n.Name, Weight: n.Weight,
				Direction: n.Direction, Unit: n.Unit, Owner: n.Owner,
				Floor: clonePtr(n.Floor), Excellent: clonePtr(n.Excellent),
				Children: conv(n.Children),
			}
		}
		return out
	}
	return index.Tree{Nodes: conv(t.Nodes)}
}

func clonePtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
