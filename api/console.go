package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// The web console (工作台): server-rendered pages for people, served by the
// same binary at /. It decides nothing: what a page may show and which
// actions it offers come from the same use-case functions the API handlers
// call (findRequest, requestActions, requestAction, fileRequest, signIn …),
// and every refusal is the API's problem (problem.go), shown as a page.
//
//	console.go          routes, menu, page rendering, error pages, assets
//	console_session.go  sign-in, the session cookie, CSRF, password change
//	console_format.go   template functions: deadlines, times, labels, form errors
//	console_home.go     我的待办, per role
//	console_requests.go the request list, detail, actions and filing form
//	console_leads.go    the lead list, a lead's page and actions, its reads log
//	console_lead_report.go the report form, the receipt, the public lookup
//	console_deadlines.go the deadline board (its export: deadlines_export.go)
//	console_stats.go    statistics, with console_chart.go's SVG charts
//	console_index.go    index runs (测算、审核、发布), the tree, submitted values, survey returns
//	console_public.go   the published index without sign-in: ranking, each unit's report
//	console_admin.go    accounts, stations, enterprises, API keys
//	console/templates   one file per page, plus layout.html and parts.html
//	console/static      console.css, console.js (embedded, no build step)
//
// README "Console" says how a page is added.

//go:embed console/templates/*.html console/static/*
var consoleFiles embed.FS

// console holds what the pages need beyond the Server: the parsed
// templates, the embedded assets and the keys of the cookie and the CSRF
// tokens. It is built once by New; nothing in it changes afterwards.
type console struct {
	s      *Server
	pages  map[string]*template.Template
	assets map[string]consoleAsset
	// cookieKey authenticates the session cookie, csrfKey the CSRF tokens;
	// both are derived from the JWT secret, which every instance shares.
	cookieKey, csrfKey []byte
	// proxies are QINQING_TRUSTED_PROXIES, whose X-Forwarded-Proto is believed.
	proxies []netip.Prefix
	// figures keeps the board's counts and the statistics (figures.go).
	figures *figureCache
}

// consoleAsset is an embedded static file, served under a URL that carries
// a hash of its content so that browsers may keep it for good.
type consoleAsset struct {
	body  []byte
	ctype string
	url   string
}

func newConsole(s *Server) (*console, error) {
	cs := &console{s: s, pages: map[string]*template.Template{}, assets: map[string]consoleAsset{},
		cookieKey: deriveKey(s.secret, "qinqing console session cookie v1"),
		csrfKey:   deriveKey(s.secret, "qinqing console csrf v1"),
		figures:   newFigureCache(s.cfg.FiguresCache, s.clock, s.store.Committed)}
	for _, p := range s.cfg.TrustedProxies {
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			a, err2 := netip.ParseAddr(p)
			if err2 != nil {
				return nil, err
			}
			pre = netip.PrefixFrom(a, a.BitLen())
		}
		cs.proxies = append(cs.proxies, pre.Masked())
	}
	static, err := fs.Sub(consoleFiles, "console/static")
	if err != nil {
		return nil, err
	}
	err = fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		cs.assets[name] = consoleAsset{body: body, ctype: mime.TypeByExtension(path.Ext(name)),
			url: "/static/" + name + "?v=" + hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(consoleFiles, "console/templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		t, err := template.New(name).Funcs(cs.funcs()).ParseFS(consoleFiles,
			"console/templates/layout.html", "console/templates/parts.html", n)
		if err != nil {
			return nil, err
		}
		cs.pages[name] = t
	}
	return cs, nil
}

