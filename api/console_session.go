package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Console sessions (README "Console"). Signing in opens a session in the
// sessions table, as POST /auth/login does; the cookie is a signed
// reference to it:
//
//	v1.<account id>.<session id>.<token version>.<last seen, Unix s>.<HMAC-SHA256, base64url>
//
// It holds no secret: the HMAC (keyed from the JWT secret) only proves the
// server wrote it. Every request reads the account and session exactly as
// a bearer token does (FindAccountForToken, with the same credential
// cache), so logout, logout everywhere, a password change and disabling
// end a console session as they end a token. The session's 12-hour end is
// the store's; the 30-minute idle end is the cookie's last-seen time,
// rewritten at most once a minute. The cookie is HttpOnly, SameSite=Strict,
// Path=/, and Secure — named with the __Host- prefix — when the request
// came over TLS, directly or through a trusted proxy (QINQING_TRUSTED_PROXIES)
// that sent X-Forwarded-Proto: https.

const (
	cookieName        = "qinqing"
	loginCookieName   = "qinqing_login"
	cookieRefresh     = time.Minute
	loginCookieMaxAge = 3600
)

// secure tells whether the browser reached us over TLS.
func (cs *console) secure(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	ap, err := netip.ParseAddrPort(c.Request.RemoteAddr)
	if err != nil {
		return false
	}
	peer := ap.Addr().Unmap()
	for _, p := range cs.proxies {
		if p.Contains(peer) {
			proto, _, _ := strings.Cut(c.GetHeader("X-Forwarded-Proto"), ",")
			return strings.EqualFold(strings.TrimSpace(proto), "https")
		}
	}
	return false
}

// cookieNamed is the name of a cookie over this connection: a Secure
// cookie carries the __Host- prefix, so that the browser refuses it
// without Secure, with a Domain or with another Path.
func (cs *console) cookieNamed(c *gin.Context, name string) string {
	if cs.secure(c) {
		return "__Host-" + name
	}
	return name
}

func (cs *console) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: cs.cookieNamed(c, name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: cs.secure(c), SameSite: http.SameSiteStrictMode})
}

func (cs *console) mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionCookie is the parsed session cookie.
type sessionCookie struct {
	accountID, sessionID uint64
	version              int
	seen                 time.Time
}

func (cs *console) encodeSession(sc sessionCookie) string {
	body := "v1." + idString(sc.accountID) + "." + idString(sc.sessionID) + "." + strconv.Itoa(sc.version) + "." +
		strconv.FormatInt(sc.seen.Unix(), 10)
	return body + "." + cs.mac(cs.cookieKey, body)
}

func (cs *console) decodeSession(v string) (sessionCookie, bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !hmac.Equal([]byte(cs.mac(cs.cookieKey, v[:i])), []byte(v[i+1:])) {
		return sessionCookie{}, false
	}
	f := strings.Split(v[:i], ".")
	if len(f) != 5 || f[0] != "v1" {
		return sessionCookie{}, false
	}
	acct, ok1 := parseID(f[1])
	sess, ok2 := parseID(f[2])
	ver, err1 := strconv.Atoi(f[3])
	seen, err2 := strconv.ParseInt(f[4], 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return sessionCookie{}, false
	}
	return sessionCookie{accountID: acct, sessionID: sess, version: ver, seen: time.Unix(seen, 0)}, true
}

// startSession sets the cookie of a new session.
func (cs *console) startSession(c *gin.Context, a *model.Account, sessionID uint64) {
	cs.setCookie(c, cookieName, cs.encodeSession(sessionCookie{accountID: a.ID, sessionID: sessionID,
		version: a.TokenVersion, seen: cs.s.clock()}), 0)
}

// principal reads the session cookie: the signed-in principal, or nil when
// there is no valid session (no cookie, a forged or idle one, a session
// ended, an account disabled or its tokens invalidated). err is a failure
// to find out (the database).
func (cs *console) principal(c *gin.Context) (*principal, *sessionCookie, error) {
	raw, err := c.Cookie(cs.cookieNamed(c, cookieName))
	if err != nil || raw == "" {
		return nil, nil, nil
	}
	sc, ok := cs.decodeSession(raw)
	now := cs.s.clock()
	if !ok || now.Sub(sc.seen) >= sessionIdle || sc.seen.After(now.Add(time.Minute)) {
		return nil, nil, nil
	}
	a, err := cs.s.store.FindAccountForToken(c.Request.Context(), sc.accountID, sc.sessionID)
	switch {
	case errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrCredentialInvalid):
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	case a.Disabled || a.TokenVersion != sc.version:
		return nil, nil, nil
	}
	return &principal{account: a, scope: cs.s.scopeFor(a), sessionID: sc.sessionID}, &sc, nil
}

