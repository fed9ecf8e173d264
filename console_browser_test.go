package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests of the web console: the binary built from this repository,
// on a free port with a fresh SQLite data directory, driven by the system's
// Chromium through the DevTools protocol, by clicking and typing as a
// person would. They run when QINQING_BROWSER_TESTS=1 (.ci/run sets it);
// Chromium is /usr/bin/chromium or QINQING_CHROMIUM. Each test saves PNG
// screenshots under $QINQING_SCREENSHOTS/<test> (a temporary folder,
// printed in the log, when unset).

// chromium returns the browser to drive, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if os.Getenv("QINQING_BROWSER_TESTS") != "1" {
		t.Skip("browser tests skipped: set QINQING_BROWSER_TESTS=1 to run them (they need Chromium)")
	}
	path := os.Getenv("QINQING_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			return p
		}
		t.Skipf("browser tests skipped: no Chromium at %s (apt-get install chromium, or set QINQING_CHROMIUM)", path)
	}
	return path
}

// browserApp is the running binary and a browser tab on it.
type browserApp struct {
	t     *testing.T
	base  string
	out   *lockedBuffer
	shots string
	n     int
	ctx   context.Context
}

// startBrowserApp builds and starts the binary with env (on top of a free
// address and a fresh data directory) and opens a browser on it.
func startBrowserApp(t *testing.T, env map[string]string) *browserApp {
	t.Helper()
	browser := chromium(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "qinqing")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "QINQING_ADDR="+addr, "QINQING_DATA_DIR="+filepath.Join(dir, "data"), "QINQING_CONFIG=")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
	base := "http://" + addr
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the server did not start:\n%s", out.String())
		}
	}

	shots := os.Getenv("QINQING_SCREENSHOTS")
	if shots == "" {
		if shots, err = os.MkdirTemp("", "qinqing-screenshots-"); err != nil {
			t.Fatal(err)
		}
	}
	shots = filepath.Join(shots, t.Name())
	if err := os.RemoveAll(shots); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.UserDataDir(t.TempDir()), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	a := &browserApp{t: t, base: base, out: out, shots: shots, ctx: ctx}
	// The first action starts the browser, which lives as long as the
	// context it runs with: this one, not a step's shorter one.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return a
}

// do runs browser actions; a failure ends the test with a screenshot.
func (a *browserApp) do(actions ...chromedp.Action[chromedp.Void]) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		a.shot("failure")
		loc, _ := chromedp.Run(a.ctx, chromedp.Location())
		a.t.Fatalf("browser at %s: %v", loc, err)
	}
}

