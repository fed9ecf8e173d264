package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"qinqing/model"
)

// ixConfirm opens period's collection (when it is not open yet) and
// confirms its values as they stand, missing ones accepted, as 工商联 at
// the city: what publishing a run of the period needs.
func (ts *testServer) ixConfirm(t testing.TB, period string) {
	t.Helper()
	if res := ts.as(t, "acfic_city", "POST", "/api/v1/index/periods", map[string]string{"period": period}); res.status != http.StatusCreated {
		res.wantProblem(http.StatusConflict, "conflict")
	}
	ts.as(t, "acfic_city", "POST", "/api/v1/index/periods/"+period+"/confirm", map[string]bool{"accept_missing": true}).want(http.StatusOK)
}

// ilNotices returns user's notices of kind about object id.
func (ts *testServer) ilNotices(t *testing.T, user, kind, id string) []map[string]any {
	t.Helper()
	l := ts.as(t, user, "GET", "/api/v1/me/notices?page_size=100", nil).want(http.StatusOK).obj()
	var out []map[string]any
	for _, x := range l["items"].([]any) {
		if m := x.(map[string]any); m["kind"] == kind && m["object_id"] == id {
			out = append(out, m)
		}
	}
	return out
}

// ilScan runs one scanner pass.
func (ts *testServer) ilScan(t *testing.T) model.ScanResult {
	t.Helper()
	res, err := ts.store.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// ilDepartments adds department accounts of the small tree's owners.
func (ts *testServer) ilDepartments(t *testing.T) {
	t.Helper()
	for _, u := range []struct{ name, region, dept string }{
		{"dept_city_tjj", "330200", "tjj"}, {"dept_hs_tjj", "330203", "tjj"}, {"dept_city_fy", "330200", "fy"},
		{"dept_city_sfj", "330200", "sfj"},
	} {
		res := ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": u.name, "password": testPassword,
			"role": "department", "region_code": u.region, "department_code": u.dept}).want(http.StatusCreated)
		ts.ids["user_"+u.name] = res.obj()["id"].(string)
	}
}