// session requires a signed-in account. Without one, a page asks to sign
// in and comes back; with a generated password, only the password page
// and signing out are open.
func (cs *console) session(c *gin.Context) {
	p, sc, err := cs.principal(c)
	if err != nil {
		cs.fail(c, err)
		return
	}
	if p == nil {
		cs.setCookie(c, cookieName, "", -1)
		target := "/login"
		if c.Request.Method == http.MethodGet && c.Request.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
		}
		redirect(c, target)
		return
	}
	if now := cs.s.clock(); now.Sub(sc.seen) >= cookieRefresh {
		sc.seen = now
		cs.setCookie(c, cookieName, cs.encodeSession(*sc), 0)
	}
	c.Set(ctxPrincipal, p)
	if p.account.PasswordChangeRequired && c.FullPath() != "/password" && c.FullPath() != "/logout" {
		redirect(c, "/password")
		return
	}
	c.Next()
}

// rateLimit is the API's limit (per account when signed in, else per
// address), answered with the console's page.
func (cs *console) rateLimit(c *gin.Context) {
	key := c.ClientIP()
	if p := principalOf(c); p != nil {
		key = "account:" + strconv.FormatUint(p.account.ID, 10)
	}
	if ok, wait := cs.s.limiter.allow(c.Request.Context(), key); !ok {
		cs.fail(c, retryAfter(errRateLimited, int(math.Ceil(wait.Seconds()))))
		return
	}
	c.Next()
}

// CSRF: every form of a signed-in page carries the token of its session,
// an HMAC of the session id; a POST without it is refused. The sign-in
// form, before any session, carries the HMAC of a random value kept in a
// short-lived cookie (double submit). SameSite=Strict cookies are a second
// line.

func (cs *console) csrfToken(sessionID uint64) string {
	return cs.mac(cs.csrfKey, "session", idString(sessionID))
}

func (cs *console) csrf(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	p := principalOf(c)
	if p == nil || !hmac.Equal([]byte(c.PostForm("csrf")), []byte(cs.csrfToken(p.sessionID))) {
		cs.refuseCSRF(c)
		return
	}
	c.Next()
}

// refuseCSRF answers a form that did not come from a page of ours (or from
// a page of a session that has ended since).
func (cs *console) refuseCSRF(c *gin.Context) {
	pg := cs.newPage(c, "请求已失效")
	pg.Problem = &formProblem{Status: http.StatusForbidden,
		Detail: "该表单已失效或并非来自本系统的页面，操作未执行。请返回上一页，刷新后重新提交。"}
	pg.Data = http.StatusForbidden
	cs.render(c, http.StatusForbidden, "error", pg)
	c.Abort()
}

// loginForm is the sign-in page's data.
type loginForm struct {
	Next  string
	Token string
	// Bye: the account just signed out.
	Bye bool
}

// safeNext keeps a post-sign-in target on this site: a path, not a URL
// that leaves it ("//host", "/\host", or "/\t/host", which browsers read as
// "//host" once they drop the tab).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return "/"
		}
	}
	return next
}

// loginPage shows the sign-in form; a signed-in account goes home.
func (cs *console) loginPage(c *gin.Context) error {
	if p, _, err := cs.principal(c); err == nil && p != nil {
		redirect(c, "/")
		return nil
	}
	cs.renderLogin(c, http.StatusOK, nil, "")
	return nil
}

func (cs *console) renderLogin(c *gin.Context, status int, problem *formProblem, username string) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	cs.setCookie(c, loginCookieName, nonce, loginCookieMaxAge)
	pg := cs.newPage(c, "登录")
	pg.Crumbs = nil
	pg.Problem = problem
	pg.Form.Set("username", username)
	pg.Data = loginForm{Next: safeNext(c.Query("next")), Token: cs.mac(cs.csrfKey, "login", nonce),
		Bye: c.Query("bye") != ""}
	cs.render(c, status, "login", pg)
}

