package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"qinqing/api"
	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
)

// The harness runs every API test through the real router over HTTP, with
// the real store and policy, on a fresh SQLite file, and again on a fresh
// MySQL/MariaDB database when QINQING_TEST_MYSQL_DSN is set. Every exchange
// is checked against the OpenAPI document (checkExchange).

// eachDB runs fn once per database.
func eachDB(t *testing.T, fn func(t *testing.T, ts *testServer)) {
	t.Helper()
	eachDBWith(t, nil, fn)
}

// eachDBWith is eachDB with tweak applied to the configuration.
func eachDBWith(t *testing.T, tweak func(*configs.Config), fn func(t *testing.T, ts *testServer)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newTestServer(t, "sqlite", tweak))
	})
	if dsn := os.Getenv("QINQING_TEST_MYSQL_DSN"); dsn != "" {
		t.Run("mysql", func(t *testing.T) {
			t.Parallel()
			fn(t, newTestServer(t, "mysql", tweak))
		})
	}
}

// harnessEpoch is where every test server's clock starts.
var harnessEpoch = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// fakeClock is a settable clock shared by the store and the server.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testServer struct {
	t      testing.TB
	driver string
	url    string
	srv    *api.Server
	store  *model.Store
	db     *gorm.DB
	clock  *fakeClock
	ref    configs.Reference
	// hasher counts the password checks the server made.
	hasher *countingHasher

	mu     sync.Mutex
	tokens map[string]cachedToken
	// ids of the fixtures created by seed
	ids map[string]string
}

type cachedToken struct {
	token  string
	issued time.Time
}

// testPassword is every fixture account's password.
const testPassword = "test-password-1"

// newTestServer starts a server on driver ("sqlite" or "mysql"). tweak may
// adjust the configuration.
func newTestServer(t testing.TB, driver string, tweak func(*configs.Config)) *testServer {
	t.Helper()
	cfg, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.RateLimit.RPS = 0
	var dsn string
	switch driver {
	case "sqlite":
		dsn = configs.SQLiteDSN(t.TempDir())
	case "mysql":
		dsn = mysqlTestDB(t)
		cfg.DB.Driver = "mysql"
	}
	cfg.DB.DSN = dsn
	cfg.DataDir = t.TempDir() // the attachments' folder
	if tweak != nil {
		tweak(&cfg)
	}
	raw, err := configs.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := model.NewReference(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB.MaxOpenConns = 8
	// A fixed start (Wednesday 10:00 Beijing time) keeps working-day
	// arithmetic the same whatever day the tests run.
	clock := &fakeClock{now: harnessEpoch}
	store, err := model.OpenStore(context.Background(), cfg, ref, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	db := store.DB()
	authz, err := policy.New(ref.Parents)
	if err != nil {
		t.Fatal(err)
	}
	hasher := &countingHasher{PasswordHasher: testHasher()}
	if _, err := store.EnsureAdmin(context.Background(), hasher, testPassword, "330200"); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Store: store, Ref: ref, Authz: authz, Config: cfg, Hasher: hasher,
		JWTSecret: []byte(strings.Repeat("k", 32)), Registry: prometheus.NewRegistry(), Clock: clock.Now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{t: t, driver: driver, url: hs.URL, srv: srv, store: store, db: db, clock: clock, ref: raw, hasher: hasher,
		tokens: map[string]cachedToken{}, ids: map[string]string{}}
}

// countingHasher counts Verify calls (password checks) and the most that
// ran at once; delay (nanoseconds) makes each check last longer.
type countingHasher struct {
	model.PasswordHasher
	verifies, inflight, peak, delay atomic.Int64
}

func (h *countingHasher) Verify(hash, password string) bool {
	h.verifies.Add(1)
	n := h.inflight.Add(1)
	defer h.inflight.Add(-1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	time.Sleep(time.Duration(h.delay.Load()))
	return h.PasswordHasher.Verify(hash, password)
}

// testHasher is argon2id with small parameters: the same code path, faster.
func testHasher() model.Argon2id { return model.Argon2id{Memory: 1024, Time: 1, Threads: 1} }

// mysqlTestDB creates a scratch database on the server of
// QINQING_TEST_MYSQL_DSN and drops it when the test ends. A DSN that is set
// but unusable fails the test: CI must not silently skip MySQL.
func mysqlTestDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv("QINQING_TEST_MYSQL_DSN")
	root, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "qq_test_" + hex.EncodeToString(b[:])
	if _, err := root.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create MySQL test database: %v", err)
	}
	t.Cleanup(func() {
		r, err := sql.Open("mysql", base)
		if err == nil {
			_, _ = r.Exec("DROP DATABASE IF EXISTS " + name)
			r.Close()
		}
	})
	// Replace the database name in the DSN: user:pw@tcp(host)/db?params
	slash := strings.LastIndex(base, "/")
	rest := ""
	if q := strings.IndexByte(base[slash:], '?'); q >= 0 {
		rest = base[slash+q:]
	}
	params := "charset=utf8mb4&collation=utf8mb4_unicode_ci&parseTime=true&loc=UTC&time_zone=%27%2B00%3A00%27"
	if rest == "" {
		rest = "?" + params
	} else {
		rest += "&" + params
	}
	return base[:slash+1] + name + rest
}

// response is an HTTP answer with its body read.
type response struct {
	t      testing.TB
	status int
	header http.Header
	body   []byte
}

// do sends method path with body (any value is JSON-encoded; []byte and
// string are sent as they are) as the account token tok ("" = none).
func (ts *testServer) do(t testing.TB, tok, method, path string, body any, hdr ...string) *response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkExchange(t, req, raw, res, out)
	// Trailers (the ledgers' row count) are read with the headers.
	for k, v := range res.Trailer {
		res.Header[k] = v
	}
	return &response{t: t, status: res.StatusCode, header: res.Header, body: out}
}

