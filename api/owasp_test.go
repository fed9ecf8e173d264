package api_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

// The OWASP API Security Top 10 (2023), item by item (docs/design.md#owasp-api-top-10): what
// covers each risk, and the tests that were missing. Tests named here live
// in this package and run on SQLite and, with QINQING_TEST_MYSQL_DSN, MySQL.
//
// API1 Broken Object Level Authorization — TestAuthzRequestReads,
//   TestAuthzRequestLists, TestAuthzActions (every account × every request:
//   404 outside the caller's scope, never 403, filters intersected with the
//   scope), TestAuthzOrgRoutes (enterprises, stations, users by region),
//   TestAuthzLeadReads/Lists/Actions, TestLeadRecusal, TestLeadFieldsByRole;
//   API keys: TestAPIKeys (an admin sees and revokes only the keys of its
//   region). The region rule itself: policy.TestRegions (prefix traps).
// API2 Broken Authentication — TestOWASPAPI2JWT (below: alg none, HS/RS
//   confusion, wrong key, missing exp, wrong iss/aud, expired, nbf and iat in
//   the future, missing or stale sid/tv), TestOWASPAPI2Revocation (below:
//   token after logout, password change, disabling; refresh reuse revokes
//   the family), TestRefreshRotation, TestSessionTimeouts, TestLogout,
//   TestChangePassword, TestDisableAccount, TestLoginThrottling (429 with
//   Retry-After per account and per address, same answer for unknown users),
//   TestAPIKeys (revoked and expired keys 401, key in a query string 401,
//   key only as `Authorization: ApiKey`), TestAuthzUnauthenticated;
//   main: TestRunRefusesMySQLWithoutSecret (no default signing key).
// API3 Broken Object Property Level Authorization — TestInputUnknownAndServerOwnedFields
//   (status, ids, version, owner … in bodies: 400, row unchanged),
//   TestLeadFieldsByRole and TestLeadEventsConfidential (confidential fields
//   per role), TestOWASPAPI3NoSecretsInResponses (below).
// API4 Unrestricted Resource Consumption — TestInputBodyTooLarge (413),
//   TestInputPageSizeCap (page_size capped at 100), TestInputCursorWalk,
//   TestOpenAPIRateLimited (429 + Retry-After per account), TestLoginThrottling,
//   TestInputSearchIsLiteral (LIKE wildcards escaped); the request timeout
//   and the database outage: TestDatabaseRestart (QINQING_TEST_FAULTS=1).
//   Slow clients: main.go serves with ReadHeaderTimeout 5 s, ReadTimeout 30 s.
// API5 Broken Function Level Authorization — TestAuthzForbiddenActions,
//   TestAuthzActions (403 for a role that never takes an action),
//   TestAuthzOrgRoutes, TestOWASPAPI5EveryPrivateRouteNeedsAuth and
//   TestOWASPAPI5PathVariants (below); policy.TestPolicyMatchesVocabulary
//   (nothing granted that the vocabulary does not list).
// API6 Unrestricted Access to Sensitive Business Flows — TestParallelTransitionsOneWins
//   (concurrent transitions: exactly one wins), TestInputIdempotencyKey
//   (retries file nothing twice), TestRefusalsByState (illegal transitions
//   409), TestAuditChain (the timeline is tamper-evident).
// API7 Server Side Request Forgery — does not apply: no endpoint fetches a
//   URL a client supplies; webhook URLs are operator configuration (YAML).
// API8 Security Misconfiguration — TestOWASPAPI8Headers, TestOWASPAPI8NoDebugRoutes,
//   TestOWASPAPI8GenericErrors (below); gin runs in release mode; no CORS
//   headers are sent; the admin password is given or generated, never a
//   default (main.ensureAdmin), and so is the JWT key.
// API9 Improper Inventory Management — TestOpenAPIRoutes (router and
//   document agree both ways), TestOpenAPIExchanges (every test exchange is
//   validated against the document), TestOWASPAPI9OneVersionedPrefix (below).
// API10 Unsafe Consumption of APIs — does not apply: the service consumes no
//   upstream API. Its only outbound calls are webhook notifications, sent
//   with a 5 s timeout, no redirects, and the answer read at most 64 KiB and
//   otherwise ignored (model/webhooks.go).

