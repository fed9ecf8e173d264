package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// rcPublish publishes 2026-11 on the small tree with 海曙 behind 鄞州 on
// 1.1.1 (统计局) and 3.1.1 (司法局) and 法院's 1.1.2 not submitted, and
// returns the ids of 海曙's three items by indicator code.
func (ts *testServer) rcPublish(t *testing.T) map[string]string {
	t.Helper()
	ts.seed(t)
	ts.ilDepartments(t)
	ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", ixSmallTree("rect-1")).want(http.StatusOK)
	const period = "2026-11"
	ts.as(t, "dept_city_tjj", "POST", "/api/v1/indicator-values", []map[string]any{
		{"indicator_code": "1.1.1", "region_code": "330203", "period": period, "value": 6},
		{"indicator_code": "1.1.1", "region_code": "330212", "period": period, "value": 8},
	}).want(http.StatusCreated)
	ts.as(t, "dept_city_sfj", "POST", "/api/v1/indicator-values", []map[string]any{
		{"indicator_code": "3.1.1", "region_code": "330203", "period": period, "value": 3.5},
		{"indicator_code": "3.1.1", "region_code": "330212", "period": period, "value": 2},
	}).want(http.StatusCreated)
	ts.ixConfirm(t, period)
	runs := "/api/v1/index/runs"
	id := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
	ts.as(t, "acfic_city", "POST", runs+"/"+id+"/publish", nil).want(http.StatusOK)
	list := ts.as(t, "acfic_city", "GET", "/api/v1/rectification-items?region_code=330203&page_size=100", nil).want(http.StatusOK).obj()
	out := map[string]string{}
	for _, x := range list["items"].([]any) {
		it := x.(map[string]any)
		out[it["indicator_code"].(string)] = it["id"].(string)
	}
	return out
}