func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// consoleRoutes adds the console's routes to e. Signed-in pages go through
// session (the cookie, the forced password change), the per-account rate
// limit and, for POST, the CSRF check.
func (s *Server) consoleRoutes(e *gin.Engine) {
	cs := s.console
	e.GET("/static/:file", cs.asset)
	out := e.Group("", consoleHeaders)
	out.GET("/login", cs.h(cs.loginPage))
	out.POST("/login", cs.rateLimit, cs.h(cs.login))
	out.GET("/leads/lookup", cs.h(cs.lookupPage))
	out.POST("/leads/lookup", cs.rateLimit, cs.h(cs.lookup))
	// The published index, for everyone (console_public.go).
	out.GET("/public/index", cs.h(cs.publicHome))
	out.GET("/public/index/:period", cs.h(cs.publicRanking))
	out.GET("/public/index/:period/regions/:code", cs.h(cs.publicRegion))

	in := e.Group("", consoleHeaders, cs.session, cs.rateLimit, cs.csrf)
	in.POST("/logout", cs.h(cs.logout))
	in.GET("/password", cs.h(cs.passwordPage))
	in.POST("/password", cs.h(cs.password))
	in.GET("/", cs.h(cs.home))
	in.GET("/requests", cs.h(cs.requestList))
	in.GET("/requests/new", cs.h(cs.requestNew))
	in.POST("/requests", cs.h(cs.requestFile))
	in.GET("/requests/export.xlsx", cs.h(cs.consoleLedger(cs.s.exportRequests, requestListParams)))
	in.GET("/requests/:id", cs.h(cs.requestDetail))
	in.POST("/requests/:id", cs.h(cs.requestAct))
	in.GET("/leads", cs.h(cs.leadList))
	in.GET("/leads/new", cs.h(cs.leadNew))
	in.POST("/leads", cs.h(cs.leadFile))
	in.GET("/leads/new/receipt", cs.h(cs.leadReceipt))
	in.GET("/leads/export.xlsx", cs.h(cs.consoleLedger(cs.s.exportLeads, leadListParams)))
	in.GET("/leads/:id", cs.h(cs.leadDetailPage))
	in.POST("/leads/:id", cs.h(cs.leadAct))
	in.GET("/leads/:id/reads", cs.h(cs.leadReadsPage))
	in.GET("/consultations", cs.h(cs.consultationsPage))
	in.GET("/notices", cs.h(cs.noticesPage))
	in.GET("/files/:id", cs.h(cs.s.downloadFile))
	in.POST("/notices/read-all", cs.h(cs.noticesReadAll))
	in.GET("/deadlines", cs.h(cs.deadlineBoard))
	in.GET("/deadlines/export.xlsx", cs.h(cs.deadlineExport))
	in.GET("/stats", cs.h(cs.statsPage))
	in.GET("/units", cs.h(cs.unitsPage))
	in.GET("/units/export.xlsx", cs.h(cs.unitsExport))
	in.GET("/index", cs.h(cs.indexHome))
	in.POST("/index/runs", cs.h(cs.indexCompute))
	in.POST("/index/periods/confirm", cs.h(cs.indexConfirm))
	in.GET("/index/runs/:id", cs.h(cs.indexRun))
	in.POST("/index/runs/:id/publish", cs.h(cs.indexPublish))
	in.GET("/index/runs/:id/regions/:code", cs.h(cs.indexRunRegion))
	in.GET("/index/surveys", cs.h(cs.surveyStatus))
	in.GET("/index/indicators", cs.h(cs.indicatorTree))
	in.GET("/index/values", cs.h(cs.valuesPage))
	in.POST("/index/values", cs.h(cs.valuesUpload))
	in.GET("/accounts", cs.h(cs.accountsPage))
	in.POST("/accounts", cs.h(cs.accountCreate))
	in.POST("/accounts/:id", cs.h(cs.accountAct))
	in.POST("/accounts/:id/password-reset", cs.h(cs.accountReset))
	in.GET("/stations", cs.h(cs.stationsPage))
	in.POST("/stations", cs.h(cs.stationCreate))
	in.GET("/enterprises", cs.h(cs.enterprisesPage))
	in.POST("/enterprises", cs.h(cs.enterpriseCreate))
	in.GET("/api-keys", cs.h(cs.apiKeysPage))
	in.POST("/api-keys", cs.h(cs.apiKeyCreate))
	in.POST("/api-keys/:id/revoke", cs.h(cs.apiKeyRevoke))
}

