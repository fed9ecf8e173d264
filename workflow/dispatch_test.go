package workflow

import "testing"

func TestSuggest(t *testing.T) {
	tree := RegionTree{
		Parent: map[string]string{"330200": "", "330203": "330200", "330203-T01": "330203", "330212": "330200", "3302QW": "330200"},
		Level:  map[string]string{"330200": "city", "330203": "county", "330203-T01": "town", "330212": "county", "3302QW": "zone"},
	}
	rules := []DispatchRule{
		{Category: "approval", DepartmentCode: "scjg", Unit: UnitCounty},
		{Category: "approval", RegionCode: "330212", DepartmentCode: "zrzy", Unit: UnitCity},
		{Category: "talent", DepartmentCode: "rsj", Unit: UnitCounty, Auto: true},
		{Category: "market", RegionCode: "330203", DepartmentCode: "scjg", Unit: UnitCounty},
		{Category: "market", RegionCode: "330203-T01", DepartmentCode: "sw", Unit: UnitCounty},
		{Category: "land", RegionCode: "330200", DepartmentCode: "zrzy", Unit: UnitCity},
	}
	cases := []struct {
		category, region string
		want             Suggestion
		ok               bool
	}{
		{"approval", "330203", Suggestion{"scjg", "330203", false}, true},
		{"approval", "330203-T01", Suggestion{"scjg", "330203", false}, true}, // a town's unit is its county's
		{"approval", "3302QW", Suggestion{"scjg", "3302QW", false}, true},     // a zone has its own units
		{"approval", "330200", Suggestion{"scjg", "330200", false}, true},     // filed at the city: the city's unit
		{"approval", "330212", Suggestion{"zrzy", "330200", false}, true},     // the region's entry wins
		{"talent", "330203-T01", Suggestion{"rsj", "330203", true}, true},
		{"market", "330203", Suggestion{"scjg", "330203", false}, true},
		{"market", "330203-T01", Suggestion{"sw", "330203", false}, true}, // the nearer region wins
		{"market", "330212", Suggestion{}, false},                         // no entry covers 鄞州
		{"land", "330203-T01", Suggestion{"zrzy", "330200", false}, true}, // an entry at the root covers all
		{"policy", "330203", Suggestion{}, false},
		{"approval", "999999", Suggestion{"scjg", "999999", false}, true}, // unknown region: treated as its own root
	}
	for _, c := range cases {
		got, ok := Suggest(rules, tree, c.category, c.region)
		if ok != c.ok || got != c.want {
			t.Errorf("Suggest(%s, %s) = %+v, %v; want %+v, %v", c.category, c.region, got, ok, c.want, c.ok)
		}
	}
}

func TestDispatch(t *testing.T) {
	s := Suggestion{DepartmentCode: "scjg", RegionCode: "330203"}
	cases := []struct {
		ok         bool
		dept, unit string
		want       string
	}{
		{true, "scjg", "330203", DispatchFollowed},
		{true, "scjg", "330200", DispatchOverridden},
		{true, "sw", "330203", DispatchOverridden},
		{false, "scjg", "330203", DispatchNone},
	}
	for _, c := range cases {
		if got := Dispatch(s, c.ok, c.dept, c.unit); got != c.want {
			t.Errorf("Dispatch(%v, %s, %s) = %s, want %s", c.ok, c.dept, c.unit, got, c.want)
		}
	}
}
