package api_test

import (
	"net/http"
	"testing"
)

// TestRequestLoop carries a request from filing to closed through every
// role's hands, with a 退回 and a 重办 on the way, and checks the timeline.
func TestRequestLoop(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		r := ts.fileRequest(t, "ent_hs", "")
		id := r["id"].(string)
		if r["status"] != "submitted" || r["status_label"] != "待受理" || r["due_at"] == nil || r["overdue"] != false {
			t.Fatalf("filed request: %v", r)
		}
		if ref := r["ref_no"].(string); len(ref) != len("QH-2026-000001") {
			t.Errorf("ref_no %q", ref)
		}
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203", "note": "请市场监管局办理"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "return", map[string]any{"reason": "不属于本单位职责"}).want(http.StatusOK)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "claim", nil).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已受理，请于周三前来窗口领取。"}).want(http.StatusOK)
		got := ts.act(t, "ent_hs", id, "evaluate", map[string]any{"score": 2, "comment": "窗口排队太久"}).want(http.StatusOK).obj()
		if got["status"] != "in_progress" || got["reopen_count"] != float64(1) || got["return_count"] != float64(1) {
			t.Fatalf("after unsatisfied evaluation: %v", got)
		}
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已安排专人上门送达。"}).want(http.StatusOK)
		got = ts.act(t, "ent_hs", id, "evaluate", map[string]any{"score": 5}).want(http.StatusOK).obj()
		if got["status"] != "closed" || got["status_label"] != "已办结" || got["due_at"] != nil {
			t.Fatalf("closed request: %v", got)
		}
		ev := ts.as(t, "ent_hs", "GET", reqPath(id, "/events"), nil).want(http.StatusOK).obj()
		var actions []string
		for _, e := range ev["items"].([]any) {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		want := []string{"create", "assign", "return", "assign", "claim", "respond", "evaluate", "respond", "evaluate"}
		if len(actions) != len(want) {
			t.Fatalf("timeline %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("timeline %v, want %v", actions, want)
			}
		}
	})
}
