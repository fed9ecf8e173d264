package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserIndexPublish: a department uploads its values as a CSV file
// through the console; 工商联 of the city computes the 亲清健康指数 of the
// quarter, reviews the draft (a unit's report), publishes it; a visitor
// without an account then finds the ranking and a unit's report with its
// chart. The accounts, the indicator tree and the other department's
// values are set up through the API.
func TestBrowserIndexPublish(t *testing.T) {
	a := startBrowserApp(t, map[string]string{"QINQING_ADMIN_PASSWORD": "admin-demo-2026"})
	admin := &apiClient{t: t, base: a.base}
	admin.token = admin.call("POST", "/auth/login", map[string]string{"username": "admin", "password": "admin-demo-2026"}, 200)["access_token"].(string)
	login := func(user, password string) *apiClient {
		c := &apiClient{t: t, base: a.base}
		c.token = c.call("POST", "/auth/login", map[string]string{"username": user, "password": password}, 200)["access_token"].(string)
		return c
	}
	for _, u := range []map[string]string{
		{"username": "gsl_city", "password": "gsl-city-2026", "role": "acfic", "region_code": "330200", "display_name": "宁波市工商联 周婷"},
		{"username": "tjj_city", "password": "tjj-city-2026", "role": "department", "region_code": "330200", "department_code": "tjj", "display_name": "市统计局 吴昊"},
		{"username": "sfj_city", "password": "sfj-city-2026", "role": "department", "region_code": "330200", "department_code": "sfj"},
	} {
		admin.call("POST", "/users", u, 201)
	}
	acfic := login("gsl_city", "gsl-city-2026")
	// A small tree of submitted indicators, so that the values below give
	// every district a score.
	leaf := func(code, name, dir, unit, owner string) map[string]any {
		return map[string]any{"code": code, "name": name, "weight": 0.5, "direction": dir, "unit": unit, "source": "submitted", "owner": owner}
	}
	node := func(code, name string, w float64, children ...map[string]any) map[string]any {
		return map[string]any{"code": code, "name": name, "weight": w, "children": children}
	}
	acfic.call("PUT", "/indicators", map[string]any{"version": "2026-demo-1", "method": "efficacy", "min_cases": 1,
		"indicators": []any{
			node("1", "健康发展", 0.3, node("1.1", "发展活力", 1,
				leaf("1.1.1", "民营经济增加值增速", "higher", "%", "tjj"), leaf("1.1.2", "民间投资增速", "higher", "%", "tjj"))),
			node("2", "亲近关系", 0.4, node("2.1", "政企沟通", 1,
				leaf("2.1.1", "政企恳谈会覆盖率", "higher", "%", "sfj"), leaf("2.1.2", "涉企政策兑现率", "higher", "%", "sfj"))),
			node("3", "清廉关系", 0.3, node("3.1", "清廉政府", 1,
				leaf("3.1.1", "涉企行政执法纠错率", "lower", "%", "sfj"), leaf("3.1.2", "涉企投诉办结率", "higher", "%", "sfj"))),
		}}, 200)
	counties := []string{"330203", "330205", "330206", "330211", "330212", "330213", "330225", "330226", "330281", "330282"}
	var csv strings.Builder
	var sfj []map[string]any
	csv.WriteString("\ufeffindicator_code,region_code,period,value\r\n")
	for i, r := range counties {
		x := float64((i*7)%10) + 3.5
		csv.WriteString("1.1.1," + r + ",2026-Q4," + ftoa(x) + "\r\n")
		csv.WriteString("1.1.2," + r + ",2026-Q4," + ftoa(12-x/2) + "\r\n")
		sfj = append(sfj,
			map[string]any{"indicator_code": "2.1.1", "region_code": r, "period": "2026-Q4", "value": 60 + float64((i*3)%10)*4},
			map[string]any{"indicator_code": "2.1.2", "region_code": r, "period": "2026-Q4", "value": 80 + float64((i*9)%10)*2},
			map[string]any{"indicator_code": "3.1.1", "region_code": r, "period": "2026-Q4", "value": 1 + float64((i*5)%10)/2},
			map[string]any{"indicator_code": "3.1.2", "region_code": r, "period": "2026-Q4", "value": 85 + float64((i*4)%10)})
	}
	login("sfj_city", "sfj-city-2026").call("POST", "/indicator-values", sfj, 201)
	file := filepath.Join(t.TempDir(), "统计局报送.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// 1. 市统计局 uploads its CSV file through the console.
	a.signIn("tjj_city", "tjj-city-2026")
	a.clickText("a", "指标值报送")
	a.waitText("市统计局报送的指标")
	a.do(chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{file}))
	a.clickText("button", "上传并保存")
	a.waitText("已保存 20 行")
	a.shot("department-uploads")
	a.signOut()
	// 工商联 confirms the quarter's values through the API (publishing needs it).
	gsl := login("gsl_city", "gsl-city-2026")
	gsl.call("POST", "/index/periods", map[string]any{"period": "2026-Q4"}, 201)
	gsl.call("POST", "/index/periods/2026-Q4/confirm", map[string]any{"accept_missing": true}, 200)

	// 2. 工商联 computes the quarter's index and reviews the draft.
	a.signIn("gsl_city", "gsl-city-2026")
	a.clickText("a", "亲清指数测算")
	a.waitText("尚未测算")
	a.do(chromedp.SetValue(chromedp.CSS(`form[action="/index/runs"] select[name="period"]`), "2026-Q4"))
	asked := a.acceptConfirm()
	a.clickText("button", "测算")
	a.waitText("测算完成")
	if !strings.Contains(asked(), "草稿") {
		t.Errorf("computing asked %q", asked())
	}
	if got := a.text(".run-head .badge"); got != "草稿" {
		t.Errorf("a new run shows %q, want 草稿", got)
	}
	a.waitText("区（县、市）")
	a.shot("acfic-reviews-ranking")
	a.clickText("a", "海曙区")
	a.waitText("尚未发布的测算草稿")
	a.do(chromedp.WaitVisible(chromedp.CSS(`svg.chart rect.bar`)))
	a.shot("acfic-reviews-report")
	a.clickText("a", "2026年第4季度 第 1 版")
	a.waitText("发布后不可更改")

	// Not public before it is published.
	if st := httpStatus(t, a.base+"/public/index/2026-Q4"); st != 404 {
		t.Errorf("the draft's public page answers %d, want 404", st)
	}

	asked = a.acceptConfirm()
	a.clickText("button", "发布")
	a.waitText("已发布。公众无需登录")
	if !strings.Contains(asked(), "不可更改") {
		t.Errorf("publishing asked %q", asked())
	}
	a.signOut()

	// 3. A visitor without an account: the ranking, then a unit's report.
	a.do(chromedp.Navigate(a.base + "/public/index"))
	a.clickText("a", "2026年第4季度")
	a.waitText("2026年第4季度亲清健康指数排名")
	rows := evalJS[int](a, `document.querySelectorAll("table.ranking tbody tr").length`)
	if rows < 10 {
		t.Errorf("the ranking shows %d rows, want the 10 districts and more", rows)
	}
	if first := a.text("table.ranking tbody tr:first-child td"); !strings.HasPrefix(first, "1") {
		t.Errorf("the first row's rank reads %q", first)
	}
	if n := evalJS[int](a, `document.querySelectorAll("header .who").length`); n != 0 {
		t.Errorf("the public page shows an account")
	}
	a.shot("public-ranking")
	a.clickText("a", "鄞州区")
	a.waitText("比较优势")
	a.waitText("问题整改清单")
	a.do(chromedp.WaitVisible(chromedp.CSS(`svg.chart rect.bar`)))
	a.shot("public-report")
}

