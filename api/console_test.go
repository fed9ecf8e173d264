package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// Handler tests of the web console: every page for every role answers as
// the API does for the same object (200, 403, 404), forms are refused
// without their CSRF token, the session cookie has its flags, and ending a
// session (logout, password change, disabling, idleness) ends the console's
// too. They go through the real router over HTTP like the API tests, but
// not through the OpenAPI check: console pages are HTML, outside the API
// document.

// isConsoleRoute tells the console's routes (HTML pages and their assets)
// from the API's and the operational ones, which the OpenAPI document
// describes. Tests that walk the router's routes for the API leave these
// out on purpose; this file covers them.
func isConsoleRoute(path string) bool {
	return !strings.HasPrefix(path, "/api/") && !slices.Contains([]string{"/healthz", "/readyz", "/metrics"}, path)
}

// consoleClient is a browser: a cookie jar, no redirects followed.
type consoleClient struct {
	t    testing.TB
	ts   *testServer
	hc   *http.Client
	csrf string
	// header is sent with every request (a proxy's X-Forwarded-Proto …).
	header http.Header
}

// page is an answer of the console.
type page struct {
	status int
	header http.Header
	body   string
}

func (ts *testServer) browser(t testing.TB) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, ts: ts, header: http.Header{}, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (cc *consoleClient) send(method, path string, form url.Values) *page {
	cc.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, cc.ts.url+path, body)
	if err != nil {
		cc.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range cc.header {
		req.Header[k] = vs
	}
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

func (cc *consoleClient) get(path string) *page { cc.t.Helper(); return cc.send("GET", path, nil) }

// post sends a form with the CSRF token of the last page read.
func (cc *consoleClient) post(path string, form url.Values) *page {
	cc.t.Helper()
	f := url.Values{"csrf": {cc.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return cc.send("POST", path, f)
}

func (p *page) want(t testing.TB, status int) *page {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body: %.600s", p.status, status, p.body)
	}
	return p
}

// wantRedirect checks a 303 to a location starting with prefix.
func (p *page) wantRedirect(t testing.TB, prefix string) *page {
	t.Helper()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), prefix) {
		t.Fatalf("status %d to %q, want 303 to %s…; body: %.300s", p.status, p.header.Get("Location"), prefix, p.body)
	}
	return p
}

func (p *page) wantText(t testing.TB, texts ...string) *page {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Errorf("the page lacks %q: %.2000s", s, p.body)
		}
	}
	return p
}

func (p *page) wantNoText(t testing.TB, texts ...string) *page {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.body, s) {
			t.Errorf("the page shows %q", s)
		}
	}
	return p
}

// signIn signs in through the form as user.
func (cc *consoleClient) signIn(user, password string) *page {
	cc.t.Helper()
	cc.get("/login").want(cc.t, http.StatusOK)
	return cc.send("POST", "/login", url.Values{"csrf": {cc.csrf}, "username": {user}, "password": {password}})
}

// consoleAs is a browser signed in as a fixture account.
func (ts *testServer) consoleAs(t testing.TB, user string) *consoleClient {
	t.Helper()
	cc := ts.browser(t)
	cc.signIn(user, testPassword).wantRedirect(t, "/")
	cc.get("/").want(t, http.StatusOK)
	return cc
}

// sessionCookie is the session cookie the last answer set.
func sessionCookie(t testing.TB, p *page, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s set; Set-Cookie: %v", name, p.header.Values("Set-Cookie"))
	return nil
}

