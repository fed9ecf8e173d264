package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The authorization matrix of docs/design.md#roles through the API: every request and
// organisation route, as every fixture account, against objects in every
// relation to the caller. The expected answers are written out as literal
// tables from the contract:
//
//   - reading an object the caller may not see → 404 (no existence leak);
//   - an action the caller's role may never take → 403, whatever the object;
//   - an action the object's state does not allow → 409.

// ---------------------------------------------------------------------------
// Helpers shared by authz_matrix_test.go, refusals_test.go and input_test.go
// (prefixed qa so that they do not collide with other files of the package).

// qaCodes is the problem code each refusal status carries by default.
var qaCodes = map[int]string{
	http.StatusBadRequest:            "validation_failed",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusConflict:              "invalid_transition",
	http.StatusRequestEntityTooLarge: "payload_too_large",
	http.StatusUnprocessableEntity:   "idempotency_key_reused",
}

// qaExpect reports (without stopping the test) when res is not status want;
// for a refusal it also checks the problem document and its code (code ""
// means the default code of the status). It returns whether res matched.
func qaExpect(t testing.TB, res *response, want int, code, what string) bool {
	t.Helper()
	if res.status != want {
		t.Errorf("%s: status %d, want %d; body: %.300s", what, res.status, want, res.body)
		return false
	}
	if want < 400 {
		return true
	}
	if code == "" {
		code = qaCodes[want]
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p problemBody
	res.decode(&p)
	if p.Code != code || p.Status != want || p.Title == "" || p.Detail == "" {
		t.Errorf("%s: problem %+v, want code %q status %d with title and detail", what, p, code, want)
		return false
	}
	return true
}

// qaField reports (without stopping the test) when the validation problem
// res does not name field.
func qaField(t testing.TB, res *response, field, what string) {
	t.Helper()
	var p problemBody
	res.decode(&p)
	for _, e := range p.Errors {
		if e.Field == field {
			if e.Message == "" {
				t.Errorf("%s: field %s has an empty message", what, field)
			}
			return
		}
	}
	t.Errorf("%s: problem errors %+v do not name field %q", what, p.Errors, field)
}

// qaIDs returns the ids of a list answer's items, in order.
func qaIDs(t testing.TB, res *response) []string {
	t.Helper()
	var v struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	res.decode(&v)
	out := make([]string, len(v.Items))
	for i, it := range v.Items {
		out[i] = it.ID
	}
	return out
}

// qaSameSet reports whether a and b hold the same strings, ignoring order
// (and refusing duplicates in a).
func qaSameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y) && len(slices.Compact(slices.Clone(x))) == len(x)
}

// qaState is what a refusal must leave untouched.
type qaState struct {
	Status     string
	Version    float64
	Events     int
	Supervised bool
	Pending    float64
}

// qaSnapshot reads request id as acfic_city (who sees every request).
func qaSnapshot(t testing.TB, ts *testServer, id string) qaState {
	t.Helper()
	r := ts.as(t, "acfic_city", "GET", reqPath(id), nil).want(http.StatusOK).obj()
	ev := ts.as(t, "acfic_city", "GET", reqPath(id, "/events?page_size=100"), nil).want(http.StatusOK).obj()
	return qaState{Status: r["status"].(string), Version: r["version"].(float64), Events: len(ev["items"].([]any)),
		Supervised: r["supervised"].(bool), Pending: r["pending_extension_days"].(float64)}
}

// qaUnchanged checks that request id is as before.
func qaUnchanged(t testing.TB, ts *testServer, id string, before qaState, what string) {
	t.Helper()
	if after := qaSnapshot(t, ts, id); after != before {
		t.Errorf("%s changed the request: before %+v, after %+v", what, before, after)
	}
}

// qaAdvance moves the shared clock and forgets the cached tokens (which the
// server now sees as expired).
func qaAdvance(ts *testServer, d time.Duration) {
	ts.clock.Advance(d)
	ts.mu.Lock()
	ts.tokens = map[string]cachedToken{}
	ts.mu.Unlock()
}

// qaFile files a request with the given title as user (for a station, for
// enterprise key ent) and returns its id.
func qaFile(t testing.TB, ts *testServer, user, ent, title string) string {
	t.Helper()
	body := map[string]any{"title": title, "content": "请协调办理。", "category": "policy"}
	if ent != "" {
		body["enterprise_id"] = ts.ids[ent]
	}
	return ts.as(t, user, "POST", "/api/v1/requests", body).want(http.StatusCreated).obj()["id"].(string)
}

// qaBodies is a valid body for every client action of the request loop.
var qaBodies = map[string]map[string]any{
	"assign":            {"department_code": "scjg", "region_code": "330203", "note": "请办理"},
	"reject":            {"reason": "不属于受理范围"},
	"claim":             nil,
	"return":            {"reason": "不属于本单位职责"},
	"request_extension": {"days": 3, "reason": "需要现场核查"},
	"approve_extension": {"note": "同意延期"},
	"deny_extension":    {"note": "不同意延期"},
	"respond":           {"response": "已办理完毕，请查收。"},
	"evaluate":          {"score": 5, "comment": "满意"},
	"supplement":        {"content": "补充营业执照复印件"},
	"withdraw":          {"reason": "问题已自行解决"},
	"supervise":         {"note": "请加快办理"},
	"merge":             {"target_id": "1", "note": "重复诉求"},
	"add_opinion":       {"opinion": "建议一并核查消防验收材料"},
}

// qaActions lists the client actions of docs/design.md#request-loop in table order.
var qaActions = []string{"assign", "reject", "claim", "return", "request_extension", "approve_extension",
	"deny_extension", "respond", "evaluate", "supplement", "withdraw", "supervise", "merge", "add_opinion"}

// ---------------------------------------------------------------------------
// The fixture accounts (harness seed) and the requests of the matrix.

// mxUsers are the seed accounts with their roles and home regions.
var mxUsers = []struct{ name, role, region string }{
	{"ent_hs", "enterprise", "330203"},
	{"ent_hs_town", "enterprise", "330203-T01"},
	{"ent_yz", "enterprise", "330212"},
	{"station_hs", "station", "330203"},
	{"station_yz", "station", "330212"},
	{"acfic_city", "acfic", "330200"},
	{"acfic_hs", "acfic", "330203"},
	{"acfic_yz", "acfic", "330212"},
	{"dept_hs_scjg", "department", "330203"},
	{"dept_hs_sw", "department", "330203"},
	{"dept_yz_scjg", "department", "330212"},
	{"dept_city_scjg", "department", "330200"},
	{"insp_city", "inspector", "330200"},
	{"insp_hs", "inspector", "330203"},
	{"insp_yz", "inspector", "330212"},
	{"admin", "admin", "330200"},
	{"admin_hs", "admin", "330203"},
}

// mxRequests are the columns of the request matrix:
//
//	rA  filed by ent_hs (海曙 330203), assigned to 市场监管@海曙 (scjg 330203)
//	rB  filed by station_hs for ent_hs_town (集士港镇 330203-T01), assigned to the
//	    city unit 市场监管@宁波市 (scjg 330200)
//	rC  filed by ent_yz (鄞州 330212), assigned to scjg@330212 and signed for (in_progress)
//	rD  filed by station_yz for ent_yz, submitted
//	rE  filed by ent_hs, submitted
//	rF  filed by ent_hs, assigned to 税务@海曙 (sw 330203) and signed for (in_progress)
//	rG  filed by station_hs for ent_hs, submitted
//	none  an id that does not exist
var mxRequests = []string{"rA", "rB", "rC", "rD", "rE", "rF", "rG", "none"}

