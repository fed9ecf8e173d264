package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// The authorization matrix of the lead routes (docs/design.md#roles and docs/design.md#confidentiality): every
// account of the fixture world against leads in every relation to it. The
// expected answers are literal tables written from the contract:
//
//   - a lead the caller may not see → 404 (the subject of a lead never sees it);
//   - a route or action the caller's role never takes → 403, whatever the lead;
//   - an action that is the caller's but not for this unit → 403.
//
// The leads (lzWorld):
//
//	L1  named, by station_hs about 海曙 330203, rectifying by 市场监管@海曙 (scjg 330203)
//	L2  named, by ent_yz in 鄞州 330212, reported
//	L3  anonymous, by ent_hs in 330203, registered
//	L4  named, by ent_hs_town in 集士港镇 330203-T01, verifying, rectified by 市场监管@宁波市 (scjg 330200)
//	L5  named, by station_hs in 330203, naming insp_hs as its subject, investigating
//	L6  named, by station_yz in 330212, closed (no_issue)
//	L7  named, by station_hs in 330203, pending_approval: insp_hs proposed shelved (报批)
//	none  an id that does not exist
var lzLeads = []string{"L1", "L2", "L3", "L4", "L5", "L6", "L7", "none"}

// lzReads is GET /leads/{id} and GET /leads/{id}/transitions by account × lead.
var lzReads = map[string][8]int{
	//                 L1   L2   L3   L4   L5   L6   L7  none
	"ent_hs":         {404, 404, 404, 404, 404, 404, 404, 404},
	"ent_hs_town":    {404, 404, 404, 200, 404, 404, 404, 404},
	"ent_yz":         {404, 200, 404, 404, 404, 404, 404, 404},
	"station_hs":     {200, 404, 404, 404, 200, 404, 200, 404},
	"station_yz":     {404, 404, 404, 404, 404, 200, 404, 404},
	"acfic_city":     {403, 403, 403, 403, 403, 403, 403, 403},
	"acfic_hs":       {403, 403, 403, 403, 403, 403, 403, 403},
	"acfic_yz":       {403, 403, 403, 403, 403, 403, 403, 403},
	"dept_hs_scjg":   {200, 404, 404, 404, 404, 404, 404, 404},
	"dept_hs_sw":     {404, 404, 404, 404, 404, 404, 404, 404},
	"dept_yz_scjg":   {404, 404, 404, 404, 404, 404, 404, 404},
	"dept_city_scjg": {404, 404, 404, 200, 404, 404, 404, 404}, // L1 is a district unit's task, not the city unit's
	"insp_city":      {200, 200, 200, 200, 200, 200, 200, 404},
	"insp_hs":        {200, 404, 200, 200, 404, 404, 200, 404},
	"insp_yz":        {404, 200, 404, 404, 404, 200, 404, 404},
	"admin":          {403, 403, 403, 403, 403, 403, 403, 403},
	"admin_hs":       {403, 403, 403, 403, 403, 403, 403, 403},
}

// lzInspectorOnly is GET /leads/{id}/events and …/reads: the inspectors'
// row of lzReads, 403 for every other role.
func lzInspectorOnly(user string) [8]int {
	row := lzReads[user]
	if user[:4] != "insp" {
		row = [8]int{403, 403, 403, 403, 403, 403, 403, 403}
	}
	return row
}

// lzAvailable is GET /leads/{id}/transitions where it answers 200.
var lzAvailable = map[string]map[string][]string{
	"L1": {"insp_city": {"set_subject", "recuse"}, "insp_hs": {"set_subject", "recuse"}, "dept_hs_scjg": {"complete_rectification"}, "dept_city_scjg": {}, "station_hs": {}},
	"L2": {"insp_city": {"register", "dismiss", "set_subject", "recuse"}, "insp_yz": {"register", "dismiss", "set_subject", "recuse"}, "ent_yz": {}},
	"L3": {"insp_city": {"investigate", "set_subject", "recuse"}, "insp_hs": {"investigate", "set_subject", "recuse"}},
	"L4": {"insp_city": {"verify", "set_subject", "recuse"}, "insp_hs": {"verify", "set_subject", "recuse"}, "dept_city_scjg": {}, "ent_hs_town": {}},
	"L5": {"insp_city": {"investigate", "decide", "propose_disposal", "set_subject", "recuse"}, "station_hs": {}},
	"L6": {"insp_city": {"record_feedback"}, "insp_yz": {"record_feedback"}, "station_yz": {}},
	// Approval is offered to the other inspectors only, never to the proposer.
	"L7": {"insp_city": {"approve_disposal", "send_back_disposal", "set_subject", "recuse"}, "insp_hs": {"set_subject", "recuse"}, "station_hs": {}},
}

