package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// Handler tests of the administration pages: accounts, stations,
// enterprises and API keys answer each role as the API's routes do, their
// forms refuse what the API refuses (naming the field in Chinese) and
// without the CSRF token do nothing; a generated password and a new key
// are shown once.

var keyOnce = regexp.MustCompile(`<span class="key-once">([^<]+)</span>`)

// TestConsoleAdminPagesByRole: each list page answers as its API list.
func TestConsoleAdminPagesByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		count := func() int {
			return len(ts.as(t, "admin", "GET", "/api/v1/users?page_size=100", nil).obj()["items"].([]any))
		}
		before := count()
		users := []string{"ent_hs", "station_hs", "acfic_city", "acfic_hs", "dept_hs_scjg", "insp_city", "insp_hs", "admin", "admin_hs"}
		for _, u := range users {
			cc := ts.consoleAs(t, u)
			for _, p := range []struct{ page, api string }{
				{"/accounts", "/api/v1/users"},
				{"/accounts?role=nobody", "/api/v1/users?role=nobody"},
				{"/stations", "/api/v1/stations"},
				{"/enterprises", "/api/v1/enterprises"},
				{"/enterprises?region_code=999", "/api/v1/enterprises?region_code=999"},
				{"/api-keys", "/api/v1/api-keys"},
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
			// The forms of the roles that may not are refused and do nothing.
			cc.get("/")
			if u != "admin" && u != "admin_hs" {
				cc.post("/accounts", url.Values{"username": {"x_" + u}, "password": {testPassword}, "role": {"inspector"},
					"region_code": {"330203"}}).want(t, http.StatusForbidden)
				cc.post("/accounts/"+ts.ids["user_ent_hs"]+"/password-reset", nil).want(t, http.StatusForbidden)
				cc.post("/api-keys", url.Values{"account_id": {ts.ids["user_insp_hs"]}, "name": {"x"}}).want(t, http.StatusForbidden)
				cc.post("/stations", url.Values{"name": {"x"}, "region_code": {"330203"}, "address": {"x"}}).want(t, http.StatusForbidden)
			}
		}
		if n := count(); n != before {
			t.Errorf("%d accounts after the refused forms, want %d", n, before)
		}
	})
}