// mxReads is GET /requests/{id} (and …/transitions, …/events) by account × request.
var mxReads = map[string][8]int{
	//                 rA   rB   rC   rD   rE   rF   rG  none
	"ent_hs":         {200, 404, 404, 404, 200, 200, 200, 404},
	"ent_hs_town":    {404, 200, 404, 404, 404, 404, 404, 404},
	"ent_yz":         {404, 404, 200, 200, 404, 404, 404, 404},
	"station_hs":     {404, 200, 404, 404, 404, 404, 200, 404},
	"station_yz":     {404, 404, 404, 200, 404, 404, 404, 404},
	"acfic_city":     {200, 200, 200, 200, 200, 200, 200, 404},
	"acfic_hs":       {200, 200, 404, 404, 200, 200, 200, 404},
	"acfic_yz":       {404, 404, 200, 200, 404, 404, 404, 404},
	"dept_hs_scjg":   {200, 404, 404, 404, 404, 404, 404, 404},
	"dept_hs_sw":     {404, 404, 404, 404, 404, 200, 404, 404},
	"dept_yz_scjg":   {404, 404, 200, 404, 404, 404, 404, 404},
	"dept_city_scjg": {200, 200, 200, 404, 404, 404, 404, 404},
	"insp_city":      {200, 200, 200, 200, 200, 200, 200, 404},
	"insp_hs":        {200, 200, 404, 404, 200, 200, 200, 404},
	"insp_yz":        {404, 404, 200, 200, 404, 404, 404, 404},
	"admin":          {403, 403, 403, 403, 403, 403, 403, 403},
	"admin_hs":       {403, 403, 403, 403, 403, 403, 403, 403},
}

// mxWorld seeds the fixture world and files the requests of mxRequests.
func mxWorld(t *testing.T, ts *testServer) map[string]string {
	t.Helper()
	ts.seed(t)
	w := map[string]string{"none": "999999999"}
	w["rA"] = qaFile(t, ts, "ent_hs", "", "rA 海曙企业诉求")
	w["rB"] = qaFile(t, ts, "station_hs", "ent_hs_town", "rB 站点代办集士港镇企业诉求")
	w["rC"] = qaFile(t, ts, "ent_yz", "", "rC 鄞州企业诉求")
	w["rD"] = qaFile(t, ts, "station_yz", "ent_yz", "rD 站点代办鄞州企业诉求")
	w["rE"] = qaFile(t, ts, "ent_hs", "", "rE 海曙企业待受理诉求")
	w["rF"] = qaFile(t, ts, "ent_hs", "", "rF 海曙企业税务诉求")
	w["rG"] = qaFile(t, ts, "station_hs", "ent_hs", "rG 站点代办海曙企业诉求")
	ts.act(t, "acfic_hs", w["rA"], "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
	ts.act(t, "acfic_city", w["rB"], "assign", map[string]any{"department_code": "scjg", "region_code": "330200"}).want(http.StatusOK)
	ts.act(t, "acfic_yz", w["rC"], "assign", map[string]any{"department_code": "scjg", "region_code": "330212"}).want(http.StatusOK)
	ts.act(t, "dept_yz_scjg", w["rC"], "claim", nil).want(http.StatusOK)
	ts.act(t, "acfic_hs", w["rF"], "assign", map[string]any{"department_code": "sw", "region_code": "330203"}).want(http.StatusOK)
	ts.act(t, "dept_hs_sw", w["rF"], "claim", nil).want(http.StatusOK)
	return w
}

// mxVisible lists the requests the row of mxReads shows with 200.
func mxVisible(user string, w map[string]string) []string {
	var out []string
	for i, st := range mxReads[user] {
		if st == http.StatusOK {
			out = append(out, w[mxRequests[i]])
		}
	}
	return out
}

// TestAuthzRequestReads: GET /requests/{id}, …/transitions and …/events as
// every account on every request of the matrix.
func TestAuthzRequestReads(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		if len(mxReads) != len(mxUsers) {
			t.Fatalf("matrix has %d rows for %d accounts", len(mxReads), len(mxUsers))
		}
		for _, u := range mxUsers {
			t.Run(u.name, func(t *testing.T) {
				t.Parallel()
				row := mxReads[u.name]
				for i, key := range mxRequests {
					for _, suffix := range []string{"", "/transitions", "/events"} {
						res := ts.as(t, u.name, "GET", reqPath(w[key], suffix), nil)
						if qaExpect(t, res, row[i], "", fmt.Sprintf("GET %s%s as %s", key, suffix, u.name)) && row[i] == http.StatusOK && suffix == "" {
							if got := res.obj()["id"]; got != w[key] {
								t.Errorf("GET %s as %s: id %v, want %s", key, u.name, got, w[key])
							}
						}
					}
				}
			})
		}
		// A request out of sight answers exactly like one that does not exist.
		hidden := ts.as(t, "acfic_hs", "GET", reqPath(w["rC"]), nil).wantProblem(http.StatusNotFound, "not_found")
		missing := ts.as(t, "acfic_hs", "GET", reqPath(w["none"]), nil).wantProblem(http.StatusNotFound, "not_found")
		if hidden.Detail != missing.Detail || hidden.Title != missing.Title {
			t.Errorf("an out-of-sight request (%+v) answers differently from a missing one (%+v)", hidden, missing)
		}
	})
}

// TestAuthzRequestLists: GET /requests is scoped exactly like the single
// reads, and filters never widen the scope.
func TestAuthzRequestLists(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		t.Run("unfiltered", func(t *testing.T) {
			for _, u := range mxUsers {
				t.Run(u.name, func(t *testing.T) {
					t.Parallel()
					res := ts.as(t, u.name, "GET", "/api/v1/requests?page_size=100", nil)
					if u.role == "admin" {
						qaExpect(t, res, http.StatusForbidden, "", "GET /requests as "+u.name)
						return
					}
					if !qaExpect(t, res, http.StatusOK, "", "GET /requests as "+u.name) {
						return
					}
					if got, want := qaIDs(t, res), mxVisible(u.name, w); !qaSameSet(got, want) {
						t.Errorf("GET /requests as %s: ids %v, want %v", u.name, got, want)
					}
				})
			}
		})
		t.Run("filtered", func(t *testing.T) {
			cases := []struct {
				user, query string
				want        []string // request keys
			}{
				{"acfic_hs", "region_code=330212", nil},
				{"acfic_hs", "region_code=330200", []string{"rA", "rB", "rE", "rF", "rG"}},
				{"acfic_hs", "region_code=330203-T01", []string{"rB"}},
				{"acfic_hs", "region_code=330212-T01", nil},
				{"insp_hs", "region_code=330212", nil},
				{"insp_yz", "region_code=330200", []string{"rC", "rD"}},
				{"acfic_yz", "status=submitted,assigned,in_progress", []string{"rC", "rD"}},
				{"ent_hs", "region_code=330212", nil},
				{"ent_hs", "region_code=330200", []string{"rA", "rE", "rF", "rG"}},
				{"ent_yz", "status=submitted", []string{"rD"}},
				{"station_hs", "region_code=330200", []string{"rB", "rG"}},
				{"station_yz", "region_code=330203", nil},
				{"dept_hs_scjg", "department_code=sw", nil},
				{"dept_hs_sw", "region_code=330200", []string{"rF"}},
				{"dept_city_scjg", "department_code=sw", nil},
				{"dept_city_scjg", "region_code=330212", []string{"rC"}},
				{"insp_city", "department_code=scjg", []string{"rA", "rB", "rC"}},
				{"acfic_city", "region_code=330212&status=submitted", []string{"rD"}},
			}
			for _, c := range cases {
				t.Run(c.user+"?"+c.query, func(t *testing.T) {
					t.Parallel()
					res := ts.as(t, c.user, "GET", "/api/v1/requests?page_size=100&"+c.query, nil)
					if !qaExpect(t, res, http.StatusOK, "", "GET /requests?"+c.query+" as "+c.user) {
						return
					}
					var want []string
					for _, k := range c.want {
						want = append(want, w[k])
					}
					if got := qaIDs(t, res); !qaSameSet(got, want) {
						t.Errorf("GET /requests?%s as %s: ids %v, want %v (%v)", c.query, c.user, got, want, c.want)
					}
				})
			}
		})
	})
}