// TestConsoleSignIn: the form signs in with a session cookie that has its
// flags, refuses wrong credentials as the API does, and is throttled by
// the API's throttle.
func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", func(c *configs.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	ts.seed(t)

	cc := ts.browser(t)
	cc.get("/requests?status=submitted").wantRedirect(t, "/login?next=")
	res := cc.signIn("ent_hs", testPassword).wantRedirect(t, "/")
	c := sessionCookie(t, res, "qinqing")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.Value == "" {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", c)
	}
	if strings.Contains(c.Value, testPassword) || len(c.Value) > 200 {
		t.Errorf("session cookie value %q", c.Value)
	}
	cc.get("/").want(t, http.StatusOK).wantText(t, "我的待办", "ent_hs", "企业")

	// The next page asked for is where the sign-in goes, on this site only.
	cc2 := ts.browser(t)
	cc2.get("/login").want(t, http.StatusOK)
	cc2.send("POST", "/login", url.Values{"csrf": {cc2.csrf}, "username": {"ent_hs"}, "password": {testPassword},
		"next": {"/requests?status=submitted"}}).wantRedirect(t, "/requests?status=submitted")
	for _, next := range []string{"//evil.example/", "/\\evil.example/", "/\t/evil.example/", "https://evil.example/", "/ok\r\nX: y"} {
		cc3 := ts.browser(t)
		cc3.get("/login").want(t, http.StatusOK)
		if loc := cc3.send("POST", "/login", url.Values{"csrf": {cc3.csrf}, "username": {"ent_hs"}, "password": {testPassword},
			"next": {next}}).header.Get("Location"); loc != "/" {
			t.Errorf("signing in with next=%q goes to %q, want /", next, loc)
		}
		if loc := cc3.get("/login").header.Get("Location"); loc != "/" {
			t.Errorf("a signed-in account on /login goes to %q, want /", loc)
		}
	}

	// Over TLS (here: a trusted proxy saying so) the cookie is Secure and
	// carries the __Host- prefix; an untrusted peer's header is ignored.
	tls := ts.browser(t)
	tls.header.Set("X-Forwarded-Proto", "https")
	tls.get("/login")
	c = sessionCookie(t, tls.send("POST", "/login", url.Values{"csrf": {tls.csrf}, "username": {"ent_hs"},
		"password": {testPassword}}).wantRedirect(t, "/"), "__Host-qinqing")
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie over TLS %+v: want Secure, HttpOnly, SameSite=Strict, Path=/", c)
	}
	ts2 := newTestServer(t, "sqlite", nil) // no trusted proxy
	ts2.seed(t)
	plain := ts2.browser(t)
	plain.header.Set("X-Forwarded-Proto", "https")
	plain.get("/login")
	sessionCookie(t, plain.send("POST", "/login", url.Values{"csrf": {plain.csrf}, "username": {"ent_hs"},
		"password": {testPassword}}).wantRedirect(t, "/"), "qinqing")

	// Wrong credentials: the API's answer, in the form.
	bad := ts.browser(t)
	bad.signIn("ent_hs", "wrong-password").want(t, http.StatusUnauthorized).wantText(t, "用户名或密码错误", `value="ent_hs"`)
	bad.signIn("nobody", "wrong-password").want(t, http.StatusUnauthorized).wantText(t, "用户名或密码错误")
	bad.signIn("", "").want(t, http.StatusBadRequest).wantText(t, "用户名", "密码")

	// Without the sign-in form's token (another site posting it): refused.
	forged := ts.browser(t)
	forged.send("POST", "/login", url.Values{"username": {"ent_hs"}, "password": {testPassword}}).
		want(t, http.StatusForbidden).wantText(t, "该表单已失效")

	// The throttle is the API's: five failures lock the username for the
	// form and for POST /api/v1/auth/login alike.
	for range 4 {
		bad.signIn("ent_yz", "wrong-password").want(t, http.StatusUnauthorized)
	}
	bad.signIn("ent_yz", "wrong-password").want(t, http.StatusUnauthorized)
	res = bad.signIn("ent_yz", testPassword).want(t, http.StatusTooManyRequests).wantText(t, "登录失败次数过多")
	if res.header.Get("Retry-After") == "" {
		t.Error("a throttled sign-in has no Retry-After")
	}
	ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "ent_yz", "password": testPassword}).
		wantProblem(http.StatusTooManyRequests, "rate_limited")
	// …and failures through the API count for the form.
	for range 5 {
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "station_yz", "password": "nope-nope"}).
			wantProblem(http.StatusUnauthorized, "unauthenticated")
	}
	ts.browser(t).signIn("station_yz", testPassword).want(t, http.StatusTooManyRequests)
}

