package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsoleNotices: the 通知 page lists the account's own notices with a
// link to the case, and one button marks them read.
func TestConsoleNotices(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)

		dept := ts.consoleAs(t, "dept_hs_scjg")
		home := dept.get("/").want(t, http.StatusOK)
		if !strings.Contains(home.body, `href="/notices"`) {
			t.Error("the menu has no 通知")
		}
		dept.get("/notices").want(t, http.StatusOK).wantText(t, "未读通知 <b>1</b> 条", "新交办诉求", `href="/requests/`+id+`"`, "全部标为已读")
		// Another account sees none of it.
		if body := ts.consoleAs(t, "dept_hs_sw").get("/notices").want(t, http.StatusOK).body; strings.Contains(body, "新交办诉求") {
			t.Error("another unit's account sees the notice")
		}
		dept.post("/notices/read-all", url.Values{}).wantRedirect(t, "/notices?done=notices_read")
		dept.get("/notices?done=notices_read").want(t, http.StatusOK).wantText(t, "通知已全部标为已读", "未读通知 <b>0</b> 条")
		if n := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices", nil).want(http.StatusOK).obj()["unread_count"]; n != float64(0) {
			t.Errorf("unread after marking all read: %v", n)
		}
	})
}