// TestAuthzAvailableActions: GET …/transitions lists exactly what the
// caller may do now.
func TestAuthzAvailableActions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		cases := []struct {
			user, req string
			want      []string
		}{
			{"ent_hs", "rA", []string{"supplement", "withdraw"}},
			{"acfic_hs", "rA", []string{"supervise", "merge"}},
			{"acfic_city", "rA", []string{"supervise", "merge"}},
			{"insp_hs", "rA", []string{}}, // not overdue
			{"dept_hs_scjg", "rA", []string{"claim", "return"}},
			{"dept_city_scjg", "rA", []string{}}, // sees it, but it is not its unit
			{"acfic_hs", "rE", []string{"assign", "reject", "merge"}},
			{"ent_hs", "rE", []string{"supplement", "withdraw"}},
			{"dept_hs_sw", "rF", []string{"return", "request_extension", "respond"}},
			{"acfic_hs", "rF", []string{"supervise", "merge"}},
			{"ent_hs", "rF", []string{"supplement", "withdraw"}},
			{"station_hs", "rB", []string{"supplement"}},
			{"ent_hs_town", "rB", []string{"supplement", "withdraw"}},
			{"dept_city_scjg", "rB", []string{"claim", "return"}},
			{"station_hs", "rG", []string{"supplement"}},
			{"ent_hs", "rG", []string{"supplement", "withdraw"}},
			{"acfic_city", "rD", []string{"assign", "reject", "merge"}},
			{"insp_city", "rC", []string{}},
			{"dept_yz_scjg", "rC", []string{"return", "request_extension", "respond"}},
			{"dept_city_scjg", "rC", []string{}},
		}
		for _, c := range cases {
			t.Run(c.user+"/"+c.req, func(t *testing.T) {
				t.Parallel()
				var v struct {
					Items []struct {
						Action string `json:"action"`
						Label  string `json:"label"`
					} `json:"items"`
				}
				ts.as(t, c.user, "GET", reqPath(w[c.req], "/transitions"), nil).want(http.StatusOK).decode(&v)
				got := []string{}
				for _, it := range v.Items {
					got = append(got, it.Action)
					if it.Label == "" {
						t.Errorf("action %s has no label", it.Action)
					}
				}
				if !qaSameSet(got, c.want) {
					t.Errorf("transitions of %s for %s: %v, want %v", c.req, c.user, got, c.want)
				}
			})
		}
	})
}

// mxMay is docs/design.md#request-loop's "by" column: the actions each role may ever take.
var mxMay = map[string][]string{
	"enterprise": {"evaluate", "supplement", "withdraw"},
	"station":    {"supplement"},
	"acfic":      {"assign", "reject", "approve_extension", "deny_extension", "supervise", "merge"},
	"department": {"claim", "return", "request_extension", "respond", "add_opinion"},
	"inspector":  {"supervise"},
	"admin":      {},
}

// TestAuthzForbiddenActions: an action the role never takes answers 403 on
// a request the caller sees, one it does not see and one that does not
// exist, and changes nothing.
func TestAuthzForbiddenActions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		before := map[string]qaState{}
		for _, k := range []string{"rA", "rC", "rE"} {
			before[k] = qaSnapshot(t, ts, w[k])
		}
		t.Run("each", func(t *testing.T) {
			for _, u := range mxUsers {
				t.Run(u.name, func(t *testing.T) {
					t.Parallel()
					for _, a := range qaActions {
						if slices.Contains(mxMay[u.role], a) {
							continue
						}
						for _, k := range []string{"rA", "rC", "rE", "none"} {
							res := ts.act(t, u.name, w[k], a, qaBodies[a])
							qaExpect(t, res, http.StatusForbidden, "", fmt.Sprintf("%s %s on %s", u.name, a, k))
						}
					}
				})
			}
		})
		for k, b := range before {
			qaUnchanged(t, ts, w[k], b, "forbidden actions on "+k)
		}
	})
}

// TestAuthzActions: the actions a role may take, on objects in every
// relation to the caller, in order (the state moves as the table goes).
func TestAuthzActions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		b := qaBodies
		steps := []struct {
			user, action, req string
			body              map[string]any
			want              int
		}{
			// enterprise: its own requests only.
			{"ent_yz", "supplement", "rA", b["supplement"], 404},
			{"ent_hs_town", "supplement", "rA", b["supplement"], 404},
			{"ent_hs", "supplement", "rA", b["supplement"], 200},
			{"ent_hs", "evaluate", "rA", b["evaluate"], 409}, // own, but not responded
			{"ent_yz", "evaluate", "rA", b["evaluate"], 404},
			{"ent_yz", "withdraw", "rE", b["withdraw"], 404},
			{"ent_hs", "supplement", "rG", b["supplement"], 200}, // filed for it by a station
			{"ent_hs_town", "withdraw", "rG", b["withdraw"], 404},
			// station: what it filed.
			{"station_hs", "supplement", "rB", b["supplement"], 200},
			{"station_yz", "supplement", "rB", b["supplement"], 404},
			{"station_hs", "supplement", "rA", b["supplement"], 404}, // filed by the enterprise itself
			{"station_hs", "supplement", "rD", b["supplement"], 404},
			// acfic: requests in its region and below.
			{"acfic_yz", "assign", "rE", b["assign"], 404},
			{"acfic_hs", "reject", "rD", b["reject"], 404},
			{"acfic_hs", "supervise", "rC", b["supervise"], 404},
			{"acfic_yz", "supervise", "rA", b["supervise"], 404},
			{"acfic_hs", "approve_extension", "rF", b["approve_extension"], 409}, // nothing pending
			{"acfic_hs", "assign", "rA", b["assign"], 409},                       // already assigned
			{"acfic_hs", "supervise", "rA", b["supervise"], 200},
			{"acfic_hs", "supervise", "rB", b["supervise"], 200}, // a town below 海曙
			{"acfic_city", "reject", "rD", b["reject"], 200},     // the city covers 鄞州
			{"acfic_hs", "assign", "rE", b["assign"], 200},
			// department: the unit the request is assigned to.
			{"dept_hs_sw", "claim", "rA", nil, 404},     // another unit of the same region
			{"dept_yz_scjg", "claim", "rA", nil, 404},   // the same department in another region
			{"dept_city_scjg", "claim", "rA", nil, 403}, // sees it (city), but it is not its unit
			{"dept_hs_scjg", "claim", "rB", nil, 404},   // assigned to the city unit
			{"dept_city_scjg", "claim", "rB", nil, 200},
			{"dept_hs_scjg", "claim", "rA", nil, 200},
			{"dept_hs_scjg", "claim", "rA", nil, 409}, // twice
			{"dept_hs_scjg", "claim", "rE", nil, 200}, // assigned to it above
			{"dept_hs_scjg", "respond", "rF", b["respond"], 404},
			{"dept_yz_scjg", "request_extension", "rF", b["request_extension"], 404},
			{"dept_hs_sw", "request_extension", "rF", b["request_extension"], 200},
			{"acfic_yz", "approve_extension", "rF", b["approve_extension"], 404},
			{"acfic_hs", "approve_extension", "rF", b["approve_extension"], 200},
			{"dept_city_scjg", "respond", "rC", b["respond"], 403}, // sees it, not its unit
			{"dept_city_scjg", "return", "rC", b["return"], 403},
			{"dept_yz_scjg", "respond", "rC", b["respond"], 200},
			{"dept_hs_sw", "respond", "rF", b["respond"], 200},
			{"dept_hs_sw", "return", "rF", b["return"], 409}, // already answered
			// inspector: supervises overdue requests of its region only.
			{"insp_hs", "supervise", "rA", b["supervise"], 409}, // not overdue
			{"insp_yz", "supervise", "rA", b["supervise"], 404},
			// the enterprise evaluates what it filed or what was filed for it.
			{"ent_hs", "evaluate", "rC", b["evaluate"], 404},
			{"ent_yz", "evaluate", "rC", map[string]any{"score": 4}, 200},
			{"ent_hs", "evaluate", "rF", b["evaluate"], 200},
			{"ent_hs", "withdraw", "rF", b["withdraw"], 409}, // closed
			// 工商联 merges a repeat into another request of the same enterprise it sees.
			{"acfic_yz", "merge", "rG", map[string]any{"target_id": w["rE"]}, 404},   // rG is not 鄞州's
			{"acfic_hs", "merge", "rG", map[string]any{"target_id": w["rC"]}, 400},   // rC is out of its sight
			{"acfic_city", "merge", "rG", map[string]any{"target_id": w["rC"]}, 400}, // rC is another enterprise's
			{"acfic_hs", "merge", "rF", map[string]any{"target_id": w["rE"]}, 409},   // rF is closed
			{"acfic_hs", "merge", "rG", map[string]any{"target_id": w["rE"]}, 200},
			{"acfic_hs", "merge", "rG", map[string]any{"target_id": w["rE"]}, 409}, // merged already
		}
		for i, s := range steps {
			res := ts.act(t, s.user, w[s.req], s.action, s.body)
			qaExpect(t, res, s.want, "", fmt.Sprintf("step %d: %s %s on %s", i, s.user, s.action, s.req))
		}

		// Once rA is overdue, inspectors of its region may supervise it.
		qaAdvance(ts, 60*24*time.Hour)
		if r := ts.as(t, "insp_hs", "GET", reqPath(w["rA"]), nil).want(http.StatusOK).obj(); r["overdue"] != true {
			t.Fatalf("rA is not overdue 60 days on: %v", r)
		}
		qaExpect(t, ts.act(t, "insp_yz", w["rA"], "supervise", b["supervise"]), 404, "", "insp_yz supervise overdue rA")
		got := ts.act(t, "insp_hs", w["rA"], "supervise", b["supervise"])
		if qaExpect(t, got, 200, "", "insp_hs supervise overdue rA") && got.obj()["supervised"] != true {
			t.Errorf("after 督办 rA is not flagged supervised: %s", got.body)
		}
		qaExpect(t, ts.act(t, "insp_city", w["rA"], "supervise", b["supervise"]), 200, "", "insp_city supervise overdue rA")
	})
}

