package api_test

import (
	"net/http"
	"slices"
	"testing"
)

// 主办/协办: an assignment may name co-handling units; they see the
// request, add opinions, and nothing else — signing for it, answering,
// deadlines and indicators stay with the lead unit.

func TestCoHandling(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		co := []map[string]any{{"department_code": "sw", "region_code": "330203"}, {"department_code": "scjg", "region_code": "330200"}}
		lead := map[string]any{"department_code": "scjg", "region_code": "330203"}

		// Refused co-units change nothing.
		before := qaSnapshot(t, ts, id)
		for _, c := range []struct {
			user  string
			units []map[string]any
		}{
			{"acfic_hs", []map[string]any{{"department_code": "sw", "region_code": "330212"}}},   // outside 海曙's 工商联
			{"acfic_city", []map[string]any{{"department_code": "sw", "region_code": "330212"}}}, // 鄞州's unit has no say in 海曙
			{"acfic_hs", []map[string]any{lead}},                                                 // the lead unit itself
			{"acfic_hs", []map[string]any{{"department_code": "nope", "region_code": "330203"}}},
			{"acfic_hs", []map[string]any{co[0], co[0]}},
			{"acfic_hs", []map[string]any{{"department_code": "sw"}}},
		} {
			body := map[string]any{"department_code": "scjg", "region_code": "330203", "co_units": c.units}
			ts.act(t, c.user, id, "assign", body).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "co_units")
		}
		if after := qaSnapshot(t, ts, id); after != before {
			t.Fatalf("refused assignments changed the request: %+v → %+v", before, after)
		}

		// The city's 工商联 may name the city's unit (海曙's may not: outside its region).
		got := ts.act(t, "acfic_city", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203", "co_units": co}).
			want(http.StatusOK).obj()
		if units := got["co_units"].([]any); len(units) != 2 || units[0].(map[string]any)["department_code"] != "sw" {
			t.Fatalf("co_units as assigned: %v", got["co_units"])
		}

		// Who sees it and what each may do.
		for user, want := range map[string][]string{
			"dept_hs_sw":     {"add_opinion"},
			"dept_city_scjg": {"add_opinion"},
			"dept_hs_scjg":   {"claim", "return"},
		} {
			items := ts.as(t, user, "GET", reqPath(id, "/transitions"), nil).want(http.StatusOK).obj()["items"].([]any)
			var got []string
			for _, it := range items {
				got = append(got, it.(map[string]any)["action"].(string))
			}
			if !qaSameSet(got, want) {
				t.Errorf("%s may %v, want %v", user, got, want)
			}
		}
		ts.as(t, "dept_yz_scjg", "GET", reqPath(id), nil).wantProblem(http.StatusNotFound, "not_found")

		// The co-unit's list: with its own (none) by default, alone with co_handled=true.
		for q, want := range map[string][]string{"": {id}, "?co_handled=true": {id}, "?co_handled=false": {}} {
			if ids := qaIDs(t, ts.as(t, "dept_hs_sw", "GET", "/api/v1/requests"+q, nil).want(http.StatusOK)); !qaSameSet(ids, want) {
				t.Errorf("dept_hs_sw lists%s %v, want %v", q, ids, want)
			}
		}
		if ids := qaIDs(t, ts.as(t, "acfic_hs", "GET", "/api/v1/requests?co_handled=true", nil).want(http.StatusOK)); !slices.Equal(ids, []string{id}) {
			t.Errorf("工商联's co_handled list %v", ids)
		}
		// Its deadline board is its own unit's: the co-handled request is not on it.
		board := ts.as(t, "dept_hs_sw", "GET", "/api/v1/deadlines", nil).want(http.StatusOK).obj()
		for _, it := range board["items"].([]any) {
			if it.(map[string]any)["id"] == id {
				t.Error("a co-handled request is on the co-unit's deadline board")
			}
		}

		// An opinion is an event; the co-unit cannot sign for it or answer.
		ts.act(t, "dept_hs_sw", id, "add_opinion", map[string]any{"opinion": "涉税事项已核实，无欠税。"}).want(http.StatusOK)
		ts.act(t, "dept_hs_sw", id, "claim", nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.act(t, "dept_hs_scjg", id, "add_opinion", map[string]any{"opinion": "主办单位不提协办意见"}).wantProblem(http.StatusForbidden, "forbidden")
		ts.act(t, "dept_hs_sw", id, "add_opinion", map[string]any{}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "opinion")
		if p := dispatchOf(t, ts, id, "add_opinion")["payload"].(map[string]any); p["opinion"] != "涉税事项已核实，无欠税。" {
			t.Errorf("opinion event payload %v", p)
		}

		// A return ends the co-handling with the handling.
		ts.act(t, "dept_hs_scjg", id, "return", map[string]any{"reason": "不属于本单位职责"}).want(http.StatusOK)
		ts.as(t, "dept_hs_sw", "GET", reqPath(id), nil).wantProblem(http.StatusNotFound, "not_found")
		if got := ts.as(t, "acfic_hs", "GET", reqPath(id), nil).want(http.StatusOK).obj(); len(got["co_units"].([]any)) != 0 {
			t.Errorf("co_units after a return: %v", got["co_units"])
		}
		if a := ts.verify(t); !a.OK {
			t.Errorf("chains: %+v", a)
		}
	})
}
