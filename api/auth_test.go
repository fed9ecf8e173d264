package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"qinqing/model"
)

// Authentication: rotating refresh tokens, logout, password change,
// disabling, login throttling and API keys. Each test signs in
// with ts.signIn (not the harness's token cache), since these tests end
// sessions on purpose.

type tokenPair struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	Expires int    `json:"expires_in"`
	Idle    int    `json:"refresh_expires_in"`
}

// signIn logs in with password and returns the pair.
func (ts *testServer) signIn(t testing.TB, user, password string) tokenPair {
	t.Helper()
	var p tokenPair
	ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}).want(http.StatusOK).decode(&p)
	if p.Access == "" || p.Refresh == "" || p.Expires <= 0 || p.Expires > 900 || p.Idle <= 0 {
		t.Fatalf("login answer %+v", p)
	}
	return p
}

func (ts *testServer) refresh(t testing.TB, refresh string) *response {
	t.Helper()
	return ts.do(t, "", "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": refresh})
}

// newAccount creates an account as admin and returns its id.
func (ts *testServer) newAccount(t testing.TB, username, role, region string) string {
	t.Helper()
	res := ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": username, "password": testPassword,
		"role": role, "region_code": region}).want(http.StatusCreated)
	return res.obj()["id"].(string)
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "rot_insp", "inspector", "330203")
		p1 := ts.signIn(t, "rot_insp", testPassword)
		ts.do(t, p1.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)

		// A refresh gives a new pair; the old access token still works until
		// it expires (same session), the new one too.
		var p2 tokenPair
		ts.refresh(t, p1.Refresh).want(http.StatusOK).decode(&p2)
		if p2.Refresh == p1.Refresh || p2.Access == "" {
			t.Fatalf("refresh did not rotate: %+v", p2)
		}
		ts.do(t, p2.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)
		var p3 tokenPair
		ts.refresh(t, p2.Refresh).want(http.StatusOK).decode(&p3)

		// Another sign-in of the same account is another session.
		other := ts.signIn(t, "rot_insp", testPassword)

		// Reuse of a rotated token: 401, and the whole family is revoked —
		// the newest refresh token and the session's access tokens too.
		ts.refresh(t, p1.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.refresh(t, p3.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, p3.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, p1.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		// The other session is untouched.
		ts.do(t, other.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)
		ts.refresh(t, other.Refresh).want(http.StatusOK)

		// Unknown and malformed refresh tokens.
		ts.refresh(t, "not-a-token").wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "POST", "/api/v1/auth/refresh", map[string]string{}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.do(t, "", "POST", "/api/v1/auth/refresh", map[string]any{"refresh_token": "x", "account_id": "1"}).
			wantProblem(http.StatusBadRequest, "validation_failed")
	})
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "to_insp", "inspector", "330203")
		// Idle: a refresh token unused for 30 minutes is dead.
		p := ts.signIn(t, "to_insp", testPassword)
		ts.clock.Advance(31 * time.Minute)
		ts.refresh(t, p.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, p.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")

		// Absolute: refreshing every 14 minutes keeps a session for 12 hours, not more.
		p = ts.signIn(t, "to_insp", testPassword)
		start := ts.clock.Now()
		for ts.clock.Now().Sub(start) < 12*time.Hour-15*time.Minute {
			ts.clock.Advance(14 * time.Minute)
			ts.refresh(t, p.Refresh).want(http.StatusOK).decode(&p)
		}
		ts.clock.Advance(15 * time.Minute)
		ts.refresh(t, p.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "lo_insp", "inspector", "330203")
		a := ts.signIn(t, "lo_insp", testPassword)
		b := ts.signIn(t, "lo_insp", testPassword)
		c := ts.signIn(t, "lo_insp", testPassword)

		// Logout without a body ends the caller's session: its access token
		// at once, its refresh token too.
		ts.do(t, a.Access, "POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
		ts.do(t, a.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.refresh(t, a.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, b.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)

		// With a refresh token of another of the caller's sessions: both end.
		ts.do(t, b.Access, "POST", "/api/v1/auth/logout", map[string]string{"refresh_token": c.Refresh}).want(http.StatusNoContent)
		ts.do(t, b.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, c.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")

		// A refresh token of someone else is left alone.
		ts.newAccount(t, "lo_other", "inspector", "330203")
		o := ts.signIn(t, "lo_other", testPassword)
		d := ts.signIn(t, "lo_insp", testPassword)
		ts.do(t, d.Access, "POST", "/api/v1/auth/logout", map[string]string{"refresh_token": o.Refresh}).want(http.StatusNoContent)
		ts.do(t, o.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)
		ts.refresh(t, o.Refresh).want(http.StatusOK)

		// all=true: every session and access token of the account.
		e := ts.signIn(t, "lo_insp", testPassword)
		f := ts.signIn(t, "lo_insp", testPassword)
		ts.do(t, e.Access, "POST", "/api/v1/auth/logout", map[string]bool{"all": true}).want(http.StatusNoContent)
		ts.do(t, f.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.refresh(t, f.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		// Signing in again works.
		ts.do(t, ts.signIn(t, "lo_insp", testPassword).Access, "GET", "/api/v1/me", nil).want(http.StatusOK)

		// Logout needs a token, and refuses unknown fields.
		ts.do(t, "", "POST", "/api/v1/auth/logout", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		g := ts.signIn(t, "lo_insp", testPassword)
		ts.do(t, g.Access, "POST", "/api/v1/auth/logout", map[string]any{"everything": true}).wantProblem(http.StatusBadRequest, "validation_failed")
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		const user, newPW = "ent_hs", "a-new-password-2"
		a := ts.signIn(t, user, testPassword)
		b := ts.signIn(t, user, testPassword)
		path := "/api/v1/me/password"

		p := ts.do(t, a.Access, "POST", path, map[string]string{"current_password": "wrong-password", "new_password": newPW}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		p.wantField(t, "current_password")
		ts.do(t, a.Access, "POST", path, map[string]string{"current_password": testPassword, "new_password": "short"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "new_password")
		ts.do(t, a.Access, "POST", path, map[string]string{"current_password": testPassword, "new_password": testPassword}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "new_password")
		ts.do(t, a.Access, "POST", path, map[string]string{"current_password": testPassword, "new_password": newPW, "username": "x"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "username")

		ts.do(t, a.Access, "POST", path, map[string]string{"current_password": testPassword, "new_password": newPW}).want(http.StatusNoContent)
		// Every token of the account stops working, this one included.
		for _, tok := range []string{a.Access, b.Access} {
			ts.do(t, tok, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		}
		ts.refresh(t, b.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": testPassword}).
			wantProblem(http.StatusUnauthorized, "unauthenticated")
		c := ts.signIn(t, user, newPW)
		ts.do(t, c.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)
		// Any role may change its own password.
		for _, u := range []string{"admin_hs", "insp_yz", "dept_hs_sw", "station_yz", "acfic_yz"} {
			tok := ts.signIn(t, u, testPassword).Access
			ts.do(t, tok, "POST", path, map[string]string{"current_password": testPassword, "new_password": newPW}).want(http.StatusNoContent)
		}
	})
}

// TestPasswordChangeRequired: an account whose password was generated says
// so in /me (the console then asks for a new password); changing the
// password clears it. The API itself keeps answering such an account.
func TestPasswordChangeRequired(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		if _, err := ts.store.CreateAccount(context.Background(), testHasher(), model.NewAccount{Username: "fresh_admin",
			Password: testPassword, Role: "admin", RegionCode: "330203", PasswordChangeRequired: true}); err != nil {
			t.Fatal(err)
		}
		me := func(tok string) bool {
			var v struct {
				Required *bool `json:"password_change_required"`
			}
			ts.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusOK).decode(&v)
			if v.Required == nil {
				t.Fatal("/me has no password_change_required")
			}
			return *v.Required
		}
		if me(ts.login(t, "ent_hs")) {
			t.Error("an account with a chosen password must change it")
		}
		tok := ts.signIn(t, "fresh_admin", testPassword).Access
		if !me(tok) {
			t.Error("an account with a generated password is not asked to change it")
		}
		ts.do(t, tok, "GET", "/api/v1/users", nil).want(http.StatusOK)
		ts.do(t, tok, "POST", "/api/v1/me/password", map[string]string{"current_password": testPassword,
			"new_password": "chosen-by-me-1"}).want(http.StatusNoContent)
		if me(ts.signIn(t, "fresh_admin", "chosen-by-me-1").Access) {
			t.Error("a changed password is still to be changed")
		}
	})
}

func TestDisableAccount(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.ids["user_dept_hs_sw"]
		p := ts.signIn(t, "dept_hs_sw", testPassword)
		path := "/api/v1/users/" + id

		// Only an admin, and only in its region.
		ts.as(t, "acfic_city", "PATCH", path, map[string]bool{"disabled": true}).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "insp_city", "PATCH", path, map[string]bool{"disabled": true}).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "admin_hs", "PATCH", "/api/v1/users/"+ts.ids["user_dept_yz_scjg"], map[string]bool{"disabled": true}).
			wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "admin_hs", "PATCH", "/api/v1/users/999999999", map[string]bool{"disabled": true}).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "admin_hs", "PATCH", path, map[string]any{}).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "disabled")
		ts.as(t, "admin_hs", "PATCH", path, map[string]any{"disabled": true, "role": "admin"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "role")
		ts.as(t, "admin_hs", "PATCH", "/api/v1/users/"+ts.ids["user_admin_hs"], map[string]bool{"disabled": true}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "disabled")
		ts.do(t, p.Access, "GET", "/api/v1/me", nil).want(http.StatusOK)

		res := ts.as(t, "admin_hs", "PATCH", path, map[string]bool{"disabled": true}).want(http.StatusOK).obj()
		if res["disabled"] != true || res["id"] != id {
			t.Fatalf("PATCH answer %v", res)
		}
		ts.do(t, p.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.refresh(t, p.Refresh).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "dept_hs_sw", "password": testPassword}).
			wantProblem(http.StatusUnauthorized, "unauthenticated")

		// Enabled again: signing in works; the old tokens stay dead.
		ts.as(t, "admin", "PATCH", path, map[string]bool{"disabled": false}).want(http.StatusOK)
		ts.do(t, p.Access, "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, ts.signIn(t, "dept_hs_sw", testPassword).Access, "GET", "/api/v1/me", nil).want(http.StatusOK)
	})
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "thr_insp", "inspector", "330203")
		login := func(user, pw string) *response {
			return ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
		}
		// Five failures, each the same 401; the sixth attempt is 429, even
		// with the right password, until the window has passed.
		for i := range 5 {
			login("thr_insp", "wrong-"+strconv.Itoa(i)).wantProblem(http.StatusUnauthorized, "unauthenticated")
		}
		res := login("thr_insp", testPassword)
		res.wantProblem(http.StatusTooManyRequests, "rate_limited")
		if ra, _ := strconv.Atoi(res.header.Get("Retry-After")); ra < 1 || ra > 15*60 {
			t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
		}
		// An unknown username is counted the same way and answered the same.
		var unknown, known []problemBody
		for i := range 5 {
			unknown = append(unknown, login("no_such_user", "wrong-"+strconv.Itoa(i)).wantProblem(http.StatusUnauthorized, "unauthenticated"))
		}
		known = append(known, login("thr_insp", "x").wantProblem(http.StatusTooManyRequests, "rate_limited"))
		u := login("no_such_user", testPassword).wantProblem(http.StatusTooManyRequests, "rate_limited")
		if u.Detail != known[0].Detail || unknown[0].Detail != "用户名或密码错误" {
			t.Errorf("answers differ: unknown %+v, known %+v", u, known[0])
		}
		ts.clock.Advance(15*time.Minute + time.Second)
		ts.signIn(t, "thr_insp", testPassword)

		// A success clears the account's count: four failures, a success,
		// four more failures still sign in.
		for i := range 4 {
			login("thr_insp", "wrong-"+strconv.Itoa(i)).want(http.StatusUnauthorized)
		}
		ts.signIn(t, "thr_insp", testPassword)
		// (Ten tries a minute per account, successes included: a minute on.)
		ts.clock.Advance(time.Minute)
		for i := range 4 {
			login("thr_insp", "wrong-"+strconv.Itoa(i)).want(http.StatusUnauthorized)
		}
		ts.signIn(t, "thr_insp", testPassword)

		// Per address: 20 failures from one address over many names block
		// the address (the test client's), for every name.
		ts.clock.Advance(15*time.Minute + time.Second)
		for i := range 20 {
			login("spray_"+strconv.Itoa(i), "wrong").want(http.StatusUnauthorized)
		}
		login("thr_insp", testPassword).wantProblem(http.StatusTooManyRequests, "rate_limited")
		ts.clock.Advance(15*time.Minute + time.Second)
		ts.signIn(t, "thr_insp", testPassword)

		// Wrong current passwords on /me/password count too.
		p := ts.signIn(t, "thr_insp", testPassword)
		for range 5 {
			ts.do(t, p.Access, "POST", "/api/v1/me/password", map[string]string{"current_password": "nope", "new_password": "whatever-123"}).
				want(http.StatusBadRequest)
		}
		ts.do(t, p.Access, "POST", "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "whatever-123"}).
			wantProblem(http.StatusTooManyRequests, "rate_limited")
		login("thr_insp", testPassword).wantProblem(http.StatusTooManyRequests, "rate_limited")
	})
}

