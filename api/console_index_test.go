package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Handler tests of the index pages: runs (测算、审核、发布) for 工商联 at
// the city, the tree, a department's CSV upload, the questionnaire's
// returns, and the published index without sign-in.

// upload posts a file as the form field "file", with the CSRF token of the
// last page read (csrf "" sends none).
func (cc *consoleClient) upload(path, csrf, name, body string) *page {
	cc.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if csrf != "" {
		_ = w.WriteField("csrf", csrf)
	}
	if name != "" {
		fw, _ := w.CreateFormFile("file", name)
		_, _ = io.WriteString(fw, body)
	}
	_ = w.Close()
	req, err := http.NewRequest("POST", cc.ts.url+path, &buf)
	if err != nil {
		cc.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := cc.hc.Do(req)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := &page{status: res.StatusCode, header: res.Header, body: string(b)}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		cc.csrf = m[1]
	}
	return p
}

// runCount counts the index runs stored.
func (ts *testServer) runCount(t testing.TB) int {
	t.Helper()
	return len(ts.as(t, "acfic_city", "GET", "/api/v1/index/runs", nil).want(http.StatusOK).obj()["items"].([]any))
}

// TestConsoleIndexPagesByRole: every index page answers each role as the
// API route it stands for does (200, 403, 404).
func TestConsoleIndexPagesByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		run := ts.as(t, "acfic_city", "POST", "/api/v1/index/runs", map[string]any{"period": "2026-Q4"}).want(http.StatusCreated).obj()
		id := run["id"].(string)
		users := []string{"ent_hs", "station_hs", "acfic_city", "acfic_hs", "dept_hs_scjg", "dept_city_scjg", "insp_city", "admin", "admin_hs"}
		for _, u := range users {
			cc := ts.consoleAs(t, u)
			for _, p := range []struct{ page, api string }{
				{"/index", "/api/v1/index/runs"},
				{"/index/runs/" + id, "/api/v1/index/runs/" + id},
				{"/index/runs/999999", "/api/v1/index/runs/999999"},
				{"/index/runs/" + id + "/regions/330203", "/api/v1/index/runs/" + id + "/regions/330203"},
				{"/index/runs/" + id + "/regions/999999", "/api/v1/index/runs/" + id + "/regions/999999"},
				{"/index/indicators", "/api/v1/indicators"},
				{"/index/surveys", "/api/v1/index/runs"},
			} {
				want := ts.as(t, u, "GET", p.api, nil).status
				got := cc.get(p.page)
				if got.status != want {
					t.Errorf("%s: GET %s %d, the API answers %d", u, p.page, got.status, want)
				}
				if got.status == http.StatusForbidden {
					got.wantText(t, "无权访问")
				}
			}
			// The upload form is for department accounts.
			want := http.StatusForbidden
			if strings.HasPrefix(u, "dept_") {
				want = http.StatusOK
			}
			cc.get("/index/values").want(t, want)
			// Only 工商联 at the city computes and publishes.
			before := ts.runCount(t)
			wantPost := http.StatusSeeOther
			if u != "acfic_city" {
				wantPost = http.StatusForbidden
			}
			cc.get("/")
			cc.post("/index/runs", url.Values{"period": {"2026-Q4"}}).want(t, wantPost)
			if u != "acfic_city" {
				if ts.runCount(t) != before {
					t.Errorf("%s computed a run through the console", u)
				}
				cc.post("/index/runs/"+id+"/publish", nil).want(t, http.StatusForbidden)
				cc.post("/index/periods/confirm", url.Values{"period": {"2026-Q4"}, "accept_missing": {"on"}}).want(t, http.StatusForbidden)
			}
		}
		if st := ts.as(t, "acfic_city", "GET", "/api/v1/index/runs/"+id, nil).obj()["status"]; st != "draft" {
			t.Errorf("the run is %v after the other roles tried to publish it", st)
		}
	})
}

