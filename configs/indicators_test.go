package configs

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"qinqing/index"
)

func TestLoadIndicatorsSample(t *testing.T) {
	t.Parallel()
	tree, err := LoadIndicators()
	if err != nil {
		t.Fatalf("LoadIndicators: %v", err)
	}
	if got := tree.CountByLevel(); !slices.Equal(got, []int{3, 6, 14, 37}) {
		t.Errorf("CountByLevel = %v, want [3 6 14 37]", got)
	}
	leaves := tree.Leaves()
	bySource := map[string]int{}
	for _, l := range leaves {
		bySource[l.Source]++
	}
	if want := map[string]int{SourceTracker: 12, SourceSubmitted: 18, SourceSurvey: 7}; !maps.Equal(bySource, want) {
		t.Errorf("leaves by source = %v, want %v", bySource, want)
	}
	// Leaves per level-1 indicator: 8, 17, 12 (docs/index-method.md#sample-tree).
	for i, want := range []int{8, 17, 12} {
		sub := IndicatorTree{Nodes: tree.Nodes[i : i+1]}
		if got := len(sub.Leaves()); got != want {
			t.Errorf("indicator %s has %d leaves, want %d", tree.Nodes[i].Code, got, want)
		}
	}
	var names []string
	for _, n := range tree.Nodes {
		names = append(names, n.Code+" "+n.Name)
	}
	if want := []string{"1 健康发展", "2 亲近关系", "3 清廉关系"}; !slices.Equal(names, want) {
		t.Errorf("level-1 = %v, want %v (DB3302/T 1178-2025)", names, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Method", tree.Method, index.MethodEfficacy},
		{"Theta", tree.Theta, 0.5},
		{"MinCases", tree.MinCases, 5},
		{"MinResponses", len(tree.MinResponses), 3},
		{"MinResponses.county", tree.MinResponses["county"], 30},
		{"MinResponses.city", tree.MinResponses["city"], 30},
		{"MinResponses.town", tree.MinResponses["town"], 10},
		{"Version", tree.Version != "", true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Every tracker formula of docs/index-method.md#tracker-indicators appears once.
	var trackers []string
	for _, l := range leaves {
		if l.Source == SourceTracker {
			trackers = append(trackers, l.TrackerCode)
		}
	}
	slices.Sort(trackers)
	if want := []string{"T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10", "T11", "T12"}; !slices.Equal(trackers, want) {
		t.Errorf("tracker codes = %v, want %v", trackers, want)
	}
	// Spot checks against the docs/index-method.md#sample-tree table.
	spot := []struct {
		code                         string
		weight                       float64
		dir, unit, src, tracker, own string
	}{
		{"1.1.1.1", 0.50, index.Higher, "%", SourceSubmitted, "", "tjj"},
		{"1.2.1.2", 0.50, index.Lower, "件/万户", SourceSubmitted, "", "fy"},
		{"2.1.1.2", 0.35, index.Higher, "%", SourceTracker, "T02", ""},
		{"2.1.1.3", 0.20, index.Lower, "工作小时", SourceTracker, "T03", ""},
		{"2.1.3.2", 0.25, index.Higher, "分", SourceSurvey, "", ""},
		{"3.1.2.2", 0.35, index.Lower, "件/万户", SourceSubmitted, "", "jw"},
		{"3.2.2.2", 0.50, index.Lower, "件/万户", SourceSubmitted, "", "jcy"},
	}
	for _, s := range spot {
		l, ok := tree.Find(s.code)
		if !ok {
			t.Errorf("indicator %s not found", s.code)
			continue
		}
		if l.Weight != s.weight || l.Direction != s.dir || l.Unit != s.unit || l.Source != s.src || l.TrackerCode != s.tracker || l.Owner != s.own {
			t.Errorf("indicator %s = %+v, want %+v", s.code, l, s)
		}
	}
	if l, _ := tree.Find("3.1.2.2"); l.Name != `涉企"吃拿卡要"等问题查实数（每万户）` {
		t.Errorf("3.1.2.2 name = %q", l.Name)
	}
	if p, _ := tree.Find("2.1"); p.Weight != 0.70 || p.Name != "政府服务" {
		t.Errorf("2.1 = %s %v, want 政府服务 0.7", p.Name, p.Weight)
	}
}

// The shipped file says that it is a sample.
func TestIndicatorsFileIsLabelledSample(t *testing.T) {
	t.Parallel()
	data, err := files.ReadFile(indicatorsFile)
	if err != nil {
		t.Fatal(err)
	}
	head := string(data[:min(len(data), 200)])
	if !strings.Contains(head, "示例指标体系") || !strings.Contains(head, "SAMPLE") {
		t.Errorf("%s does not start by saying it is a sample (示例指标体系, SAMPLE):\n%s", indicatorsFile, head)
	}
}

// Every owner of the sample tree is a department of departments.yaml.
func TestIndicatorOwnersAreDepartments(t *testing.T) {
	t.Parallel()
	tree, err := LoadIndicators()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.CheckOwners(ref.Departments); err != nil {
		t.Error(err)
	}
	err = tree.CheckOwners(ref.Departments[:1])
	var ie *IndicatorError
	if !errors.As(err, &ie) || ie.Code != "1.1.1.1" {
		t.Errorf("CheckOwners(fgw only) = %v, want an error naming 1.1.1.1", err)
	}
}

// The converted tree is valid for package index and scores.
func TestIndexTree(t *testing.T) {
	t.Parallel()
	tree, err := LoadIndicators()
	if err != nil {
		t.Fatal(err)
	}
	it := tree.IndexTree()
	units := []index.Unit{{Code: "330203", Group: "county"}, {Code: "330205", Group: "county"}}
	values := map[string]map[string]index.Value{}
	for i, l := range tree.Leaves() {
		values[l.Code] = map[string]index.Value{"330203": {X: float64(i)}, "330205": {X: float64(i + 1)}}
	}
	rep, err := index.Compute(index.Input{Tree: it, Units: units, Values: values, Method: tree.Method, Theta: tree.Theta})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if len(rep.Units) != 2 || rep.Units[0].Total == nil || len(rep.Units[0].Scores) != 3+6+14+37 {
		t.Errorf("report = %+v", rep)
	}
	if l := it.Nodes[2].Children[0].Children[1].Children[1]; l.Code != "3.1.2.2" || l.Owner != "jw" || l.Direction != index.Lower {
		t.Errorf("converted 3.1.2.2 = %+v", l)
	}
}

// A minimal valid tree, for the rejection tests to break.
const goodTree = `
version: t1
indicators:
  - code: "1"
    name: 健康发展
    weight: 0.5
    children:
      - {code: "1.1", name: a, weight: 0.6, direction: higher, unit: "%", source: submitted, owner: tjj}
      - {code: "1.2", name: b, weight: 0.4, direction: lower, unit: h, source: tracker, tracker_code: T03}
  - code: "2"
    name: 亲近关系
    weight: 0.5
    children:
      - code: "2.1"
        name: c
        weight: 1
        children:
          - {code: "2.1.1", name: d, weight: 0.25, direction: higher, unit: 分, source: survey}
          - {code: "2.1.2", name: e, weight: 0.75, direction: higher, unit: "%", source: tracker, tracker_code: T01, floor: 80, excellent: 100}
`

func TestParseIndicatorsDefaults(t *testing.T) {
	t.Parallel()
	tree, err := ParseIndicators([]byte(goodTree))
	if err != nil {
		t.Fatalf("ParseIndicators: %v", err)
	}
	if tree.Method != "efficacy" || tree.Theta != 0.5 || tree.MinCases != 5 ||
		!maps.Equal(tree.MinResponses, map[string]int{"county": 30, "city": 30, "town": 10}) {
		t.Errorf("defaults = %s %v %d %v", tree.Method, tree.Theta, tree.MinCases, tree.MinResponses)
	}
	if got := tree.CountByLevel(); !slices.Equal(got, []int{2, 3, 2}) {
		t.Errorf("CountByLevel = %v, want [2 3 2]", got)
	}
	if l, _ := tree.Find("2.1.2"); l.Floor == nil || *l.Floor != 80 || *l.Excellent != 100 {
		t.Errorf("2.1.2 goalposts = %v, %v", l.Floor, l.Excellent)
	}
	if lo, hi := mustFind(t, tree, "1.1").ValueRange(); lo != 0 || hi != 100 {
		t.Errorf("1.1 (%%) range = [%v, %v], want [0, 100]", lo, hi)
	}
	if lo, hi := mustFind(t, tree, "2.1.1").ValueRange(); lo != 0 || hi != MaxSubmittedValue {
		t.Errorf("2.1.1 (分) range = [%v, %v], want [0, 1e12]", lo, hi)
	}
	// JSON is YAML too.
	if _, err := ParseIndicators([]byte(`{"version": "j", "method": "minmax", "indicators": [{"code": "1", "name": "x", "weight": 1, "direction": "higher", "unit": "%", "source": "survey"}]}`)); err != nil {
		t.Errorf("JSON tree: %v", err)
	}
}

func TestParseIndicatorsRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new string // replace old by new in goodTree
		code     string // the indicator the error must name ("" = tree level)
		want     string
	}{
		{"weights off", "weight: 0.25, direction", "weight: 0.20, direction", "2.1", "indicator 2.1: children weights sum to 0.95, want 1 (指标 2.1：下级指标权重之和为 0.95，应为 1)"},
		{"level-1 weights off", "weight: 0.5\n    children:\n      - code: \"2.1\"", "weight: 0.4\n    children:\n      - code: \"2.1\"", "", "level-1 indicators: weights sum to 0.9, want 1"},
		{"duplicate code", `code: "2.1.2"`, `code: "2.1.1"`, "2.1.1", "code listed twice"},
		{"code not under parent", `code: "2.1.2"`, `code: "2.2.2"`, "2.2.2", "parent's code"},
		{"leaf without source", "unit: 分, source: survey", "unit: 分", "2.1.1", "source is required"},
		{"unknown source", "source: survey", "source: hearsay", "2.1.1", `source "hearsay"`},
		{"leaf without direction", "weight: 0.25, direction: higher, ", "weight: 0.25, ", "2.1.1", `direction ""`},
		{"leaf without unit", `unit: "%", source: submitted`, "source: submitted", "1.1", "unit is required"},
		{"submitted without owner", "source: submitted, owner: tjj", "source: submitted", "1.1", "owner"},
		{"tracker without code", "source: tracker, tracker_code: T03", "source: tracker", "1.2", `tracker_code ""`},
		{"unknown tracker code", "tracker_code: T03", "tracker_code: T13", "1.2", "T13"},
		{"tracker code twice", "tracker_code: T01", "tracker_code: T03", "2.1.2", "already used by 1.2"},
		{"tracker direction", "direction: lower, unit: h", "direction: higher, unit: h", "1.2", "T03 is lower-is-better"},
		{"survey with owner", "source: survey", "source: survey, owner: tjj", "2.1.1", "no tracker_code or owner"},
		{"non-leaf with source", "name: c\n", "name: c\n        source: survey\n", "2.1", "has children"},
		{"zero weight", "name: a, weight: 0.6", "name: a, weight: 0", "1.1", "weight must be > 0"},
		{"one goalpost", "floor: 80, excellent: 100", "floor: 80", "2.1.2", "both floor and excellent"},
		{"goalposts reversed", "floor: 80, excellent: 100", "floor: 100, excellent: 80", "2.1.2", "must exceed floor"},
		{"unknown method", "version: t1", "version: t1\nmethod: entropy", "", `method "entropy"`},
		{"theta", "version: t1", "version: t1\ntheta: 1.5", "", "theta 1.5"},
		{"min_responses group", "version: t1", "version: t1\nmin_responses: {village: 3}", "", `"village"`},
		{"no version", "version: t1", "", "", "version is required"},
		{"missing name", "name: d, ", "", "2.1.1", "name is required"},
		{"range on a survey leaf", "unit: 分, source: survey", "unit: 分, source: survey, min: 1", "2.1.1", "only a submitted indicator takes min or max"},
		{"range reversed", "source: submitted, owner: tjj", "source: submitted, owner: tjj, min: 5, max: -5", "1.1", "min < max"},
		{"range above percent", "source: submitted, owner: tjj", "source: submitted, owner: tjj, min: 200", "1.1", "[200, 100]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(goodTree, tt.old, tt.new, 1)
			if src == goodTree {
				t.Fatalf("%q not found in goodTree", tt.old)
			}
			_, err := ParseIndicators([]byte(src))
			var ie *IndicatorError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *IndicatorError", err)
			}
			if ie.Code != tt.code || !strings.Contains(err.Error(), tt.want) || ie.Chinese == "" {
				t.Errorf("err = %q (code %q), want code %q and %q", err, ie.Code, tt.code, tt.want)
			}
		})
	}
}

func TestParseIndicatorsDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "version: [\n", "version: t\nweights: 1\n"} {
		if _, err := ParseIndicators([]byte(src)); err == nil {
			t.Errorf("ParseIndicators(%q) = nil error", src)
		}
	}
}

func mustFind(t *testing.T, tree IndicatorTree, code string) Indicator {
	t.Helper()
	n, ok := tree.Find(code)
	if !ok {
		t.Fatalf("indicator %s not found", code)
	}
	return n
}

// TestSampleGrowthRatesMayFall: the two growth rates of the sample tree
// accept negative values (a falling economy is data, not an error).
func TestSampleGrowthRatesMayFall(t *testing.T) {
	t.Parallel()
	tree, err := LoadIndicators()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"1.1.1.1", "1.1.1.2"} {
		if lo, hi := mustFind(t, tree, code).ValueRange(); lo != -100 || hi <= 100 {
			t.Errorf("%s range = [%v, %v], want a negative floor of -100 and room above 100 %%", code, lo, hi)
		}
	}
	if lo, hi := mustFind(t, tree, "2.2.1.1").ValueRange(); lo != 0 || hi != 100 {
		t.Errorf("2.2.1.1 range = [%v, %v], want [0, 100]", lo, hi)
	}
}