// forge signs claims with the test server's key (or key) and method.
func forge(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var harnessKey = []byte(strings.Repeat("k", 32))

func TestOWASPAPI2JWT(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "jwt_insp", "inspector", "330203")
		other := ts.newAccount(t, "jwt_other", "inspector", "330203")
		real := ts.signIn(t, "jwt_insp", testPassword).Access
		var base jwt.MapClaims
		if _, _, err := jwt.NewParser().ParseUnverified(real, &base); err != nil {
			t.Fatal(err)
		}
		with := func(change func(c jwt.MapClaims)) jwt.MapClaims {
			c := jwt.MapClaims{}
			for k, v := range base {
				c[k] = v
			}
			change(c)
			return c
		}
		now := ts.clock.Now()
		me := func(tok string) *response { return ts.do(t, tok, "GET", "/api/v1/me", nil) }

		// The forger's own baseline is accepted: every refusal below is due
		// to the one thing changed.
		me(forge(t, jwt.SigningMethodHS256, with(func(jwt.MapClaims) {}), harnessKey)).want(http.StatusOK)

		none := forge(t, jwt.SigningMethodNone, with(func(jwt.MapClaims) {}), jwt.UnsafeAllowNoneSignatureType)
		hs512 := forge(t, jwt.SigningMethodHS512, with(func(jwt.MapClaims) {}), harnessKey)
		// HS/RS confusion: a token that claims RS256 but is an HMAC over the header and claims.
		parts := strings.Split(forge(t, jwt.SigningMethodHS256, with(func(jwt.MapClaims) {}), harnessKey), ".")
		rsHeader := jwtEncode(`{"alg":"RS256","typ":"JWT"}`)
		rs := rsHeader + "." + parts[1] + "." + parts[2]
		bad := map[string]string{
			"alg none":         none,
			"alg HS512":        hs512,
			"alg RS256 header": rs,
			"wrong key":        forge(t, jwt.SigningMethodHS256, with(func(jwt.MapClaims) {}), []byte(strings.Repeat("x", 32))),
			"tampered claims":  parts[0] + "." + jwtEncode(`{"sub":"1","iss":"qinqing","aud":["qinqing-api"],"exp":4102444800}`) + "." + parts[2],
			"missing exp":      forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { delete(c, "exp") }), harnessKey),
			"wrong iss":        forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["iss"] = "someone-else" }), harnessKey),
			"missing iss":      forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { delete(c, "iss") }), harnessKey),
			"wrong aud":        forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} }), harnessKey),
			"expired":          forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }), harnessKey),
			"nbf in future":    forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Minute).Unix() }), harnessKey),
			"iat in future":    forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["iat"] = now.Add(10 * time.Minute).Unix() }), harnessKey),
			"missing sid":      forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { delete(c, "sid") }), harnessKey),
			"missing tv":       forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { delete(c, "tv") }), harnessKey),
			"stale tv":         forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["tv"] = -1 }), harnessKey),
			"unknown sid":      forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["sid"] = "999999999" }), harnessKey),
			// Another account's id with this account's session.
			"other sub":   forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["sub"] = other }), harnessKey),
			"bearer only": "",
		}
		for name, tok := range bad {
			res := ts.do(t, "", "GET", "/api/v1/me", nil, "Authorization", "Bearer "+tok)
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401: %s", name, res.status, res.body)
				continue
			}
			res.wantProblem(http.StatusUnauthorized, "unauthenticated")
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", name, res.header.Get("WWW-Authenticate"))
			}
		}
		// Within the 30 s leeway an expired token still passes; past it, not.
		tok := forge(t, jwt.SigningMethodHS256, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() }), harnessKey)
		me(tok).want(http.StatusOK)
		// The real token expires after 15 minutes.
		ts.clock.Advance(16 * time.Minute)
		me(real).wantProblem(http.StatusUnauthorized, "unauthenticated")
	})
}