// isAPIPath tells the paths that answer problem+json when nothing matches
// (the API and the operational routes) from the console's, which answer
// the console's own 404 page.
func isAPIPath(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics"
}

// noRoute answers an unknown path: problem+json under /api/, the console's
// 404 page elsewhere.
func (s *Server) noRoute(c *gin.Context) {
	if isAPIPath(c.Request.URL.Path) {
		s.writeProblem(c, errNoRoute)
		return
	}
	consoleHeaders(c)
	s.console.softSession(c)
	s.console.fail(c, errNoRoute)
}

// softSession lets a page outside the signed-in routes (the 404 and 405
// pages) show the account and its menu when the browser has a session; it
// asks for nothing when there is none.
func (cs *console) softSession(c *gin.Context) {
	if p, _, err := cs.principal(c); err == nil && p != nil && !p.account.PasswordChangeRequired {
		c.Set(ctxPrincipal, p)
	}
}

func (s *Server) noMethod(c *gin.Context) {
	if isAPIPath(c.Request.URL.Path) {
		s.writeProblem(c, errNoMethod)
		return
	}
	consoleHeaders(c)
	s.console.softSession(c)
	s.console.fail(c, errNoMethod)
}

// consoleHeaders lets pages load their own stylesheet, script and images
// and post forms to themselves, and nothing else (the API's headers forbid
// everything).
func consoleHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Next()
}

// asset serves an embedded static file. Its URL carries its hash, so it
// may be cached for good.
func (cs *console) asset(c *gin.Context) {
	a, ok := cs.assets[c.Param("file")]
	if !ok {
		cs.fail(c, errNoRoute)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, a.ctype, a.body)
}

// assetURL is the URL of an embedded static file (template function).
func (cs *console) assetURL(name string) string { return cs.assets[name].url }

// navEntry is an item of the console's menu. It shows when the policy lets
// the account's role take Act on Kind (always, when Kind is empty): the
// menu follows policy.csv, it does not restate it.
type navEntry struct {
	Label, Path string
	Kind, Act   string
}

// consoleNav is the menu, in order. A new page adds its entry here.
var consoleNav = []navEntry{
	{Label: "我的待办", Path: "/"},
	{Label: "通知", Path: "/notices", Kind: "notice", Act: "read"},
	{Label: "诉求", Path: "/requests", Kind: "request", Act: "list"},
	{Label: "提交诉求", Path: "/requests/new", Kind: "request", Act: "create"},
	// One name of the lead list per role: inspectors see leads, units
	// their rectification tasks, reporters what they reported by name.
	{Label: "线索", Path: "/leads", Kind: "lead.investigation", Act: "read"},
	{Label: "整改任务", Path: "/leads", Kind: "lead", Act: "complete_rectification"},
	{Label: "我报告的线索", Path: "/leads", Kind: "lead", Act: "create"},
	{Label: "报告线索", Path: "/leads/new", Kind: "lead", Act: "create"},
	{Label: "查询码查询", Path: "/leads/lookup", Kind: "lead", Act: "create"},
	{Label: "政企协商会", Path: "/consultations", Kind: "consultation", Act: "list"},
	{Label: "协商会邀请", Path: "/consultations", Kind: "consultation.invitation", Act: "list"},
	{Label: "期限看板", Path: "/deadlines", Kind: "deadline", Act: "list"},
	{Label: "统计", Path: "/stats", Kind: "stats", Act: "read"},
	{Label: "红黑榜", Path: "/units", Kind: "stats.units", Act: "read"},
	{Label: "亲清指数测算", Path: "/index", Kind: "index_run", Act: "read"},
	{Label: "指标值报送", Path: "/index/values", Kind: "indicator_value", Act: "submit"},
	{Label: "亲清指数", Path: "/public/index"},
	{Label: "账号", Path: "/accounts", Kind: "user", Act: "list"},
	{Label: "站点", Path: "/stations", Kind: "station", Act: "create"},
	{Label: "企业", Path: "/enterprises", Kind: "enterprise", Act: "create"},
	{Label: "API 密钥", Path: "/api-keys", Kind: "api_key", Act: "list"},
}