// lzWorld seeds the fixture world and reports the leads of lzLeads.
func lzWorld(t *testing.T, ts *testServer) map[string]string {
	t.Helper()
	ts.seed(t)
	w := map[string]string{"none": "999999999"}
	act := func(user, id, action string, body map[string]any) {
		t.Helper()
		ts.leadAct(t, user, id, action, body).want(http.StatusOK)
	}
	w["L1"] = ldInState(t, ts, "rectifying")
	w["L2"] = ts.fileLead(t, "ent_yz", map[string]any{"region_code": "330212"})["id"].(string)
	w["L3"] = ts.fileLead(t, "ent_hs", map[string]any{"anonymous": true})["id"].(string)
	act("insp_hs", w["L3"], "register", nil)
	w["L4"] = ts.fileLead(t, "ent_hs_town", map[string]any{"region_code": "330203-T01"})["id"].(string)
	act("insp_city", w["L4"], "register", nil)
	act("insp_city", w["L4"], "investigate", map[string]any{"notes": "核查。"})
	b := ldRectify("case_filing", 10)
	b["unit_region_code"] = "330200"
	act("insp_city", w["L4"], "decide", b)
	act("dept_city_scjg", w["L4"], "complete_rectification", map[string]any{"report": "整改完成。"})
	w["L5"] = ts.fileLead(t, "station_hs", map[string]any{"subject_username": "insp_hs"})["id"].(string)
	act("insp_city", w["L5"], "register", nil)
	act("insp_city", w["L5"], "investigate", map[string]any{"notes": "核查。"})
	w["L6"] = ts.fileLead(t, "station_yz", map[string]any{"region_code": "330212"})["id"].(string)
	act("insp_yz", w["L6"], "register", nil)
	act("insp_yz", w["L6"], "investigate", map[string]any{"notes": "核查。"})
	ts.ldDecide(t, "insp_yz", w["L6"], ldDecideBodies["no_issue"])
	w["L7"] = ldInState(t, ts, "pending")
	return w
}

// TestAuthzLeadReads: every read route on every lead as every account.
func TestAuthzLeadReads(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := lzWorld(t, ts)
		for _, u := range mxUsers {
			t.Run(u.name, func(t *testing.T) {
				t.Parallel()
				for i, key := range lzLeads {
					id := w[key]
					what := func(route string) string { return fmt.Sprintf("GET %s of %s as %s", route, key, u.name) }
					qaExpect(t, ts.as(t, u.name, "GET", leadPath(id), nil), lzReads[u.name][i], "", what("lead"))
					res := ts.as(t, u.name, "GET", leadPath(id, "/transitions"), nil)
					if qaExpect(t, res, lzReads[u.name][i], "", what("transitions")) && res.status == http.StatusOK {
						var v struct {
							Items []struct {
								Action string `json:"action"`
							} `json:"items"`
						}
						res.decode(&v)
						got := []string{}
						for _, it := range v.Items {
							got = append(got, it.Action)
						}
						want, ok := lzAvailable[key][u.name]
						if !ok {
							t.Errorf("%s: no expectation for %s on %s", what("transitions"), u.name, key)
						} else if !slices.Equal(got, want) {
							t.Errorf("%s: %v, want %v", what("transitions"), got, want)
						}
					}
					ins := lzInspectorOnly(u.name)[i]
					qaExpect(t, ts.as(t, u.name, "GET", leadPath(id, "/events"), nil), ins, "", what("events"))
					qaExpect(t, ts.as(t, u.name, "GET", leadPath(id, "/reads"), nil), ins, "", what("reads"))
				}
			})
		}
	})
}

// TestAuthzLeadLists: GET /leads lists exactly what GET /leads/{id} shows.
func TestAuthzLeadLists(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := lzWorld(t, ts)
		for _, u := range mxUsers {
			res := ts.as(t, u.name, "GET", "/api/v1/leads?page_size=100", nil)
			if lzReads[u.name][0] == http.StatusForbidden {
				qaExpect(t, res, http.StatusForbidden, "", "GET /leads as "+u.name)
				continue
			}
			var want []string
			for i, st := range lzReads[u.name] {
				if st == http.StatusOK {
					want = append(want, w[lzLeads[i]])
				}
			}
			if got := qaIDs(t, res.want(http.StatusOK)); !qaSameSet(got, want) {
				t.Errorf("GET /leads as %s: %v, want %v", u.name, got, want)
			}
			// A status filter never widens the scope.
			res = ts.as(t, u.name, "GET", "/api/v1/leads?page_size=100&status=reported,registered,investigating,pending_approval,rectifying,verifying,closed", nil)
			if got := qaIDs(t, res.want(http.StatusOK)); !qaSameSet(got, want) {
				t.Errorf("GET /leads?status=… as %s: %v, want %v", u.name, got, want)
			}
		}
		// Nor does a region filter, for the inspectors who may use it.
		for user, want := range map[string][]string{"insp_hs": {w["L1"], w["L3"], w["L4"], w["L7"]}, "insp_yz": nil} {
			res := ts.as(t, user, "GET", "/api/v1/leads?page_size=100&region_code=330203", nil).want(http.StatusOK)
			if got := qaIDs(t, res); !qaSameSet(got, want) {
				t.Errorf("GET /leads?region_code=330203 as %s: %v, want %v", user, got, want)
			}
		}
	})
}