func jwtEncode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestOWASPAPI2Revocation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		me := func(tok string) *response { return ts.do(t, tok, "GET", "/api/v1/me", nil) }
		// After logout.
		p := ts.signIn(t, "insp_hs", testPassword)
		ts.do(t, p.Access, "POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
		me(p.Access).wantProblem(http.StatusUnauthorized, "unauthenticated")
		// After a password change.
		p = ts.signIn(t, "insp_yz", testPassword)
		ts.do(t, p.Access, "POST", "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "changed-pass-9"}).
			want(http.StatusNoContent)
		me(p.Access).wantProblem(http.StatusUnauthorized, "unauthenticated")
		// After disabling.
		p = ts.signIn(t, "acfic_yz", testPassword)
		ts.as(t, "admin", "PATCH", "/api/v1/users/"+ts.ids["user_acfic_yz"], map[string]bool{"disabled": true}).want(http.StatusOK)
		me(p.Access).wantProblem(http.StatusUnauthorized, "unauthenticated")
		// Refresh reuse revokes the family.
		p = ts.signIn(t, "station_hs", testPassword)
		var next tokenPair
		ts.refresh(t, p.Refresh).want(http.StatusOK).decode(&next)
		ts.refresh(t, p.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.refresh(t, next.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		me(next.Access).wantProblem(http.StatusUnauthorized, "unauthenticated")
	})
}

func TestOWASPAPI3NoSecretsInResponses(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		login := ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": testPassword}).want(http.StatusOK)
		key := ts.as(t, "admin", "POST", "/api/v1/api-keys", map[string]any{"account_id": ts.ids["user_insp_hs"], "name": "x"}).
			want(http.StatusCreated).obj()["key"].(string)
		for _, res := range []*response{
			ts.as(t, "admin", "GET", "/api/v1/users?page_size=100", nil).want(http.StatusOK),
			ts.as(t, "admin", "GET", "/api/v1/me", nil).want(http.StatusOK),
			ts.as(t, "admin", "GET", "/api/v1/api-keys", nil).want(http.StatusOK),
			ts.as(t, "admin", "PATCH", "/api/v1/users/"+ts.ids["user_insp_hs"], map[string]bool{"disabled": false}).want(http.StatusOK),
		} {
			// password_change_required says whether a password must change,
			// not what it is: the one "password" allowed.
			body := strings.ReplaceAll(string(res.body), `"password_change_required"`, "")
			for _, secret := range []string{"password", "$argon2", "token_version", "key_hash", "token_hash", key, testPassword} {
				if strings.Contains(body, secret) {
					t.Errorf("a response shows %q: %.300s", secret, res.body)
				}
			}
		}
		if strings.Contains(string(login.body), testPassword) {
			t.Error("the login answer echoes the password")
		}
	})
}

// TestOWASPAPI5EveryPrivateRouteNeedsAuth walks the router: every route the
// OpenAPI document does not mark public answers 401 without a credential,
// whatever its method, before any handler runs.
func TestOWASPAPI5EveryPrivateRouteNeedsAuth(t *testing.T) {
	t.Parallel()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				public[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	ts := newTestServer(t, "sqlite", nil)
	checked := 0
	for _, r := range ts.srv.Engine().Routes() {
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		// Console pages ask to sign in instead (TestConsoleRoutesNeedSession).
		if public[r.Method+" "+path] || isConsoleRoute(r.Path) {
			continue
		}
		concrete := ginParam.ReplaceAllString(r.Path, "1")
		var body any
		if r.Method == "POST" || r.Method == "PATCH" || r.Method == "PUT" {
			body = map[string]any{}
		}
		res := ts.do(t, "", r.Method, concrete, body)
		if res.status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", r.Method, r.Path, res.status)
		}
		checked++
	}
	if checked < 30 {
		t.Errorf("only %d private routes checked", checked)
	}
	for _, p := range []string{"POST /api/v1/auth/login", "POST /api/v1/auth/refresh", "GET /healthz"} {
		if !public[p] {
			t.Errorf("%s is not documented as public", p)
		}
	}
}