type navLink struct {
	Label, Path string
	Current     bool
}

func (cs *console) nav(p *principal, current string) []navLink {
	var out []navLink
	best := -1
	for _, n := range consoleNav {
		if n.Kind != "" && !cs.s.authz.Can(p.account.Role, n.Kind, n.Act) {
			continue
		}
		out = append(out, navLink{Label: n.Label, Path: n.Path})
		if n.Path == current || (n.Path != "/" && strings.HasPrefix(current, n.Path+"/")) {
			if best < 0 || len(n.Path) > len(out[best].Path) {
				best = len(out) - 1
			}
		}
	}
	if best >= 0 {
		out[best].Current = true
	}
	return out
}

// crumb is one step of the breadcrumb; the last one is the page itself.
type crumb struct{ Label, Path string }

// consoleMe is the signed-in account as the header shows it.
type consoleMe struct {
	Username, Name, RoleLabel, Region string
	MustChange                        bool
}

// page is what every template receives: the frame (title, breadcrumb,
// menu, account, CSRF token) and the page's own Data.
type page struct {
	Title  string
	Crumbs []crumb
	Me     *consoleMe
	Nav    []navLink
	CSRF   string
	// Notice is a confirmation to show once (after a redirect).
	Notice string
	// Problem is the refusal of the form just sent, with its fields.
	Problem *formProblem
	// Form holds the values of the form just sent, to fill it again.
	Form url.Values
	Data any
}

// newPage starts the page titled title for the signed-in caller; crumbs
// lead from 工作台 to it (the page itself is added last).
func (cs *console) newPage(c *gin.Context, title string, crumbs ...crumb) *page {
	pg := &page{Title: title, Form: url.Values{}, Notice: noticeFor(c.Query("done"))}
	if c.Request.URL.Path != "/" {
		pg.Crumbs = append([]crumb{{"工作台", "/"}}, crumbs...)
	}
	pg.Crumbs = append(pg.Crumbs, crumb{Label: title})
	if p := principalOf(c); p != nil {
		a := p.account
		name := a.DisplayName
		if name == "" || name == roleLabels[a.Role] {
			name = a.Username
		}
		pg.Me = &consoleMe{Username: a.Username, Name: name, RoleLabel: roleLabels[a.Role],
			Region: cs.s.ref.Regions[a.RegionCode].Name, MustChange: a.PasswordChangeRequired}
		if !a.PasswordChangeRequired {
			pg.Nav = cs.nav(p, c.Request.URL.Path)
		}
		pg.CSRF = cs.csrfToken(p.sessionID)
	}
	return pg
}