// mxFile is POST /requests by account: an enterprise files for itself, a
// station for an enterprise of its region (the body names one for every
// non-enterprise account, so that only the role decides).
var mxFile = map[string]struct {
	ent  string
	want int
}{
	"ent_hs":         {"", 201},
	"ent_hs_town":    {"", 201},
	"ent_yz":         {"", 201},
	"station_hs":     {"ent_hs_town", 201},
	"station_yz":     {"ent_yz", 201},
	"acfic_city":     {"ent_hs", 403},
	"acfic_hs":       {"ent_hs", 403},
	"acfic_yz":       {"ent_yz", 403},
	"dept_hs_scjg":   {"ent_hs", 403},
	"dept_hs_sw":     {"ent_hs", 403},
	"dept_yz_scjg":   {"ent_yz", 403},
	"dept_city_scjg": {"ent_hs", 403},
	"insp_city":      {"ent_hs", 403},
	"insp_hs":        {"ent_hs", 403},
	"insp_yz":        {"ent_yz", 403},
	"admin":          {"ent_hs", 403},
	"admin_hs":       {"ent_hs", 403},
}

// TestAuthzFileRequest: only enterprises and stations file requests, and
// the request lands where the enterprise is.
func TestAuthzFileRequest(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		entRegion := map[string]string{"ent_hs": "330203", "ent_hs_town": "330203-T01", "ent_yz": "330212"}
		var filed []string
		for _, u := range mxUsers {
			c := mxFile[u.name]
			body := map[string]any{"title": "提交权限 " + u.name, "content": "内容", "category": "policy"}
			if c.ent != "" {
				body["enterprise_id"] = ts.ids[c.ent]
			}
			res := ts.as(t, u.name, "POST", "/api/v1/requests", body)
			if !qaExpect(t, res, c.want, "", "POST /requests as "+u.name) || c.want != 201 {
				continue
			}
			r := res.obj()
			filed = append(filed, r["id"].(string))
			ent := c.ent
			if ent == "" {
				ent = u.name // the enterprise accounts are named after their enterprise
			}
			if r["enterprise_id"] != ts.ids[ent] || r["region_code"] != entRegion[ent] || r["status"] != "submitted" {
				t.Errorf("filed by %s: enterprise %v region %v status %v, want %s %s submitted",
					u.name, r["enterprise_id"], r["region_code"], r["status"], ts.ids[ent], entRegion[ent])
			}
			if loc := res.header.Get("Location"); loc != reqPath(r["id"].(string)) {
				t.Errorf("filed by %s: Location %q", u.name, loc)
			}
		}
		if got := qaIDs(t, ts.as(t, "acfic_city", "GET", "/api/v1/requests?page_size=100", nil).want(200)); !qaSameSet(got, filed) {
			t.Errorf("requests after filing as every account: %v, want %v", got, filed)
		}
	})
}

// mxOrgRoutes are the organisation routes of the matrix (POSTs carry a body
// for the caller's home region, built by mxOrgBody).
var mxOrgRoutes = []struct{ method, path string }{
	{"GET", "/api/v1/me"},
	{"GET", "/api/v1/regions"},
	{"GET", "/api/v1/departments"},
	{"GET", "/api/v1/categories"},
	{"GET", "/api/v1/users"},
	{"POST", "/api/v1/users"},
	{"GET", "/api/v1/enterprises"},
	{"POST", "/api/v1/enterprises"},
	{"GET", "/api/v1/stations"},
	{"POST", "/api/v1/stations"},
}

// mxOrg is the answer to each of mxOrgRoutes by account (POSTs in its home region).
var mxOrg = map[string][10]int{
	//                 me   reg  dept cat  GETu POSTu GETe POSTe GETs POSTs
	"ent_hs":         {200, 200, 200, 200, 403, 403, 403, 403, 403, 403},
	"ent_hs_town":    {200, 200, 200, 200, 403, 403, 403, 403, 403, 403},
	"ent_yz":         {200, 200, 200, 200, 403, 403, 403, 403, 403, 403},
	"station_hs":     {200, 200, 200, 200, 403, 403, 200, 201, 200, 403},
	"station_yz":     {200, 200, 200, 200, 403, 403, 200, 201, 200, 403},
	"acfic_city":     {200, 200, 200, 200, 403, 403, 200, 201, 200, 403},
	"acfic_hs":       {200, 200, 200, 200, 403, 403, 200, 201, 200, 403},
	"acfic_yz":       {200, 200, 200, 200, 403, 403, 200, 201, 200, 403},
	"dept_hs_scjg":   {200, 200, 200, 200, 403, 403, 200, 403, 403, 403},
	"dept_hs_sw":     {200, 200, 200, 200, 403, 403, 200, 403, 403, 403},
	"dept_yz_scjg":   {200, 200, 200, 200, 403, 403, 200, 403, 403, 403},
	"dept_city_scjg": {200, 200, 200, 200, 403, 403, 200, 403, 403, 403},
	"insp_city":      {200, 200, 200, 200, 403, 403, 200, 403, 200, 403},
	"insp_hs":        {200, 200, 200, 200, 403, 403, 200, 403, 200, 403},
	"insp_yz":        {200, 200, 200, 200, 403, 403, 200, 403, 200, 403},
	"admin":          {200, 200, 200, 200, 200, 201, 200, 201, 200, 201},
	"admin_hs":       {200, 200, 200, 200, 200, 201, 200, 201, 200, 201},
}