// TestOWASPAPI5PathVariants: trailing slashes, doubled slashes, dot
// segments and other letter case reach no handler (404, no redirect), so
// they cannot route around a check. (A percent-encoded path is decoded by
// net/http before routing: it is the same route with the same checks.)
func TestOWASPAPI5PathVariants(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	for _, p := range []string{"/api/v1/users/", "//api/v1/users", "/API/V1/users", "/api/v1/Users",
		"/api/v1/./users", "/api/v1/requests/../users", "/api/v2/users", "/api/v1/users;x"} {
		res := ts.as(t, "ent_hs", "GET", p, nil)
		if res.status == http.StatusOK || (res.status >= 300 && res.status < 400) {
			t.Errorf("GET %s as an enterprise: %d (want a refusal, no redirect): %.200s", p, res.status, res.body)
		}
	}
	// The canonical path as the enterprise: 403.
	ts.as(t, "ent_hs", "GET", "/api/v1/users", nil).wantProblem(http.StatusForbidden, "forbidden")
	ts.as(t, "ent_hs", "DELETE", "/api/v1/users", nil).wantProblem(http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestOWASPAPI8Headers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	}
	for _, res := range []*response{
		ts.as(t, "admin", "GET", "/api/v1/me", nil, "Origin", "https://evil.example").want(http.StatusOK),
		ts.do(t, "", "GET", "/api/v1/me", nil).want(http.StatusUnauthorized),
		ts.do(t, "", "GET", "/api/v1/nowhere", nil).want(http.StatusNotFound),
		ts.do(t, "", "POST", "/api/v1/auth/login", "{").want(http.StatusBadRequest),
		ts.do(t, "", "GET", "/healthz", nil).want(http.StatusOK),
	} {
		for h, v := range want {
			if got := res.header.Get(h); got != v {
				t.Errorf("%s: %q, want %q", h, got, v)
			}
		}
		if v := res.header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("CORS header sent: %q", v)
		}
		if v := res.header.Get("Server"); v != "" {
			t.Errorf("Server header %q", v)
		}
	}
	if gin.Mode() != gin.ReleaseMode {
		t.Errorf("gin mode %q", gin.Mode())
	}
}

func TestOWASPAPI8NoDebugRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	for _, r := range ts.srv.Engine().Routes() {
		for _, bad := range []string{"debug", "pprof", "swagger", "vars", "admin/", "test"} {
			if strings.Contains(strings.ToLower(r.Path), bad) {
				t.Errorf("route %s %s looks like a debug route", r.Method, r.Path)
			}
		}
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/vars", "/swagger/index.html", "/api/v1/debug"} {
		if res := ts.do(t, "", "GET", p, nil); !isConsoleRoute(p) {
			res.wantProblem(http.StatusNotFound, "not_found")
		} else if res.status != http.StatusNotFound { // the console's 404 page
			t.Errorf("GET %s: %d, want 404", p, res.status)
		}
	}
}

// TestOWASPAPI8GenericErrors: a failure inside the server answers a
// generic 500 problem with a request id, never the error's text.
func TestOWASPAPI8GenericErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	tok := ts.login(t, "admin")
	sqlDB, _ := ts.db.DB()
	_ = sqlDB.Close() // every query now fails with "sql: database is closed"
	res := ts.do(t, tok, "GET", "/api/v1/me", nil, "X-Request-ID", "req-owasp-500")
	p := res.wantProblem(http.StatusInternalServerError, "internal")
	for _, leak := range []string{"sql", "database", "closed", "gorm", ".go", "goroutine"} {
		if strings.Contains(strings.ToLower(string(res.body)), leak) {
			t.Errorf("500 body mentions %q: %s", leak, res.body)
		}
	}
	if !strings.Contains(p.Detail, "req-owasp-500") {
		t.Errorf("500 detail %q does not carry the request id", p.Detail)
	}
}

func TestOWASPAPI9OneVersionedPrefix(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ops := []string{"/healthz", "/readyz", "/metrics"}
	for _, r := range ts.srv.Engine().Routes() {
		// The console's pages are at /, for people (console_test.go).
		if !strings.HasPrefix(r.Path, "/api/v1/") && !slices.Contains(ops, r.Path) && !isConsoleRoute(r.Path) {
			t.Errorf("route %s %s is outside /api/v1", r.Method, r.Path)
		}
	}
}
