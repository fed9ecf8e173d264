package api_test

import (
	"bytes"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The assessment of handling units (红黑榜, docs/design.md#unit-assessment).

// usWorld files and carries requests through three units in November 2026:
//
//	scjg@330203: rA closed satisfied at once; rB answered, evaluated 2
//	             (重办), answered again and closed with 4 — two answers of 2 hours
//	             and one of 2 hours;
//	sw@330203:   rC returned before signing for, assigned again, answered
//	             after 4 hours, closed with 5;
//	scjg@330212: rD signed for and answered after 1 hour, not yet evaluated.
func usWorld(t *testing.T, ts *testServer) {
	t.Helper()
	ts.seed(t)
	ok := func(r *response) { t.Helper(); r.want(http.StatusOK) }
	respond := func(user, id string, after time.Duration) {
		t.Helper()
		ts.clock.Advance(after)
		ok(ts.act(t, user, id, "respond", map[string]any{"response": "已办理。"}))
	}
	rA := qaFile(t, ts, "ent_hs", "", "rA")
	ok(ts.act(t, "acfic_hs", rA, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}))
	ok(ts.act(t, "dept_hs_scjg", rA, "claim", nil))
	respond("dept_hs_scjg", rA, 2*time.Hour)
	ok(ts.act(t, "ent_hs", rA, "evaluate", map[string]any{"score": 5}))

	rB := qaFile(t, ts, "ent_hs", "", "rB")
	ok(ts.act(t, "acfic_hs", rB, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}))
	ok(ts.act(t, "dept_hs_scjg", rB, "claim", nil))
	respond("dept_hs_scjg", rB, 2*time.Hour)
	ok(ts.act(t, "ent_hs", rB, "evaluate", map[string]any{"score": 2}))
	respond("dept_hs_scjg", rB, 2*time.Hour)
	ok(ts.act(t, "ent_hs", rB, "evaluate", map[string]any{"score": 4}))

	rC := qaFile(t, ts, "ent_hs", "", "rC")
	ok(ts.act(t, "acfic_hs", rC, "assign", map[string]any{"department_code": "sw", "region_code": "330203"}))
	ok(ts.act(t, "dept_hs_sw", rC, "return", map[string]any{"reason": "不属于本单位职责"}))
	ok(ts.act(t, "acfic_hs", rC, "assign", map[string]any{"department_code": "sw", "region_code": "330203"}))
	ok(ts.act(t, "dept_hs_sw", rC, "claim", nil))
	respond("dept_hs_sw", rC, 4*time.Hour)
	ok(ts.act(t, "ent_hs", rC, "evaluate", map[string]any{"score": 5}))

	rD := qaFile(t, ts, "ent_yz", "", "rD")
	ok(ts.act(t, "acfic_yz", rD, "assign", map[string]any{"department_code": "scjg", "region_code": "330212"}))
	ok(ts.act(t, "dept_yz_scjg", rD, "claim", nil))
	respond("dept_yz_scjg", rD, time.Hour)
}

type usScore struct {
	Value *float64 `json:"value"`
	N     int64    `json:"n"`
	Rank  *int     `json:"rank"`
}

type usView struct {
	Period     string `json:"period"`
	RegionCode string `json:"region_code"`
	Indicators []struct {
		Code string `json:"code"`
	} `json:"indicators"`
	Items []struct {
		DepartmentCode string             `json:"department_code"`
		DepartmentName string             `json:"department_name"`
		RegionCode     string             `json:"region_code"`
		Scores         map[string]usScore `json:"scores"`
	} `json:"items"`
}

// want is one expected score: value (NaN: none), n, rank (0: none).
type usWant struct {
	value float64
	n     int64
	rank  int
}