// shot saves a full-page PNG screenshot, numbered in order.
func (a *browserApp) shot(name string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		a.t.Logf("screenshot %s: %v", name, err)
		return
	}
	a.n++
	p := filepath.Join(a.shots, fmt.Sprintf("%02d-%s.png", a.n, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// text is the visible text of the first element sel matches.
func (a *browserApp) text(sel string) string {
	a.t.Helper()
	s, err := chromedp.Run(a.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		a.shot("failure")
		a.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitText waits until the page's main part shows s.
func (a *browserApp) waitText(s string) {
	a.t.Helper()
	a.do(chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//main//*[contains(normalize-space(.), %q)]`, s))))
}

// clickText clicks the element of kind tag (a, button, summary …) whose
// text is s.
func (a *browserApp) clickText(tag, s string) {
	a.t.Helper()
	a.do(chromedp.Click(chromedp.Search(fmt.Sprintf(`//%s[normalize-space(.)=%q]`, tag, s)), chromedp.NodeVisible))
}

// signIn signs in through the form, from wherever the browser is.
func (a *browserApp) signIn(user, password string) {
	a.t.Helper()
	a.do(chromedp.Navigate(a.base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header .who`)))
}

// signOut clicks 退出.
func (a *browserApp) signOut() {
	a.t.Helper()
	a.clickText("button", "退出")
	a.do(chromedp.WaitVisible(chromedp.ID("username")))
}

// apiClient is the JSON API, for setting up accounts.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c *apiClient) call(method, path string, body any, status int) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, status, b)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// TestBrowserRequestLoop: an enterprise files a request, 工商联 assigns it,
// the department claims and answers it, the enterprise evaluates it and
// sees 已办结 — each in its own browser session, by clicking and typing.
// The accounts are set up through the API.
func TestBrowserRequestLoop(t *testing.T) {
	a := startBrowserApp(t, map[string]string{"QINQING_ADMIN_PASSWORD": "admin-demo-2026"})
	admin := &apiClient{t: t, base: a.base}
	admin.token = admin.call("POST", "/auth/login", map[string]string{"username": "admin", "password": "admin-demo-2026"}, 200)["access_token"].(string)
	ent := admin.call("POST", "/enterprises", map[string]string{"uscc": "91330203MA2J8K7Q3Q", "name": "宁波甬兴机械有限公司",
		"region_code": "330203", "contact_name": "王海", "contact_phone": "0574-87000001"}, 201)["id"].(string)
	for _, u := range []map[string]string{
		{"username": "yongxing", "password": "yongxing-2026", "role": "enterprise", "region_code": "330203", "enterprise_id": ent, "display_name": "王海"},
		{"username": "gsl_haishu", "password": "gsl-haishu-2026", "role": "acfic", "region_code": "330203", "display_name": "海曙区工商联 陈敏"},
		{"username": "scjg_haishu", "password": "scjg-haishu-2026", "role": "department", "region_code": "330203", "department_code": "scjg", "display_name": "海曙区市场监管局 刘洋"},
	} {
		admin.call("POST", "/users", u, 201)
	}

	// 1. The enterprise signs in (a page asked for first comes back after
	// the sign-in) and files a request.
	a.do(chromedp.Navigate(a.base + "/requests/new"))
	a.do(chromedp.WaitVisible(chromedp.ID("username")))
	a.shot("sign-in")
	a.do(chromedp.SendKeys(chromedp.ID("username"), "yongxing"), chromedp.SendKeys(chromedp.ID("password"), "yongxing-2026"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("title")))
	a.do(chromedp.SendKeys(chromedp.ID("title"), "食品经营许可证延续"),
		chromedp.SetValue(chromedp.ID("category"), "approval"),
		chromedp.SendKeys(chromedp.ID("content"), "许可证下月到期，材料已备齐，请协助加快办理。"))
	a.shot("enterprise-files")
	a.clickText("button", "提交诉求")
	a.waitText("诉求已提交")
	if got := a.text(".case-head .badge"); got != "待受理" {
		t.Fatalf("a new request shows %q, want 待受理", got)
	}
	ref := a.text("h1")
	if !regexp.MustCompile(`^QH-\d{4}-\d{6}$`).MatchString(ref) {
		t.Fatalf("the request page is titled %q, want its reference QH-…", ref)
	}
	a.shot("enterprise-filed")
	a.signOut()

	// 2. 工商联 finds it on 我的待办 and assigns it to 海曙区 市场监管.
	a.signIn("gsl_haishu", "gsl-haishu-2026")
	a.waitText("待受理")
	a.waitText("食品经营许可证延续")
	a.shot("acfic-home")
	a.clickText("a", "食品经营许可证延续")
	a.clickText("summary", "受理并交办")
	a.do(chromedp.SetValue(chromedp.ID("f-department_code"), "scjg"),
		chromedp.SendKeys(chromedp.ID("f-note"), "请市场监管局办理"))
	a.shot("acfic-assigns")
	a.clickText("button", "确认受理并交办")
	a.waitText("已完成：受理并交办")
	if got := a.text(".case-head .badge"); got != "已交办" {
		t.Fatalf("after assigning the request shows %q, want 已交办", got)
	}
	a.clickText("a", "诉求")
	a.do(chromedp.SetValue(chromedp.CSS(`select[name="status"]`), "assigned"))
	a.clickText("button", "筛选")
	a.waitText("食品经营许可证延续")
	a.shot("acfic-list")
	a.signOut()

	// 3. The unit reads its notice of the assignment, follows it to the
	// request, signs for it and answers.
	a.signIn("scjg_haishu", "scjg-haishu-2026")
	a.waitText("待签收")
	a.clickText("a", "通知")
	a.waitText("新交办诉求 " + ref)
	a.shot("department-notices")
	a.clickText("a", "新交办诉求 "+ref)
	a.clickText("button", "签收")
	a.waitText("已完成：签收")
	a.clickText("summary", "答复")
	a.do(chromedp.SendKeys(chromedp.ID("f-response"), "已办结延续手续，新证可在窗口领取。"))
	a.shot("department-responds")
	a.clickText("button", "确认答复")
	a.waitText("已完成：答复")
	if got := a.text(".case-head .badge"); got != "待评价" {
		t.Fatalf("after the answer the request shows %q, want 待评价", got)
	}
	a.signOut()

	// 4. The enterprise evaluates with five stars and sees 已办结.
	a.signIn("yongxing", "yongxing-2026")
	a.waitText("待我评价")
	a.shot("enterprise-home")
	a.clickText("a", "食品经营许可证延续")
	a.clickText("summary", "评价")
	a.do(chromedp.Click(chromedp.CSS(`label[for="score-5"]`)),
		chromedp.SendKeys(chromedp.ID("f-comment"), "办理及时，非常满意"))
	a.shot("enterprise-evaluates")
	a.clickText("button", "确认评价")
	a.waitText("已完成：评价")
	if got := a.text(".case-head .badge"); got != "已办结" {
		t.Fatalf("after the evaluation the request shows %q, want 已办结", got)
	}
	timeline := a.text(".timeline")
	for _, step := range []string{"提交", "受理并交办", "签收", "答复", "评价"} {
		if !strings.Contains(timeline, step) {
			t.Errorf("the timeline lacks %s:\n%s", step, timeline)
		}
	}
	a.shot("enterprise-closed")
	a.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	a.shot("enterprise-closed-phone")
	a.do(chromedp.EmulateViewport(1280, 900))
	a.signOut()

	// 5. 工商联's 红黑榜 of the month counts the unit's closed request.
	a.signIn("gsl_haishu", "gsl-haishu-2026")
	a.clickText("a", "红黑榜")
	a.waitText("海曙区 市场监管局")
	a.shot("acfic-units")
}

// TestBrowserFirstSignIn: the first start prints a generated admin
// password; signing in with it leads to the password page and nowhere
// else until a new password is set.
func TestBrowserFirstSignIn(t *testing.T) {
	a := startBrowserApp(t, map[string]string{"QINQING_ADMIN_PASSWORD": ""})
	m := regexp.MustCompile(`初始密码（只显示这一次）：(\S+)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("no generated password printed:\n%s", a.out.String())
	}
	a.signIn("admin", m[1])
	a.waitText("系统生成的初始密码")
	a.shot("must-change")
	// Any other page leads back here.
	a.do(chromedp.Navigate(a.base + "/requests"))
	a.waitText("系统生成的初始密码")
	a.do(chromedp.SendKeys(chromedp.ID("current_password"), "not-the-password"),
		chromedp.SendKeys(chromedp.ID("new_password"), "my-own-password-1"),
		chromedp.SendKeys(chromedp.ID("new_password_confirm"), "my-own-password-1"))
	a.clickText("button", "保存新密码")
	a.waitText("当前密码不正确")
	a.shot("wrong-current-password")
	a.do(chromedp.SendKeys(chromedp.ID("current_password"), m[1]),
		chromedp.SendKeys(chromedp.ID("new_password"), "my-own-password-1"),
		chromedp.SendKeys(chromedp.ID("new_password_confirm"), "my-own-password-1"))
	a.clickText("button", "保存新密码")
	a.waitText("密码已修改")
	a.waitText("本辖区账号")
	a.shot("admin-home")
	// Pages it may not see answer in the console's own style.
	a.do(chromedp.Navigate(a.base + "/requests"))
	a.waitText("当前角色无权执行此操作")
	a.shot("forbidden")
	a.do(chromedp.Navigate(a.base + "/no/such/page"))
	a.waitText("您访问的页面不存在")
	a.shot("not-found")
	a.signOut()
	a.signIn("admin", "my-own-password-1")
	a.waitText("本辖区账号")
}

// choose picks value in the select with id, as a person's choice does
// (the change event lets the page show the fields that follow it).
func (a *browserApp) choose(id, value string) {
	a.t.Helper()
	a.do(chromedp.SetValue(chromedp.ID(id), value))
	if _, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`document.getElementById(%q).dispatchEvent(new Event("change", {bubbles: true}))`, id))); err != nil {
		a.t.Fatalf("choose %s: %v", id, err)
	}
}

// acceptConfirm answers yes to the page's next confirmation and returns a
// function that reports the question it asked.
func (a *browserApp) acceptConfirm() func() string {
	a.t.Helper()
	if _, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](
		`window.confirm = function (m) { sessionStorage.setItem("qqAsked", m); return true; }; true`)); err != nil {
		a.t.Fatal(err)
	}
	// The question outlives the page the form leaves.
	return func() string {
		s, _ := chromedp.Run(a.ctx, chromedp.Evaluate[string](`sessionStorage.getItem("qqAsked") || ""`))
		return s
	}
}

// visible tells whether the element with id is shown.
func (a *browserApp) visible(id string) bool {
	a.t.Helper()
	v, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(function (e) { return !!e && !e.disabled && e.offsetParent !== null; })(document.getElementById(%q))`, id)))
	if err != nil {
		a.t.Fatalf("visible %s: %v", id, err)
	}
	return v
}

// TestBrowserLeadLoop: a station reports a lead by name and another
// anonymously (its receipt shown once, then looked up without signing
// in); the inspector registers, investigates and decides on a
// rectification, the decision form showing the fields of the disposal
// chosen; the unit reports its rectification; the inspector verifies and
// sees 已办结 and who read the lead — by clicking and typing.
func TestBrowserLeadLoop(t *testing.T) {
	a := startBrowserApp(t, map[string]string{"QINQING_ADMIN_PASSWORD": "admin-demo-2026"})
	admin := &apiClient{t: t, base: a.base}
	admin.token = admin.call("POST", "/auth/login", map[string]string{"username": "admin", "password": "admin-demo-2026"}, 200)["access_token"].(string)
	admin.call("POST", "/enterprises", map[string]string{"uscc": "91330203MA2J8K7Q3Q", "name": "宁波甬兴机械有限公司",
		"region_code": "330203", "contact_name": "王海", "contact_phone": "0574-87000001"}, 201)
	station := admin.call("POST", "/stations", map[string]string{"name": "海曙亲清家园", "region_code": "330203", "address": "海曙区中山西路1号"}, 201)["id"].(string)
	for _, u := range []map[string]string{
		{"username": "qqjy_haishu", "password": "qqjy-haishu-2026", "role": "station", "region_code": "330203", "station_id": station, "display_name": "海曙亲清家园 周丽"},
		{"username": "jw_haishu", "password": "jw-haishu-2026", "role": "inspector", "region_code": "330203", "display_name": "海曙区纪委监委 赵刚"},
		{"username": "scjg_haishu", "password": "scjg-haishu-2026", "role": "department", "region_code": "330203", "department_code": "scjg", "display_name": "海曙区市场监管局 刘洋"},
	} {
		admin.call("POST", "/users", u, 201)
	}

	// 1. The station reports a lead under its name.
	a.signIn("qqjy_haishu", "qqjy-haishu-2026")
	a.clickText("a", "报告线索")
	a.do(chromedp.WaitVisible(chromedp.ID("content")),
		chromedp.SendKeys(chromedp.ID("content"), "企业办理食品经营许可延续时，窗口工作人员多次以材料不全为由推诿，暗示“找人”可以加快。"),
		chromedp.SendKeys(chromedp.ID("subject_name"), "行政审批科窗口工作人员"),
		chromedp.SendKeys(chromedp.ID("evidence"), "企业提供的三次窗口受理回执照片。"))
	a.choose("subject_department_code", "scjg")
	a.choose("rule_code", "N06")
	a.do(chromedp.SetValue(chromedp.CSS(`#enterprise_id`), "1"))
	a.shot("station-reports")
	a.clickText("button", "提交线索")
	a.waitText("线索已提交")
	if got := a.text(".case-head .badge"); got != "已上报" {
		t.Fatalf("a new lead shows %q, want 已上报", got)
	}
	ref := a.text("h1")
	if !regexp.MustCompile(`^XS-\d{4}-\d{6}$`).MatchString(ref) {
		t.Fatalf("the lead page is titled %q, want its reference XS-…", ref)
	}
	if body := a.text("main"); strings.Contains(body, "找人") || strings.Contains(body, "行政审批科") {
		t.Error("the reporter's page shows the lead's content")
	}
	a.shot("station-reported")

	// 2. …and another anonymously: the receipt, once.
	a.clickText("a", "报告线索")
	a.do(chromedp.WaitVisible(chromedp.ID("content")),
		chromedp.SendKeys(chromedp.ID("content"), "某科室工作人员在企业报销个人餐费。"),
		chromedp.SendKeys(chromedp.ID("subject_name"), "某科室工作人员"),
		chromedp.Click(chromedp.CSS(`input[name="anonymous"]`)))
	a.clickText("button", "提交线索")
	a.waitText("只显示这一次")
	receipt := a.text("#receipt")
	if !regexp.MustCompile(`^XSQ(-[0-9A-Z]{4}){6}$`).MatchString(receipt) {
		t.Fatalf("the receipt page shows %q", receipt)
	}
	if loc, _ := chromedp.Run(a.ctx, chromedp.Location()); strings.Contains(loc, receipt) || strings.Contains(loc, strings.ReplaceAll(receipt, "-", "")) {
		t.Errorf("the receipt is in the URL %s", loc)
	}
	a.shot("anonymous-receipt")
	a.do(chromedp.Reload())
	a.waitText("现已不再显示")
	a.signOut()

	// 3. Its status, without signing in.
	a.clickText("a", "凭查询码查询办理状态")
	a.do(chromedp.WaitVisible(chromedp.ID("receipt")), chromedp.SendKeys(chromedp.ID("receipt"), strings.ToLower(receipt)))
	a.clickText("button", "查询")
	a.waitText("当前状态")
	if got := a.text(".lookup-result .badge"); got != "已上报" {
		t.Errorf("the lookup shows %q, want 已上报", got)
	}
	a.shot("public-lookup")

	// 4. The inspector registers, investigates and decides.
	a.signIn("jw_haishu", "jw-haishu-2026")
	a.waitText("待登记的线索")
	a.shot("inspector-home")
	a.clickText("a", ref)
	a.waitText("行政审批科窗口工作人员")
	a.clickText("summary", "受理登记")
	a.clickText("button", "确认受理登记")
	a.waitText("已完成：受理登记")
	a.clickText("summary", "调查核实")
	a.do(chromedp.SendKeys(chromedp.ID("f-notes"), "调取窗口受理记录三份，约谈窗口负责人，情况基本属实。"))
	a.clickText("button", "确认调查核实")
	a.waitText("已完成：调查核实")
	a.clickText("summary", "评估决策")
	a.do(chromedp.WaitVisible(chromedp.ID("f-assessment")))
	for _, id := range []string{"f-department_code", "f-unit_region_code", "f-days", "f-transfer_to", "f-grounds"} {
		if a.visible(id) {
			t.Errorf("before a disposal is chosen the decision form shows %s", id)
		}
	}
	a.do(chromedp.SendKeys(chromedp.ID("f-assessment"), "经核实，窗口存在推诿拖延的苗头性问题，情节轻微。"))
	a.choose("f-disposal", "transfer")
	if !a.visible("f-transfer_to") || a.visible("f-days") || a.visible("f-grounds") {
		t.Error("移送 does not show the receiving organ alone")
	}
	a.choose("f-disposal", "talk_reminder")
	if !a.visible("f-department_code") || !a.visible("f-unit_region_code") || !a.visible("f-days") || a.visible("f-transfer_to") || a.visible("f-grounds") {
		t.Error("谈话提醒 does not show the unit and the days alone")
	}
	a.choose("f-department_code", "scjg")
	a.choose("f-unit_region_code", "330203")
	a.do(chromedp.SendKeys(chromedp.ID("f-days"), "10"))
	a.shot("inspector-decides")
	asked := a.acceptConfirm()
	a.clickText("button", "确认评估决策")
	a.waitText("已完成：评估决策")
	if q := asked(); !strings.Contains(q, "决策") {
		t.Errorf("deciding asked %q before sending", q)
	}
	if got := a.text(".case-head .badge"); got != "整改中" {
		t.Fatalf("after the decision the lead shows %q, want 整改中", got)
	}
	a.signOut()

	// 5. The unit sees its task, and only its task, and reports.
	a.signIn("scjg_haishu", "scjg-haishu-2026")
	a.waitText("整改任务")
	a.clickText("a", ref)
	a.waitText("交由本单位的整改任务")
	if body := a.text("main"); strings.Contains(body, "找人") || strings.Contains(body, "qqjy_haishu") || strings.Contains(body, "约谈") ||
		strings.Contains(body, "谈话提醒") {
		t.Errorf("the unit's page shows confidential text:\n%s", body)
	}
	a.clickText("summary", "整改完成")
	a.do(chromedp.SendKeys(chromedp.ID("f-report"), "已对窗口工作人员进行提醒谈话，实行首问负责制，企业许可已办结。"))
	a.shot("department-reports")
	a.clickText("button", "确认整改完成")
	a.waitText("已完成：整改完成")
	a.signOut()

	// 6. The inspector's return visit closes it.
	a.signIn("jw_haishu", "jw-haishu-2026")
	a.waitText("待回访的线索")
	a.clickText("a", ref)
	a.clickText("summary", "监督回访")
	a.do(chromedp.Click(chromedp.ID("accepted-false")))
	if !a.visible("f-days") {
		t.Error("a rejected rectification does not offer new days")
	}
	a.do(chromedp.Click(chromedp.ID("accepted-true")))
	if a.visible("f-days") {
		t.Error("an accepted rectification offers new days")
	}
	a.do(chromedp.SendKeys(chromedp.ID("f-result"), "回访企业，许可已办结，企业对整改满意。"))
	a.shot("inspector-verifies")
	a.clickText("button", "确认监督回访")
	a.waitText("已完成：监督回访")
	if got := a.text(".case-head .badge"); got != "已办结" {
		t.Fatalf("after the return visit the lead shows %q, want 已办结", got)
	}
	timeline := a.text(".timeline")
	for _, step := range []string{"上报", "受理登记", "调查核实", "评估决策", "整改完成", "监督回访"} {
		if !strings.Contains(timeline, step) {
			t.Errorf("the timeline lacks %s:\n%s", step, timeline)
		}
	}
	a.shot("inspector-closed")
	a.clickText("a", "查阅记录 ›")
	a.waitText("scjg_haishu")
	a.waitText("qqjy_haishu")
	a.shot("reads-log")
	a.clickText("a", "线索")
	a.waitText(ref)
	a.shot("inspector-list")
	a.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	a.clickText("a", ref)
	a.waitText("办理过程")
	a.shot("inspector-closed-phone")
}
