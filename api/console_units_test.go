package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestConsoleUnits: 工商联 and inspectors read the 红黑榜 of their region on
// the console and download its 月报; other roles have no such page.
func TestConsoleUnits(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "claim", nil).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已办理。"}).want(http.StatusOK)
		ts.act(t, "ent_hs", id, "evaluate", map[string]any{"score": 5}).want(http.StatusOK)

		for _, user := range []string{"acfic_hs", "insp_hs"} {
			cc := ts.consoleAs(t, user)
			if !strings.Contains(cc.get("/").want(t, http.StatusOK).body, `href="/units"`) {
				t.Errorf("%s's menu has no 红黑榜", user)
			}
			page := cc.get("/units?period=2026-11").want(t, http.StatusOK)
			page.wantText(t, "海曙区 市场监管局", "按期办结率", "第 1 名", `href="/units/export.xlsx?period=2026-11"`)
			res := cc.get("/units/export.xlsx?period=2026-11").want(t, http.StatusOK)
			if !strings.HasPrefix(res.header.Get("Content-Type"), "application/vnd.openxmlformats") {
				t.Errorf("%s's 月报: %q", user, res.header.Get("Content-Type"))
			}
		}
		dept := ts.consoleAs(t, "dept_hs_scjg")
		if strings.Contains(dept.get("/").want(t, http.StatusOK).body, `href="/units"`) {
			t.Error("a unit's menu offers the 红黑榜")
		}
		dept.get("/units").want(t, http.StatusForbidden)
	})
}