// mxOrgBody is a valid body for an organisation POST by account i in region.
func mxOrgBody(path string, i int, user, region string) map[string]any {
	switch path {
	case "/api/v1/users":
		return map[string]any{"username": "mx_" + user + "_" + strings.ReplaceAll(region, "-", "_"), "password": testPassword,
			"role": "inspector", "region_code": region}
	case "/api/v1/enterprises":
		body := fmt.Sprintf("91330200MA%07d", 1000+i*10+len(region))
		return map[string]any{"uscc": makeUSCC(body), "name": user + " 新登记企业", "region_code": region,
			"contact_name": "联系人", "contact_phone": "0574-88880000"}
	case "/api/v1/stations":
		return map[string]any{"name": user + " 新站点 " + region, "region_code": region, "address": "某路1号"}
	}
	return nil
}

// mxEnterprises and mxStations are the seed enterprises and stations each
// account sees in lists and by id (nil row: 403 on the list).
var mxEnterprises = map[string][]string{
	"ent_hs": nil, "ent_hs_town": nil, "ent_yz": nil,
	"station_hs":     {"ent_hs", "ent_hs_town"},
	"station_yz":     {"ent_yz"},
	"acfic_city":     {"ent_hs", "ent_hs_town", "ent_yz"},
	"acfic_hs":       {"ent_hs", "ent_hs_town"},
	"acfic_yz":       {"ent_yz"},
	"dept_hs_scjg":   {"ent_hs", "ent_hs_town"},
	"dept_hs_sw":     {"ent_hs", "ent_hs_town"},
	"dept_yz_scjg":   {"ent_yz"},
	"dept_city_scjg": {"ent_hs", "ent_hs_town", "ent_yz"},
	"insp_city":      {"ent_hs", "ent_hs_town", "ent_yz"},
	"insp_hs":        {"ent_hs", "ent_hs_town"},
	"insp_yz":        {"ent_yz"},
	"admin":          {"ent_hs", "ent_hs_town", "ent_yz"},
	"admin_hs":       {"ent_hs", "ent_hs_town"},
}

// mxEnterpriseReads is GET /enterprises/{id} by account × enterprise.
var mxEnterpriseReads = map[string][3]int{
	//                 ent_hs ent_hs_town ent_yz
	"ent_hs":         {200, 404, 404},
	"ent_hs_town":    {404, 200, 404},
	"ent_yz":         {404, 404, 200},
	"station_hs":     {200, 200, 404},
	"station_yz":     {404, 404, 200},
	"acfic_city":     {200, 200, 200},
	"acfic_hs":       {200, 200, 404},
	"acfic_yz":       {404, 404, 200},
	"dept_hs_scjg":   {200, 200, 404},
	"dept_hs_sw":     {200, 200, 404},
	"dept_yz_scjg":   {404, 404, 200},
	"dept_city_scjg": {200, 200, 200},
	"insp_city":      {200, 200, 200},
	"insp_hs":        {200, 200, 404},
	"insp_yz":        {404, 404, 200},
	"admin":          {200, 200, 200},
	"admin_hs":       {200, 200, 404},
}

var mxStations = map[string][]string{
	"ent_hs": nil, "ent_hs_town": nil, "ent_yz": nil,
	"dept_hs_scjg": nil, "dept_hs_sw": nil, "dept_yz_scjg": nil, "dept_city_scjg": nil,
	"station_hs": {"station_hs"},
	"station_yz": {"station_yz"},
	"acfic_city": {"station_hs", "station_yz"},
	"acfic_hs":   {"station_hs"},
	"acfic_yz":   {"station_yz"},
	"insp_city":  {"station_hs", "station_yz"},
	"insp_hs":    {"station_hs"},
	"insp_yz":    {"station_yz"},
	"admin":      {"station_hs", "station_yz"},
	"admin_hs":   {"station_hs"},
}

// mxAccountsIn are the accounts whose home region is 330203 or below (what
// the district admin admin_hs may see); the city admin sees every account.
var mxAccountsIn = []string{"ent_hs", "ent_hs_town", "station_hs", "acfic_hs", "dept_hs_scjg", "dept_hs_sw", "insp_hs", "admin_hs"}

// qaUsernames returns the usernames of a GET /users answer.
func qaUsernames(t testing.TB, res *response) []string {
	t.Helper()
	var v struct {
		Items []struct {
			Username string `json:"username"`
		} `json:"items"`
	}
	res.decode(&v)
	out := []string{}
	for _, it := range v.Items {
		out = append(out, it.Username)
	}
	return out
}

