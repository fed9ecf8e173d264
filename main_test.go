package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunServesAndStops starts the whole program on :0 with a temporary data
// directory, signs in as the admin it created, and shuts it down.
func TestRunServesAndStops(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"QINQING_ADDR":           "127.0.0.1:0",
		"QINQING_DATA_DIR":       dir,
		"QINQING_ADMIN_PASSWORD": "first-start-pass",
		"QINQING_CONFIG":         filepath.Join("configs", "config.yaml"),
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, nil, lookup, &out, func(a string) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"first-start-pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || tok.AccessToken == "" || tok.ExpiresIn > 900 {
		t.Fatalf("login: %d %+v", res.StatusCode, tok)
	}
	if _, err := os.Stat(filepath.Join(dir, "qinqing.db")); err != nil {
		t.Errorf("database file not under the data directory: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "jwt_secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("JWT secret not kept privately in the data directory: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestRunRefusesMySQLWithoutSecret: with several instances on one database
// there is no safe default signing key, so the service will not start.
func TestRunRefusesMySQLWithoutSecret(t *testing.T) {
	env := map[string]string{"QINQING_DB_DRIVER": "mysql", "QINQING_DB_DSN": "root@tcp(127.0.0.1:1)/none", "QINQING_ADDR": "127.0.0.1:0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := run(context.Background(), nil, lookup, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "QINQING_JWT_SECRET") {
		t.Fatalf("run = %v, want a refusal naming QINQING_JWT_SECRET", err)
	}
}

// TestDeadlineEnforcedEndToEnd is the deadline loop as an operator sees it:
// with every limit at 2s, a request left alone turns overdue within one scan
// interval, is escalated to 督办 once, shows on the deadline board for the
// officials of its region only, and the webhook receiver gets exactly one
// signed overdue delivery although it failed the first two tries.
func TestDeadlineEnforcedEndToEnd(t *testing.T) {
	var mu sync.Mutex
	tries, delivered := 0, 0
	var got []byte
	var sig string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		tries++
		if tries <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		delivered++
		got, sig = b, r.Header.Get("X-Qinqing-Signature")
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	yaml := "scan_interval: 300ms\ndemo_limit: 2s\nwebhooks:\n  - url: " + recv.URL + "\n    secret: hook-secret\n    events: [overdue]\n"
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QINQING_CONFIG": cfgPath, "QINQING_ADDR": "127.0.0.1:0", "QINQING_DATA_DIR": dir,
		"QINQING_ADMIN_PASSWORD": "first-start-pass", "QINQING_RATE_LIMIT": "0"}
	base, stop := startProgram(t, env)
	defer stop()

	c := &client{t: t, base: base}
	admin := c.login("admin", "first-start-pass")
	ent := c.call(admin, "POST", "/enterprises", `{"uscc":"91330203MA2J8K7Q3Q","name":"宁波甬兴机械有限公司","region_code":"330203","contact_name":"王海","contact_phone":"0574-87000001"}`, 201)["id"]
	for _, u := range []string{
		`{"username":"yongxing","password":"yongxing-2026","role":"enterprise","region_code":"330203","enterprise_id":"` + ent.(string) + `"}`,
		`{"username":"gsl_hs","password":"gsl-hs-2026","role":"acfic","region_code":"330203"}`,
		`{"username":"gsl_yz","password":"gsl-yz-2026","role":"acfic","region_code":"330212"}`,
		`{"username":"jw_hs","password":"jw-hs-2026","role":"inspector","region_code":"330203"}`,
	} {
		c.call(admin, "POST", "/users", u, 201)
	}
	e := c.login("yongxing", "yongxing-2026")
	id := c.call(e, "POST", "/requests", `{"title":"厂房消防验收","content":"请协调消防验收时间","category":"approval"}`, 201)["id"].(string)

	deadline := time.Now().Add(2*time.Second + 300*time.Millisecond + 2*time.Second) // limit + one interval + slack
	var r map[string]any
	for {
		r = c.call(e, "GET", "/requests/"+id, "", 200)
		if r["overdue"] == true && r["supervised"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request not overdue and supervised in time: %v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // more scan passes must not repeat anything
	counts := map[string]int{}
	for _, ev := range c.call(e, "GET", "/requests/"+id+"/events", "", 200)["items"].([]any) {
		counts[ev.(map[string]any)["action"].(string)]++
	}
	if counts["overdue"] != 1 || counts["supervise"] != 1 {
		t.Errorf("timeline %v: want exactly one overdue and one supervise", counts)
	}
	onBoard := func(user, pw string) bool {
		tok := c.login(user, pw)
		for _, it := range c.call(tok, "GET", "/deadlines?state=overdue", "", 200)["items"].([]any) {
			if it.(map[string]any)["id"] == id {
				return true
			}
		}
		return false
	}
	if !onBoard("gsl_hs", "gsl-hs-2026") || !onBoard("jw_hs", "jw-hs-2026") {
		t.Error("the overdue request is missing from the board of 海曙's 工商联 or inspector")
	}
	if onBoard("gsl_yz", "gsl-yz-2026") {
		t.Error("鄞州's 工商联 sees a 海曙 request on its board")
	}
	c.call(e, "GET", "/deadlines", "", 403)

	// The board's counts are exported for monitoring.
	wantMetric := `qinqing_deadline_items{kind="request",state="overdue"} 1`
	for {
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), wantMetric) {
			break
		}
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("/metrics lacks %s", wantMetric)
		}
		time.Sleep(100 * time.Millisecond)
	}

	wait := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		d := delivered
		mu.Unlock()
		if d >= 1 || time.Now().After(wait) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if delivered != 1 || tries != 3 {
		t.Fatalf("receiver: %d deliveries in %d tries, want 1 in 3", delivered, tries)
	}
	mac := hmac.New(sha256.New, []byte("hook-secret"))
	mac.Write(got)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); sig != want {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if !strings.Contains(string(got), `"type":"request.overdue"`) || !strings.Contains(string(got), `"case_id":"`+id+`"`) {
		t.Errorf("delivery body %s", got)
	}
}

// startProgram runs the program with env until the test stops it.
func startProgram(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, nil, lookup, &out, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return "http://" + a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

type client struct {
	t    *testing.T
	base string
}

func (c *client) login(user, pw string) string {
	c.t.Helper()
	res := c.call("", "POST", "/auth/login", `{"username":"`+user+`","password":"`+pw+`"}`, 200)
	return res["access_token"].(string)
}

// call sends a request under /api/v1 and requires the status.
func (c *client) call(tok, method, path, body string, status int) map[string]any {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+"/api/v1"+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
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

// TestShutdownUnderLoadLosesNothing: requests are filed by eight clients
// while the program is told to stop; every request answered 201 is in the
// database afterwards.
func TestShutdownUnderLoadLosesNothing(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QINQING_ADDR": "127.0.0.1:0", "QINQING_DATA_DIR": dir,
		"QINQING_ADMIN_PASSWORD": "first-start-pass", "QINQING_RATE_LIMIT": "0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, lookup, io.Discard, func(a string) { addr <- a }) }()
	base := "http://" + <-addr
	c := &client{t: t, base: base}
	admin := c.login("admin", "first-start-pass")
	ent := c.call(admin, "POST", "/enterprises", `{"uscc":"91330203MA2J8K7Q3Q","name":"宁波甬兴机械有限公司","region_code":"330203","contact_name":"王海","contact_phone":"0574-87000001"}`, 201)["id"].(string)
	c.call(admin, "POST", "/users", `{"username":"yongxing","password":"yongxing-2026","role":"enterprise","region_code":"330203","enterprise_id":"`+ent+`"}`, 201)
	tok := c.login("yongxing", "yongxing-2026")

	var answered sync.WaitGroup
	var mu sync.Mutex
	created := 0
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		answered.Add(1)
		go func() {
			defer answered.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", base+"/api/v1/requests",
					strings.NewReader(`{"title":"停机测试","content":"在停机过程中提交","category":"policy"}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the listener is closed: the program is stopping
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	cancel() // what SIGTERM does in main
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	close(stop)
	answered.Wait()

	db, err := sql.Open("sqlite", filepath.Join(dir, "qinqing.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow("SELECT COUNT(*) FROM requests").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if created == 0 || rows != created {
		t.Fatalf("%d requests answered 201, %d in the database", created, rows)
	}
	t.Logf("%d requests answered 201 before and during the shutdown, all of them stored", created)
}

// lockedBuffer is a bytes.Buffer that the program's logger and the test may
// use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestGeneratedAdminPasswordMustChange: without QINQING_ADMIN_PASSWORD the
// first start prints a generated password once, and the admin account says
// it must be changed (the console then asks for a new one first); with the
// variable set, the operator chose the password and nothing is asked.
func TestGeneratedAdminPasswordMustChange(t *testing.T) {
	for _, given := range []bool{false, true} {
		env := map[string]string{"QINQING_ADDR": "127.0.0.1:0", "QINQING_DATA_DIR": t.TempDir(), "QINQING_RATE_LIMIT": "0"}
		if given {
			env["QINQING_ADMIN_PASSWORD"] = "chosen-by-operator"
		}
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		ctx, cancel := context.WithCancel(context.Background())
		addr := make(chan string, 1)
		done := make(chan error, 1)
		var out lockedBuffer
		go func() { done <- run(ctx, nil, lookup, &out, func(a string) { addr <- a }) }()
		var base string
		select {
		case a := <-addr:
			base = "http://" + a
		case err := <-done:
			t.Fatalf("run ended early: %v\n%s", err, out.String())
		case <-time.After(30 * time.Second):
			t.Fatal("server did not start")
		}
		pw := "chosen-by-operator"
		if !given {
			m := regexp.MustCompile(`初始密码（只显示这一次）：(\S+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no generated password printed:\n%s", out.String())
			}
			pw = m[1]
		}
		c := &client{t: t, base: base}
		me := c.call(c.login("admin", pw), "GET", "/me", "", 200)
		if me["password_change_required"] != !given {
			t.Errorf("password given: %v; /me says password_change_required %v", given, me["password_change_required"])
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