// TestConsolePagesByRole: each page, for each role, answers the status the
// API gives the same account for the same object.
func TestConsolePagesByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		users := []string{"ent_hs", "ent_hs_town", "ent_yz", "station_hs", "station_yz", "acfic_city", "acfic_hs", "acfic_yz",
			"dept_hs_scjg", "dept_hs_sw", "dept_yz_scjg", "dept_city_scjg", "insp_city", "insp_hs", "insp_yz", "admin", "admin_hs"}
		for _, u := range users {
			cc := ts.consoleAs(t, u)
			cc.get("/").want(t, http.StatusOK).wantText(t, "我的待办")
			cc.get("/password").want(t, http.StatusOK).wantText(t, "修改密码", `name="new_password_confirm"`)
			pages := []struct{ page, api string }{
				{"/requests", "/api/v1/requests"},
				{"/requests/" + id, "/api/v1/requests/" + id},
				{"/requests/999999", "/api/v1/requests/999999"},
				{"/requests/abc", "/api/v1/requests/abc"},
			}
			for _, p := range pages {
				want := ts.as(t, u, "GET", p.api, nil).status
				got := cc.get(p.page)
				if got.status != want {
					t.Errorf("%s: GET %s %d, the API answers %d", u, p.page, got.status, want)
				}
				switch got.status {
				case http.StatusForbidden:
					got.wantText(t, "无权访问", "当前角色无权执行此操作")
				case http.StatusNotFound:
					got.wantText(t, "页面不存在", "该事项不存在，或者您无权查看")
				}
			}
			// The filing form is for the roles that file.
			want := http.StatusForbidden
			if u == "ent_hs" || u == "ent_hs_town" || u == "ent_yz" || u == "station_hs" || u == "station_yz" {
				want = http.StatusOK
			}
			cc.get("/requests/new").want(t, want)
		}
	})
}

// TestConsoleMenuFollowsPolicy: the menu offers what the role's policy
// grants, nothing more.
func TestConsoleMenuFollowsPolicy(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	for _, c := range []struct {
		user     string
		has, not []string
	}{
		{"ent_hs", []string{`href="/requests"`, `href="/requests/new"`}, nil},
		{"station_hs", []string{`href="/requests"`, `href="/requests/new"`}, nil},
		{"acfic_hs", []string{`href="/requests"`}, []string{`href="/requests/new"`}},
		{"dept_hs_scjg", []string{`href="/requests"`}, []string{`href="/requests/new"`}},
		{"insp_hs", []string{`href="/requests"`}, []string{`href="/requests/new"`}},
		{"admin", nil, []string{`href="/requests"`, `href="/requests/new"`}},
	} {
		p := ts.consoleAs(t, c.user).get("/").want(t, http.StatusOK)
		menu := p.body[strings.Index(p.body, `class="menu"`):]
		menu = menu[:strings.Index(menu, "</nav>")]
		for _, h := range c.has {
			if !strings.Contains(menu, h) {
				t.Errorf("%s: the menu lacks %s", c.user, h)
			}
		}
		for _, h := range c.not {
			if strings.Contains(menu, h) {
				t.Errorf("%s: the menu offers %s", c.user, h)
			}
		}
	}
}

// TestConsoleCSRF: a form posted without the token of the session, or
// with another session's, is refused with a page that says so, and
// changes nothing.
func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
	acfic := ts.consoleAs(t, "acfic_hs")
	other := ts.consoleAs(t, "acfic_hs") // a second session of the same account
	acfic.get("/requests/"+id).want(t, http.StatusOK)
	form := url.Values{"action": {"reject"}, "reason": {"不属于受理范围"}}
	for name, token := range map[string]string{"none": "", "wrong": "x" + acfic.csrf, "another session's": other.csrf} {
		f := url.Values{"csrf": {token}}
		for k, v := range form {
			f[k] = v
		}
		acfic.send("POST", "/requests/"+id, f).want(t, http.StatusForbidden).wantText(t, "请求已失效", "操作未执行")
		if st := ts.as(t, "acfic_hs", "GET", "/api/v1/requests/"+id, nil).obj()["status"]; st != "submitted" {
			t.Fatalf("a form with %s token changed the request to %v", name, st)
		}
	}
	for _, path := range []string{"/logout", "/password", "/requests"} {
		acfic.send("POST", path, url.Values{}).want(t, http.StatusForbidden)
	}
	acfic.get("/requests/" + id)
	acfic.post("/requests/"+id, form).wantRedirect(t, "/requests/"+id+"?done=reject")
}