// TestIndexSubmissions: 工商联 opens a period's collection; departments
// see their own progress; the scanner reminds the departments that owe
// values once before the due date and once after it; 工商联 confirms the
// values (knowingly with some missing), and only a run computed after a
// confirmation that no later submission voided is published.
func TestIndexSubmissions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.ilDepartments(t)
		ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", ixSmallTree("loop-1")).want(http.StatusOK)
		const period = "2026-11"
		periods := "/api/v1/index/periods"
		subs := periods + "/" + period + "/submissions"
		due := "2026-11-27T17:00:00+08:00"

		// Opening: 工商联 at the city only, a begun period, a future due date.
		for _, user := range []string{"acfic_hs", "dept_city_tjj", "insp_city", "ent_hs", "admin"} {
			ts.as(t, user, "POST", periods, map[string]any{"period": period}).wantProblem(http.StatusForbidden, "forbidden")
		}
		ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": "2027-01"}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "period")
		ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": period, "due_at": "2026-11-01T17:00:00+08:00"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "due_at")
		ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": period, "due_at": "tomorrow"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "due_at")
		ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": period, "status": "confirmed"}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_city", "GET", subs, nil).wantProblem(http.StatusNotFound, "not_found")
		opened := ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": period, "due_at": due}).want(http.StatusCreated).obj()
		if opened["due_at"] != due || opened["confirmed"] != false || opened["confirmation"] != "not_confirmed" || opened["overdue"] != false {
			t.Errorf("opened = %v", opened)
		}
		ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": period}).wantProblem(http.StatusConflict, "conflict")
		// The default due date: 10 working days after the period ends.
		def := ts.as(t, "acfic_city", "POST", periods, map[string]any{"period": "2026-10"}).want(http.StatusCreated).obj()
		if def["due_at"] != "2026-11-13T23:59:59+08:00" {
			t.Errorf("2026-10 due by default at %v", def["due_at"])
		}

		ts.as(t, "dept_city_tjj", "POST", "/api/v1/indicator-values", []map[string]any{
			{"indicator_code": "1.1.1", "region_code": "330203", "period": period, "value": 6},
			{"indicator_code": "1.1.1", "region_code": "330212", "period": period, "value": 8},
		}).want(http.StatusCreated)

		// 工商联 sees every department; 28 units × 3 submitted leaves.
		all := ts.as(t, "acfic_city", "GET", subs, nil).want(http.StatusOK).obj()
		sum := all["summary"].(map[string]any)
		if sum["expected"] != float64(84) || sum["on_time"] != float64(2) || sum["pending"] != float64(82) || len(all["items"].([]any)) != 84 {
			t.Errorf("summary = %v", sum)
		}
		tjj := ixFind(t, all["departments"], "department_code", "tjj")
		if tjj["on_time"] != float64(2) || tjj["status"] != "pending" || tjj["department_name"] == "tjj" {
			t.Errorf("统计局 = %v", tjj)
		}
		// A department sees its own department in its own region.
		mine := ts.as(t, "dept_hs_tjj", "GET", subs, nil).want(http.StatusOK).obj()
		items := mine["items"].([]any)
		if len(items) == 0 || len(mine["departments"].([]any)) != 1 {
			t.Fatalf("海曙 统计局 sees %v", mine)
		}
		for _, x := range items {
			it := x.(map[string]any)
			if it["department_code"] != "tjj" || !strings.HasPrefix(it["unit_code"].(string), "330203") {
				t.Errorf("海曙 统计局 sees %v", it)
			}
		}
		if n := len(ts.as(t, "dept_hs_sw", "GET", subs, nil).want(http.StatusOK).obj()["items"].([]any)); n != 0 {
			t.Errorf("税务 (no indicator in the tree) sees %d items", n)
		}
		ts.as(t, "dept_hs_tjj", "GET", subs+"?department_code=fy", nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "acfic_city", "GET", subs+"?department_code=nobody", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_city", "GET", subs+"?colour=red", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		if n := len(ts.as(t, "acfic_city", "GET", subs+"?department_code=fy", nil).want(http.StatusOK).obj()["items"].([]any)); n != 28 {
			t.Errorf("法院's items: %d, want 28", n)
		}
		for _, user := range []string{"acfic_hs", "insp_city", "ent_hs", "station_hs", "admin"} {
			ts.as(t, user, "GET", subs, nil).wantProblem(http.StatusForbidden, "forbidden")
		}
		ts.as(t, "acfic_city", "GET", periods+"/2026-09/submissions", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "acfic_city", "GET", periods+"/soon/submissions", nil).wantProblem(http.StatusNotFound, "not_found")

		// Reminders: none two days ahead; once when due soon; once when overdue.
		// (2026-10, opened past its due date, is overdue at once: its
		// reminders go out to the four owing accounts.)
		if res := ts.ilScan(t); res.Notices != 4 || len(ts.ilNotices(t, "dept_city_tjj", "submission_due_soon", period)) != 0 {
			t.Errorf("the scan two days ahead sent %d notices", res.Notices)
		}
		if got := ts.ilNotices(t, "dept_city_tjj", "submission_overdue", "2026-10"); len(got) != 1 {
			t.Errorf("2026-10's overdue reminders: %v", got)
		}
		qaAdvance(ts, 32*time.Hour) // Thursday 18:00, due Friday 17:00
		ts.ilScan(t)
		ts.ilScan(t)
		for _, user := range []string{"dept_city_tjj", "dept_hs_tjj", "dept_city_fy", "dept_city_sfj"} {
			got := ts.ilNotices(t, user, "submission_due_soon", period)
			if len(got) != 1 || !strings.Contains(got[0]["title"].(string), period) || !strings.Contains(got[0]["body"].(string), "尚有") ||
				got[0]["link"] != "/api/v1/index/periods/"+period+"/submissions" {
				t.Errorf("%s's due-soon reminders: %v", user, got)
			}
		}
		for _, user := range []string{"dept_hs_scjg", "dept_city_scjg", "acfic_city"} {
			if got := ts.ilNotices(t, user, "submission_due_soon", period); len(got) != 0 {
				t.Errorf("%s owes nothing but was reminded: %v", user, got)
			}
		}
		// 统计局 of 海曙 is reminded only of 海曙's values, not 鄞州's.
		if body := ts.ilNotices(t, "dept_hs_tjj", "submission_due_soon", period)[0]["body"].(string); strings.Contains(body, "鄞州") {
			t.Errorf("海曙 统计局's reminder names 鄞州: %s", body)
		}
		qaAdvance(ts, 24*time.Hour) // Friday 18:00: overdue
		ts.ilScan(t)
		ts.ilScan(t)
		if got := ts.ilNotices(t, "dept_city_fy", "submission_overdue", period); len(got) != 1 {
			t.Errorf("法院's overdue reminders: %v", got)
		}
		if got := ts.ilNotices(t, "dept_city_fy", "submission_due_soon", period); len(got) != 1 {
			t.Errorf("法院 was reminded again before the due date: %v", got)
		}
		ts.ixCSV(t, "dept_city_fy", "indicator_code,region_code,period,value\n1.1.2,330203,2026-11,0.5\n").want(http.StatusCreated)
		late := ts.as(t, "acfic_city", "GET", subs+"?department_code=fy", nil).want(http.StatusOK).obj()
		if it := ixFind(t, late["items"], "unit_code", "330203"); it["status"] != "late" || it["first_submitted_at"] == nil {
			t.Errorf("法院's late value = %v", it)
		}
		if fy := late["departments"].([]any)[0].(map[string]any); fy["status"] != "overdue" || fy["late"] != float64(1) || fy["overdue"] != float64(27) {
			t.Errorf("法院 = %v", fy)
		}
		if late["overdue"] != true {
			t.Errorf("the period past its due date, unconfirmed, is not overdue: %v", late["overdue"])
		}

		// The publishing gate.
		runs := "/api/v1/index/runs"
		early := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
		ts.as(t, "acfic_city", "POST", runs+"/"+early+"/publish", nil).wantProblem(http.StatusConflict, "not_confirmed")
		confirm := periods + "/" + period + "/confirm"
		for _, user := range []string{"acfic_hs", "dept_city_tjj", "insp_city", "ent_hs", "admin"} {
			ts.as(t, user, "POST", confirm, map[string]any{"accept_missing": true}).wantProblem(http.StatusForbidden, "forbidden")
		}
		p := ts.as(t, "acfic_city", "POST", confirm, nil).wantProblem(http.StatusConflict, "incomplete")
		if !strings.Contains(p.Detail, "81 项") {
			t.Errorf("incomplete detail %q does not count the 81 missing values", p.Detail)
		}
		ts.as(t, "acfic_city", "POST", confirm, map[string]any{"accept_missing": "yes"}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_city", "POST", periods+"/2026-09/confirm", map[string]any{"accept_missing": true}).wantProblem(http.StatusNotFound, "not_found")
		if st := ts.as(t, "acfic_city", "GET", subs, nil).want(http.StatusOK).obj(); st["confirmed"] != false || st["confirmed_at"] != nil {
			t.Errorf("refused confirmations changed the period: %v", st)
		}
		ok := ts.as(t, "acfic_city", "POST", confirm, map[string]any{"accept_missing": true}).want(http.StatusOK).obj()
		if ok["confirmed"] != true || ok["confirmed_missing"] != float64(81) || ok["overdue"] != false {
			t.Errorf("confirmed = %v", ok)
		}
		// A run computed before the confirmation is not published.
		p = ts.as(t, "acfic_city", "POST", runs+"/"+early+"/publish", nil).wantProblem(http.StatusConflict, "not_confirmed")
		if !strings.Contains(p.Detail, "重新测算") {
			t.Errorf("detail %q", p.Detail)
		}
		// A submission after the confirmation voids it.
		qaAdvance(ts, time.Minute)
		ts.as(t, "dept_city_sfj", "POST", "/api/v1/indicator-values", []map[string]any{
			{"indicator_code": "3.1.1", "region_code": "330203", "period": period, "value": 2}}).want(http.StatusCreated)
		if st := ts.as(t, "acfic_city", "GET", subs, nil).want(http.StatusOK).obj(); st["confirmed"] != false || st["confirmation"] != "values_changed" {
			t.Errorf("after a later submission: %v", st)
		}
		stale := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
		ts.as(t, "acfic_city", "POST", runs+"/"+stale+"/publish", nil).wantProblem(http.StatusConflict, "not_confirmed")
		ts.as(t, "acfic_city", "POST", confirm, map[string]any{"accept_missing": true}).want(http.StatusOK)
		good := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
		ts.as(t, "acfic_city", "POST", runs+"/"+good+"/publish", nil).want(http.StatusOK)
		// A period never opened cannot be published.
		other := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": "2026-09"}).want(http.StatusCreated).obj()["id"].(string)
		ts.as(t, "acfic_city", "POST", runs+"/"+other+"/publish", nil).wantProblem(http.StatusConflict, "not_confirmed")
		// A confirmed period sends no more reminders.
		before := len(ts.ilNotices(t, "dept_city_tjj", "submission_overdue", period))
		ts.ilScan(t)
		if after := len(ts.ilNotices(t, "dept_city_tjj", "submission_overdue", period)); after != before {
			t.Errorf("reminders after confirmation: %d, then %d", before, after)
		}
	})
}