// TestConsoleAdminAccounts: an admin creates, disables, enables an
// account and resets its password, in its region only, as the API allows.
func TestConsoleAdminAccounts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cc := ts.consoleAs(t, "admin_hs")
		cc.get("/accounts").want(t, http.StatusOK).wantText(t, "新建账号", "ent_hs", "dept_hs_scjg").wantNoText(t, "ent_yz")
		form := url.Values{"username": {"dept_hs_new"}, "display_name": {"海曙区市场监管局"}, "role": {"department"},
			"region_code": {"330203"}, "department_code": {"scjg"}, "password": {testPassword}}
		// Without the token nothing is created.
		cc.send("POST", "/accounts", form).want(t, http.StatusForbidden).wantText(t, "请求已失效")
		// The API's validations, the field named in Chinese.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("department_code", "")
		cc.post("/accounts", bad).want(t, http.StatusBadRequest).wantText(t, "所属部门", "职能部门账号必须填写此字段")
		bad.Set("department_code", "scjg")
		bad.Set("username", "a b")
		cc.post("/accounts", bad).want(t, http.StatusBadRequest).wantText(t, "用户名", "只能包含字母")
		bad.Set("username", "dept_hs_new")
		bad.Set("password", "short")
		cc.post("/accounts", bad).want(t, http.StatusBadRequest).wantText(t, "初始密码")
		// Outside the admin's region: the API's 403.
		bad.Set("password", testPassword)
		bad.Set("region_code", "330212")
		cc.post("/accounts", bad).want(t, http.StatusForbidden)
		cc.post("/accounts", form).want(t, http.StatusOK).wantText(t, "已创建账号 dept_hs_new")
		cc.post("/accounts", form).want(t, http.StatusConflict).wantText(t, "用户名", "已被占用")
		id := ""
		for _, it := range ts.as(t, "admin", "GET", "/api/v1/users?page_size=100", nil).obj()["items"].([]any) {
			if m := it.(map[string]any); m["username"] == "dept_hs_new" {
				id = m["id"].(string)
			}
		}
		if id == "" {
			t.Fatal("the account is not created")
		}
		ts.login(t, "dept_hs_new")

		// Disable, enable.
		cc.get("/accounts")
		cc.post("/accounts/"+id, url.Values{"action": {"disable"}}).wantRedirect(t, "/accounts?done=disabled")
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "dept_hs_new", "password": testPassword}).
			want(http.StatusUnauthorized)
		cc.get("/accounts?done=disabled").wantText(t, "账号已停用", "已停用")
		cc.post("/accounts/"+id, url.Values{"action": {"enable"}}).wantRedirect(t, "/accounts?done=enabled")
		ts.login(t, "dept_hs_new")
		// Not oneself, not outside the region.
		cc.post("/accounts/"+ts.ids["user_admin_hs"], url.Values{"action": {"disable"}}).want(t, http.StatusBadRequest).
			wantText(t, "不能停用自己的账号")
		cc.post("/accounts/"+ts.ids["user_ent_yz"], url.Values{"action": {"disable"}}).want(t, http.StatusNotFound)

		// Reset: a generated password, shown once; the holder must change it.
		p := cc.post("/accounts/"+id+"/password-reset", nil).want(t, http.StatusOK).wantText(t, "只显示这一次")
		if p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("the page with the password has Cache-Control %q", p.header.Get("Cache-Control"))
		}
		m := keyOnce.FindStringSubmatch(p.body)
		if m == nil || len(m[1]) < 16 {
			t.Fatalf("no one-time password on the page")
		}
		cc.get("/accounts").wantNoText(t, m[1]).wantText(t, "待改密")
		holder := ts.browser(t)
		holder.signIn("dept_hs_new", testPassword).want(t, http.StatusUnauthorized)
		holder.signIn("dept_hs_new", m[1]).wantRedirect(t, "/")
		holder.get("/requests").wantRedirect(t, "/password")
		cc.post("/accounts/"+ts.ids["user_admin_hs"]+"/password-reset", nil).want(t, http.StatusBadRequest).
			wantText(t, "不能重置自己的密码")
		cc.post("/accounts/"+ts.ids["user_ent_yz"]+"/password-reset", nil).want(t, http.StatusNotFound)
	})
}

// TestPasswordReset: POST /users/{id}/password-reset gives a one-time
// password, ends the account's tokens and marks it; in the admin's region.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		tok := ts.login(t, "ent_hs")
		path := "/api/v1/users/" + ts.ids["user_ent_hs"] + "/password-reset"
		ts.as(t, "acfic_city", "POST", path, nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "admin_hs", "POST", "/api/v1/users/"+ts.ids["user_ent_yz"]+"/password-reset", nil).want(http.StatusNotFound)
		ts.as(t, "admin_hs", "POST", "/api/v1/users/"+ts.ids["user_admin_hs"]+"/password-reset", nil).
			wantProblem(http.StatusBadRequest, "validation_failed")
		res := ts.as(t, "admin_hs", "POST", path, nil).want(http.StatusOK)
		out := res.obj()
		pw, _ := out["password"].(string)
		if len(pw) < 16 || out["password_change_required"] != true || out["username"] != "ent_hs" {
			t.Fatalf("reset answered %v", out)
		}
		ts.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "ent_hs", "password": testPassword}).
			want(http.StatusUnauthorized)
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "ent_hs", "password": pw}).want(http.StatusOK)
	})
}

