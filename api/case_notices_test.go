package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Notices of case events: each party is told what it must act on, once,
// and a lead's notices never carry its content nor reach its subject.

// noticesOf is user's notices, newest first: kind → object id.
func noticesOf(t *testing.T, ts *testServer, user string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, x := range ts.as(t, user, "GET", "/api/v1/me/notices?page_size=100", nil).want(http.StatusOK).obj()["items"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// countNotices counts user's notices of kind about object id.
func countNotices(t *testing.T, ts *testServer, user, kind, id string) int {
	t.Helper()
	n := 0
	for _, x := range noticesOf(t, ts, user) {
		if x["kind"] == kind && x["object_id"] == id {
			n++
		}
	}
	return n
}

func TestRequestNotices(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203",
			"co_units": []map[string]any{{"department_code": "sw", "region_code": "330203"}}}).want(http.StatusOK)
		for user, kind := range map[string]string{"dept_hs_scjg": "request_assigned", "dept_hs_sw": "request_co_handling"} {
			if n := countNotices(t, ts, user, kind, id); n != 1 {
				t.Errorf("%s has %d %s notices of the request, want 1", user, n, kind)
			}
		}
		// Others are not told; the one who assigned is not told of it.
		for _, user := range []string{"dept_yz_scjg", "dept_city_scjg", "acfic_hs", "ent_hs"} {
			if n := countNotices(t, ts, user, "request_assigned", id); n != 0 {
				t.Errorf("%s was told of the assignment", user)
			}
		}
		ts.act(t, "dept_hs_scjg", id, "claim", nil).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "request_extension", map[string]any{"days": 3, "reason": "需现场核查"}).want(http.StatusOK)
		if n := countNotices(t, ts, "acfic_hs", "extension_asked", id); n != 1 {
			t.Errorf("工商联 has %d extension notices", n)
		}
		ts.act(t, "acfic_hs", id, "approve_extension", nil).want(http.StatusOK)
		if n := countNotices(t, ts, "dept_hs_scjg", "extension_decided", id); n != 1 {
			t.Errorf("the unit has %d extension decisions", n)
		}
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已办理。"}).want(http.StatusOK)
		ns := noticesOf(t, ts, "ent_hs")
		if len(ns) == 0 || ns[0]["kind"] != "request_responded" || !strings.Contains(ns[0]["body"].(string), "前评价") ||
			ns[0]["kind_label"] != "诉求已答复" || ns[0]["link"] != "/api/v1/requests/"+id {
			t.Errorf("the enterprise's newest notice %v", ns)
		}

		// The scanner: overdue → the unit handling the step and 工商联, once.
		other := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", other, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		qaAdvance(ts, 10*24*time.Hour)
		for range 2 {
			if _, err := ts.store.Scan(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		for _, user := range []string{"dept_hs_scjg", "acfic_hs"} {
			if n := countNotices(t, ts, user, "request_overdue", other); n != 1 {
				t.Errorf("%s has %d overdue notices of the request, want 1", user, n)
			}
		}
		if n := countNotices(t, ts, "dept_hs_sw", "request_overdue", other); n != 0 {
			t.Errorf("another unit was told of the overdue request")
		}
	})
}

func TestLeadNoticesKeepConfidences(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := lzWorld(t, ts)
		// L5 names insp_hs as its subject; its propose/decide notices go to
		// the other inspectors only.
		ts.as(t, "insp_city", "POST", "/api/v1/leads/"+w["L5"]+"/transitions", map[string]any{"action": "propose_disposal",
			"disposal": "shelved", "assessment": "线索不实，暂存待查"}).want(http.StatusOK)
		if n := countNotices(t, ts, "insp_hs", "lead_proposal", w["L5"]); n != 0 {
			t.Error("the lead's subject was told of a proposal about it")
		}
		if n := countNotices(t, ts, "insp_city", "lead_proposal", w["L5"]); n != 0 {
			t.Error("the proposer was told of its own proposal")
		}
		// The rectifying unit of L1 is told of its task, by reference only.
		l1 := ts.as(t, "insp_city", "GET", "/api/v1/leads/"+w["L1"], nil).want(http.StatusOK).obj()
		var task map[string]any
		for _, x := range noticesOf(t, ts, "dept_hs_scjg") {
			if x["kind"] == "lead_rectify" && x["object_id"] == w["L1"] {
				task = x
			}
		}
		if task == nil {
			t.Fatalf("dept_hs_scjg has no rectification notice of L1: %v", noticesOf(t, ts, "dept_hs_scjg"))
		}
		for _, secret := range []string{l1["content"].(string), l1["subject_name"].(string)} {
			if strings.Contains(task["title"].(string)+task["body"].(string), secret) {
				t.Errorf("the notice carries the lead's %q", secret)
			}
		}
		if !strings.Contains(task["title"].(string), l1["ref_no"].(string)) {
			t.Errorf("the notice does not name the lead: %v", task)
		}
	})
}