// lzActionTarget is the state each action is tried in (the one it is allowed
// in), by ldInState; complete_rectification's unit is 市场监管@海曙.
var lzActionTarget = map[string]string{
	"register": "reported", "dismiss": "reported", "investigate": "registered", "decide": "investigating",
	"complete_rectification": "rectifying", "verify": "verifying", "reopen": "shelved",
	"propose_disposal": "investigating", "approve_disposal": "pending", "send_back_disposal": "pending",
	"record_inquiry_reply": "inquiring", "conclude_inquiry": "replied", "record_feedback": "closed",
}

// lzActions is POST /leads/{id}/transitions with a valid body, by account ×
// action, on a lead of 海曙 330203 in the state that allows the action. The
// proposal waiting for approval is insp_hs's: it may not approve or send
// back its own (403).
var lzActions = map[string][13]int{
	//                 regs dism invg decd cmpl vrfy reop prop appr back rply conc fdbk
	"ent_hs":         {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"ent_hs_town":    {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"ent_yz":         {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"station_hs":     {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"station_yz":     {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"acfic_city":     {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"acfic_hs":       {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"acfic_yz":       {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"dept_hs_scjg":   {403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403},
	"dept_hs_sw":     {403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403, 403, 403},
	"dept_yz_scjg":   {403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403, 403, 403},
	"dept_city_scjg": {403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403, 403, 403}, // the district unit's task is out of its sight
	"insp_city":      {200, 200, 200, 200, 403, 200, 200, 200, 200, 200, 200, 200, 200},
	"insp_hs":        {200, 200, 200, 200, 403, 200, 200, 200, 403, 403, 200, 200, 200},
	"insp_yz":        {404, 404, 404, 404, 403, 404, 404, 404, 404, 404, 404, 404, 404},
	"admin":          {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	"admin_hs":       {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
}

// TestAuthzLeadActions: every action as every account. A refusal leaves the
// lead as it was; a lead is replaced once an action succeeded on it.
func TestAuthzLeadActions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for j, action := range ldActions {
			t.Run(action, func(t *testing.T) {
				id := ldInState(t, ts, lzActionTarget[action])
				before := ldSnapshot(t, ts, id)
				body := ldActionBodies[action].body
				for _, u := range mxUsers {
					want := lzActions[u.name][j]
					res := ts.leadAct(t, u.name, id, action, body)
					if !qaExpect(t, res, want, "", fmt.Sprintf("%s as %s", action, u.name)) {
						continue
					}
					if want == http.StatusOK {
						id = ldInState(t, ts, lzActionTarget[action])
						before = ldSnapshot(t, ts, id)
					} else if after := ldSnapshot(t, ts, id); after != before {
						t.Errorf("refused %s as %s changed the lead: %+v → %+v", action, u.name, before, after)
					}
				}
			})
		}
	})
}

// TestAuthzLeadCreate: who may report a lead, and where.
func TestAuthzLeadCreate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, u := range mxUsers {
			want := http.StatusForbidden
			if u.role == "enterprise" || u.role == "station" {
				want = http.StatusCreated
			}
			res := ts.as(t, u.name, "POST", "/api/v1/leads", ldBody(map[string]any{"region_code": u.region}))
			qaExpect(t, res, want, "", "POST /leads as "+u.name+" in "+u.region)
			res = ts.as(t, u.name, "POST", "/api/v1/leads/lookup", map[string]any{"receipt": "XSQ-0000-0000-0000-0000-0000-0000"})
			want = http.StatusForbidden
			if u.role == "enterprise" || u.role == "station" {
				want = http.StatusNotFound
			}
			qaExpect(t, res, want, "", "POST /leads/lookup as "+u.name)
		}
	})
}

// TestAuthzLeadUnauthenticated: every lead route answers 401 without a valid token.
func TestAuthzLeadUnauthenticated(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	id := ts.fileLead(t, "station_hs", nil)["id"].(string)
	routes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/leads", ldBody(nil)},
		{"GET", "/api/v1/leads", nil},
		{"POST", "/api/v1/leads/lookup", map[string]any{"receipt": "XSQ-0000"}},
		{"GET", leadPath(id), nil},
		{"GET", leadPath(id, "/transitions"), nil},
		{"POST", leadPath(id, "/transitions"), map[string]any{"action": "register"}},
		{"GET", leadPath(id, "/events"), nil},
		{"GET", leadPath(id, "/reads"), nil},
		{"GET", "/api/v1/interaction-rules", nil},
	}
	for _, rt := range routes {
		for _, auth := range [][]string{nil, {"Authorization", "Bearer not-a-token"}} {
			qaExpect(t, ts.do(t, "", rt.method, rt.path, rt.body, auth...), http.StatusUnauthorized, "",
				fmt.Sprintf("%s %s with %v", rt.method, rt.path, auth))
		}
	}
	if got := ldSnapshot(t, ts, id); got.Status != "reported" || got.Version != 1 {
		t.Errorf("unauthenticated calls changed the lead: %+v", got)
	}
}