// TestConsoleIndexRun: 工商联 computes a run, reviews it (ranking, a
// unit's draft report), publishes it; the public pages show it only once
// published, and never a draft.
func TestConsoleIndexRun(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		anon := ts.browser(t)
		anon.get("/public/index").want(t, http.StatusOK).wantText(t, "尚无已发布的亲清健康指数")
		anon.get("/public/index/2026-Q4").want(t, http.StatusNotFound)

		cc := ts.consoleAs(t, "acfic_city")
		cc.get("/").wantText(t, `href="/index"`)
		home := cc.get("/index").want(t, http.StatusOK).wantText(t, "尚未测算", `name="period"`)
		_ = home
		// A period not begun is refused in the form, naming the field.
		cc.post("/index/runs", url.Values{"period": {"2027-Q2"}}).want(t, http.StatusBadRequest).
			wantText(t, "测算期间", "期间尚未开始")
		// Confirming the period's values comes first: 409 while values are
		// missing unless accepted knowingly.
		cc.post("/index/periods/confirm", url.Values{"period": {"2026-Q4"}}).want(t, http.StatusConflict).
			wantText(t, "项指标值未报送", "接受缺失")
		cc.post("/index/periods/confirm", url.Values{"period": {"2027-Q2"}}).want(t, http.StatusBadRequest).wantText(t, "期间尚未开始")
		cc.post("/index/periods/confirm", url.Values{"period": {"2026-Q4"}, "accept_missing": {"on"}}).wantRedirect(t, "/index?done=confirmed")
		cc.get("/index?done=confirmed").want(t, http.StatusOK).wantText(t, "数据已确认")
		res := cc.post("/index/runs", url.Values{"period": {"2026-Q4"}}).wantRedirect(t, "/index/runs/")
		loc := res.header.Get("Location")
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/index/runs/"), "?done=computed")
		cc.get(loc).want(t, http.StatusOK).wantText(t, "测算完成", "草稿", "区（县、市）", "海曙区", "发布",
			`action="/index/runs/`+id+`/publish"`)
		cc.get("/index/runs/"+id+"/regions/330203").want(t, http.StatusOK).
			wantText(t, "尚未发布的测算草稿", "比较优势", "短板不足", "成绩推广清单", "问题整改清单", "<svg")
		// Drafts are never public.
		anon.get("/public/index/2026-Q4").want(t, http.StatusNotFound)
		anon.get("/public/index/2026-Q4/regions/330203").want(t, http.StatusNotFound)
		anon.get("/public/index").wantNoText(t, "2026年第4季度")

		cc.get("/index/runs/" + id)
		cc.post("/index/runs/"+id+"/publish", nil).wantRedirect(t, "/index/runs/"+id+"?done=published")
		cc.get("/index/runs/"+id+"?done=published").want(t, http.StatusOK).wantText(t, "已发布", "查看公开页面").
			wantNoText(t, `/publish"`)
		// Publishing again is the API's conflict.
		cc.post("/index/runs/"+id+"/publish", nil).want(t, http.StatusConflict).wantText(t, "已发布的指数不可更改")

		anon.get("/public/index").want(t, http.StatusOK).wantText(t, `href="/public/index/2026-Q4"`)
		anon.get("/public/index/2026-Q4").want(t, http.StatusOK).
			wantText(t, "2026年第4季度亲清健康指数排名", "海曙区", "鄞州区", `href="/public/index/2026-Q4/regions/330203"`,
				`href="/api/v1/index/2026-Q4/export.csv"`, `href="/api/v1/index/2026-Q4/export.xlsx"`).
			wantNoText(t, "csrf", "退出")
		anon.get("/public/index/2026-Q4/regions/330203").want(t, http.StatusOK).
			wantText(t, "海曙区", "比较优势", "短板不足", "成绩推广清单", "问题整改清单", `role="img"`, "下载 CSV").
			wantNoText(t, "草稿")
		anon.get("/public/index/2026-Q4/regions/999999").want(t, http.StatusNotFound)
		anon.get("/public/index/2026-13").want(t, http.StatusNotFound)
		anon.get("/api/v1/index/2026-Q4/export.csv").want(t, http.StatusOK)
		// A signed-in visitor sees the public pages with its menu.
		ts.consoleAs(t, "ent_hs").get("/public/index/2026-Q4").want(t, http.StatusOK).wantText(t, "退出", `href="/public/index"`)

		// A newer draft does not replace what the public sees.
		cc.get("/index")
		res = cc.post("/index/runs", url.Values{"period": {"2026-Q4"}}).wantRedirect(t, "/index/runs/")
		anon.get("/public/index/2026-Q4").want(t, http.StatusOK).wantText(t, "第 1 版")
	})
}

