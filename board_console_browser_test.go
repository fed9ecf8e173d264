package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDeadlineBoardAndStats: with 2-second demonstration limits,
// requests left waiting go overdue; 工商联 of the city opens the deadline
// board from 我的待办, sees them in red at the top with the count of
// overdue steps, clicks one through to its page, then opens the
// statistics page and its two charts. The requests are filed and handled
// through the API.
func TestBrowserDeadlineBoardAndStats(t *testing.T) {
	a := startBrowserApp(t, map[string]string{"QINQING_ADMIN_PASSWORD": "admin-demo-2026",
		"QINQING_DEMO_LIMIT": "2s", "QINQING_SCAN_INTERVAL": "200ms"})
	admin := &apiClient{t: t, base: a.base}
	admin.token = admin.call("POST", "/auth/login", map[string]string{"username": "admin", "password": "admin-demo-2026"}, 200)["access_token"].(string)
	login := func(user, password string) *apiClient {
		c := &apiClient{t: t, base: a.base}
		c.token = c.call("POST", "/auth/login", map[string]string{"username": user, "password": password}, 200)["access_token"].(string)
		return c
	}
	admin.call("POST", "/users", map[string]string{"username": "gsl_city", "password": "gsl-city-2026", "role": "acfic",
		"region_code": "330200", "display_name": "宁波市工商联 周婷"}, 201)
	admin.call("POST", "/users", map[string]string{"username": "scjg_city", "password": "scjg-city-2026", "role": "department",
		"region_code": "330200", "department_code": "scjg", "display_name": "市市场监管局 孙磊"}, 201)
	acfic, dept := login("gsl_city", "gsl-city-2026"), login("scjg_city", "scjg-city-2026")

	// Three districts' enterprises; each has requests answered and
	// evaluated at once (within the 2 s limits), so the statistics have
	// values to show.
	type firm struct{ uscc, name, region, user string }
	firms := []firm{
		{"91330203MA2J8K7Q3Q", "宁波甬兴机械有限公司", "330203", "yongxing"},
		{"91330212MA2H0A1BX9", "宁波甬创科技有限公司", "330212", "yongchuang"},
		{"91330205MA2G7K3L2T", "宁波江北港城物流有限公司", "330205", "gangcheng"},
	}
	ents := map[string]*apiClient{}
	for i, f := range firms {
		id := admin.call("POST", "/enterprises", map[string]string{"uscc": f.uscc, "name": f.name, "region_code": f.region,
			"contact_name": "联系人", "contact_phone": "0574-8700000" + string(rune('1'+i))}, 201)["id"].(string)
		admin.call("POST", "/users", map[string]string{"username": f.user, "password": f.user + "-2026", "role": "enterprise",
			"region_code": f.region, "enterprise_id": id}, 201)
		ents[f.user] = login(f.user, f.user+"-2026")
	}
	file := func(user, title string) string {
		return ents[user].call("POST", "/requests", map[string]string{"title": title, "content": "请协助办理。", "category": "approval"}, 201)["id"].(string)
	}
	act := func(c *apiClient, id, action string, body map[string]any) {
		if body == nil {
			body = map[string]any{}
		}
		body["action"] = action
		c.call("POST", "/requests/"+id+"/transitions", body, 200)
	}
	for i, score := range []int{5, 4, 3, 5, 4, 5} {
		user := firms[i%len(firms)].user
		id := file(user, "设备进口报关咨询")
		act(acfic, id, "assign", map[string]any{"department_code": "scjg", "region_code": "330200"})
		act(dept, id, "claim", nil)
		if i == 1 || i == 3 { // answered late: 按期办结率 below 100
			time.Sleep(2100 * time.Millisecond)
		}
		act(dept, id, "respond", map[string]any{"response": "已答复，详见附件。"})
		act(ents[user], id, "evaluate", map[string]any{"score": score})
	}
	// Two left waiting: one not accepted, one not signed for.
	file("yongxing", "厂房消防验收迟迟未安排")
	waiting := file("yongchuang", "用电增容申请")
	act(acfic, waiting, "assign", map[string]any{"department_code": "scjg", "region_code": "330200"})
	time.Sleep(3 * time.Second) // past the 2 s limits; the scanner marks them

	a.signIn("gsl_city", "gsl-city-2026")
	a.clickText("a", "期限看板 ›")
	a.waitText("已超期的办理期限")
	a.waitText("厂房消防验收迟迟未安排")
	a.waitText("用电增容申请")
	if n := a.text(".tally-red .n"); n != "2" {
		t.Errorf("the board counts %s overdue, want 2", n)
	}
	if mark := a.text("table.board tbody tr:first-child .due"); !strings.Contains(mark, "已超期") {
		t.Errorf("the first row's deadline reads %q, want 已超期…", mark)
	}
	if n := evalJS[int](a, `document.querySelectorAll("table.board .due-red").length`); n != 2 {
		t.Errorf("%d rows marked red, want the 2 overdue", n)
	}
	a.shot("board-overdue")
	a.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	a.shot("board-overdue-phone")
	a.do(chromedp.EmulateViewport(1280, 900))

	a.clickText("a", "厂房消防验收迟迟未安排")
	a.waitText("厂房消防验收迟迟未安排")
	if got := a.text(".case-head .badge"); got != "待受理" {
		t.Errorf("the overdue request shows %q, want 待受理", got)
	}
	a.waitText("已超期")
	a.shot("board-clicked-through")

	a.clickText("a", "统计")
	a.do(chromedp.WaitVisible(chromedp.CSS(`svg.chart[aria-labelledby="chart-regions-t chart-regions-d"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart[aria-labelledby="chart-trend-t chart-trend-d"]`)))
	if got := a.text(".stats tr.total th"); got != "宁波市（合计）" {
		t.Errorf("the table's total row is %q", got)
	}
	if bars := evalJS[int](a, `document.querySelectorAll("svg.chart rect.bar").length`); bars < 5 { // three districts, the city's total, and at least one month
		t.Errorf("the charts draw %d bars", bars)
	}
	a.shot("stats")
	a.do(chromedp.SetValue(chromedp.CSS(`select[name="indicator"]`), "T02"))
	a.clickText("button", "查看")
	a.waitText("按期办结率 · 按区划")
	a.shot("stats-on-time")
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](a *browserApp, expr string) T {
	a.t.Helper()
	v, err := chromedp.Run(a.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		a.shot("failure")
		a.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
