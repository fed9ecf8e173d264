package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRemainingSaysItsCount: the remaining text of a request, a lead and
// the deadline board says which days it counts, by the step's limit
// (docs/design.md "Working days and calendar days"): 受理 (1 working day)
// and 答复 (5 or 15) in 工作日, 评价 (7 calendar days) and a lead's 决策
// (one month) in 自然日. (The console words deadlines the same way.)
// (Found failing: the API said 剩余 0天23小时 whatever the count.)
func TestRemainingSaysItsCount(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		remaining := func(user, path string) string {
			t.Helper()
			s, _ := ts.as(t, user, "GET", path, nil).want(http.StatusOK).obj()["remaining"].(string)
			return s
		}
		wantCount := func(what, got, count string) {
			t.Helper()
			other := map[string]string{"工作日": "自然日", "自然日": "工作日"}[count]
			if !strings.Contains(got, count) || strings.Contains(got, other) {
				t.Errorf("%s: remaining %q, want it counted in %s", what, got, count)
			}
		}
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		wantCount("a filed request (受理, 1wd)", remaining("ent_hs", "/api/v1/requests/"+id), "工作日")
		var board struct {
			Items []struct {
				ID, Remaining string
			} `json:"items"`
		}
		ts.as(t, "acfic_hs", "GET", "/api/v1/deadlines?state=all&kind=request", nil).want(http.StatusOK).decode(&board)
		found := false
		for _, it := range board.Items {
			if it.ID == id {
				found = true
				wantCount("the board's row of a filed request", it.Remaining, "工作日")
			}
		}
		if !found {
			t.Errorf("the board lists no row for request %s: %+v", id, board.Items)
		}
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "claim", nil).want(http.StatusOK)
		wantCount("a request to answer (答复, 5wd)", remaining("ent_hs", "/api/v1/requests/"+id), "工作日")
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已按政策办理。"}).want(http.StatusOK)
		wantCount("a request to evaluate (评价, 7d)", remaining("ent_hs", "/api/v1/requests/"+id), "自然日")

		lead := ts.fileLead(t, "station_hs", nil)["id"].(string)
		wantCount("a reported lead (登记, 5wd)", remaining("insp_hs", "/api/v1/leads/"+lead), "工作日")
		ts.leadAct(t, "insp_hs", lead, "register", nil).want(http.StatusOK)
		wantCount("a registered lead (决策, 1mo)", remaining("insp_hs", "/api/v1/leads/"+lead), "自然日")
	})
}