func (w usWant) check(t *testing.T, what string, got usScore) {
	t.Helper()
	switch {
	case math.IsNaN(w.value) != (got.Value == nil),
		got.Value != nil && math.Abs(*got.Value-w.value) > 0.01,
		got.N != w.n,
		(w.rank == 0) != (got.Rank == nil),
		got.Rank != nil && *got.Rank != w.rank:
		t.Errorf("%s: %+v (value %v rank %v), want %+v", what, got, deref(got.Value), derefInt(got.Rank), w)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestUnitAssessment: each unit's 按期办结率, 满意率, 退单率, 重办率 and mean
// working days to answer, with n and rank, as 工商联 of a district (its
// units) and of the city (every unit, ranked among all).
func TestUnitAssessment(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		usWorld(t, ts)
		nan := math.NaN()
		day := 24.0
		var v usView
		ts.as(t, "acfic_hs", "GET", "/api/v1/stats/units?period=2026-11", nil).want(http.StatusOK).decode(&v)
		if v.Period != "2026-11" || v.RegionCode != "330203" || len(v.Indicators) != 5 || len(v.Items) != 2 {
			t.Fatalf("acfic_hs: %+v", v)
		}
		want := map[string]map[string]usWant{
			"scjg@330203": {
				"on_time_rate":      {100, 2, 1},
				"satisfaction_rate": {200.0 / 3, 3, 2},
				"return_rate":       {0, 2, 1},
				"redo_rate":         {50, 2, 2},
				"avg_response_days": {2 / day, 3, 1},
			},
			"sw@330203": {
				"on_time_rate":      {100, 1, 1},
				"satisfaction_rate": {100, 1, 1},
				"return_rate":       {50, 2, 2},
				"redo_rate":         {0, 1, 1},
				"avg_response_days": {4 / day, 1, 2},
			},
		}
		check := func(v usView, want map[string]map[string]usWant) {
			t.Helper()
			for _, it := range v.Items {
				key := it.DepartmentCode + "@" + it.RegionCode
				w, ok := want[key]
				if !ok {
					t.Errorf("unexpected unit %s", key)
					continue
				}
				if it.DepartmentName == "" {
					t.Errorf("%s has no department name", key)
				}
				for code, ws := range w {
					ws.check(t, key+" "+code, it.Scores[code])
				}
			}
		}
		check(v, want)
		// The city's 工商联 ranks the three units together; 鄞州's unit has
		// nothing closed or evaluated: no value, no rank.
		ts.as(t, "acfic_city", "GET", "/api/v1/stats/units?period=2026-11", nil).want(http.StatusOK).decode(&v)
		if len(v.Items) != 3 {
			t.Fatalf("acfic_city: %d units", len(v.Items))
		}
		want["scjg@330212"] = map[string]usWant{
			"on_time_rate":      {nan, 0, 0},
			"satisfaction_rate": {nan, 0, 0},
			"return_rate":       {0, 1, 1},
			"redo_rate":         {nan, 0, 0},
			"avg_response_days": {1 / day, 1, 1},
		}
		want["sw@330203"]["return_rate"] = usWant{50, 2, 3}
		want["sw@330203"]["avg_response_days"] = usWant{4 / day, 1, 3}
		want["scjg@330203"]["avg_response_days"] = usWant{2 / day, 3, 2}
		check(v, want)
		// An inspector of 鄞州 sees its one unit; a quarter and a year count
		// the same; another month has no units.
		ts.as(t, "insp_yz", "GET", "/api/v1/stats/units?period=2026-Q4", nil).want(http.StatusOK).decode(&v)
		if len(v.Items) != 1 || v.Items[0].RegionCode != "330212" {
			t.Errorf("insp_yz: %+v", v.Items)
		}
		ts.as(t, "acfic_city", "GET", "/api/v1/stats/units?period=2026-10", nil).want(http.StatusOK).decode(&v)
		if len(v.Items) != 0 {
			t.Errorf("October: %+v", v.Items)
		}
		// Bad input.
		for _, q := range []string{"", "?period=2026-13", "?period=11-2026", "?period=2026-11&region_code=999999", "?period=2026-11&x=1"} {
			ts.as(t, "acfic_city", "GET", "/api/v1/stats/units"+q, nil).wantProblem(http.StatusBadRequest, "validation_failed")
		}
		ts.as(t, "acfic_city", "GET", "/api/v1/stats/units/export.xlsx?period=2026-Q4", nil).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")
	})
}

// TestUnitAssessmentXLSX: the 月报 holds the same figures, one row per unit,
// and the notes.
func TestUnitAssessmentXLSX(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		usWorld(t, ts)
		res := ts.as(t, "acfic_hs", "GET", "/api/v1/stats/units/export.xlsx?period=2026-11", nil).want(http.StatusOK)
		if res.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("Content-Type %q", res.header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("红黑榜")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0][0] != "部门" || rows[0][2] != "按期办结率（%）" {
			t.Fatalf("rows %v", rows)
		}
		// 市场监管 in 海曙: 满意率 66.67 over 3, rank 2 (columns F, G, H).
		var found bool
		for _, r := range rows[1:] {
			if r[1] == "海曙区" && r[5] == "66.67" && r[6] == "3" && r[7] == "2" {
				found = true
			}
		}
		if !found {
			t.Errorf("no 海曙区 row with 满意率 66.67, n 3, rank 2: %v", rows)
		}
		notes, _ := f.GetRows("说明")
		if len(notes) < 5 || notes[0][1] != "2026-11" {
			t.Errorf("notes %v", notes)
		}
	})
}