// TestRectificationItems: publishing turns 海曙's 问题整改清单 into items
// owned by the responsible departments, due by the end of the next period;
// the owner unit reports progress, 工商联 of the region closes (销号); the
// scanner reminds once when due soon and once when overdue; refusals
// change nothing.
func TestRectificationItems(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ids := ts.rcPublish(t)
		if len(ids) != 3 || ids["1.1.1"] == "" || ids["3.1.1"] == "" || ids["1.1.2"] == "" {
			t.Fatalf("海曙's items: %v, want 1.1.1, 1.1.2 and 3.1.1", ids)
		}
		item := func(user, id string) map[string]any {
			return ts.as(t, user, "GET", "/api/v1/rectification-items/"+id, nil).want(http.StatusOK).obj()
		}
		growth := item("acfic_city", ids["1.1.1"])
		if growth["department_code"] != "tjj" || growth["kind"] != "gap" || growth["status"] != "open" ||
			growth["due_at"] != "2026-12-31T23:59:59+08:00" || growth["unit_name"] != "海曙区" ||
			!strings.Contains(growth["gap"].(string), "鄞州区") || growth["on_time"] != nil || growth["overdue"] != false {
			t.Errorf("1.1.1 item = %v", growth)
		}
		if data := item("acfic_city", ids["1.1.2"]); data["kind"] != "data" || data["department_code"] != "fy" {
			t.Errorf("1.1.2 item = %v", data)
		}
		// Each owner unit is told once; 司法局 has no account in 海曙, so its
		// city account is.
		// (海曙 统计局 also serves 集士港镇, whose 统计局 has no account.)
		if got := ts.ilNotices(t, "dept_hs_tjj", "rectify_assigned", "2026-11"); len(got) != 2 ||
			got[0]["link"] != "/api/v1/rectification-items?period=2026-11" ||
			!slices.ContainsFunc(got, func(n map[string]any) bool { return strings.Contains(n["body"].(string), "海曙区 的") }) {
			t.Errorf("海曙 统计局's notices: %v", got)
		}
		sfj := ts.ilNotices(t, "dept_city_sfj", "rectify_assigned", "2026-11")
		if !slices.ContainsFunc(sfj, func(n map[string]any) bool { return strings.Contains(n["body"].(string), "海曙区") }) {
			t.Errorf("市司法局 was not told of 海曙's item: %v", sfj)
		}

		// Who sees what.
		listIDs := func(user, query string) []string {
			return qaIDs(t, ts.as(t, user, "GET", "/api/v1/rectification-items?page_size=100"+query, nil).want(http.StatusOK))
		}
		for _, id := range listIDs("dept_hs_tjj", "") {
			if it := item("dept_hs_tjj", id); it["department_code"] != "tjj" || !strings.HasPrefix(it["unit_code"].(string), "330203") {
				t.Errorf("海曙 统计局 lists %v", it)
			}
		}
		if got := listIDs("dept_hs_tjj", ""); !slices.Contains(got, ids["1.1.1"]) || slices.Contains(got, ids["3.1.1"]) {
			t.Errorf("海曙 统计局 lists %v", got)
		}
		if got := listIDs("dept_hs_scjg", ""); len(got) != 0 {
			t.Errorf("海曙 市场监管 (owns nothing) lists %v", got)
		}
		if got := listIDs("acfic_yz", "&region_code=330203"); len(got) != 0 {
			t.Errorf("鄞州 工商联 lists 海曙's items: %v", got)
		}
		if got := listIDs("acfic_hs", "&region_code=330203"); !qaSameSet(got, []string{ids["1.1.1"], ids["1.1.2"], ids["3.1.1"]}) {
			t.Errorf("海曙 工商联 lists %v", got)
		}
		if got := listIDs("acfic_city", "&region_code=330203&department_code=sfj&status=open&period=2026-11&overdue=false"); len(got) != 1 || got[0] != ids["3.1.1"] {
			t.Errorf("filtered: %v", got)
		}
		item("insp_hs", ids["1.1.1"])
		for _, user := range []string{"acfic_yz", "insp_yz", "dept_hs_scjg", "dept_yz_scjg"} {
			ts.as(t, user, "GET", "/api/v1/rectification-items/"+ids["1.1.1"], nil).wantProblem(http.StatusNotFound, "not_found")
		}
		for _, user := range []string{"ent_hs", "station_hs", "admin"} {
			ts.as(t, user, "GET", "/api/v1/rectification-items", nil).wantProblem(http.StatusForbidden, "forbidden")
			ts.as(t, user, "GET", "/api/v1/rectification-items/"+ids["1.1.1"], nil).wantProblem(http.StatusForbidden, "forbidden")
		}
		for _, q := range []string{"?status=done", "?overdue=maybe", "?period=2026-13", "?region_code=999999", "?department_code=nobody", "?colour=red"} {
			ts.as(t, "acfic_city", "GET", "/api/v1/rectification-items"+q, nil).wantProblem(http.StatusBadRequest, "validation_failed")
		}
		ts.as(t, "dept_hs_tjj", "GET", "/api/v1/rectification-items?department_code=fy", nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "acfic_city", "GET", "/api/v1/rectification-items/999999", nil).wantProblem(http.StatusNotFound, "not_found")

		// Progress reports: the owner unit only.
		reports := "/api/v1/rectification-items/" + ids["1.1.1"] + "/reports"
		for _, user := range []string{"acfic_hs", "insp_hs", "ent_hs", "admin"} {
			ts.as(t, user, "POST", reports, map[string]any{"content": "进展"}).wantProblem(http.StatusForbidden, "forbidden")
		}
		for _, user := range []string{"dept_hs_scjg", "dept_yz_scjg"} {
			ts.as(t, user, "POST", reports, map[string]any{"content": "进展"}).wantProblem(http.StatusNotFound, "not_found")
		}
		ts.as(t, "dept_hs_tjj", "POST", reports, map[string]any{"content": "  "}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "content")
		ts.as(t, "dept_hs_tjj", "POST", reports, map[string]any{"content": "进展", "status": "closed"}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "dept_hs_tjj", "POST", reports, map[string]any{"content": "进展", "expected_version": 7}).wantProblem(http.StatusConflict, "conflict")
		if it := item("acfic_city", ids["1.1.1"]); it["report_count"] != float64(0) || it["version"] != float64(1) {
			t.Errorf("refused reports changed the item: %v", it)
		}
		rep := ts.as(t, "dept_hs_tjj", "POST", reports, map[string]any{"content": "已开展民营经济专项调研 📈", "expected_version": 1}).
			want(http.StatusCreated).obj()
		if rep["report_count"] != float64(1) || rep["last_report_at"] == nil || rep["version"] != float64(2) {
			t.Errorf("after the report: %v", rep)
		}
		if got := item("acfic_hs", ids["1.1.1"])["reports"].([]any); len(got) != 1 || got[0].(map[string]any)["content"] != "已开展民营经济专项调研 📈" {
			t.Errorf("reports: %v", got)
		}
		if got := ts.ilNotices(t, "acfic_hs", "rectify_reported", ids["1.1.1"]); len(got) != 1 {
			t.Errorf("海曙 工商联 was not told of the report: %v", got)
		}

		// 销号: 工商联 of the region, after a report, with a note.
		closeOf := func(id string) string { return "/api/v1/rectification-items/" + id + "/close" }
		for _, user := range []string{"dept_hs_tjj", "insp_hs", "ent_hs", "admin"} {
			ts.as(t, user, "POST", closeOf(ids["1.1.1"]), map[string]any{"note": "同意销号"}).wantProblem(http.StatusForbidden, "forbidden")
		}
		ts.as(t, "acfic_yz", "POST", closeOf(ids["1.1.1"]), map[string]any{"note": "同意销号"}).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "acfic_hs", "POST", closeOf(ids["1.1.1"]), map[string]any{}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "note")
		p := ts.as(t, "acfic_hs", "POST", closeOf(ids["3.1.1"]), map[string]any{"note": "同意销号"}).wantProblem(http.StatusConflict, "invalid_transition")
		if !strings.Contains(p.Detail, "尚未报送整改进展") {
			t.Errorf("closing without a report: %q", p.Detail)
		}
		closed := ts.as(t, "acfic_hs", "POST", closeOf(ids["1.1.1"]), map[string]any{"note": "整改到位，同意销号"}).want(http.StatusOK).obj()
		if closed["status"] != "closed" || closed["on_time"] != true || closed["closed_at"] == nil || closed["close_note"] != "整改到位，同意销号" {
			t.Errorf("closed = %v", closed)
		}
		if got := ts.ilNotices(t, "dept_hs_tjj", "rectify_closed", ids["1.1.1"]); len(got) != 1 {
			t.Errorf("the owner unit was not told of the 销号: %v", got)
		}
		ts.as(t, "acfic_hs", "POST", closeOf(ids["1.1.1"]), map[string]any{"note": "再次"}).wantProblem(http.StatusConflict, "invalid_transition")
		ts.as(t, "dept_hs_tjj", "POST", reports, map[string]any{"content": "补充"}).wantProblem(http.StatusConflict, "invalid_transition")

		// Reminders of the open items: once due soon, once overdue.
		qaAdvance(ts, 36*24*time.Hour) // 2026-12-31 10:00, due that day 23:59:59
		ts.ilScan(t)
		ts.ilScan(t)
		if got := ts.ilNotices(t, "dept_city_sfj", "rectify_due_soon", ids["3.1.1"]); len(got) != 1 {
			t.Errorf("司法局's due-soon reminders of 海曙's item: %v", got)
		}
		if got := ts.ilNotices(t, "dept_hs_tjj", "rectify_due_soon", ids["1.1.1"]); len(got) != 0 {
			t.Errorf("a closed item was reminded: %v", got)
		}
		qaAdvance(ts, 2*24*time.Hour)
		ts.ilScan(t)
		ts.ilScan(t)
		if got := ts.ilNotices(t, "dept_city_sfj", "rectify_overdue", ids["3.1.1"]); len(got) != 1 {
			t.Errorf("司法局's overdue reminders: %v", got)
		}
		if got := ts.ilNotices(t, "acfic_hs", "rectify_overdue", ids["3.1.1"]); len(got) != 1 {
			t.Errorf("海曙 工商联's overdue reminders: %v", got)
		}
		if got := listIDs("acfic_hs", "&overdue=true&region_code=330203"); !qaSameSet(got, []string{ids["1.1.2"], ids["3.1.1"]}) {
			t.Errorf("overdue items: %v", got)
		}
		if it := item("acfic_hs", ids["3.1.1"]); it["overdue"] != true {
			t.Errorf("3.1.1 = %v", it)
		}

		// T13 of December, the month the items fell due in: of 海曙's items
		// (its towns' included), one closed on time.
		due := len(listIDs("acfic_hs", ""))
		stats := ts.as(t, "acfic_hs", "GET", "/api/v1/stats?region_code=330203&period=2026-12", nil).want(http.StatusOK).obj()
		t13 := ixFind(t, stats["indicators"], "code", "T13")
		if t13["numerator"] != float64(1) || t13["denominator"] != float64(due) || t13["name"] != "整改清单按期销号率" {
			t.Errorf("T13 = %v, want 1/%d", t13, due)
		}
		if nov := ixFind(t, ts.as(t, "acfic_hs", "GET", "/api/v1/stats?region_code=330203&period=2026-11", nil).want(http.StatusOK).obj()["indicators"],
			"code", "T13"); nov["missing"] != true {
			t.Errorf("T13 of November (no item due) = %v", nov)
		}

		// A tree with T13 scores it in December's index: the November
		// index's rectification is an indicator of the next period.
		tree := ixSmallTree("rect-2")
		leaf := tree["indicators"].([]any)[2].(map[string]any)["children"].([]map[string]any)[0]["children"].([]map[string]any)[1]
		leaf["name"], leaf["tracker_code"] = "整改清单按期销号率", "T13"
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", tree).want(http.StatusOK)
		ts.ixConfirm(t, "2026-12")
		run := ts.as(t, "acfic_city", "POST", "/api/v1/index/runs", map[string]string{"period": "2026-12"}).want(http.StatusCreated).obj()
		v := ixValue(t, run, "3.1.2", "330203")
		ixNear(t, "海曙's T13 in the December run", v["value"], 100/float64(due))
		if v["numerator"] != float64(1) || v["denominator"] != float64(due) {
			t.Errorf("海曙's T13 in the December run = %v", v)
		}
	})
}