// TestLoginThrottleParallel: guesses sent all at once for one account
// check at most the account's budget of passwords (5), whatever their
// number; the rest are 429 without a password checked, and the right
// password afterwards is refused too until the window passes. Before the
// attempt was reserved ahead of the check, all 30 were checked.
func TestLoginThrottleParallel(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "par_insp", "inspector", "330203")
		before := ts.hasher.verifies.Load()
		var wg sync.WaitGroup
		statuses := make([]int, 30)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = ts.do(t, "", "POST", "/api/v1/auth/login",
					map[string]string{"username": "par_insp", "password": "guess-" + strconv.Itoa(i)}).status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, st := range statuses {
			count[st]++
		}
		if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != 25 {
			t.Fatalf("30 parallel guesses: %v; want 5 × 401 and 25 × 429", count)
		}
		if n := ts.hasher.verifies.Load() - before; n != 5 {
			t.Fatalf("%d passwords checked for 30 parallel guesses; want 5", n)
		}
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "par_insp", "password": testPassword}).
			wantProblem(http.StatusTooManyRequests, "rate_limited")
	})
}

// TestLoginTriesBudget: successful sign-ins are limited too, ten a minute
// per account, so a script holding the password cannot flood the hasher.
func TestLoginTriesBudget(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.newAccount(t, "tries_insp", "inspector", "330203")
		for range 10 {
			ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "tries_insp", "password": testPassword}).
				want(http.StatusOK)
		}
		res := ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "tries_insp", "password": testPassword})
		res.wantProblem(http.StatusTooManyRequests, "rate_limited")
		if ra, _ := strconv.Atoi(res.header.Get("Retry-After")); ra < 1 || ra > 60 {
			t.Errorf("Retry-After %q; want within a minute", res.header.Get("Retry-After"))
		}
		ts.clock.Advance(time.Minute + time.Second)
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "tries_insp", "password": testPassword}).
			want(http.StatusOK)
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		svc := ts.newAccount(t, "svc_insp_hs", "inspector", "330203")
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)

		// Only admins create keys, for accounts in their region, never for an admin.
		body := map[string]any{"account_id": svc, "name": "纪检监察平台对接"}
		ts.as(t, "insp_city", "POST", "/api/v1/api-keys", body).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "admin_hs", "POST", "/api/v1/api-keys", map[string]any{"account_id": ts.ids["user_insp_yz"], "name": "x"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "account_id")
		ts.as(t, "admin", "POST", "/api/v1/api-keys", map[string]any{"account_id": ts.ids["user_admin_hs"], "name": "x"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "account_id")
		ts.as(t, "admin", "POST", "/api/v1/api-keys", map[string]any{"account_id": svc, "name": "x", "key_hash": "x"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "key_hash")
		ts.as(t, "admin", "POST", "/api/v1/api-keys", map[string]any{"account_id": svc, "name": "x",
			"expires_at": ts.clock.Now().Add(400 * 24 * time.Hour).Format(time.RFC3339)}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "expires_at")

		res := ts.as(t, "admin_hs", "POST", "/api/v1/api-keys", body).want(http.StatusCreated).obj()
		key, _ := res["key"].(string)
		keyID := res["id"].(string)
		if len(key) < 40 || res["prefix"] != key[:12] || res["account_id"] != svc {
			t.Fatalf("created key %v", res)
		}
		apiKey := []string{"Authorization", "ApiKey " + key}

		// The key acts as its account, with its role and region.
		me := ts.do(t, "", "GET", "/api/v1/me", nil, apiKey...).want(http.StatusOK).obj()
		if me["username"] != "svc_insp_hs" || me["role"] != "inspector" {
			t.Errorf("GET /me with the key: %v", me)
		}
		ts.do(t, "", "GET", reqPath(id), nil, apiKey...).want(http.StatusOK)
		ts.do(t, "", "GET", "/api/v1/users", nil, apiKey...).wantProblem(http.StatusForbidden, "forbidden")
		ts.do(t, "", "POST", "/api/v1/me/password", map[string]string{"current_password": "x", "new_password": "whatever-123"}, apiKey...).
			wantProblem(http.StatusForbidden, "forbidden")

		// Only in the Authorization header: never in a query string, not
		// even alongside a valid header; not as a bearer token.
		ts.do(t, "", "GET", "/api/v1/me?api_key="+key, nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "GET", "/api/v1/me?access_token="+key, nil, apiKey...).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "GET", "/api/v1/me", nil, "Authorization", "Bearer "+key).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "GET", "/api/v1/me", nil, "X-Api-Key", key).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "GET", "/api/v1/me", nil, "Authorization", "ApiKey "+key+"x").wantProblem(http.StatusUnauthorized, "unauthenticated")

		// Lists never show the key; other regions' admins do not see it.
		list := ts.as(t, "admin_hs", "GET", "/api/v1/api-keys", nil).want(http.StatusOK)
		if ids := qaIDs(t, list); len(ids) != 1 || ids[0] != keyID {
			t.Errorf("GET /api-keys: %v", ids)
		}
		if string(list.body) == "" || contains(list.body, key) || contains(list.body, "key_hash") {
			t.Errorf("the list shows the key: %s", list.body)
		}
		ts.as(t, "admin_hs", "GET", "/api/v1/api-keys?page_size=1", nil).want(http.StatusOK)
		if ids := qaIDs(t, ts.as(t, "admin_hs", "GET", "/api/v1/api-keys", nil)); len(ids) != 1 {
			t.Errorf("admin_hs keys %v", ids)
		}
		ts.as(t, "admin", "DELETE", "/api/v1/api-keys/999999999", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "acfic_city", "DELETE", "/api/v1/api-keys/"+keyID, nil).wantProblem(http.StatusForbidden, "forbidden")

		// Disabling the account revokes the key; enabling does not revive it.
		ts.as(t, "admin", "PATCH", "/api/v1/users/"+svc, map[string]bool{"disabled": true}).want(http.StatusOK)
		ts.do(t, "", "GET", "/api/v1/me", nil, apiKey...).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.as(t, "admin", "PATCH", "/api/v1/users/"+svc, map[string]bool{"disabled": false}).want(http.StatusOK)
		ts.do(t, "", "GET", "/api/v1/me", nil, apiKey...).wantProblem(http.StatusUnauthorized, "unauthenticated")

		// Revoked: 401 from then on; revoking twice is fine.
		ts.as(t, "admin_hs", "DELETE", "/api/v1/api-keys/"+keyID, nil).want(http.StatusNoContent)
		ts.do(t, "", "GET", "/api/v1/me", nil, apiKey...).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.as(t, "admin", "DELETE", "/api/v1/api-keys/"+keyID, nil).want(http.StatusNoContent)
		if got := ts.as(t, "admin", "GET", "/api/v1/api-keys", nil).obj()["items"].([]any)[0].(map[string]any); got["revoked_at"] == nil {
			t.Errorf("revoked key listed as %v", got)
		}

		// Expired: 401.
		exp := ts.clock.Now().Add(time.Hour).Format(time.RFC3339)
		res = ts.as(t, "admin", "POST", "/api/v1/api-keys", map[string]any{"account_id": svc, "name": "短期", "expires_at": exp}).
			want(http.StatusCreated).obj()
		short := []string{"Authorization", "ApiKey " + res["key"].(string)}
		ts.do(t, "", "GET", "/api/v1/me", nil, short...).want(http.StatusOK)
		qaAdvance(ts, time.Hour+time.Second)
		ts.do(t, "", "GET", "/api/v1/me", nil, short...).wantProblem(http.StatusUnauthorized, "unauthenticated")
	})
}

func contains(b []byte, s string) bool { return len(s) > 0 && strings.Contains(string(b), s) }