// as is do with the token of a fixture account.
func (ts *testServer) as(t testing.TB, user, method, path string, body any, hdr ...string) *response {
	t.Helper()
	return ts.do(t, ts.login(t, user), method, path, body, hdr...)
}

// login returns (and caches) a token for username.
func (ts *testServer) login(t testing.TB, username string) string {
	t.Helper()
	ts.mu.Lock()
	tok, ok := ts.tokens[username]
	ts.mu.Unlock()
	// Tokens live 15 minutes on the server's (fake) clock: sign in again
	// once a test has moved the clock on.
	if ok && ts.clock.Now().Sub(tok.issued) < 10*time.Minute {
		return tok.token
	}
	res := ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": testPassword})
	res.want(http.StatusOK)
	var v struct {
		AccessToken string `json:"access_token"`
	}
	res.decode(&v)
	ts.mu.Lock()
	ts.tokens[username] = cachedToken{token: v.AccessToken, issued: ts.clock.Now()}
	ts.mu.Unlock()
	return v.AccessToken
}

func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.body, err)
	}
}

// obj decodes the body as a JSON object.
func (r *response) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	r.decode(&m)
	return m
}

type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// wantProblem checks an RFC 9457 answer with status and code, and returns it.
func (r *response) wantProblem(status int, code string) problemBody {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d (%s); body: %s", r.status, status, code, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		r.t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p problemBody
	r.decode(&p)
	if p.Code != code || p.Status != status || p.Title == "" || p.Detail == "" {
		r.t.Fatalf("problem %+v, want code %q status %d with title and detail", p, code, status)
	}
	return p
}

// wantField checks that a validation problem names field.
func (p problemBody) wantField(t testing.TB, field string) {
	t.Helper()
	for _, e := range p.Errors {
		if e.Field == field {
			if e.Message == "" {
				t.Errorf("field %s has an empty message", field)
			}
			return
		}
	}
	t.Fatalf("problem errors %+v do not name field %q", p.Errors, field)
}

// makeUSCC completes a 17-character body with its GB 32100-2015 check character.
func makeUSCC(body string) string {
	const cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	w := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(cs, body[i]) * w[i]
	}
	return body + string(cs[(31-sum%31)%31])
}

