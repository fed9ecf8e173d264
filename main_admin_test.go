package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAdminResetPassword: `qinqing admin reset-password admin` prints a
// new one-time password; the old password, the access token and the
// refresh token of the admin's session stop working, and the new password
// signs in with password_change_required set (the console asks for a new
// one first). An unknown name fails. A later start with
// QINQING_ADMIN_PASSWORD set says in the log that the variable was not
// used, since admin exists. (Found failing: there was no such command —
// "unknown command"; the variable was ignored without a word.)
func TestAdminResetPassword(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QINQING_ADDR": "127.0.0.1:0", "QINQING_DATA_DIR": dir, "QINQING_RATE_LIMIT": "0",
		"QINQING_CREDENTIAL_CACHE": "0", "QINQING_ADMIN_PASSWORD": "first-start-pass"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	base, stop := startProgram(t, env)
	c := &client{t: t, base: base}
	login := c.call("", "POST", "/auth/login", `{"username":"admin","password":"first-start-pass"}`, 200)
	tok, refresh := login["access_token"].(string), login["refresh_token"].(string)
	c.call(tok, "GET", "/me", "", 200)

	var out lockedBuffer
	if err := run(context.Background(), []string{"admin", "reset-password", "Admin"}, lookup, &out, nil); err != nil {
		t.Fatalf("admin reset-password: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`一次性密码（只显示这一次，首次登录后须修改）：(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no one-time password printed:\n%s", out.String())
	}
	pw := m[1]
	c.call(tok, "GET", "/me", "", 401)
	c.call("", "POST", "/auth/refresh", `{"refresh_token":"`+refresh+`"}`, 401)
	c.call("", "POST", "/auth/login", `{"username":"admin","password":"first-start-pass"}`, 401)
	me := c.call(c.login("admin", pw), "GET", "/me", "", 200)
	if me["password_change_required"] != true {
		t.Errorf("after a reset, /me says password_change_required %v", me["password_change_required"])
	}
	if err := run(context.Background(), []string{"admin", "reset-password", "nobody"}, lookup, &out, nil); err == nil ||
		!strings.Contains(err.Error(), "nobody") {
		t.Errorf("reset of an unknown account: %v, want an error naming it", err)
	}
	stop()

	// admin exists: the variable is not used, and the log says so
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log lockedBuffer
	done := make(chan error, 1)
	addr := make(chan string, 1)
	go func() { done <- run(ctx, nil, lookup, &log, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		c.base = "http://" + a
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	if !strings.Contains(log.String(), "管理员账号 admin 已存在，QINQING_ADMIN_PASSWORD 未使用") {
		t.Errorf("start with QINQING_ADMIN_PASSWORD on an existing admin logged nothing about it:\n%s", log.String())
	}
	c.call("", "POST", "/auth/login", `{"username":"admin","password":"first-start-pass"}`, 401)
	c.login("admin", pw)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
