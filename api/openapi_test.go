package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"qinqing/api"
	"qinqing/configs"
)

// TestOpenAPIDocument checks that the embedded document is a valid OpenAPI
// 3 document and keeps the conventions every operation follows, so that
// routes added later are described the same way.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s: operationId, summary and tags are required", name)
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is also used by %s", name, op.OperationID, prev)
			}
			ids[op.OperationID] = name
			isPublic := op.Security != nil && len(*op.Security) == 0
			want := []string{"413", "500"} // bodyLimit and recoverer run on every route
			if !isPublic {
				want = append(want, "401", "429", "503")
			}
			if op.RequestBody != nil {
				want = append(want, "400")
			}
			for _, status := range want {
				if op.Responses.Value(status) == nil {
					t.Errorf("%s: response %s is not documented", name, status)
				}
			}
			for status, ref := range op.Responses.Map() {
				if status[0] == '4' || status[0] == '5' {
					if ref.Ref == "" || ref.Value.Content.Get("application/problem+json") == nil {
						t.Errorf("%s: error response %s must $ref a problem+json response of components", name, status)
					}
				}
			}
		}
	}
}

// ginParam turns gin's :name and *name path parameters into OpenAPI's {name}.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// TestOpenAPIRoutes proves that the router and the document describe the
// same operations, in both directions.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, "sqlite", nil)
	served := map[string]bool{}
	for _, r := range ts.srv.Engine().Routes() {
		// The web console's pages are HTML for people, not part of the API
		// document; console_test.go covers them.
		if isConsoleRoute(r.Path) {
			continue
		}
		served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, k := range sortedKeys(served) {
		if !documented[k] {
			t.Errorf("route %s is served but not in api/openapi.json", k)
		}
	}
	for _, k := range sortedKeys(documented) {
		if !served[k] {
			t.Errorf("api/openapi.json describes %s, which the server does not serve", k)
		}
	}
	if len(served) == 0 {
		t.Fatal("the engine lists no routes")
	}

	// The document's security agrees with the server: an operation not
	// marked public (security: []) answers 401 without a token, and a public
	// one never does. The exchange is validated like any other, so the 401
	// must be documented too.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			url := pathParam.ReplaceAllString(path, "1")
			var body any
			if op.RequestBody != nil {
				body = "{}"
			}
			res := ts.do(t, "", method, url, body)
			public := op.Security != nil && len(*op.Security) == 0
			switch {
			case public && res.status == http.StatusUnauthorized:
				t.Errorf("%s %s is public in the document (security: []) but answers 401 without a token", method, path)
			case !public && res.status != http.StatusUnauthorized:
				t.Errorf("%s %s requires bearerAuth in the document but answers %d without a token; mark it security: [] if it is public",
					method, path, res.status)
			}
		}
	}
}