// login signs in through signIn, the function POST /api/v1/auth/login
// calls: the same throttle, the same answer for unknown users and wrong
// passwords.
func (cs *console) login(c *gin.Context) error {
	nonce, _ := c.Cookie(cs.cookieNamed(c, loginCookieName))
	if nonce == "" || !hmac.Equal([]byte(c.PostForm("csrf")), []byte(cs.mac(cs.csrfKey, "login", nonce))) {
		cs.refuseCSRF(c)
		return nil
	}
	username, password := strings.TrimSpace(c.PostForm("username")), c.PostForm("password")
	b := loginBody{Username: username, Password: password}
	err := cs.s.valid.check(&b)
	var a *model.Account
	var sess *model.AuthSession
	if err == nil {
		a, sess, _, err = cs.s.signIn(c.Request.Context(), username, password, c.ClientIP())
	}
	if err != nil {
		p := toProblem(err)
		if p.Status >= 500 {
			return err
		}
		if p.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(p.RetryAfter))
		}
		fp := cs.problem(err, nil)
		if p.Status == http.StatusTooManyRequests {
			fp.Detail = "登录失败次数过多，请 " + waitWords(p.RetryAfter) + "后再试。"
		}
		cs.renderLogin(c, p.Status, fp, username)
		return nil
	}
	cs.setCookie(c, loginCookieName, "", -1)
	cs.startSession(c, a, sess.ID)
	cs.s.log.Info("工作台登录", "request_id", c.GetString(ctxRequestID), "account", a.ID, "session", sess.ID)
	if a.PasswordChangeRequired {
		redirect(c, "/password")
		return nil
	}
	redirect(c, safeNext(c.PostForm("next")))
	return nil
}

// waitWords says how long to wait in words: 15 分钟, 40 秒.
func waitWords(secs int) string {
	if secs >= 60 {
		return strconv.Itoa((secs+59)/60) + " 分钟"
	}
	return strconv.Itoa(max(secs, 1)) + " 秒"
}

// logout ends this session (as POST /auth/logout does) and forgets the cookie.
func (cs *console) logout(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.store.RevokeSession(c.Request.Context(), p.account.ID, p.sessionID); err != nil {
		return err
	}
	cs.setCookie(c, cookieName, "", -1)
	redirect(c, "/login?bye=1")
	return nil
}

// passwordLabels name the password form's fields.
var passwordLabels = map[string]string{"current_password": "当前密码", "new_password": "新密码", "new_password_confirm": "确认新密码"}

func (cs *console) passwordPage(c *gin.Context) error {
	cs.render(c, http.StatusOK, "password", cs.newPage(c, "修改密码"))
	return nil
}

// password changes the account's password through setOwnPassword (as POST
// /me/password does). That ends every session of the account, this one
// too; the console then opens a new session for this browser, since its
// holder has just proved the password.
func (cs *console) password(c *gin.Context) error {
	p := principalOf(c)
	b := passwordBody{CurrentPassword: c.PostForm("current_password"), NewPassword: c.PostForm("new_password")}
	err := cs.s.valid.check(&b)
	if err == nil && b.NewPassword != c.PostForm("new_password_confirm") {
		err = workflow.Invalid("new_password_confirm", "两次输入的新密码不一致")
	}
	if err == nil {
		err = cs.s.setOwnPassword(c.Request.Context(), p, b)
	}
	if err != nil {
		if toProblem(err).Status >= 500 {
			return err
		}
		pg := cs.newPage(c, "修改密码")
		pg.Problem = cs.problem(err, passwordLabels)
		cs.render(c, toProblem(err).Status, "password", pg)
		return nil
	}
	ctx := c.Request.Context()
	a, err := cs.s.store.FindAccount(ctx, p.account.ID)
	if err != nil {
		return err
	}
	sess, _, err := cs.s.store.StartSession(ctx, a.ID, c.ClientIP(), sessionPolicy)
	if err != nil {
		return err
	}
	cs.startSession(c, a, sess.ID)
	redirect(c, "/?done=password")
	return nil
}