// render writes the page with template name.
func (cs *console) render(c *gin.Context, status int, name string, pg *page) {
	t, ok := cs.pages[name]
	if !ok {
		cs.s.log.Error("工作台页面模板不存在", "name", name)
		c.String(http.StatusInternalServerError, "服务器内部错误")
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		cs.s.log.Error("工作台页面渲染失败", "request_id", c.GetString(ctxRequestID), "page", name, "err", err)
		c.String(http.StatusInternalServerError, "服务器内部错误（请求编号 "+c.GetString(ctxRequestID)+"）")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// redirect sends the browser to target with 303 See Other (a POST is
// followed by a GET, so reloading does not send the form again).
func redirect(c *gin.Context, target string) {
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

// h adapts a page handler that returns an error: the error is shown as the
// console's error page, with the API's status and Chinese detail.
func (cs *console) h(fn func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			cs.fail(c, err)
		}
	}
}

// errorTitles name the error pages by status.
var errorTitles = map[int]string{
	http.StatusBadRequest:            "请求有误",
	http.StatusUnauthorized:          "未登录",
	http.StatusForbidden:             "无权访问",
	http.StatusNotFound:              "页面不存在",
	http.StatusMethodNotAllowed:      "不支持的请求方法",
	http.StatusConflict:              "操作冲突",
	http.StatusRequestEntityTooLarge: "提交的内容过大",
	http.StatusTooManyRequests:       "操作过于频繁",
	http.StatusInternalServerError:   "服务器内部错误",
	http.StatusServiceUnavailable:    "服务暂时不可用",
}

// fail shows err as the console's error page: the status and Chinese
// detail of the API's problem for the same error (404 for what the caller
// may not see, 403 for what its role never does, …).
func (cs *console) fail(c *gin.Context, err error) {
	p := toProblem(err)
	switch {
	case errors.Is(err, errNoRoute):
		p.Detail = "您访问的页面不存在，或者您无权查看。"
	case errors.Is(err, errNoMethod):
		p.Detail = "该页面不支持此请求方法。"
	case p.Status == http.StatusNotFound:
		p.Detail = "该事项不存在，或者您无权查看。"
	case p.Status >= 500:
		cs.s.log.Error("工作台请求处理失败", "request_id", c.GetString(ctxRequestID), "path", c.FullPath(), "err", err)
		if p.Status == http.StatusInternalServerError {
			p.Detail = "服务器内部错误（请求编号 " + c.GetString(ctxRequestID) + "）"
		}
	}
	if p.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	title := errorTitles[p.Status]
	if title == "" {
		title = http.StatusText(p.Status)
	}
	pg := cs.newPage(c, title)
	pg.Problem = cs.problem(err, nil)
	pg.Problem.Detail = p.Detail
	pg.Data = p.Status
	cs.render(c, p.Status, "error", pg)
	c.Abort()
}

// formProblem is a refusal shown in a form: the API problem's status and
// detail, and each field it names with its Chinese label.
type formProblem struct {
	Status int
	Detail string
	Fields []fieldMessage
}

type fieldMessage struct {
	Field, Label, Message string
}

// problem words err for a form. labels names the form's fields (the
// general fieldLabels otherwise).
func (cs *console) problem(err error, labels map[string]string) *formProblem {
	p := rawProblem(err)
	fp := &formProblem{Status: p.Status, Detail: p.Detail}
	for _, f := range p.Errors {
		label := labels[f.Field]
		if label == "" {
			label = fieldLabel(f.Field)
		}
		// The validator's messages start with the JSON name of the field
		// ("title为必填字段"); the form names it in Chinese already.
		msg := strings.TrimPrefix(f.Message, f.Field)
		fp.Fields = append(fp.Fields, fieldMessage{Field: f.Field, Label: label, Message: msg})
	}
	if p.Status == http.StatusBadRequest && len(fp.Fields) > 0 {
		fp.Detail = "请修改以下内容后重新提交。"
	}
	return fp
}

// For reports the message of field in p ("" when none): the template
// function fieldError.
func (p *formProblem) For(field string) string {
	if p == nil {
		return ""
	}
	var msgs []string
	for _, f := range p.Fields {
		if f.Field == field && !slices.Contains(msgs, f.Message) {
			msgs = append(msgs, f.Message)
		}
	}
	return strings.Join(msgs, "；")
}

// formValues copies the posted form (without the CSRF token) for filling
// the form again.
func formValues(c *gin.Context) url.Values {
	if err := c.Request.ParseMultipartForm(1 << 20); err != nil {
		_ = c.Request.ParseForm()
	}
	v := url.Values{}
	for k, vs := range c.Request.PostForm {
		if k != "csrf" {
			v[k] = vs
		}
	}
	return v
}
