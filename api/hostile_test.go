package api_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"qinqing/configs"
)

// Hostile input: ids beyond what the database can hold, and the like,
// are a client's mistake (4xx), never a server error.

// hugeIDs are ids a uint64 holds that a signed 64-bit column does not, and
// the largest it does.
var hugeIDs = []string{"9223372036854775807", "9223372036854775808", "18446744073709551615"}

// TestIDsOutOfRange: an id of 2^63 or more in a path, a body or a cursor is
// 404 (path) or 400 naming the field (body, cursor), never 500.
// (Found failing: SQLite refused the uint64 above 2^63-1 and the answer was 500.)
func TestIDsOutOfRange(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, id := range hugeIDs {
			for _, c := range []struct{ user, method, path string }{
				{"acfic_hs", "GET", "/api/v1/requests/" + id},
				{"acfic_hs", "GET", "/api/v1/requests/" + id + "/events"},
				{"acfic_hs", "GET", "/api/v1/requests/" + id + "/transitions"},
				{"insp_hs", "GET", "/api/v1/leads/" + id},
				{"insp_hs", "GET", "/api/v1/leads/" + id + "/reads"},
				{"admin", "GET", "/api/v1/enterprises/" + id},
				{"admin", "DELETE", "/api/v1/api-keys/" + id},
				{"acfic_city", "GET", "/api/v1/index/runs/" + id},
			} {
				res := ts.as(t, c.user, c.method, c.path, nil)
				qaExpect(t, res, http.StatusNotFound, "", c.method+" "+c.path)
			}
			res := ts.as(t, "admin", "PATCH", "/api/v1/users/"+id, map[string]any{"disabled": true})
			qaExpect(t, res, http.StatusNotFound, "", "PATCH /users/"+id)
			res = ts.as(t, "acfic_hs", "POST", "/api/v1/requests/"+id+"/transitions",
				map[string]any{"action": "reject", "reason": "不属于受理范围"})
			qaExpect(t, res, http.StatusNotFound, "", "POST /requests/"+id+"/transitions")

			bodies := []struct {
				user, path, field string
				body              map[string]any
			}{
				{"station_hs", "/api/v1/requests", "enterprise_id", map[string]any{"title": "t", "content": "c", "category": "policy", "enterprise_id": id}},
				{"station_hs", "/api/v1/leads", "enterprise_id", ldBody(map[string]any{"enterprise_id": id})},
				{"admin", "/api/v1/users", "station_id", map[string]any{"username": "st_x", "password": testPassword, "role": "station", "region_code": "330203", "station_id": id}},
				{"admin", "/api/v1/users", "enterprise_id", map[string]any{"username": "ent_x", "password": testPassword, "role": "enterprise", "region_code": "330203", "enterprise_id": id}},
				{"admin", "/api/v1/api-keys", "account_id", map[string]any{"account_id": id, "name": "k"}},
			}
			for _, b := range bodies {
				res := ts.as(t, b.user, "POST", b.path, b.body)
				what := fmt.Sprintf("POST %s with %s=%s", b.path, b.field, id)
				if qaExpect(t, res, http.StatusBadRequest, "", what) {
					qaField(t, res, b.field, what)
				}
			}
			if id == hugeIDs[0] {
				continue // a cursor may point past every row
			}
			cur := base64.RawURLEncoding.EncodeToString([]byte("v1:" + id))
			for _, p := range []string{"/api/v1/requests", "/api/v1/users", "/api/v1/enterprises", "/api/v1/api-keys"} {
				user := "admin"
				if p == "/api/v1/requests" {
					user = "acfic_hs"
				}
				res := ts.as(t, user, "GET", p+"?cursor="+cur, nil)
				what := "GET " + p + " with cursor v1:" + id
				if qaExpect(t, res, http.StatusBadRequest, "", what) {
					qaField(t, res, "cursor", what)
				}
			}
			dc := base64.RawURLEncoding.EncodeToString([]byte("d1:1764547200000:request:" + id))
			res = ts.as(t, "acfic_hs", "GET", "/api/v1/deadlines?cursor="+dc, nil)
			if what := "GET /deadlines with cursor id " + id; qaExpect(t, res, http.StatusBadRequest, "", what) {
				qaField(t, res, "cursor", what)
			}
		}
	})
}