// TestConsoleAdminKeysStationsEnterprises: an API key is shown once and
// works until revoked; stations and enterprises are created with the
// API's validations.
func TestConsoleAdminKeysStationsEnterprises(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cc := ts.consoleAs(t, "admin_hs")
		cc.get("/api-keys").want(t, http.StatusOK).wantText(t, "没有 API 密钥", "insp_hs")
		form := url.Values{"account_id": {ts.ids["user_insp_hs"]}, "name": {"纪检监察平台对接"}}
		cc.send("POST", "/api-keys", form).want(t, http.StatusForbidden)
		cc.post("/api-keys", url.Values{"account_id": {ts.ids["user_insp_hs"]}, "name": {"x"}, "expires_at": {"2030-01-01"}}).
			want(t, http.StatusBadRequest).wantText(t, "有效期至", "不超过一年")
		cc.post("/api-keys", url.Values{"account_id": {ts.ids["user_insp_yz"]}, "name": {"x"}}).
			want(t, http.StatusBadRequest).wantText(t, "账号", "账号不存在")
		p := cc.post("/api-keys", form).want(t, http.StatusOK).wantText(t, "只显示这一次")
		m := keyOnce.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("no key on the page")
		}
		key := []string{"Authorization", "ApiKey " + m[1]}
		ts.do(t, "", "GET", "/api/v1/me", nil, key...).want(http.StatusOK)
		list := cc.get("/api-keys").want(t, http.StatusOK).wantText(t, "纪检监察平台对接", "有效").wantNoText(t, m[1])
		kid := regexp.MustCompile(`action="/api-keys/(\d+)/revoke"`).FindStringSubmatch(list.body)
		if kid == nil {
			t.Fatal("no revoke button")
		}
		cc.send("POST", "/api-keys/"+kid[1]+"/revoke", url.Values{}).want(t, http.StatusForbidden)
		ts.do(t, "", "GET", "/api/v1/me", nil, key...).want(http.StatusOK)
		cc.post("/api-keys/"+kid[1]+"/revoke", nil).wantRedirect(t, "/api-keys?done=revoked")
		ts.do(t, "", "GET", "/api/v1/me", nil, key...).want(http.StatusUnauthorized)
		cc.get("/api-keys?done=revoked").wantText(t, "已吊销")

		// Stations.
		cc.get("/stations").want(t, http.StatusOK).wantText(t, "海曙亲清家园").wantNoText(t, "鄞州亲清家园")
		st := url.Values{"name": {"集士港亲清驿站"}, "region_code": {"330203-T01"}, "address": {"集士港镇1号"}}
		cc.send("POST", "/stations", st).want(t, http.StatusForbidden)
		cc.post("/stations", url.Values{"name": {"x"}, "region_code": {"330203"}}).want(t, http.StatusBadRequest).wantText(t, "地址")
		cc.post("/stations", st).want(t, http.StatusOK).wantText(t, "已创建站点 集士港亲清驿站")
		// Enterprises.
		ent := url.Values{"uscc": {makeUSCC("91330203MA2J8K7Q5")}, "name": {"宁波海曙新材料有限公司"}, "region_code": {"330203"},
			"contact_name": {"赵六"}, "contact_phone": {"0574-87000009"}}
		cc.send("POST", "/enterprises", ent).want(t, http.StatusForbidden)
		bad := url.Values{}
		for k, v := range ent {
			bad[k] = v
		}
		bad.Set("uscc", "123")
		bad.Set("contact_phone", "电话")
		cc.post("/enterprises", bad).want(t, http.StatusBadRequest).wantText(t, "统一社会信用代码", "联系电话格式不正确")
		cc.post("/enterprises", ent).want(t, http.StatusOK).wantText(t, "已登记企业 宁波海曙新材料有限公司")
		cc.post("/enterprises", ent).want(t, http.StatusConflict).wantText(t, "已登记")
		// A station registers enterprises too, as the API lets it.
		ts.consoleAs(t, "station_hs").get("/enterprises").want(t, http.StatusOK).wantText(t, "登记企业", "宁波海曙新材料有限公司")
	})
}
