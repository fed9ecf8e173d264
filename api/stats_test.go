package api_test

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"
)

// TestStatsAgreeWithHandCounts drives a small data set through the loop
// and checks every request indicator of /stats against counts made by hand.
func TestStatsAgreeWithHandCounts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		assign := map[string]any{"department_code": "scjg", "region_code": "330203"}
		respond := map[string]any{"response": "已办理"}
		file := func() string { return ts.fileRequest(t, "ent_hs", "")["id"].(string) }
		ok := func(user, id, action string, f map[string]any) { ts.act(t, user, id, action, f).want(http.StatusOK) }

		r1 := file() // on time, answered after 2 working hours, satisfied
		ok("acfic_hs", r1, "assign", assign)
		ok("dept_hs_scjg", r1, "claim", nil)
		ts.clock.Advance(2 * time.Hour)
		ok("dept_hs_scjg", r1, "respond", respond)
		ok("ent_hs", r1, "evaluate", map[string]any{"score": 5})

		r2 := file() // unsatisfied once (重办), then satisfied
		ok("acfic_hs", r2, "assign", assign)
		ok("dept_hs_scjg", r2, "claim", nil)
		ok("dept_hs_scjg", r2, "respond", respond)
		ok("ent_hs", r2, "evaluate", map[string]any{"score": 2})
		ok("dept_hs_scjg", r2, "respond", respond)
		ok("ent_hs", r2, "evaluate", map[string]any{"score": 4})

		r3 := file() // returned once (退单), answered, never evaluated
		ok("acfic_hs", r3, "assign", assign)
		ok("dept_hs_scjg", r3, "return", map[string]any{"reason": "非本单位职责"})
		ok("acfic_hs", r3, "assign", assign)
		ok("dept_hs_scjg", r3, "claim", nil)
		ok("dept_hs_scjg", r3, "respond", respond)

		r4 := file() // rejected
		ok("acfic_hs", r4, "reject", map[string]any{"reason": "不属于受理范围"})
		r5 := file() // withdrawn
		ok("ent_hs", r5, "withdraw", nil)
		r8 := file() // assigned, still open
		ok("acfic_hs", r8, "assign", assign)
		r6 := ts.fileRequest(t, "ent_yz", "")["id"].(string) // another district: never counted for 海曙
		ok("acfic_yz", r6, "assign", map[string]any{"department_code": "scjg", "region_code": "330212"})

		r7 := file() // accepted late: overdue, escalated to 督办, then closed
		ts.clock.Advance(10 * 24 * time.Hour)
		if _, err := ts.store.Scan(context.Background()); err != nil { // r3's evaluation window ends; r7 goes overdue
			t.Fatal(err)
		}
		ok("acfic_hs", r7, "assign", assign)
		ok("dept_hs_scjg", r7, "claim", nil)
		ok("dept_hs_scjg", r7, "respond", respond)
		ok("ent_hs", r7, "evaluate", map[string]any{"score": 5})

		// By hand, for 海曙 (r1 r2 r3 r4 r5 r7 r8; r6 is 鄞州):
		// triage: assign r1 r2 r3 r3 r7 r8 + reject r4 = 7, all on time but r7 → 6/7
		// closed: r1 r2 r3(未评价) r7 = 4; late: r7; 督办: r7 (automatic); 重办: r2; 未评价: r3
		// first assigned: r1 r2 r3 r7 r8 = 5, of which closed 4
		// evaluations: r1(5) r2(2) r2(4) r7(5) = 4, satisfied 3
		// returns 1 / assigns 6; responds r1 r2 r2 r3 r7 = 5, working hours 2 in all
		want := map[string][3]float64{ // numerator, denominator, value
			"T01": {6, 7, 600.0 / 7}, "T02": {3, 4, 75}, "T03": {2, 5, 0.4}, "T04": {1, 4, 25},
			"T05": {4, 5, 80}, "T06": {3, 4, 75}, "T07": {1, 4, 25}, "T08": {1, 6, 100.0 / 6}, "T09": {1, 4, 25},
		}
		got := ts.as(t, "acfic_hs", "GET", "/api/v1/stats?region_code=330203&from=2026-11-01&to=2026-12-31", nil).want(http.StatusOK).obj()
		seen := 0
		for _, x := range got["indicators"].([]any) {
			ind := x.(map[string]any)
			w, ok := want[ind["code"].(string)]
			if !ok {
				continue
			}
			seen++
			if ind["missing"] == true {
				t.Errorf("%s missing", ind["code"])
				continue
			}
			num, den, val := ind["numerator"].(float64), ind["denominator"].(float64), ind["value"].(float64)
			if math.Abs(num-w[0]) > 0.01 || den != w[1] || math.Abs(val-w[2]) > 0.01 {
				t.Errorf("%s (%s): %v/%v = %v, want %v/%v = %v", ind["code"], ind["name"], num, den, val, w[0], w[1], w[2])
			}
		}
		if seen != len(want) {
			t.Errorf("saw %d of %d request indicators", seen, len(want))
		}
		// The city sees 鄞州's assignment too (6 in 海曙 + 1); a period outside the data has nothing.
		city := ts.as(t, "acfic_city", "GET", "/api/v1/stats?region_code=330200&from=2026-11-01&to=2026-12-31", nil).want(http.StatusOK).obj()
		for _, x := range city["indicators"].([]any) {
			if ind := x.(map[string]any); ind["code"] == "T08" && ind["denominator"] != float64(7) {
				t.Errorf("city T08 denominator %v, want 7 assigns", ind["denominator"])
			}
		}
		empty := ts.as(t, "acfic_hs", "GET", "/api/v1/stats?period=2025-Q1", nil).want(http.StatusOK).obj()
		for _, x := range empty["indicators"].([]any) {
			ind := x.(map[string]any)
			if ind["kind"] == "count" {
				// a count (政企协商会召开数) of nothing is 0, not missing
				if ind["missing"] != false || ind["value"] != 0.0 {
					t.Errorf("%s in an empty period: %v", ind["code"], ind)
				}
				continue
			}
			if ind["missing"] != true || ind["value"] != nil {
				t.Errorf("%s in an empty period: %v", ind["code"], ind)
			}
		}
		ts.as(t, "acfic_yz", "GET", "/api/v1/stats?region_code=330203&period=2026-11", nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "ent_hs", "GET", "/api/v1/stats?period=2026-11", nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "acfic_hs", "GET", "/api/v1/stats?period=2026-13", nil).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")
	})
}