// TestSlowBody: a body that stops arriving ends in 408 request_timeout once
// the request timeout is up, not in 500 (nor in a hung connection).
// (Found failing: the body read ignored the request's deadline; the answer
// came only at the server's ReadTimeout, as a 500.)
func TestSlowBody(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", func(c *configs.Config) { c.RequestTimeout = time.Second })
	ts.seed(t)
	tok := ts.login(t, "ent_hs")
	for _, framing := range []string{"Content-Length: 200\r\n", "Transfer-Encoding: chunked\r\n"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		part := `{"title":"慢`
		if strings.HasPrefix(framing, "Transfer") {
			part = fmt.Sprintf("%x\r\n%s\r\n", len(part), part)
		}
		start := time.Now()
		fmt.Fprintf(conn, "POST /api/v1/requests HTTP/1.1\r\nHost: qinqing\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\n%s\r\n%s", tok, framing, part)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer within 5 s: %v", framing, err)
		}
		body, _ := io.ReadAll(res.Body)
		took := time.Since(start)
		if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"request_timeout"`) {
			t.Errorf("%s: %d %s, want 408 request_timeout", framing, res.StatusCode, body)
		}
		if took > 2*time.Second {
			t.Errorf("%s: answered after %v, want within the 1 s request timeout (and a little)", framing, took)
		}
	}
	// A request that keeps its time is unaffected, on a kept-alive connection too.
	for range 2 {
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": "准时", "content": "c", "category": "policy"}).
			want(http.StatusCreated)
	}
}

// TestDuplicateKeysAndHiddenText: a body that gives a key twice, or text
// with NUL or a bidirectional control character, is 400 naming the field,
// and creates nothing.
// (Found failing: encoding/json kept the last of two keys and stored NUL and
// U+202E as sent; the answers were 201.)
func TestDuplicateKeysAndHiddenText(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cases := []struct{ user, path, body, field string }{
			{"ent_hs", "/api/v1/requests", `{"title":"甲","title":"乙","content":"c","category":"policy"}`, "title"},
			{"ent_hs", "/api/v1/requests", `{"title":"甲","content":"c","category":"policy","category":"other"}`, "category"},
			{"ent_hs", "/api/v1/requests", `{"title":"甲\u0000","content":"c","category":"policy"}`, "title"},
			{"ent_hs", "/api/v1/requests", `{"title":"甲","content":"付款\u202e0001","category":"policy"}`, "content"},
			{"ent_hs", "/api/v1/requests", `{"title":"\u2066甲\u2069","content":"c","category":"policy"}`, "title"},
			{"admin", "/api/v1/stations", `{"name":"站\u202a","region_code":"330203","address":"路"}`, "name"},
			{"admin", "/api/v1/users", `{"username":"dup","username":"dup2","password":"` + testPassword + `","role":"inspector","region_code":"330203"}`, "username"},
		}
		before := inCount(t, ts, "ent_hs", "/api/v1/requests")
		for _, c := range cases {
			res := ts.as(t, c.user, "POST", c.path, c.body)
			what := fmt.Sprintf("POST %s %s", c.path, c.body)
			if qaExpect(t, res, http.StatusBadRequest, "", what) {
				qaField(t, res, c.field, what)
			}
		}
		if after := inCount(t, ts, "ent_hs", "/api/v1/requests"); after != before {
			t.Errorf("%d requests before the refused bodies, %d after", before, after)
		}
		res := ts.as(t, "station_hs", "POST", "/api/v1/leads", `{"content":"甲","content":"乙"}`)
		if qaExpect(t, res, http.StatusBadRequest, "", "lead with content twice") {
			qaField(t, res, "content", "lead with content twice")
		}
		res = ts.as(t, "station_hs", "POST", "/api/v1/leads", ldBody(map[string]any{"subject_name": "窗口\u202e科"}))
		if qaExpect(t, res, http.StatusBadRequest, "", "lead with U+202E") {
			qaField(t, res, "subject_name", "lead with U+202E")
		}
		// Other Unicode, emoji and CJK extension B included, is fine.
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", `{"title":"𠮷🏭\u200d","content":"c","category":"policy"}`).want(http.StatusCreated)
	})
}

// TestMalformedFilters: a filter value the query parser cannot read
// (status=closed;x, bad percent-encoding), a parameter given twice, or one
// with NUL or a bidirectional control is 400 naming it, not dropped.
// (Found failing: net/url drops a pair with a semicolon, so
// status=closed;x listed every request, 200.)
func TestMalformedFilters(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cases := []struct{ user, path, field string }{
			{"acfic_hs", "/api/v1/requests?status=closed;x", "status"},
			{"acfic_hs", "/api/v1/requests?status=closed%3Bx", "status"},
			{"acfic_hs", "/api/v1/requests?status=closed&status=submitted", "status"},
			{"acfic_hs", "/api/v1/requests?q=%zz", "q"},
			{"acfic_hs", "/api/v1/requests?q=%00", "q"},
			{"acfic_hs", "/api/v1/requests?q=%E2%80%AE", "q"},
			{"insp_hs", "/api/v1/leads?status=closed;x", "status"},
			{"acfic_hs", "/api/v1/deadlines?state=overdue;x", "state"},
			{"admin", "/api/v1/users?role=admin;x", "role"},
			{"admin", "/api/v1/enterprises?uscc=1;2", "uscc"},
		}
		for _, c := range cases {
			res := ts.as(t, c.user, "GET", c.path, nil)
			if qaExpect(t, res, http.StatusBadRequest, "", "GET "+c.path) {
				qaField(t, res, c.field, "GET "+c.path)
			}
		}
		// Commas list several values; an empty query is fine.
		ts.as(t, "acfic_hs", "GET", "/api/v1/requests?status=closed,submitted", nil).want(http.StatusOK)
		ts.as(t, "acfic_hs", "GET", "/api/v1/requests?", nil).want(http.StatusOK)
	})
}