// The fixture world: two districts (海曙 330203 with its town 330203-T01,
// 鄞州 330212), enterprises in each, a station in 海曙, and accounts for every
// role at the city and in each district.
func (ts *testServer) seed(t testing.TB) {
	t.Helper()
	mk := func(key, path string, body any) {
		res := ts.as(t, "admin", "POST", path, body).want(http.StatusCreated)
		ts.ids[key] = res.obj()["id"].(string)
	}
	mk("ent_hs", "/api/v1/enterprises", map[string]string{"uscc": makeUSCC("91330203MA2J8K7Q3"), "name": "宁波海曙甬兴机械有限公司",
		"region_code": "330203", "contact_name": "王海", "contact_phone": "0574-87000001"})
	mk("ent_hs_town", "/api/v1/enterprises", map[string]string{"uscc": makeUSCC("91330203MA2J8K7Q4"), "name": "集士港镇🏭纺织有限公司",
		"region_code": "330203-T01", "contact_name": "李𠮷", "contact_phone": "0574-87000002"})
	mk("ent_yz", "/api/v1/enterprises", map[string]string{"uscc": makeUSCC("91330212MA2H0A1BX"), "name": "宁波鄞州甬创科技有限公司",
		"region_code": "330212", "contact_name": "张三", "contact_phone": "0574-88000001"})
	mk("station_hs", "/api/v1/stations", map[string]string{"name": "海曙亲清家园", "region_code": "330203", "address": "海曙区中山西路1号"})
	mk("station_yz", "/api/v1/stations", map[string]string{"name": "鄞州亲清家园", "region_code": "330212", "address": "鄞州区惠风东路1号"})
	users := []map[string]any{
		{"username": "ent_hs", "role": "enterprise", "region_code": "330203", "enterprise_id": ts.ids["ent_hs"]},
		{"username": "ent_hs_town", "role": "enterprise", "region_code": "330203-T01", "enterprise_id": ts.ids["ent_hs_town"]},
		{"username": "ent_yz", "role": "enterprise", "region_code": "330212", "enterprise_id": ts.ids["ent_yz"]},
		{"username": "station_hs", "role": "station", "region_code": "330203", "station_id": ts.ids["station_hs"]},
		{"username": "station_yz", "role": "station", "region_code": "330212", "station_id": ts.ids["station_yz"]},
		{"username": "acfic_city", "role": "acfic", "region_code": "330200"},
		{"username": "acfic_hs", "role": "acfic", "region_code": "330203"},
		{"username": "acfic_yz", "role": "acfic", "region_code": "330212"},
		{"username": "dept_hs_scjg", "role": "department", "region_code": "330203", "department_code": "scjg"},
		{"username": "dept_hs_sw", "role": "department", "region_code": "330203", "department_code": "sw"},
		{"username": "dept_yz_scjg", "role": "department", "region_code": "330212", "department_code": "scjg"},
		{"username": "dept_city_scjg", "role": "department", "region_code": "330200", "department_code": "scjg"},
		{"username": "insp_city", "role": "inspector", "region_code": "330200"},
		{"username": "insp_hs", "role": "inspector", "region_code": "330203"},
		{"username": "insp_yz", "role": "inspector", "region_code": "330212"},
		{"username": "admin_hs", "role": "admin", "region_code": "330203"},
	}
	for _, u := range users {
		u["password"] = testPassword
		mk("user_"+u["username"].(string), "/api/v1/users", u)
	}
}

// fileRequest files a request as user (an enterprise, or a station for enterprise key ent).
func (ts *testServer) fileRequest(t testing.TB, user, ent string) map[string]any {
	t.Helper()
	body := map[string]any{"title": "申请办理食品经营许可证延续", "content": "许可证将于下月到期，材料已备齐。", "category": "approval"}
	if ent != "" {
		body["enterprise_id"] = ts.ids[ent]
	}
	return ts.as(t, user, "POST", "/api/v1/requests", body).want(http.StatusCreated).obj()
}

// act takes a transition and returns the answer.
func (ts *testServer) act(t testing.TB, user, id, action string, fields map[string]any) *response {
	t.Helper()
	body := map[string]any{"action": action}
	for k, v := range fields {
		body[k] = v
	}
	return ts.as(t, user, "POST", "/api/v1/requests/"+id+"/transitions", body)
}

func reqPath(id string, rest ...string) string {
	return fmt.Sprintf("/api/v1/requests/%s%s", id, strings.Join(rest, ""))
}