// TestAuthzOrgRoutes: users, enterprises, stations, reference data and /me
// as every account.
func TestAuthzOrgRoutes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		allUsers := []string{}
		for _, u := range mxUsers {
			allUsers = append(allUsers, u.name)
		}
		entKeys := []string{"ent_hs", "ent_hs_town", "ent_yz"}
		// Lists and reads first, while the world is exactly the seed.
		t.Run("read", func(t *testing.T) {
			for _, u := range mxUsers {
				t.Run(u.name, func(t *testing.T) {
					t.Parallel()
					for i, rt := range mxOrgRoutes {
						if rt.method != "GET" {
							continue
						}
						qaExpect(t, ts.as(t, u.name, "GET", rt.path, nil), mxOrg[u.name][i], "", "GET "+rt.path+" as "+u.name)
					}
					me := ts.as(t, u.name, "GET", "/api/v1/me", nil).want(http.StatusOK).obj()
					if me["username"] != u.name || me["role"] != u.role || me["region_code"] != u.region {
						t.Errorf("GET /me as %s: %v", u.name, me)
					}
					if _, leaked := me["password_hash"]; leaked {
						t.Errorf("GET /me shows the password hash")
					}
					// Enterprises: list and by id.
					if want := mxEnterprises[u.name]; want != nil {
						var ids []string
						for _, k := range want {
							ids = append(ids, ts.ids[k])
						}
						res := ts.as(t, u.name, "GET", "/api/v1/enterprises?page_size=100", nil).want(http.StatusOK)
						if got := qaIDs(t, res); !qaSameSet(got, ids) {
							t.Errorf("GET /enterprises as %s: %v, want %v (%v)", u.name, got, ids, want)
						}
						// A filter never widens the scope.
						res = ts.as(t, u.name, "GET", "/api/v1/enterprises?page_size=100&region_code=330200", nil).want(http.StatusOK)
						if got := qaIDs(t, res); !qaSameSet(got, ids) {
							t.Errorf("GET /enterprises?region_code=330200 as %s: %v, want %v", u.name, got, ids)
						}
					}
					for j, k := range entKeys {
						qaExpect(t, ts.as(t, u.name, "GET", "/api/v1/enterprises/"+ts.ids[k], nil), mxEnterpriseReads[u.name][j], "",
							"GET /enterprises/"+k+" as "+u.name)
					}
					qaExpect(t, ts.as(t, u.name, "GET", "/api/v1/enterprises/999999999", nil), http.StatusNotFound, "",
						"GET /enterprises/999999999 as "+u.name)
					// Stations.
					if want := mxStations[u.name]; want != nil {
						var ids []string
						for _, k := range want {
							ids = append(ids, ts.ids[k])
						}
						res := ts.as(t, u.name, "GET", "/api/v1/stations?page_size=100", nil).want(http.StatusOK)
						if got := qaIDs(t, res); !qaSameSet(got, ids) {
							t.Errorf("GET /stations as %s: %v, want %v (%v)", u.name, got, ids, want)
						}
					}
				})
			}
		})
		t.Run("users-scope", func(t *testing.T) {
			res := ts.as(t, "admin", "GET", "/api/v1/users?page_size=100", nil).want(http.StatusOK)
			// password_change_required is the one "password" allowed: a flag.
			body := bytes.ReplaceAll(res.body, []byte(`"password_change_required"`), nil)
			if bytes.Contains(body, []byte("password")) || bytes.Contains(body, []byte("$argon2")) {
				t.Errorf("GET /users shows passwords: %.300s", res.body)
			}
			got := qaUsernames(t, res)
			if !qaSameSet(got, allUsers) {
				t.Errorf("GET /users as admin: %v, want %v", got, allUsers)
			}
			got = qaUsernames(t, ts.as(t, "admin_hs", "GET", "/api/v1/users?page_size=100", nil).want(http.StatusOK))
			if !qaSameSet(got, mxAccountsIn) {
				t.Errorf("GET /users as admin_hs: %v, want %v", got, mxAccountsIn)
			}
			got = qaUsernames(t, ts.as(t, "admin_hs", "GET", "/api/v1/users?page_size=100&region_code=330200", nil).want(http.StatusOK))
			if !qaSameSet(got, mxAccountsIn) {
				t.Errorf("GET /users?region_code=330200 as admin_hs: %v, want %v", got, mxAccountsIn)
			}
			got = qaUsernames(t, ts.as(t, "admin_hs", "GET", "/api/v1/users?page_size=100&region_code=330212", nil).want(http.StatusOK))
			if len(got) != 0 {
				t.Errorf("GET /users?region_code=330212 as admin_hs: %v, want none", got)
			}
		})
		// Creation, each account in its home region.
		t.Run("create", func(t *testing.T) {
			for i, u := range mxUsers {
				t.Run(u.name, func(t *testing.T) {
					t.Parallel()
					for j, rt := range mxOrgRoutes {
						if rt.method != "POST" {
							continue
						}
						res := ts.as(t, u.name, "POST", rt.path, mxOrgBody(rt.path, i, u.name, u.region))
						qaExpect(t, res, mxOrg[u.name][j], "", "POST "+rt.path+" as "+u.name+" in "+u.region)
					}
				})
			}
		})
		// Creation outside the caller's grant.
		t.Run("create-out-of-region", func(t *testing.T) {
			cases := []struct {
				user, path, region string
			}{
				{"admin_hs", "/api/v1/users", "330200"},
				{"admin_hs", "/api/v1/users", "330212"},
				{"admin_hs", "/api/v1/stations", "330212"},
				{"admin_hs", "/api/v1/enterprises", "330212"},
				{"acfic_hs", "/api/v1/enterprises", "330212"},
				{"acfic_hs", "/api/v1/enterprises", "330200"},
				{"station_hs", "/api/v1/enterprises", "330212"},
				{"station_yz", "/api/v1/enterprises", "330203-T01"},
			}
			for i, c := range cases {
				before := ts.as(t, "admin", "GET", c.path+"?page_size=100", nil).want(http.StatusOK)
				res := ts.as(t, c.user, "POST", c.path, mxOrgBody(c.path, 100+i, c.user, c.region))
				qaExpect(t, res, http.StatusForbidden, "", "POST "+c.path+" as "+c.user+" in "+c.region)
				after := ts.as(t, "admin", "GET", c.path+"?page_size=100", nil).want(http.StatusOK)
				if len(qaIDs(t, before)) != len(qaIDs(t, after)) {
					t.Errorf("a refused POST %s created a row", c.path)
				}
			}
			// In a town below its district, the district admin may.
			res := ts.as(t, "admin_hs", "POST", "/api/v1/users", mxOrgBody("/api/v1/users", 200, "admin_hs", "330203-T01"))
			qaExpect(t, res, http.StatusCreated, "", "admin_hs creates an account in 330203-T01")
		})
	})
}

// TestAuthzUnauthenticated: every private route answers 401
// unauthenticated without a token, with a malformed one and with a forged one.
func TestAuthzUnauthenticated(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		routes := []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/me", nil},
			{"GET", "/api/v1/regions", nil},
			{"GET", "/api/v1/departments", nil},
			{"GET", "/api/v1/categories", nil},
			{"GET", "/api/v1/users", nil},
			{"POST", "/api/v1/users", map[string]any{"username": "x_user", "password": testPassword, "role": "inspector", "region_code": "330200"}},
			{"GET", "/api/v1/enterprises", nil},
			{"POST", "/api/v1/enterprises", mxOrgBody("/api/v1/enterprises", 900, "anon", "330203")},
			{"GET", "/api/v1/enterprises/" + ts.ids["ent_hs"], nil},
			{"GET", "/api/v1/stations", nil},
			{"POST", "/api/v1/stations", mxOrgBody("/api/v1/stations", 900, "anon", "330203")},
			{"POST", "/api/v1/requests", map[string]any{"title": "t", "content": "c", "category": "policy"}},
			{"GET", "/api/v1/requests", nil},
			{"GET", reqPath(id), nil},
			{"GET", reqPath(id, "/transitions"), nil},
			{"POST", reqPath(id, "/transitions"), map[string]any{"action": "withdraw"}},
			{"GET", reqPath(id, "/events"), nil},
			{"GET", "/api/v1/me/notices", nil},
			{"POST", "/api/v1/me/notices/1/read", nil},
			{"POST", "/api/v1/me/notices/read-all", nil},
			{"GET", "/api/v1/me/notify-settings", nil},
			{"PUT", "/api/v1/me/notify-settings", map[string]any{"sms": false}},
			{"POST", "/api/v1/index/periods", map[string]any{"period": "2026-11"}},
			{"GET", "/api/v1/index/periods/2026-11/submissions", nil},
			{"POST", "/api/v1/index/periods/2026-11/confirm", nil},
			{"GET", "/api/v1/rectification-items", nil},
			{"GET", "/api/v1/rectification-items/1", nil},
			{"POST", "/api/v1/rectification-items/1/reports", map[string]any{"content": "进展"}},
			{"POST", "/api/v1/rectification-items/1/close", map[string]any{"note": "销号"}},
			{"POST", "/api/v1/files", nil},
			{"GET", "/api/v1/files/" + strings.Repeat("ab", 16), nil},
			{"GET", "/api/v1/stats/units?period=2026-11", nil},
			{"GET", "/api/v1/stats/units/export.xlsx?period=2026-11", nil},
		}
		// A token signed with another key, for an existing account.
		forged := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJxaW5xaW5nIiwic3ViIjoiMSIsImF1ZCI6WyJxaW5xaW5nLWFwaSJdLCJleHAiOjQxMDI0NDQ4MDAsIm5iZiI6MTcwMDAwMDAwMCwiaWF0IjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLW9mLWFub3RoZXIta2V5LXh4eHh4eHh4eHh4"
		for i, rt := range routes {
			if i%10 == 9 {
				// Each route costs this address two bad credentials: stay
				// under its budget (60 in 15 minutes), which is not what
				// this test is about.
				qaAdvance(ts, 16*time.Minute)
			}
			for _, auth := range [][]string{nil, {"Authorization", "Bearer"}, {"Authorization", "Basic YWRtaW46eA=="},
				{"Authorization", "Bearer not-a-token"}, {"Authorization", "Bearer " + forged}} {
				res := ts.do(t, "", rt.method, rt.path, rt.body, auth...)
				qaExpect(t, res, http.StatusUnauthorized, "", fmt.Sprintf("%s %s with %v", rt.method, rt.path, auth))
			}
		}
		// An expired token is refused too.
		tok := ts.login(t, "ent_hs")
		ts.clock.Advance(2 * time.Hour)
		qaExpect(t, ts.do(t, tok, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "", "GET /me with an expired token")
		qaAdvance(ts, 0)
		// Nothing was created by the refused calls.
		if got := qaIDs(t, ts.as(t, "acfic_city", "GET", "/api/v1/requests", nil).want(http.StatusOK)); len(got) != 1 {
			t.Errorf("requests after unauthenticated calls: %v, want only %s", got, id)
		}
		if st := qaSnapshot(t, ts, id); st.Status != "submitted" || st.Version != 1 {
			t.Errorf("request after unauthenticated calls: %+v", st)
		}
		// The public routes stay public.
		ts.do(t, "", "GET", "/api/v1/openapi.json", nil).want(http.StatusOK)
		ts.do(t, "", "GET", "/healthz", nil).want(http.StatusOK)
	})
}