// TestConsoleSessionEnds: logout, logging out everywhere, a password change
// and disabling end a console session as they end a token; so do 30
// minutes without a request and the session's 12-hour end.
func TestConsoleSessionEnds(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	gone := func(cc *consoleClient, why string) {
		t.Helper()
		if p := cc.get("/requests"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
			t.Errorf("after %s the console still answers %d", why, p.status)
		}
	}

	cc := ts.consoleAs(t, "ent_hs")
	cc.post("/logout", nil).wantRedirect(t, "/login?bye=1")
	gone(cc, "logout")
	if p := cc.get("/login?bye=1"); !strings.Contains(p.body, "您已安全退出") {
		t.Error("the sign-in page does not say the account signed out")
	}

	cc = ts.consoleAs(t, "ent_yz")
	ts.do(t, ts.signIn(t, "ent_yz", testPassword).Access, "POST", "/api/v1/auth/logout", map[string]bool{"all": true}).want(http.StatusNoContent)
	gone(cc, "logout everywhere through the API")

	cc = ts.consoleAs(t, "station_hs")
	tok := ts.signIn(t, "station_hs", testPassword).Access
	ts.do(t, tok, "POST", "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "another-pass-1"}).
		want(http.StatusNoContent)
	gone(cc, "a password change through the API")

	cc = ts.consoleAs(t, "insp_hs")
	ts.as(t, "admin", "PATCH", "/api/v1/users/"+ts.ids["user_insp_hs"], map[string]bool{"disabled": true}).want(http.StatusOK)
	gone(cc, "disabling")
	ts.browser(t).signIn("insp_hs", testPassword).want(t, http.StatusUnauthorized)

	// Idle: a request within 30 minutes keeps the session; 30 minutes
	// without one ends it.
	cc = ts.consoleAs(t, "acfic_hs")
	ts.clock.Advance(25 * time.Minute)
	cc.get("/").want(t, http.StatusOK)
	ts.clock.Advance(25 * time.Minute)
	cc.get("/").want(t, http.StatusOK)
	ts.clock.Advance(31 * time.Minute)
	gone(cc, "31 minutes without a request")

	// Absolute: 12 hours after sign-in, however busy.
	cc = ts.consoleAs(t, "acfic_yz")
	for range 26 {
		ts.clock.Advance(29 * time.Minute)
		if p := cc.get("/"); p.status != http.StatusOK {
			break
		}
	}
	gone(cc, "12 hours")

	// A cookie changed by hand is no session.
	cc = ts.consoleAs(t, "dept_hs_sw")
	u, _ := url.Parse(ts.url)
	for _, c := range cc.hc.Jar.Cookies(u) {
		if c.Name == "qinqing" {
			forged := strings.Replace(c.Value, ".", ".9", 1)
			cc.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "qinqing", Value: forged, Path: "/"}})
		}
	}
	gone(cc, "changing the cookie")
}

// TestConsoleForcedPasswordChange: an account with a generated password
// reaches only the password page until it chose its own.
func TestConsoleForcedPasswordChange(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	if _, err := ts.store.CreateAccount(context.Background(), testHasher(), model.NewAccount{Username: "first_admin",
		Password: testPassword, Role: "admin", RegionCode: "330200", PasswordChangeRequired: true}); err != nil {
		t.Fatal(err)
	}
	cc := ts.browser(t)
	cc.signIn("first_admin", testPassword).wantRedirect(t, "/password")
	for _, p := range []string{"/", "/requests", "/requests/1"} {
		cc.get(p).wantRedirect(t, "/password")
	}
	p := cc.get("/password").want(t, http.StatusOK).wantText(t, "系统生成的初始密码")
	if strings.Contains(p.body, `class="menu"`) {
		t.Error("the password page offers a menu before the password is changed")
	}
	cc.post("/password", url.Values{"current_password": {testPassword}, "new_password": {"my-own-pass-1"},
		"new_password_confirm": {"my-own-pass-2"}}).want(t, http.StatusBadRequest).wantText(t, "确认新密码", "两次输入的新密码不一致")
	cc.post("/password", url.Values{"current_password": {"wrong-one-1"}, "new_password": {"my-own-pass-1"},
		"new_password_confirm": {"my-own-pass-1"}}).want(t, http.StatusBadRequest).wantText(t, "当前密码", "当前密码不正确")
	cc.post("/password", url.Values{"current_password": {testPassword}, "new_password": {"short"},
		"new_password_confirm": {"short"}}).want(t, http.StatusBadRequest).wantText(t, "新密码")
	cc.post("/password", url.Values{"current_password": {testPassword}, "new_password": {"my-own-pass-1"},
		"new_password_confirm": {"my-own-pass-1"}}).wantRedirect(t, "/?done=password")
	cc.get("/?done=password").want(t, http.StatusOK).wantText(t, "密码已修改", "本辖区账号")
	ts.browser(t).signIn("first_admin", "my-own-pass-1").wantRedirect(t, "/")
	ts.browser(t).signIn("first_admin", testPassword).want(t, http.StatusUnauthorized)
}