// TestConsoleIndexValues: a department uploads its values as a CSV file;
// a file with bad rows is refused whole, each bad row named in the page.
func TestConsoleIndexValues(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "dept_city_fy", "password": testPassword,
			"role": "department", "region_code": "330200", "department_code": "fy"}).want(http.StatusCreated)
		cc := ts.consoleAs(t, "dept_city_fy")
		cc.get("/index/values").want(t, http.StatusOK).wantText(t, "1.2.1.2", `enctype="multipart/form-data"`)
		count := func() int {
			var n int64
			ts.db.Table("indicator_values").Count(&n)
			return int(n)
		}
		bad := "indicator_code,region_code,period,value\n" +
			"1.2.1.2,330203,2026-Q4,0.4\n" +
			"1.2.1.2,330212,2026-Q4,abc\n" +
			"1.1.1.1,330211,2026-Q4,3\n"
		cc.upload("/index/values", cc.csrf, "v.csv", bad).want(t, http.StatusBadRequest).
			wantText(t, "共 2 行有误", "第 2 行 · 数值", "须为数字", "第 3 行 · 指标代码")
		if n := count(); n != 0 {
			t.Fatalf("a refused file stored %d rows", n)
		}
		cc.upload("/index/values", cc.csrf, "v.csv", "indicator_code,region\n").want(t, http.StatusBadRequest).wantText(t, "表头")
		cc.upload("/index/values", cc.csrf, "", "").want(t, http.StatusBadRequest).wantText(t, "请选择要上传的 CSV 文件")
		// Without the CSRF token nothing is stored.
		good := "\ufeffindicator_code,region_code,period,value\r\n1.2.1.2,330203,2026-Q4,0.4\r\n1.2.1.2,330212,2026-Q4,1.5\r\n"
		cc.upload("/index/values", "", "v.csv", good).want(t, http.StatusForbidden).wantText(t, "请求已失效")
		cc.upload("/index/values", "x"+cc.csrf, "v.csv", good).want(t, http.StatusForbidden)
		if n := count(); n != 0 {
			t.Fatalf("a form without its token stored %d rows", n)
		}
		cc.get("/index/values")
		cc.upload("/index/values", cc.csrf, "v.csv", good).want(t, http.StatusOK).wantText(t, "已保存 2 行", "海曙区")
		if n := count(); n != 2 {
			t.Fatalf("%d rows stored, want 2", n)
		}
		// Another department's indicator is refused, as the API refuses it.
		ts.consoleAs(t, "dept_city_scjg").upload("/index/values", "", "v.csv", good).want(t, http.StatusForbidden)
	})
}

// TestConsoleIndexSurveys: the questionnaire's returns per evaluated unit.
func TestConsoleIndexSurveys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	ts.as(t, "ent_hs", "POST", "/api/v1/surveys/2026-Q4/responses", map[string]any{"answers": map[string]int{"2.1.3.2": 5}}).want(http.StatusCreated)
	cc := ts.consoleAs(t, "acfic_city")
	p := cc.get("/index/surveys?period=2026-Q4").want(t, http.StatusOK).wantText(t, "2026年第4季度", "海曙区", "不足")
	if !strings.Contains(p.body, "<td class=\"num\" data-label=\"已回收\">1</td>") {
		t.Errorf("海曙's one response is not counted: %.3000s", p.body)
	}
	cc.get("/index/surveys?period=2026-13").want(t, http.StatusBadRequest)
	cc.get("/index/surveys?x=1").want(t, http.StatusBadRequest)
}