// TestAuthzNotices: every role reads and marks its own notices (200) and
// nobody reaches another account's (404).
func TestAuthzNotices(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, u := range mxUsers {
			if u.name != "admin" {
				ts.ntSend(t, u.name, "致"+u.name, "")
			}
		}
		ts.ntSend(t, "ent_hs", "仅企业", "")
		idOf := func(user string) string {
			l := ts.as(t, user, "GET", "/api/v1/me/notices", nil).want(http.StatusOK).obj()
			return l["items"].([]any)[0].(map[string]any)["id"].(string)
		}
		entNotice := idOf("ent_hs")
		for _, u := range mxUsers {
			qaExpect(t, ts.as(t, u.name, "GET", "/api/v1/me/notices", nil), http.StatusOK, "", "GET /me/notices as "+u.name)
			if u.name != "ent_hs" {
				qaExpect(t, ts.as(t, u.name, "POST", "/api/v1/me/notices/"+entNotice+"/read", nil), http.StatusNotFound, "",
					"reading ent_hs's notice as "+u.name)
			}
			if u.name != "admin" {
				qaExpect(t, ts.as(t, u.name, "POST", "/api/v1/me/notices/"+idOf(u.name)+"/read", nil), http.StatusOK, "",
					"reading its own notice as "+u.name)
			}
			qaExpect(t, ts.as(t, u.name, "POST", "/api/v1/me/notices/read-all", nil), http.StatusOK, "", "read-all as "+u.name)
		}
		if l := ts.as(t, "ent_hs", "GET", "/api/v1/me/notices?unread=true", nil).want(http.StatusOK).obj(); len(l["items"].([]any)) != 0 {
			t.Errorf("ent_hs's own read-all left %v", l)
		}
	})
}

// TestAuthzIndexLoop: the index loop's routes as every fixture account
// (and the departments that own the small tree's indicators), against
// 海曙's rectification items and the opened period 2026-11: the columns
// are GET submissions, POST open (the period is open already: 409 for
// whoever may), POST confirm, GET items, GET 海曙's 1.1.1 item (统计局's),
// POST a report on it, POST close of 海曙's 3.1.1 item (no report yet: 409
// for whoever may).
func TestAuthzIndexLoop(t *testing.T) {
	t.Parallel()
	const (
		ok = http.StatusOK
		cr = http.StatusCreated
		no = http.StatusForbidden
		nf = http.StatusNotFound
		st = http.StatusConflict
	)
	want := map[string][7]int{
		"ent_hs":         {no, no, no, no, no, no, no},
		"ent_hs_town":    {no, no, no, no, no, no, no},
		"ent_yz":         {no, no, no, no, no, no, no},
		"station_hs":     {no, no, no, no, no, no, no},
		"station_yz":     {no, no, no, no, no, no, no},
		"acfic_city":     {ok, st, ok, ok, ok, no, st},
		"acfic_hs":       {no, no, no, ok, ok, no, st},
		"acfic_yz":       {no, no, no, ok, nf, no, nf},
		"dept_hs_scjg":   {ok, no, no, ok, nf, nf, no},
		"dept_hs_sw":     {ok, no, no, ok, nf, nf, no},
		"dept_yz_scjg":   {ok, no, no, ok, nf, nf, no},
		"dept_city_scjg": {ok, no, no, ok, nf, nf, no},
		"dept_hs_tjj":    {ok, no, no, ok, ok, cr, no},
		"dept_city_tjj":  {ok, no, no, ok, ok, cr, no},
		"dept_city_fy":   {ok, no, no, ok, nf, nf, no},
		"insp_city":      {no, no, no, ok, ok, no, no},
		"insp_hs":        {no, no, no, ok, ok, no, no},
		"insp_yz":        {no, no, no, ok, nf, no, no},
		"admin":          {no, no, no, no, no, no, no},
		"admin_hs":       {no, no, no, no, no, no, no},
	}
	eachDB(t, func(t *testing.T, ts *testServer) {
		ids := ts.rcPublish(t)
		item := "/api/v1/rectification-items/" + ids["1.1.1"]
		for user, w := range want {
			calls := []struct {
				method, path string
				body         any
			}{
				{"GET", "/api/v1/index/periods/2026-11/submissions", nil},
				{"POST", "/api/v1/index/periods", map[string]any{"period": "2026-11"}},
				{"POST", "/api/v1/index/periods/2026-11/confirm", map[string]any{"accept_missing": true}},
				{"GET", "/api/v1/rectification-items", nil},
				{"GET", item, nil},
				{"POST", item + "/reports", map[string]any{"content": "进展"}},
				{"POST", "/api/v1/rectification-items/" + ids["3.1.1"] + "/close", map[string]any{"note": "销号"}},
			}
			for i, c := range calls {
				code := ""
				if w[i] == st {
					code = "conflict"
					if i == 6 {
						code = "invalid_transition"
					}
				}
				qaExpect(t, ts.as(t, user, c.method, c.path, c.body), w[i], code, c.method+" "+c.path+" as "+user)
			}
		}
		// Only the owner unit's reports were stored.
		if n := ts.as(t, "acfic_city", "GET", item, nil).want(http.StatusOK).obj()["report_count"]; n != float64(2) {
			t.Errorf("reports on 海曙's 1.1.1 item: %v, want 2 (统计局 of 海曙 and of the city)", n)
		}
	})
}

// ---------------------------------------------------------------------------
// Attachments (docs/design.md#attachments): POST /files by role, and GET
// /files/{id} by every account on files in every relation to it.

// mxUploads is POST /files by account: those whose filings and actions
// take file_ids upload; the other roles never do.
var mxUploads = map[string]int{
	"ent_hs": 201, "ent_hs_town": 201, "ent_yz": 201, "station_hs": 201, "station_yz": 201,
	"acfic_city": 403, "acfic_hs": 403, "acfic_yz": 403,
	"dept_hs_scjg": 201, "dept_hs_sw": 201, "dept_yz_scjg": 201, "dept_city_scjg": 201,
	"insp_city": 403, "insp_hs": 403, "insp_yz": 403, "admin": 403, "admin_hs": 403,
}

// mxLeadFiles are the columns of the lead file matrix:
//
//	C1  the report of a named lead by station_hs about 海曙 330203, rectified by 市场监管@海曙
//	R1  that lead's rectification report, by dept_hs_scjg
//	C2  the report of an anonymous lead by ent_hs in 330203
//	C3  the report of a named lead by ent_hs_town in 集士港镇 330203-T01, rectified by 市场监管@宁波市
//	R3  that lead's rectification report, by dept_city_scjg
//	O   an upload of dept_hs_scjg not attached to anything
//	none  an id no file has
var mxLeadFiles = []string{"C1", "R1", "C2", "C3", "R3", "O", "none"}