// TestBrowserAdminAccount: the administrator creates an account through
// the console, resets its password, and the holder signs in with the
// one-time password, which the console makes it change first.
func TestBrowserAdminAccount(t *testing.T) {
	a := startBrowserApp(t, map[string]string{"QINQING_ADMIN_PASSWORD": "admin-demo-2026"})
	a.signIn("admin", "admin-demo-2026")
	a.clickText("a", "账号")
	a.waitText("新建账号")
	a.clickText("b", "新建账号")
	a.do(chromedp.SendKeys(chromedp.ID("username"), "scjg_haishu"),
		chromedp.SendKeys(chromedp.ID("display_name"), "海曙区市场监管局 刘洋"),
		chromedp.SetValue(chromedp.ID("role"), "department"),
		chromedp.SetValue(chromedp.ID("region_code"), "330203"),
		chromedp.SetValue(chromedp.ID("department_code"), "scjg"),
		chromedp.SendKeys(chromedp.ID("password"), "scjg-haishu-2026"))
	a.shot("admin-fills-account")
	a.clickText("button", "创建账号")
	a.waitText("已创建账号 scjg_haishu")
	a.shot("admin-created-account")

	// A department account without its department: the API's refusal,
	// the field named.
	a.clickText("b", "新建账号")
	a.do(chromedp.SendKeys(chromedp.ID("username"), "sw_haishu"),
		chromedp.SetValue(chromedp.ID("role"), "department"),
		chromedp.SetValue(chromedp.ID("region_code"), "330203"),
		chromedp.SendKeys(chromedp.ID("password"), "sw-haishu-2026"))
	a.clickText("button", "创建账号")
	a.waitText("职能部门账号必须填写此字段")
	a.shot("admin-account-refused")

	asked := a.acceptConfirm()
	a.do(chromedp.Click(chromedp.Search(`//tr[.//b[normalize-space(.)="scjg_haishu"]]//button[normalize-space(.)="重置密码"]`), chromedp.NodeVisible))
	a.waitText("已重置 scjg_haishu 的密码")
	if !strings.Contains(asked(), "scjg_haishu") {
		t.Errorf("the reset asked %q", asked())
	}
	pw := a.text(".key-once")
	if len(pw) < 16 {
		t.Fatalf("the one-time password reads %q", pw)
	}
	a.shot("admin-reset-password")
	a.signOut()

	a.do(chromedp.SendKeys(chromedp.ID("username"), "scjg_haishu"), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	a.do(chromedp.WaitVisible(chromedp.ID("new_password_confirm")))
	a.shot("holder-must-change")
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// httpStatus is the status of a GET without a session.
func httpStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