// pathParam matches an OpenAPI path parameter.
var pathParam = regexp.MustCompile(`\{[^}]+\}`)

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIServed checks that the document served is the embedded one.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	res := ts.do(t, "", "GET", "/api/v1/openapi.json", nil).want(http.StatusOK)
	if !bytes.Equal(res.body, api.OpenAPI()) {
		t.Error("GET /api/v1/openapi.json does not serve the embedded document")
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestOpenAPIExchanges calls every operation, and provokes the documented
// error answers, through the harness: checkExchange validates each request
// and response against the document, so this test fails when the document
// and the server's answers drift apart.
func TestOpenAPIExchanges(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		get := func(user, path string, status int) *response {
			t.Helper()
			return ts.as(t, user, "GET", path, nil).want(status)
		}

		// Public routes.
		ts.do(t, "", "GET", "/healthz", nil).want(http.StatusOK)
		ts.do(t, "", "GET", "/readyz", nil).want(http.StatusOK)
		ts.do(t, "", "GET", "/metrics", nil).want(http.StatusOK)
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "wrong-password"}).
			wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "admin"}).
			wantProblem(http.StatusBadRequest, "validation_failed")

		// Authentication, unknown routes and methods.
		ts.do(t, "", "GET", "/api/v1/me", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "not-a-token", "GET", "/api/v1/requests", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.do(t, "", "GET", "/api/v1/nowhere", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "admin", "DELETE", "/api/v1/me", nil).wantProblem(http.StatusMethodNotAllowed, "method_not_allowed")

		// Reference data and the current account.
		for _, p := range []string{"/api/v1/me", "/api/v1/regions", "/api/v1/departments", "/api/v1/categories"} {
			get("ent_hs", p, http.StatusOK)
		}
		get("dept_hs_scjg", "/api/v1/me", http.StatusOK)
		get("station_hs", "/api/v1/me", http.StatusOK)

		// Stations, enterprises, users: lists with filters and pages, reads, refusals.
		get("admin", "/api/v1/stations?region_code=330203&page_size=1", http.StatusOK)
		get("admin", "/api/v1/enterprises?region_code=330200&page_size=1", http.StatusOK)
		get("admin", "/api/v1/enterprises?uscc="+makeUSCC("91330212MA2H0A1BX"), http.StatusOK)
		page := get("admin", "/api/v1/users?role=enterprise&page_size=1", http.StatusOK).obj()
		cur, _ := page["next_cursor"].(string)
		if cur == "" {
			t.Fatalf("no next_cursor: %v", page)
		}
		get("admin", "/api/v1/users?region_code=330203&page_size=500&cursor="+cur, http.StatusOK)
		ts.as(t, "admin", "GET", "/api/v1/users?page_size=0", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "admin", "GET", "/api/v1/users?role=nobody", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "admin", "GET", "/api/v1/users?colour=red", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "ent_hs", "GET", "/api/v1/users", nil).wantProblem(http.StatusForbidden, "forbidden")
		get("admin", "/api/v1/enterprises/"+ts.ids["ent_hs"], http.StatusOK)
		ts.as(t, "admin", "GET", "/api/v1/enterprises/999999", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "admin", "GET", "/api/v1/enterprises/x", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "admin", "POST", "/api/v1/enterprises", map[string]string{"uscc": makeUSCC("91330203MA2J8K7Q3"), "name": "重复",
			"region_code": "330203", "contact_name": "王", "contact_phone": "0574-87000009"}).wantProblem(http.StatusConflict, "conflict")
		ts.as(t, "admin", "POST", "/api/v1/stations", map[string]any{"name": "x", "region_code": "330203", "address": "y", "id": "7"}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "u1", "password": "short", "role": "acfic", "region_code": "330203"}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "acfic_new", "password": testPassword, "role": "acfic",
			"region_code": "330203", "display_name": nil, "department_code": nil}).want(http.StatusCreated)
		ts.as(t, "admin", "POST", "/api/v1/stations", "{not json").wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "admin", "POST", "/api/v1/stations", bytes.Repeat([]byte(" "), 1<<20+1)).
			wantProblem(http.StatusRequestEntityTooLarge, "payload_too_large")
		ts.as(t, "admin", "GET", "/api/v1/me", bytes.Repeat([]byte(" "), 1<<20+1)).
			wantProblem(http.StatusRequestEntityTooLarge, "payload_too_large")

		// Requests: filing with an idempotency key, replay, reuse with another body.
		body := map[string]any{"title": "用地指标咨询 𠮷", "content": "厂房扩建需要新增用地指标。", "category": "land"}
		first := ts.as(t, "ent_hs", "POST", "/api/v1/requests", body, "Idempotency-Key", "k-1").want(http.StatusCreated)
		again := ts.as(t, "ent_hs", "POST", "/api/v1/requests", body, "Idempotency-Key", "k-1").want(http.StatusCreated)
		if again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.body, again.body) {
			t.Errorf("replay: header %q, body %s vs %s", again.header.Get("Idempotent-Replayed"), again.body, first.body)
		}
		body["title"] = "另一个标题"
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", body, "Idempotency-Key", "k-1").
			wantProblem(http.StatusUnprocessableEntity, "idempotency_key_reused")
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": "t", "content": "c", "category": "land", "status": "closed"}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": 5, "content": "c", "category": "land"}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "admin", "POST", "/api/v1/requests", body).wantProblem(http.StatusForbidden, "forbidden")
		st := ts.fileRequest(t, "station_hs", "ent_hs")
		if st["station_id"] == nil {
			t.Errorf("station filing without station_id: %v", st)
		}

		// The loop, with every request field the document names.
		id := first.obj()["id"].(string)
		get("acfic_hs", reqPath(id, "/transitions"), http.StatusOK)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203", "expected_version": 1}).want(http.StatusOK)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).
			wantProblem(http.StatusConflict, "invalid_transition")
		get("dept_hs_scjg", reqPath(id, "/transitions"), http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "claim", map[string]any{"expected_version": 1}).wantProblem(http.StatusConflict, "conflict")
		ts.act(t, "dept_hs_scjg", id, "claim", map[string]any{"note": nil}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "request_extension", map[string]any{"days": 3, "reason": "需现场勘查"}).want(http.StatusOK)
		ts.act(t, "acfic_hs", id, "approve_extension", map[string]any{"note": "同意"}).want(http.StatusOK)
		ts.act(t, "ent_hs", id, "supplement", map[string]any{"content": "补充规划图纸。"}).want(http.StatusOK)
		ts.act(t, "acfic_hs", id, "supervise", map[string]any{"note": "请加快办理", "due_at": ts.clock.Now().Add(72 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)}).
			want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已协调新增指标。"}).want(http.StatusOK)
		ts.act(t, "ent_hs", id, "evaluate", map[string]any{"score": 9}).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.act(t, "ent_hs", id, "evaluate", map[string]any{"score": 4, "comment": "满意 👍"}).want(http.StatusOK)
		ts.act(t, "ent_hs", id, "fly", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.act(t, "ent_hs", id, "expire_evaluation", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.act(t, "ent_yz", id, "withdraw", nil).wantProblem(http.StatusNotFound, "not_found")
		get("ent_hs", reqPath(id), http.StatusOK)
		get("ent_hs", reqPath(id, "/events?page_size=2"), http.StatusOK)
		get("insp_city", reqPath(id, "/events"), http.StatusOK)

		other := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", other, "reject", map[string]any{"reason": "不属于受理范围"}).want(http.StatusOK)
		third := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "ent_hs", third, "withdraw", map[string]any{"reason": "已自行解决"}).want(http.StatusOK)

		for _, q := range []string{"", "?status=submitted,assigned", "?status=closed&overdue=false&supervised=true",
			"?region_code=330203&department_code=scjg&q=%E7%94%A8%E5%9C%B0", "?page_size=1"} {
			get("acfic_city", "/api/v1/requests"+q, http.StatusOK)
		}
		ts.as(t, "acfic_city", "GET", "/api/v1/requests?status=lost", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_city", "GET", "/api/v1/requests?overdue=maybe", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "acfic_city", "GET", "/api/v1/requests?cursor=%21", nil).wantProblem(http.StatusBadRequest, "validation_failed")

		// The deadline board (two open requests at least: the station's and this one).
		ts.fileRequest(t, "ent_yz", "")
		board := get("acfic_city", "/api/v1/deadlines?kind=request&page_size=1", http.StatusOK).obj()
		if cur, _ := board["next_cursor"].(string); cur != "" {
			get("acfic_city", "/api/v1/deadlines?kind=request&page_size=1&cursor="+cur, http.StatusOK)
		} else {
			t.Errorf("deadline board without a next page: %v", board)
		}
		get("dept_hs_scjg", "/api/v1/deadlines?state=overdue&region_code=330203&department_code=scjg", http.StatusOK)
		get("insp_hs", "/api/v1/deadlines?state=due_soon", http.StatusOK)
		ts.as(t, "acfic_city", "GET", "/api/v1/deadlines?state=late", nil).wantProblem(http.StatusBadRequest, "validation_failed")

		ts.as(t, "admin", "GET", reqPath(id), nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "ent_yz", "GET", reqPath(id), nil).wantProblem(http.StatusNotFound, "not_found")
	})
}

// TestOpenAPIRateLimited checks the documented 429 answer and its Retry-After.
func TestOpenAPIRateLimited(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", func(c *configs.Config) { c.RateLimit.RPS, c.RateLimit.Burst = 0.001, 2 })
	tok := ts.login(t, "admin")
	var last *response
	for range 3 {
		last = ts.do(t, tok, "GET", "/api/v1/me", nil)
	}
	p := last.wantProblem(http.StatusTooManyRequests, "rate_limited")
	if last.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %+v", p)
	}
}