// mxLeadFileReads is GET /files/{id} by account × lead file: a report's
// files follow the lead's content (inspectors), a rectification report's
// the task (inspectors and the unit); the reporter sees the status only.
// Out of sight is 404 (an acfic's too: a file id must not tell whose case
// it is); admin never downloads (403).
var mxLeadFileReads = map[string][7]int{
	//                 C1   R1   C2   C3   R3    O  none
	"ent_hs":         {404, 404, 404, 404, 404, 404, 404},
	"ent_hs_town":    {404, 404, 404, 404, 404, 404, 404},
	"ent_yz":         {404, 404, 404, 404, 404, 404, 404},
	"station_hs":     {404, 404, 404, 404, 404, 404, 404},
	"station_yz":     {404, 404, 404, 404, 404, 404, 404},
	"acfic_city":     {404, 404, 404, 404, 404, 404, 404},
	"acfic_hs":       {404, 404, 404, 404, 404, 404, 404},
	"acfic_yz":       {404, 404, 404, 404, 404, 404, 404},
	"dept_hs_scjg":   {404, 200, 404, 404, 404, 200, 404},
	"dept_hs_sw":     {404, 404, 404, 404, 404, 404, 404},
	"dept_yz_scjg":   {404, 404, 404, 404, 404, 404, 404},
	"dept_city_scjg": {404, 404, 404, 404, 200, 404, 404},
	"insp_city":      {200, 200, 200, 200, 200, 404, 404},
	"insp_hs":        {200, 200, 200, 200, 200, 404, 404},
	"insp_yz":        {404, 404, 404, 404, 404, 404, 404},
	"admin":          {403, 403, 403, 403, 403, 403, 403},
	"admin_hs":       {403, 403, 403, 403, 403, 403, 403},
}

// TestAuthzFiles: uploads by every account; a request's files downloaded by
// every account follow GET /requests/{id} exactly (mxReads); lead files
// follow mxLeadFileReads, and each download of one is a recorded read.
func TestAuthzFiles(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		if len(mxUploads) != len(mxUsers) || len(mxLeadFileReads) != len(mxUsers) {
			t.Fatalf("matrices have %d and %d rows for %d accounts", len(mxUploads), len(mxLeadFileReads), len(mxUsers))
		}
		for _, u := range mxUsers {
			qaExpect(t, ts.upload(t, u.name, "a.pdf", fxPDF()), mxUploads[u.name], "", "POST /files as "+u.name)
		}
		// Each request of the matrix gets a file from its filer (supplement).
		filer := map[string]string{"rA": "ent_hs", "rB": "station_hs", "rC": "ent_yz", "rD": "station_yz", "rE": "ent_hs", "rF": "ent_hs", "rG": "station_hs"}
		reqFiles := map[string]string{"none": strings.Repeat("ab", 16)}
		for key, user := range filer {
			id := ts.uploadID(t, user, key+".pdf", fxPDF())
			ts.act(t, user, w[key], "supplement", map[string]any{"content": "补充材料", "file_ids": []string{id}}).want(http.StatusOK)
			reqFiles[key] = id
		}
		// The lead files.
		lf := map[string]string{"none": strings.Repeat("cd", 16)}
		lf["C1"] = ts.uploadID(t, "station_hs", "C1.jpg", fxJPEG(t))
		l1 := ts.fileLead(t, "station_hs", map[string]any{"file_ids": []string{lf["C1"]}})["id"].(string)
		ts.leadAct(t, "insp_hs", l1, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", l1, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", l1, "decide", ldRectify("talk_reminder", 10)).want(http.StatusOK)
		lf["R1"] = ts.uploadID(t, "dept_hs_scjg", "R1.docx", fxDOCX(t))
		ts.leadAct(t, "dept_hs_scjg", l1, "complete_rectification", map[string]any{"report": "已整改。", "file_ids": []string{lf["R1"]}}).want(http.StatusOK)
		lf["C2"] = ts.uploadID(t, "ent_hs", "C2.png", fxPNG(t))
		ts.fileLead(t, "ent_hs", map[string]any{"anonymous": true, "file_ids": []string{lf["C2"]}})
		lf["C3"] = ts.uploadID(t, "ent_hs_town", "C3.pdf", fxPDF())
		l3 := ts.fileLead(t, "ent_hs_town", map[string]any{"region_code": "330203-T01", "file_ids": []string{lf["C3"]}})["id"].(string)
		ts.leadAct(t, "insp_city", l3, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_city", l3, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
		b := ldRectify("case_filing", 10)
		b["unit_region_code"] = "330200"
		ts.leadAct(t, "insp_city", l3, "decide", b).want(http.StatusOK)
		lf["R3"] = ts.uploadID(t, "dept_city_scjg", "R3.xlsx", fxXLSX(t))
		ts.leadAct(t, "dept_city_scjg", l3, "complete_rectification", map[string]any{"report": "整改完成。", "file_ids": []string{lf["R3"]}}).want(http.StatusOK)
		lf["O"] = ts.uploadID(t, "dept_hs_scjg", "O.pdf", fxPDF())

		fileReads := func(lead string) map[string]int { // reader → downloads recorded
			var v struct {
				Items []struct{ Username, What string } `json:"items"`
			}
			ts.as(t, "insp_city", "GET", leadPath(lead, "/reads?page_size=100"), nil).want(http.StatusOK).decode(&v)
			out := map[string]int{}
			for _, r := range v.Items {
				if r.What == "file" {
					out[r.Username]++
				}
			}
			return out
		}
		t.Run("downloads", func(t *testing.T) {
			for _, u := range mxUsers {
				t.Run(u.name, func(t *testing.T) {
					t.Parallel()
					for i, key := range mxRequests {
						qaExpect(t, ts.download(t, u.name, reqFiles[key]), mxReads[u.name][i], "", "GET file of "+key+" as "+u.name)
					}
					for i, key := range mxLeadFiles {
						qaExpect(t, ts.download(t, u.name, lf[key]), mxLeadFileReads[u.name][i], "", "GET lead file "+key+" as "+u.name)
					}
				})
			}
		})
		// Every lead file download that answered 200 is a read of its lead,
		// and no refused one is.
		r1, r3 := fileReads(l1), fileReads(l3)
		for _, u := range mxUsers {
			row := mxLeadFileReads[u.name]
			want1, want3 := 0, 0
			for i, key := range mxLeadFiles {
				if row[i] != http.StatusOK {
					continue
				}
				switch key {
				case "C1", "R1":
					want1++
				case "C3", "R3":
					want3++
				}
			}
			if r1[u.name] != want1 || r3[u.name] != want3 {
				t.Errorf("%s: file reads recorded %d on L1 and %d on L3, want %d and %d", u.name, r1[u.name], r3[u.name], want1, want3)
			}
		}
	})
}

// mxUnitStats is GET /stats/units?period=2026-11 by account × region asked:
// its own (no region_code), 鄞州 330212, the city 330200. Only 工商联 and
// inspectors assess units, in their region and below.
var mxUnitStats = map[string][3]int{
	//                 own  330212 330200
	"ent_hs":         {403, 403, 403},
	"ent_hs_town":    {403, 403, 403},
	"ent_yz":         {403, 403, 403},
	"station_hs":     {403, 403, 403},
	"station_yz":     {403, 403, 403},
	"acfic_city":     {200, 200, 200},
	"acfic_hs":       {200, 403, 403},
	"acfic_yz":       {200, 200, 403},
	"dept_hs_scjg":   {403, 403, 403},
	"dept_hs_sw":     {403, 403, 403},
	"dept_yz_scjg":   {403, 403, 403},
	"dept_city_scjg": {403, 403, 403},
	"insp_city":      {200, 200, 200},
	"insp_hs":        {200, 403, 403},
	"insp_yz":        {200, 200, 403},
	"admin":          {403, 403, 403},
	"admin_hs":       {403, 403, 403},
}

// TestAuthzUnitStats: GET /stats/units and its 月报 as every account, for
// its own region, another district and the city.
func TestAuthzUnitStats(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		if len(mxUnitStats) != len(mxUsers) {
			t.Fatalf("matrix has %d rows for %d accounts", len(mxUnitStats), len(mxUsers))
		}
		for _, u := range mxUsers {
			t.Run(u.name, func(t *testing.T) {
				t.Parallel()
				for i, region := range []string{"", "&region_code=330212", "&region_code=330200"} {
					for _, path := range []string{"/api/v1/stats/units", "/api/v1/stats/units/export.xlsx"} {
						qaExpect(t, ts.as(t, u.name, "GET", path+"?period=2026-11"+region, nil), mxUnitStats[u.name][i], "",
							"GET "+path+region+" as "+u.name)
					}
				}
			})
		}
	})
}