// TestConsoleRequestForms: filing, and actions through their forms — their
// refusals shown in the form with the fields named in Chinese, a stale
// page refused, a form sent twice filing once.
func TestConsoleRequestForms(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ent := ts.consoleAs(t, "ent_hs")
		ent.get("/requests/new").want(t, http.StatusOK).wantNoText(t, `name="enterprise_id"`)
		key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(ent.get("/requests/new").body)[1]
		ent.post("/requests", url.Values{"title": {""}, "content": {"内容"}, "category": {"nope"}, "key": {key}}).
			want(t, http.StatusBadRequest).wantText(t, "请修改以下内容后重新提交", "<b>标题</b>：为必填字段")
		ent.post("/requests", url.Values{"title": {"标题"}, "content": {"内容"}, "category": {"nope"}, "key": {key}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>类别</b>：未知的诉求类别", `value="标题"`)
		form := url.Values{"title": {"厂房消防验收"}, "content": {"请协调消防验收时间"}, "category": {"approval"}, "key": {key}}
		loc := ent.post("/requests", form).wantRedirect(t, "/requests/").header.Get("Location")
		again := ent.post("/requests", form).wantRedirect(t, "/requests/").header.Get("Location")
		if loc != again {
			t.Errorf("the same form sent twice went to %s and %s", loc, again)
		}
		if n := len(qaIDs(t, ts.as(t, "ent_hs", "GET", "/api/v1/requests", nil))); n != 1 {
			t.Errorf("the same form sent twice filed %d requests", n)
		}
		// Sent again with other content (Back, edit, send): not filed
		// silently, the form comes back with a new key.
		edited := url.Values{"title": {"另一件事"}, "content": {"内容"}, "category": {"policy"}, "key": {key}}
		p := ent.post("/requests", edited).want(t, http.StatusUnprocessableEntity).wantText(t, "这张表单已经提交过", `value="另一件事"`)
		if strings.Contains(p.body, `value="`+key+`"`) {
			t.Error("the form comes back with the key it was filed with")
		}
		if n := len(qaIDs(t, ts.as(t, "ent_hs", "GET", "/api/v1/requests", nil))); n != 1 {
			t.Errorf("an edited resend filed: %d requests", n)
		}
		path := strings.TrimSuffix(loc, "?done=filed")
		id := strings.TrimPrefix(path, "/requests/")
		ent.get(loc).want(t, http.StatusOK).wantText(t, "诉求已提交", "厂房消防验收", "待受理", "补充材料", "撤回")

		// A station names the enterprise, one it serves.
		st := ts.consoleAs(t, "station_hs")
		st.get("/requests/new").want(t, http.StatusOK).wantText(t, "代办企业", "宁波海曙甬兴机械有限公司").wantNoText(t, "宁波鄞州甬创科技有限公司")
		st.get("/requests/new?enterprise_q="+url.QueryEscape("集士港")).want(t, http.StatusOK).
			wantText(t, "集士港镇").wantNoText(t, "宁波海曙甬兴机械有限公司")
		st.post("/requests", url.Values{"title": {"代办"}, "content": {"内容"}, "category": {"policy"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>企业</b>", "站点代办须指明企业")
		st.post("/requests", url.Values{"title": {"代办"}, "content": {"内容"}, "category": {"policy"}, "enterprise_id": {ts.ids["ent_yz"]}}).
			want(t, http.StatusBadRequest).wantText(t, "不在本站点服务范围内")
		st.post("/requests", url.Values{"title": {"代办"}, "content": {"内容"}, "category": {"policy"}, "enterprise_id": {ts.ids["ent_hs"]}}).
			wantRedirect(t, "/requests/")

		// 工商联's form offers the units that may handle it; leaving the
		// department out is refused with the field named.
		acfic := ts.consoleAs(t, "acfic_city")
		p = acfic.get(path).want(t, http.StatusOK).wantText(t, "受理并交办", "不予受理", `name="department_code"`)
		unit := p.body[strings.Index(p.body, `name="region_code"`):]
		unit = unit[:strings.Index(unit, "</select>")]
		for _, want := range []string{`value="330203"`, `value="330200"`} {
			if !strings.Contains(unit, want) {
				t.Errorf("the unit's regions lack %s: %s", want, unit)
			}
		}
		if strings.Contains(unit, `value="330212"`) {
			t.Error("the unit's regions offer 鄞州, which has no jurisdiction over a 海曙 enterprise")
		}
		version := regexp.MustCompile(`name="expected_version" value="(\d+)"`).FindStringSubmatch(p.body)[1]
		acfic.post(path, url.Values{"action": {"assign"}, "expected_version": {version}, "region_code": {"330203"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>承办部门</b>", "为必填字段", `<details class="action" open>`)
		acfic.post(path, url.Values{"action": {"assign"}, "expected_version": {version}, "department_code": {"scjg"},
			"region_code": {"330212"}}).want(t, http.StatusBadRequest).wantText(t, "<b>承办单位所在区划</b>")

		// The enterprise adds material meanwhile: 工商联's page is stale.
		ent.get(path)
		ent.post(path, url.Values{"action": {"supplement"}, "expected_version": {"1"}, "content": {"补充：消防图纸"}}).
			wantRedirect(t, path+"?done=supplement")
		acfic.post(path, url.Values{"action": {"assign"}, "expected_version": {version}, "department_code": {"scjg"},
			"region_code": {"330203"}, "note": {"请办理"}}).want(t, http.StatusConflict).wantText(t, "数据已被他人修改")
		p = acfic.get(path)
		version = regexp.MustCompile(`name="expected_version" value="(\d+)"`).FindStringSubmatch(p.body)[1]
		acfic.post(path, url.Values{"action": {"assign"}, "expected_version": {version}, "department_code": {"scjg"},
			"region_code": {"330203"}, "note": {"请办理"}}).wantRedirect(t, path+"?done=assign")
		acfic.get(path+"?done=assign").want(t, http.StatusOK).wantText(t, "已完成：受理并交办", "已交办", "海曙区 市场监管局", "补充：消防图纸")

		// An action the state no longer allows: 409, shown on the page.
		acfic.post(path, url.Values{"action": {"assign"}, "department_code": {"scjg"}, "region_code": {"330203"}}).
			want(t, http.StatusConflict).wantText(t, "当前状态不允许此操作")
		// An action the role never takes: 403, as the API.
		ent.post(path, url.Values{"action": {"claim"}}).want(t, http.StatusForbidden).wantText(t, "当前角色无权执行此操作")
		// A request out of sight: 404.
		ts.consoleAs(t, "acfic_yz").post(path, url.Values{"action": {"reject"}, "reason": {"x"}}).want(t, http.StatusNotFound)
		ts.consoleAs(t, "dept_hs_sw").get(path).want(t, http.StatusNotFound)

		// The unit signs for it and answers; the enterprise evaluates.
		dept := ts.consoleAs(t, "dept_hs_scjg")
		dept.get(path).want(t, http.StatusOK).wantText(t, "签收", "退回").wantNoText(t, "确认答复")
		dept.post(path, url.Values{"action": {"claim"}}).wantRedirect(t, path+"?done=claim")
		dept.get(path).wantText(t, "确认答复", "确认延期申请")
		dept.post(path, url.Values{"action": {"request_extension"}, "days": {"三"}, "reason": {"需现场核查"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>延期天数（工作日）</b>：须为整数")
		dept.post(path, url.Values{"action": {"respond"}, "response": {"已安排验收"}}).wantRedirect(t, path+"?done=respond")
		ent.get(path).want(t, http.StatusOK).wantText(t, "确认评价", `name="score"`, "已安排验收")
		ent.post(path, url.Values{"action": {"evaluate"}, "comment": {"好"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>满意度</b>", "为必填字段")
		ent.post(path, url.Values{"action": {"evaluate"}, "score": {"4"}, "comment": {"好"}}).wantRedirect(t, path+"?done=evaluate")
		ent.get(path).want(t, http.StatusOK).wantText(t, "已办结", "★★★★", "满意").wantNoText(t, "可执行的操作")
		if st := ts.as(t, "ent_hs", "GET", "/api/v1/requests/"+id, nil).obj()["status"]; st != "closed" {
			t.Errorf("the API shows %v after the console's evaluation", st)
		}
	})
}

// TestConsoleHome: 我的待办 lists, for each role, what waits for it, the
// most urgent first, with deadlines in words that say 工作日 or 自然日.
func TestConsoleHome(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		older := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.clock.Advance(time.Hour)
		newer := ts.fileRequest(t, "station_hs", "ent_hs_town")["id"].(string)
		yz := ts.fileRequest(t, "ent_yz", "")["id"].(string)

		p := ts.consoleAs(t, "acfic_hs").get("/").want(t, http.StatusOK).wantText(t, "待受理", "工作日", `class="due due-`)
		i, j := strings.Index(p.body, "/requests/"+older+`"`), strings.Index(p.body, "/requests/"+newer+`"`)
		if i < 0 || j < 0 || i > j {
			t.Errorf("待受理 lists %s at %d and %s at %d: want the earlier deadline first", older, i, newer, j)
		}
		p.wantNoText(t, "/requests/"+yz+`"`)
		ts.consoleAs(t, "acfic_city").get("/").wantText(t, "/requests/"+yz+`"`)

		// Past the accept deadline (1 working day) the request is overdue:
		// red, on 工商联's and the inspector's lists.
		ts.clock.Advance(7 * 24 * time.Hour)
		p = ts.consoleAs(t, "acfic_hs").get("/").want(t, http.StatusOK)
		overdue := p.body[strings.Index(p.body, "本辖区已超期"):]
		if !strings.Contains(overdue, "/requests/"+older) || !strings.Contains(overdue, "due-red") || !strings.Contains(overdue, "已超期") {
			t.Errorf("本辖区已超期 does not show the overdue request in red: %.1500s", overdue)
		}

		ts.act(t, "acfic_hs", older, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "acfic_city", yz, "assign", map[string]any{"department_code": "scjg", "region_code": "330212"}).want(http.StatusOK)
		// The unit's own list; the city's department may read it, but the
		// county's unit signs for it.
		ts.consoleAs(t, "dept_hs_scjg").get("/").want(t, http.StatusOK).wantText(t, "待签收", "/requests/"+older+`"`).
			wantNoText(t, "/requests/"+yz+`"`)
		ts.consoleAs(t, "dept_city_scjg").get("/").want(t, http.StatusOK).wantNoText(t, "/requests/"+older+`"`)
		ts.act(t, "dept_hs_scjg", older, "claim", nil).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", older, "request_extension", map[string]any{"days": 5, "reason": "需现场核查"}).want(http.StatusOK)
		ts.consoleAs(t, "acfic_hs").get("/").wantText(t, "待审批的延期申请", "申请延期 5 个工作日")
		ts.consoleAs(t, "dept_hs_scjg").get("/").wantText(t, "待答复", "/requests/"+older+`"`)
		ts.act(t, "dept_hs_scjg", older, "respond", map[string]any{"response": "已办理"}).want(http.StatusOK)
		// The evaluation window counts calendar days.
		ts.consoleAs(t, "ent_hs").get("/").want(t, http.StatusOK).wantText(t, "待我评价", "/requests/"+older+`"`, "自然日")

		// The inspector: overdue requests it may supervise (鄞州's is past
		// its 1-working-day claim deadline by now).
		ts.clock.Advance(72 * time.Hour)
		ts.consoleAs(t, "insp_yz").get("/").want(t, http.StatusOK).wantText(t, "可督办的超期诉求", "/requests/"+yz+`"`)
		// The administrator: the accounts of its region.
		ts.consoleAs(t, "admin_hs").get("/").want(t, http.StatusOK).wantText(t, "本辖区账号", "纪检监察")

		// Leads: the inspector's to register, the unit's rectification
		// tasks — by reference and deadline, never by their content.
		lead := ts.fileLead(t, "station_hs", nil)
		ref, content := lead["ref_no"].(string), ldBody(nil)["content"].(string)
		ts.consoleAs(t, "insp_hs").get("/").want(t, http.StatusOK).wantText(t, "待登记的线索", ref).wantNoText(t, content)
		ts.consoleAs(t, "insp_yz").get("/").want(t, http.StatusOK).wantNoText(t, ref)
		id := lead["id"].(string)
		ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
		ts.consoleAs(t, "insp_hs").get("/").wantText(t, "待决策的线索", ref)
		ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "调取窗口受理记录"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "decide", ldRectify("talk_reminder", 10)).want(http.StatusOK)
		ts.consoleAs(t, "dept_hs_scjg").get("/").want(t, http.StatusOK).wantText(t, "整改任务", ref).
			wantNoText(t, content, "调取窗口受理记录", "海曙亲清家园")
		ts.consoleAs(t, "dept_hs_sw").get("/").want(t, http.StatusOK).wantNoText(t, ref)
	})
}

// TestConsoleRequestList: the list takes the API's filters and pages with
// its cursor; a bad filter is named in the form.
func TestConsoleRequestList(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	var ids []string
	for range 22 {
		ids = append(ids, ts.fileRequest(t, "ent_hs", "")["id"].(string))
	}
	policy := ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": "政策咨询一件", "content": "内容",
		"category": "policy"}).want(http.StatusCreated).obj()["id"].(string)
	cc := ts.consoleAs(t, "acfic_hs")
	p := cc.get("/requests").want(t, http.StatusOK)
	if n := strings.Count(p.body, `<td data-label="编号">`); n != 20 {
		t.Errorf("the first page has %d rows, want 20", n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no next page")
	}
	p = cc.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(t, http.StatusOK).wantText(t, "第一页")
	if n := strings.Count(p.body, `<td data-label="编号">`); n != 3 {
		t.Errorf("the second page has %d rows, want 3", n)
	}
	p.wantText(t, "/requests/"+ids[0]+`"`)
	cc.get("/requests?category=policy&status=&q=").want(t, http.StatusOK).wantText(t, "政策咨询一件").
		wantNoText(t, "/requests/"+ids[0]+`"`)
	cc.get("/requests?status=closed").want(t, http.StatusOK).wantText(t, "没有符合条件的诉求")
	cc.get("/requests?from=2026-13-01").want(t, http.StatusBadRequest).wantText(t, "<b>开始日期</b>", "须为日期")
	cc.get("/requests?region_code=330212").want(t, http.StatusOK).wantNoText(t, "/requests/"+policy+`"`)
	// The enterprise's list has no region filter: it has one place.
	ts.consoleAs(t, "ent_hs").get("/requests").want(t, http.StatusOK).wantNoText(t, `name="region_code"`)
}

// TestConsoleNotFoundAndAssets: unknown paths answer the console's 404 page
// (the API's keep answering problem+json); assets are served with a
// lasting cache, and pages with a policy that keeps them to themselves.
func TestConsoleNotFoundAndAssets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	cc := ts.browser(t)
	p := cc.get("/no/such/page").want(t, http.StatusNotFound).wantText(t, "页面不存在", "回到工作台")
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("console 404 Content-Type %q", ct)
	}
	for _, path := range []string{"/api/v1/no-such", "/api/nothing"} {
		if p := cc.get(path); p.status != http.StatusNotFound || !strings.HasPrefix(p.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET %s: %d %s, want a 404 problem", path, p.status, p.header.Get("Content-Type"))
		}
	}
	p = cc.get("/login").want(t, http.StatusOK)
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "style=") {
		t.Error("a page carries inline script or style, which its CSP forbids")
	}
	css := regexp.MustCompile(`href="(/static/console\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(p.body)
	if css == nil {
		t.Fatal("the page does not link its stylesheet")
	}
	a := cc.get(css[1]).want(t, http.StatusOK)
	if !strings.HasPrefix(a.header.Get("Content-Type"), "text/css") || !strings.Contains(a.header.Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet served as %q, cache %q", a.header.Get("Content-Type"), a.header.Get("Cache-Control"))
	}
	cc.get("/static/nothing.js").want(t, http.StatusNotFound)
	// Signed in, the 404 page keeps the account and the menu.
	ts.seed(t)
	ts.consoleAs(t, "acfic_hs").get("/no/such/page").want(t, http.StatusNotFound).wantText(t, "acfic_hs", `class="menu"`, "退出")
	if p := cc.send("DELETE", "/requests", nil); p.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /requests: %d, want 405", p.status)
	}
}

// TestConsoleRoutesNeedSession: every console page but the sign-in page,
// the public receipt lookup and the assets asks to sign in first.
func TestConsoleRoutesNeedSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	checked := 0
	for _, r := range ts.srv.Engine().Routes() {
		if !isConsoleRoute(r.Path) || r.Path == "/login" || r.Path == "/leads/lookup" || strings.HasPrefix(r.Path, "/static/") ||
			strings.HasPrefix(r.Path, "/public/") {
			continue
		}
		path := ginParam.ReplaceAllString(r.Path, "1")
		var form url.Values
		if r.Method == "POST" {
			form = url.Values{}
		}
		if p := ts.browser(t).send(r.Method, path, form); p.status != http.StatusSeeOther ||
			!strings.HasPrefix(p.header.Get("Location"), "/login") {
			t.Errorf("%s %s without a session: %d to %q, want 303 to /login", r.Method, r.Path, p.status, p.header.Get("Location"))
		}
		checked++
	}
	if checked < 8 {
		t.Errorf("only %d console routes checked", checked)
	}
}
