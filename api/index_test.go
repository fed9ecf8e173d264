package api_test

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"qinqing/index"
	"qinqing/model"
)

// The 亲清健康指数 end to end (docs/index-method.md): cases through the loop,
// departments submitting values (JSON and CSV), enterprises answering the
// questionnaire, 工商联 computing and publishing, and anonymous reads of
// the ranking, a region's two-way list and the exports.

// ixSmallTree is a replacement tree whose minimum counts are 1, so that the
// handful of cases and answers of a test are scored.
func ixSmallTree(version string) map[string]any {
	leaf := func(code, name string, w float64, dir, unit, src, extraKey, extra string) map[string]any {
		m := map[string]any{"code": code, "name": name, "weight": w, "direction": dir, "unit": unit, "source": src}
		if extraKey != "" {
			m[extraKey] = extra
		}
		return m
	}
	node := func(code, name string, w float64, children ...map[string]any) map[string]any {
		return map[string]any{"code": code, "name": name, "weight": w, "children": children}
	}
	growth := leaf("1.1.1", "民营经济增加值增速", 0.5, "higher", "%", "submitted", "owner", "tjj")
	growth["min"], growth["max"] = -100, 1000
	return map[string]any{
		"version": version, "method": "efficacy", "theta": 0.5, "min_cases": 1,
		"min_responses": map[string]int{"county": 1, "city": 1, "town": 1},
		"indicators": []any{
			node("1", "健康发展", 0.3, node("1.1", "发展活力", 1,
				growth,
				leaf("1.1.2", "民营企业家涉刑案件数（每万户）", 0.5, "lower", "件/万户", "submitted", "owner", "fy"))),
			node("2", "亲近关系", 0.4, node("2.1", "政府服务", 1,
				leaf("2.1.1", "满意率", 0.5, "higher", "%", "tracker", "tracker_code", "T06"),
				leaf("2.1.2", "政务服务满意度", 0.5, "higher", "分", "survey", "", ""))),
			node("3", "清廉关系", 0.3, node("3.1", "清廉政府", 1,
				leaf("3.1.1", "涉企行政执法纠错率", 0.5, "lower", "%", "submitted", "owner", "sfj"),
				leaf("3.1.2", "按期办结率", 0.5, "higher", "%", "tracker", "tracker_code", "T02"))),
		},
	}
}

// ixCSV sends a CSV body as user.
func (ts *testServer) ixCSV(t *testing.T, user, body string) *response {
	t.Helper()
	return ts.as(t, user, "POST", "/api/v1/indicator-values", body, "Content-Type", "text/csv")
}

// ixValueCount counts every stored submission, history included.
func (ts *testServer) ixValueCount(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := ts.db.Model(&model.IndicatorValue{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// ixFind returns the element of list (JSON objects) whose key equals want.
func ixFind(t *testing.T, list any, key, want string) map[string]any {
	t.Helper()
	for _, x := range list.([]any) {
		if m := x.(map[string]any); m[key] == want {
			return m
		}
	}
	t.Fatalf("no element with %s = %s in %v", key, want, list)
	return nil
}

// ixCodes lists the key of every element of list.
func ixCodes(list any, key string) []string {
	var out []string
	for _, x := range list.([]any) {
		out = append(out, x.(map[string]any)[key].(string))
	}
	return out
}

// ixValue returns the gathered value of leaf for unit in a run detail.
func ixValue(t *testing.T, run map[string]any, leaf, unit string) map[string]any {
	t.Helper()
	return ixFind(t, ixFind(t, run["values"], "code", leaf)["units"], "unit_code", unit)
}

func ixNear(t *testing.T, what string, got any, want float64) {
	t.Helper()
	g, ok := got.(float64)
	if !ok || math.Abs(g-want) > 0.005 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestIndexEndToEnd(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, d := range []string{"tjj", "fy", "sfj"} {
			ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "dept_city_" + d, "password": testPassword,
				"role": "department", "region_code": "330200", "department_code": d}).want(http.StatusCreated)
		}
		ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "dept_hs_tjj", "password": testPassword,
			"role": "department", "region_code": "330203", "department_code": "tjj"}).want(http.StatusCreated)

		// Cases through the loop: two satisfied in 海曙 (one from its town),
		// one in 鄞州 reopened once (满意率 1/2).
		ok := func(user, id, action string, f map[string]any) { ts.act(t, user, id, action, f).want(http.StatusOK) }
		for _, ent := range []string{"ent_hs", "ent_hs_town"} {
			id := ts.fileRequest(t, ent, "")["id"].(string)
			ok("acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"})
			ok("dept_hs_scjg", id, "claim", nil)
			ok("dept_hs_scjg", id, "respond", map[string]any{"response": "已办理"})
			ok(ent, id, "evaluate", map[string]any{"score": 5})
		}
		yz := ts.fileRequest(t, "ent_yz", "")["id"].(string)
		ok("acfic_yz", yz, "assign", map[string]any{"department_code": "scjg", "region_code": "330212"})
		ok("dept_yz_scjg", yz, "claim", nil)
		ok("dept_yz_scjg", yz, "respond", map[string]any{"response": "已办理"})
		ok("ent_yz", yz, "evaluate", map[string]any{"score": 2})
		ok("dept_yz_scjg", yz, "respond", map[string]any{"response": "重新办理"})
		ok("ent_yz", yz, "evaluate", map[string]any{"score": 4})

		const period = "2026-Q4"
		values := "/api/v1/indicator-values"

		// Departments submit for their own indicators: JSON …
		sub := ts.as(t, "dept_city_tjj", "POST", values, []map[string]any{
			{"indicator_code": "1.1.1.1", "region_code": "330203", "period": period, "value": 6.5},
			{"indicator_code": "1.1.1.1", "region_code": "330212", "period": period, "value": -1.2}, // a growth rate may fall
		}).want(http.StatusCreated).obj()
		if sub["count"] != float64(2) || sub["tree_version"] != "2026-sample-1" {
			t.Errorf("submission = %v", sub)
		}
		// … and CSV as Excel writes it: BOM, CRLF, quoted fields, a blank row.
		csvOK := "\ufeffindicator_code,region_code,period,value\r\n" +
			"1.2.1.2,330203,2026-Q4,0.8\r\n" +
			"\"1.2.1.2\",\"330212\",\"2026-Q4\",\"1.5\"\r\n" +
			",,,\r\n" +
			"1.2.2.1,330203,2026-Q4,92.5\r\n"
		if got := ts.ixCSV(t, "dept_city_fy", csvOK).want(http.StatusCreated).obj(); got["count"] != float64(3) {
			t.Errorf("CSV submission = %v", got)
		}

		// A file with bad rows is refused whole, each bad row named, nothing stored.
		before := ts.ixValueCount(t)
		bad := "indicator_code,region_code,period,value\n" +
			"1.2.1.2,330205,2026-Q4,0.4\n" + // good
			"1.2.1.2,330206,2026-Q4,abc\n" + // not a number
			"1.2.2.1,330211,2026-Q4,0.3\n" + // good
			"1.1.1.1,330211,2026-Q4,3\n" + // 统计局's indicator, not 法院's
			"1.2.2.1,330212,2026-Q4,120\n" + // a percentage above 100
			"1.2.2.1,999999,2027,5\n" // unknown region, period not begun
		p := ts.ixCSV(t, "dept_city_fy", bad).wantProblem(http.StatusBadRequest, "validation_failed")
		for _, f := range []string{"rows[2].value", "rows[4].indicator_code", "rows[5].value", "rows[6].region_code", "rows[6].period"} {
			p.wantField(t, f)
		}
		for _, e := range p.Errors {
			if strings.HasPrefix(e.Field, "rows[1]") || strings.HasPrefix(e.Field, "rows[3]") {
				t.Errorf("a good row is named: %+v", e)
			}
		}
		if !strings.Contains(p.Detail, "整批") {
			t.Errorf("detail %q does not say the whole file was refused", p.Detail)
		}
		if after := ts.ixValueCount(t); after != before {
			t.Errorf("a refused file stored %d rows", after-before)
		}
		// Other refusals: outside the caller's region, duplicates, unknown
		// fields, bad headers, media types and roles.
		ts.as(t, "dept_hs_tjj", "POST", values, []map[string]any{{"indicator_code": "1.1.1.1", "region_code": "330212", "period": period, "value": 1}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "rows[1].region_code")
		ts.as(t, "dept_city_tjj", "POST", values, []map[string]any{
			{"indicator_code": "1.1.1.1", "region_code": "330205", "period": period, "value": 1},
			{"indicator_code": "1.1.1.1", "region_code": "330205", "period": period, "value": 2}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "rows[2]")
		ts.as(t, "dept_city_tjj", "POST", values, []map[string]any{{"indicator_code": "1.1.1.1", "region_code": "330205", "period": period, "value": "1", "colour": "red"}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "rows[1].colour")
		ts.as(t, "dept_city_tjj", "POST", values, map[string]any{"indicator_code": "1.1.1.1"}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "dept_city_tjj", "POST", values, []any{}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.ixCSV(t, "dept_city_tjj", "code,region,period,value\n1.1.1.1,330203,2026-Q4,1\n").
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "header")
		ts.ixCSV(t, "dept_city_tjj", "indicator_code,region_code,period,value\n1.1.1.1,330203,\"2026-Q4,1\n").
			wantProblem(http.StatusBadRequest, "validation_failed")
		ts.ixCSV(t, "dept_city_tjj", "indicator_code,region_code,period,value\n1.1.1.1,\xb9\xfe,2026-Q4,1\n").
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "body")
		ts.as(t, "dept_city_tjj", "POST", values, "1.1.1.1", "Content-Type", "text/plain").wantProblem(http.StatusUnsupportedMediaType, "unsupported_media_type")
		for _, user := range []string{"ent_hs", "acfic_city", "insp_city"} {
			ts.as(t, user, "POST", values, []map[string]any{{"indicator_code": "1.1.1.1", "region_code": "330203", "period": period, "value": 1}}).
				wantProblem(http.StatusForbidden, "forbidden")
		}
		if after := ts.ixValueCount(t); after != before {
			t.Errorf("refused submissions stored %d rows", after-before)
		}
		// A resubmission replaces the value in force and keeps the history.
		re := ts.as(t, "dept_city_tjj", "POST", values, []map[string]any{{"indicator_code": "1.1.1.1", "region_code": "330203", "period": period, "value": 7}}).
			want(http.StatusCreated).obj()
		if item := re["items"].([]any)[0].(map[string]any); item["replaced"] != true {
			t.Errorf("resubmission not marked replaced: %v", item)
		}
		if n, err := ts.store.CountValues(context.Background(), "1.1.1.1", "330203", period); err != nil || n != 2 {
			t.Errorf("history of 1.1.1.1/330203: %d rows (%v), want 2", n, err)
		}

		// Enterprises answer the questionnaire; answering again replaces.
		survey := "/api/v1/surveys/" + period + "/responses"
		ts.as(t, "ent_hs", "POST", survey, map[string]any{"answers": map[string]int{"1.2.2.2": 4, "2.1.3.2": 5}}).want(http.StatusCreated)
		again := ts.as(t, "ent_hs", "POST", survey, map[string]any{"answers": map[string]int{"1.2.2.2": 5, "2.1.3.2": 4, "2.1.3.3": 3}}).
			want(http.StatusOK).obj()
		if len(again["answers"].(map[string]any)) != 3 || again["region_code"] != "330203" {
			t.Errorf("replaced response = %v", again)
		}
		var answers int64
		ts.db.Model(&model.SurveyAnswer{}).Where("enterprise_id = ? AND period = ?", ts.ids["ent_hs"], period).Count(&answers)
		if answers != 3 {
			t.Errorf("ent_hs has %d answers stored, want 3 (the replacement)", answers)
		}
		ts.as(t, "ent_hs_town", "POST", survey, map[string]any{"answers": map[string]int{"1.2.2.2": 3}}).want(http.StatusCreated)
		ts.as(t, "ent_yz", "POST", survey, map[string]any{"answers": map[string]int{"1.2.2.2": 4}}).want(http.StatusCreated)
		ts.as(t, "ent_yz", "POST", survey, map[string]any{"answers": map[string]int{"1.2.2.2": 6}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "answers.1.2.2.2")
		ts.as(t, "ent_yz", "POST", survey, map[string]any{"answers": map[string]int{"1.1.1.1": 3}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "answers.1.1.1.1")
		ts.as(t, "ent_yz", "POST", survey, map[string]any{"answers": map[string]any{}}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "ent_yz", "POST", "/api/v1/surveys/2026-13/responses", map[string]any{"answers": map[string]int{"1.2.2.2": 4}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")
		ts.as(t, "ent_yz", "POST", "/api/v1/surveys/2027-Q1/responses", map[string]any{"answers": map[string]int{"1.2.2.2": 4}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")
		for _, user := range []string{"dept_city_tjj", "acfic_city", "station_hs"} {
			ts.as(t, user, "POST", survey, map[string]any{"answers": map[string]int{"1.2.2.2": 4}}).wantProblem(http.StatusForbidden, "forbidden")
		}

		// Runs are 工商联's at the city only.
		runs := "/api/v1/index/runs"
		for _, user := range []string{"dept_city_tjj", "ent_hs", "insp_city", "admin", "acfic_hs"} {
			ts.as(t, user, "POST", runs, map[string]string{"period": period}).wantProblem(http.StatusForbidden, "forbidden")
		}
		ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": "2026-Q5"}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")
		ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": "2031"}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")

		// Run 1, with the sample tree: the few answers and cases are below
		// its minimums, so those leaves are missing, not scored.
		ts.ixConfirm(t, period)
		run1 := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()
		id1 := run1["id"].(string)
		if run1["version"] != float64(1) || run1["status"] != "draft" || run1["tree_version"] != "2026-sample-1" || run1["provisional"] != true {
			t.Errorf("run 1 = %v", run1["version"])
		}
		if v := ixValue(t, run1, "1.2.2.2", "330203"); v["missing"] != true || v["reason"] != index.ReasonInsufficientResponses || v["n"] != float64(2) {
			t.Errorf("survey 1.2.2.2 of 海曙 (2 responses < 30) = %v", v)
		}
		if v := ixValue(t, run1, "2.1.2.2", "330203"); v["missing"] != true || v["reason"] != index.ReasonInsufficientCases || v["denominator"] != float64(2) {
			t.Errorf("满意率 of 海曙 (2 cases < 5) = %v", v)
		}
		if v := ixValue(t, run1, "1.1.1.1", "330203"); v["missing"] != false || v["value"] != float64(7) {
			t.Errorf("1.1.1.1 of 海曙 = %v, want the resubmitted 7", v)
		}
		if v := ixValue(t, run1, "1.1.1.1", "330205"); v["missing"] != true || v["reason"] != index.ReasonNotSubmitted {
			t.Errorf("1.1.1.1 of 江北 = %v, want not_submitted", v)
		}
		if v := ixValue(t, run1, "3.1.1.1", "330203"); v["missing"] != true || v["reason"] != index.ReasonNoCases {
			t.Errorf("线索按期登记率 of 海曙 = %v, want no_cases", v)
		}
		// A draft is invisible to the public.
		ts.do(t, "", "GET", "/api/v1/index/"+period, nil).wantProblem(http.StatusNotFound, "not_found")
		ts.do(t, "", "GET", "/api/v1/index/"+period+"/export.xlsx", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "acfic_hs", "GET", runs+"/"+id1, nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "acfic_hs", "POST", runs+"/"+id1+"/publish", nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "acfic_city", "GET", runs+"/"+id1+"/regions/330203", nil).want(http.StatusOK)
		ts.as(t, "acfic_city", "POST", runs+"/999999/publish", nil).wantProblem(http.StatusNotFound, "not_found")
		pub1 := ts.as(t, "acfic_city", "POST", runs+"/"+id1+"/publish", nil).want(http.StatusOK).obj()
		if pub1["status"] != "published" || pub1["published_at"] == nil {
			t.Errorf("published run = %v", pub1)
		}
		ts.as(t, "acfic_city", "POST", runs+"/"+id1+"/publish", nil).wantProblem(http.StatusConflict, "invalid_transition")
		frozen := ts.as(t, "acfic_city", "GET", runs+"/"+id1, nil).want(http.StatusOK).body

		public := ts.do(t, "", "GET", "/api/v1/index/"+period, nil).want(http.StatusOK).obj()
		if public["version"] != float64(1) {
			t.Errorf("public version = %v, want 1", public["version"])
		}
		hs := ixFind(t, ixFind(t, public["groups"], "group", "county")["units"], "code", "330203")
		if hs["rank"] != nil || hs["note"] != index.NotRanked || hs["total"] != nil {
			t.Errorf("海曙 under the sample tree (most leaves missing) = %v, want unranked", hs)
		}

		// 工商联 replaces the tree; it applies to runs created afterwards.
		small := ixSmallTree("test-small-1")
		for _, user := range []string{"acfic_hs", "dept_city_tjj", "ent_hs"} {
			ts.as(t, user, "PUT", "/api/v1/indicators", small).wantProblem(http.StatusForbidden, "forbidden")
		}
		broken := ixSmallTree("test-broken")
		broken["indicators"].([]any)[0].(map[string]any)["weight"] = 0.2
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", broken).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", ixSmallTree("2026-sample-1")).wantProblem(http.StatusConflict, "conflict")
		unknownOwner := ixSmallTree("test-owner")
		unknownOwner["indicators"].([]any)[0].(map[string]any)["children"].([]map[string]any)[0]["children"].([]map[string]any)[1]["owner"] = "nobody"
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", unknownOwner).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "indicators")
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", small).want(http.StatusOK)
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", small).wantProblem(http.StatusConflict, "conflict")
		tree := ts.as(t, "ent_hs", "GET", "/api/v1/indicators", nil).want(http.StatusOK).obj()
		if tree["version"] != "test-small-1" || tree["min_cases"] != float64(1) {
			t.Errorf("tree in force = %v", tree["version"])
		}

		// Values and answers for the new tree. 鄞州 has no 1.1.2 (法院 did
		// not submit it): that leaf is missing, never zero.
		ts.as(t, "dept_city_tjj", "POST", values, []map[string]any{
			{"indicator_code": "1.1.1", "region_code": "330203", "period": period, "value": 6},
			{"indicator_code": "1.1.1", "region_code": "330212", "period": period, "value": 8},
			{"indicator_code": "1.1.1", "region_code": "330203-T01", "period": period, "value": 5},
		}).want(http.StatusCreated)
		ts.ixCSV(t, "dept_city_fy", "indicator_code,region_code,period,value\n1.1.2,330203,2026-Q4,0.5\n").want(http.StatusCreated)
		ts.ixCSV(t, "dept_city_sfj", "\ufeffregion_code,indicator_code,value,period\r\n330203,3.1.1,2,2026-Q4\r\n330212,3.1.1,3.5,2026-Q4\r\n").
			want(http.StatusCreated)
		ts.as(t, "dept_city_fy", "POST", values, []map[string]any{{"indicator_code": "1.2.1.2", "region_code": "330203", "period": period, "value": 1}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "rows[1].indicator_code") // not in the tree in force
		ts.as(t, "ent_hs", "POST", survey, map[string]any{"answers": map[string]int{"2.1.2": 5}}).want(http.StatusOK)
		ts.as(t, "ent_hs_town", "POST", survey, map[string]any{"answers": map[string]int{"2.1.2": 4}}).want(http.StatusOK)
		ts.as(t, "ent_yz", "POST", survey, map[string]any{"answers": map[string]int{"2.1.2": 4}}).want(http.StatusOK)

		// Run 2: a new version with the new tree; run 1 keeps its own.
		ts.ixConfirm(t, period) // the values changed since the first confirmation
		run2 := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()
		id2 := run2["id"].(string)
		if run2["version"] != float64(2) || run2["tree_version"] != "test-small-1" {
			t.Errorf("run 2 = version %v tree %v", run2["version"], run2["tree_version"])
		}
		if v := ixValue(t, run2, "2.1.1", "330212"); v["value"] != float64(50) || v["numerator"] != float64(1) || v["denominator"] != float64(2) {
			t.Errorf("满意率 of 鄞州 = %v, want 1/2 = 50", v)
		}
		if v := ixValue(t, run2, "2.1.2", "330203"); v["value"] != 4.5 || v["n"] != float64(2) {
			t.Errorf("survey mean of 海曙 (its town included) = %v, want 4.5 over 2", v)
		}
		if v := ixValue(t, run2, "2.1.2", "330203-T01"); v["value"] != float64(4) || v["n"] != float64(1) {
			t.Errorf("survey mean of 集士港镇 = %v, want 4 over 1", v)
		}
		if got := ts.as(t, "acfic_city", "GET", runs+"/"+id1, nil).want(http.StatusOK).body; !bytes.Equal(got, frozen) {
			t.Error("the published run 1 changed after the tree, the values and the answers did")
		}
		if public := ts.do(t, "", "GET", "/api/v1/index/"+period, nil).want(http.StatusOK).obj(); public["version"] != float64(1) {
			t.Errorf("the public index shows version %v before run 2 is published", public["version"])
		}
		ts.as(t, "acfic_city", "POST", runs+"/"+id2+"/publish", nil).want(http.StatusOK)
		public = ts.do(t, "", "GET", "/api/v1/index/"+period, nil).want(http.StatusOK).obj()
		if public["version"] != float64(2) || public["tree_version"] != "test-small-1" {
			t.Fatalf("public index = version %v tree %v, want 2 test-small-1", public["version"], public["tree_version"])
		}

		// The ranking (efficacy, worked by hand): 海曙 .3·80 + .4·100 + .3·100 = 94,
		// 鄞州 .3·100 + .4·60 + .3·80 = 78; the other counties have no data.
		county := ixFind(t, public["groups"], "group", "county")["units"].([]any)
		if got := ixCodes(county, "code")[:2]; !slices.Equal(got, []string{"330203", "330212"}) {
			t.Errorf("county ranking starts %v", got)
		}
		first, second, third := county[0].(map[string]any), county[1].(map[string]any), county[2].(map[string]any)
		ixNear(t, "海曙 total", first["total"], 94)
		ixNear(t, "鄞州 total", second["total"], 78)
		if first["rank"] != float64(1) || second["rank"] != float64(2) || first["n"] != float64(2) || first["name"] != "海曙区" {
			t.Errorf("ranks: %v %v", first, second)
		}
		if third["rank"] != nil || third["note"] != index.NotRanked {
			t.Errorf("a county without data = %v, want %s", third, index.NotRanked)
		}
		if l1 := ixFind(t, first["level1"], "code", "2"); l1["name"] != "亲近关系" || l1["rank"] != float64(1) {
			t.Errorf("海曙 level 1 亲近关系 = %v", l1)
		}

		// 海曙's report: every level, strengths and weaknesses, both lists.
		rep := ts.do(t, "", "GET", "/api/v1/index/"+period+"/regions/330203", nil).want(http.StatusOK).obj()
		if r := rep["region"].(map[string]any); r["name"] != "海曙区" || r["group"] != "county" || rep["rank"] != float64(1) {
			t.Errorf("report header = %v rank %v", r, rep["rank"])
		}
		if s := ixFind(t, rep["scores"], "code", "2.1.1"); s["level"] != float64(3) || s["raw"] != float64(100) || s["rank"] != float64(1) || s["n"] != float64(2) {
			t.Errorf("海曙 2.1.1 = %v", s)
		}
		if got := ixCodes(rep["strengths"], "code"); !slices.Equal(got, []string{"2", "2.1", "3", "3.1"}) {
			t.Errorf("海曙 strengths (比较优势) = %v", got)
		}
		if got := ixCodes(rep["weaknesses"], "code"); !slices.Equal(got, []string{"1", "1.1"}) {
			t.Errorf("海曙 weaknesses (短板不足) = %v", got)
		}
		if got := ixCodes(rep["promote"], "code"); !slices.Equal(got, []string{"2.1.1", "2.1.2", "3.1.1"}) {
			t.Errorf("海曙 成绩推广清单 = %v", got)
		}
		rect := rep["rectify"].([]any)
		if len(rect) != 1 {
			t.Fatalf("海曙 问题整改清单 = %v", rect)
		}
		gap := rect[0].(map[string]any)
		if gap["code"] != "1.1.1" || gap["kind"] != "gap" || gap["owner_name"] == nil {
			t.Errorf("海曙 整改 item = %v", gap)
		}
		ixNear(t, "score gap", gap["score_gap"], 40)
		ixNear(t, "raw gap", gap["raw_gap"], 2)
		ixNear(t, "weighted shortfall", gap["weighted_shortfall"], 6)
		if b := gap["benchmarks"].([]any); len(b) != 1 || b[0].(map[string]any)["name"] != "鄞州区" {
			t.Errorf("benchmarks = %v", b)
		}

		// 鄞州: the missing 1.1.2 is shown missing, drops out of 1.1 (which
		// is then 1.1.1's score, not half of it), and is a data item.
		yzRep := ts.do(t, "", "GET", "/api/v1/index/"+period+"/regions/330212", nil).want(http.StatusOK).obj()
		miss := ixFind(t, yzRep["scores"], "code", "1.1.2")
		if miss["missing"] != true || miss["reason"] != index.ReasonNotSubmitted || miss["score"] != nil || miss["note"] != index.NotRanked {
			t.Errorf("鄞州 1.1.2 = %v", miss)
		}
		ixNear(t, "鄞州 1.1 (available-case mean)", ixFind(t, yzRep["scores"], "code", "1.1")["score"], 100)
		yzRect := yzRep["rectify"].([]any)
		if got := ixCodes(yzRect, "code"); !slices.Equal(got, []string{"2.1.1", "2.1.2", "3.1.1", "1.1.2"}) {
			t.Errorf("鄞州 问题整改清单 = %v (gaps by weighted shortfall, then data items)", got)
		}
		if data := yzRect[3].(map[string]any); data["kind"] != "data" || data["owner"] != "fy" || data["reason"] != index.ReasonNotSubmitted {
			t.Errorf("鄞州 data item = %v", data)
		}
		ts.do(t, "", "GET", "/api/v1/index/"+period+"/regions/999999", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.do(t, "", "GET", "/api/v1/index/2025-Q1/regions/330203", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.do(t, "", "GET", "/api/v1/index/someday", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.do(t, "", "GET", "/api/v1/index/"+period+"?colour=red", nil).wantProblem(http.StatusBadRequest, "validation_failed")

		// Exports: CSV with a BOM, XLSX that opens with Chinese intact.
		csvRes := ts.do(t, "", "GET", "/api/v1/index/"+period+"/export.csv", nil).want(http.StatusOK)
		if !bytes.HasPrefix(csvRes.body, []byte("\xef\xbb\xbf")) || !strings.Contains(string(csvRes.body), "海曙区") ||
			!strings.Contains(string(csvRes.body), index.NotRanked) || !strings.Contains(string(csvRes.body), "\r\n") {
			t.Errorf("export.csv: %.300q", csvRes.body)
		}
		if cd := csvRes.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".csv") {
			t.Errorf("Content-Disposition %q", cd)
		}
		xlsx := ts.do(t, "", "GET", "/api/v1/index/"+period+"/export.xlsx", nil).want(http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(xlsx.body))
		if err != nil {
			t.Fatalf("export.xlsx does not open: %v", err)
		}
		defer f.Close()
		if name, _ := f.GetCellValue("指数排名", "D2"); name != "海曙区" {
			t.Errorf("指数排名!D2 = %q, want 海曙区", name)
		}
		if head, _ := f.GetCellValue("指数排名", "E1"); head != "亲清健康指数" {
			t.Errorf("指数排名!E1 = %q", head)
		}
		lists, _ := f.GetRows("两张清单")
		var kinds []string
		for _, row := range lists[1:] {
			kinds = append(kinds, row[3])
		}
		if !slices.Contains(kinds, "成绩推广清单") || !slices.Contains(kinds, "问题整改清单") {
			t.Errorf("两张清单 has %v", kinds)
		}

		// Publishing an older draft after a newer version is refused.
		id3 := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
		id4 := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
		ts.as(t, "acfic_city", "POST", runs+"/"+id4+"/publish", nil).want(http.StatusOK)
		ts.as(t, "acfic_city", "POST", runs+"/"+id3+"/publish", nil).wantProblem(http.StatusConflict, "conflict")
		if v := ts.do(t, "", "GET", "/api/v1/index/"+period, nil).want(http.StatusOK).obj()["version"]; v != float64(4) {
			t.Errorf("public version = %v, want 4", v)
		}
		list := ts.as(t, "acfic_city", "GET", runs+"?period="+period+"&status=draft", nil).want(http.StatusOK).obj()
		if got := ixCodes(list["items"], "id"); !slices.Equal(got, []string{id3}) {
			t.Errorf("draft runs = %v, want [%s]", got, id3)
		}
		all := ts.as(t, "acfic_city", "GET", runs+"?page_size=2", nil).want(http.StatusOK).obj()
		if got := ixCodes(all["items"], "id"); !slices.Equal(got, []string{id4, id3}) || all["next_cursor"] == nil {
			t.Errorf("runs page = %v next %v", got, all["next_cursor"])
		}
		ts.as(t, "acfic_city", "GET", runs+"?status=final", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_hs", "GET", runs, nil).wantProblem(http.StatusForbidden, "forbidden")
	})
}

// TestIndexTreeAsYAML: 工商联 may upload the tree as YAML, in the format
// of configs/indicators.yaml, and read it back as JSON.
func TestIndexTreeAsYAML(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	yaml := "version: y1\nmin_cases: 2\nindicators:\n" +
		"  - {code: \"1\", name: 亲近关系, weight: 1, direction: higher, unit: \"%\", source: tracker, tracker_code: T06}\n"
	ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", yaml, "Content-Type", "application/yaml").want(http.StatusOK)
	var tree struct {
		Version      string         `json:"version"`
		Method       string         `json:"method"`
		MinCases     int            `json:"min_cases"`
		MinResponses map[string]int `json:"min_responses"`
	}
	ts.as(t, "station_hs", "GET", "/api/v1/indicators", nil).want(http.StatusOK).decode(&tree)
	if tree.Version != "y1" || tree.Method != "efficacy" || tree.MinCases != 2 || tree.MinResponses["town"] != 10 {
		t.Errorf("tree = %+v", tree)
	}
	ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", "version: y2\nindicators: [", "Content-Type", "application/yaml").
		wantProblem(http.StatusBadRequest, "validation_failed")
	ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", yaml, "Content-Type", "text/csv").
		wantProblem(http.StatusUnsupportedMediaType, "unsupported_media_type")
	ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", map[string]any{"version": "z", "colour": 1, "indicators": []any{}}).
		wantProblem(http.StatusBadRequest, "validation_failed")
}
