package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// 容错免责 as its own procedure (docs/design.md#tolerance): applications by
// the unit concerned, by 工商联 for an enterprise and by an inspector; the
// six steps; what each side is shown; the refusals; the matrix of every
// account against the routes; and the lead's confidentiality.

func exPath(id string, rest ...string) string {
	p := "/api/v1/exemptions/" + id
	for _, r := range rest {
		p += r
	}
	return p
}

// exAct takes a step of the procedure as user.
func (ts *testServer) exAct(t testing.TB, user, id, action string, fields map[string]any) *response {
	t.Helper()
	body := map[string]any{"action": action}
	for k, v := range fields {
		body[k] = v
	}
	return ts.as(t, user, "POST", exPath(id, "/transitions"), body)
}

// exAssigned files a request as ent_hs and assigns it to 市场监管@海曙.
func exAssigned(t testing.TB, ts *testServer) string {
	t.Helper()
	id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
	ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
	return id
}

// exMeeting is a meeting time an hour before the server's clock.
func exMeeting(ts *testServer) string {
	return ts.clock.Now().Add(-time.Hour).Format(time.RFC3339)
}

// exDrive takes application id from applied to filed as insp_hs.
func exDrive(t testing.TB, ts *testServer, id, outcome string) map[string]any {
	t.Helper()
	ts.exAct(t, "insp_hs", id, "accept", map[string]any{"note": "材料齐全，予以受理"}).want(http.StatusOK)
	ts.exAct(t, "insp_hs", id, "verify_facts", map[string]any{"findings": "经核实，系为企业纾困先行先试，未谋取私利"}).want(http.StatusOK)
	ts.exAct(t, "insp_hs", id, "determine", map[string]any{"outcome": outcome, "members": []string{"张纪", "李监", "王察"},
		"meeting_at": exMeeting(ts), "opinion": "一致同意"}).want(http.StatusOK)
	ts.exAct(t, "insp_hs", id, "issue_decision", map[string]any{"decision_no": "海纪容〔2026〕1号", "decision_text": "对当事人予以免责。"}).
		want(http.StatusOK)
	return ts.exAct(t, "insp_hs", id, "file_record", map[string]any{"filed_with": "宁波市纪委监委"}).want(http.StatusOK).obj()
}

func TestExemptionProcedure(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		req := exAssigned(t, ts)
		before := qaSnapshot(t, ts, req)
		res := ts.as(t, "dept_hs_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": req,
			"circumstances": "为帮助企业赶上投产节点，在材料后补的情况下先行办理，事后补齐。", "official_name": "陈某"}).want(http.StatusCreated)
		e := res.obj()
		id := e["id"].(string)
		if loc := res.header.Get("Location"); loc != exPath(id) {
			t.Errorf("Location %q", loc)
		}
		if e["status"] != "applied" || e["status_label"] != "待受理" || e["department_code"] != "scjg" || e["unit_region_code"] != "330203" ||
			e["region_code"] != "330203" || e["request_id"] != req || e["lead_id"] != nil || e["applicant_role"] != "department" {
			t.Errorf("application: %v", e)
		}
		if _, ok := e["review"]; ok {
			t.Errorf("the applicant is shown 纪检监察's record: %v", e)
		}
		// only inspectors have steps; the applicant has none
		if items := ts.as(t, "dept_hs_scjg", "GET", exPath(id, "/transitions"), nil).want(http.StatusOK).obj()["items"].([]any); len(items) != 0 {
			t.Errorf("applicant's steps: %v", items)
		}
		items := ts.as(t, "insp_hs", "GET", exPath(id, "/transitions"), nil).want(http.StatusOK).obj()["items"].([]any)
		var acts []string
		for _, it := range items {
			acts = append(acts, it.(map[string]any)["action"].(string))
		}
		if !slices.Equal(acts, []string{"accept", "reject_application"}) {
			t.Errorf("inspector's steps: %v", acts)
		}

		ts.exAct(t, "insp_hs", id, "accept", nil).want(http.StatusOK)
		ts.exAct(t, "insp_hs", id, "verify_facts", map[string]any{"findings": "经核实，材料后补未损害公共利益"}).want(http.StatusOK)
		mid := ts.exAct(t, "insp_hs", id, "determine", map[string]any{"outcome": "exempt", "members": []string{"张纪", "李监", "王察"},
			"meeting_at": exMeeting(ts)}).want(http.StatusOK).obj()
		if mid["status"] != "determined" || mid["review"].(map[string]any)["outcome"] != "exempt" {
			t.Errorf("after determine: %v", mid)
		}
		// the applicant does not learn the outcome before the written decision
		if got := ts.as(t, "dept_hs_scjg", "GET", exPath(id), nil).want(http.StatusOK).obj(); got["outcome"] != nil || got["status"] != "determined" {
			t.Errorf("applicant before the decision: %v", got)
		}
		ts.exAct(t, "insp_hs", id, "issue_decision", map[string]any{"decision_no": "海纪容〔2026〕1号", "decision_text": "对陈某予以免责。"}).
			want(http.StatusOK)
		got := ts.as(t, "dept_hs_scjg", "GET", exPath(id), nil).want(http.StatusOK).obj()
		if got["status"] != "decided" || got["outcome"] != "exempt" || got["outcome_label"] != "予以免责" || got["decision_no"] != "海纪容〔2026〕1号" {
			t.Errorf("applicant after the decision: %v", got)
		}
		done := ts.exAct(t, "insp_hs", id, "file_record", map[string]any{"filed_with": "宁波市纪委监委", "note": "按月报备"}).want(http.StatusOK).obj()
		if done["status"] != "filed" || done["closed_at"] == nil || done["filed_at"] == nil || done["version"].(float64) != 6 {
			t.Errorf("filed: %v", done)
		}
		r := done["review"].(map[string]any)
		if r["filed_with"] != "宁波市纪委监委" || len(r["members"].([]any)) != 3 || r["findings"] != "经核实，材料后补未损害公共利益" {
			t.Errorf("review: %v", r)
		}
		// the timeline, for inspectors only
		ev := ts.as(t, "insp_hs", "GET", exPath(id, "/events"), nil).want(http.StatusOK).obj()["items"].([]any)
		var steps []string
		for _, x := range ev {
			steps = append(steps, x.(map[string]any)["action_label"].(string))
		}
		if !slices.Equal(steps, []string{"申请容错免责", "受理", "核实", "集体认定", "出具书面决定", "报备"}) {
			t.Errorf("timeline: %v", steps)
		}
		qaExpect(t, ts.as(t, "dept_hs_scjg", "GET", exPath(id, "/events"), nil), http.StatusForbidden, "", "applicant's events")
		// no step after filing
		qaExpect(t, ts.exAct(t, "insp_hs", id, "accept", nil), http.StatusConflict, "", "accept after filing")
		// the request is untouched: no rectification, no event
		qaUnchanged(t, ts, req, before, "the exemption procedure")
		// a finished application frees the request for another
		ts.as(t, "dept_hs_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": req, "circumstances": "另一事项"}).
			want(http.StatusCreated)
		// the list filters
		if got := qaIDs(t, ts.as(t, "insp_city", "GET", "/api/v1/exemptions?status=filed&request_id="+req, nil).want(http.StatusOK)); !slices.Equal(got, []string{id}) {
			t.Errorf("filed applications of the request: %v", got)
		}
		qaExpect(t, ts.as(t, "insp_city", "GET", "/api/v1/exemptions?status=pardoned", nil), http.StatusBadRequest, "", "unknown status")
		// the procedure's events are chained like every case's
		if a := ts.as(t, "insp_city", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).obj(); a["ok"] != true || a["broken_events"] != 0.0 {
			t.Errorf("audit: %v", a)
		}
	})
}

// TestExemptionByACFIC: 工商联 applies on an enterprise's behalf; the
// enterprise follows it, no other enterprise or 工商联 does; a refusal
// tells the applicant why.
func TestExemptionByACFIC(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		req := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		body := map[string]any{"request_id": req, "enterprise_id": ts.ids["ent_hs"], "circumstances": "企业在政策窗口期内按部门口径申报，事后口径调整。"}
		e := ts.as(t, "acfic_hs", "POST", "/api/v1/exemptions", body).want(http.StatusCreated).obj()
		id := e["id"].(string)
		if e["enterprise_id"] != ts.ids["ent_hs"] || e["department_code"] != nil || e["applicant_role"] != "acfic" {
			t.Errorf("application: %v", e)
		}
		for user, want := range map[string]int{"ent_hs": 200, "ent_yz": 404, "acfic_hs": 200, "acfic_city": 200, "acfic_yz": 404,
			"dept_hs_scjg": 404, "insp_hs": 200, "insp_yz": 404, "station_hs": 403, "admin": 403} {
			qaExpect(t, ts.as(t, user, "GET", exPath(id), nil), want, "", user+" reads 工商联's application")
		}
		qaExpect(t, ts.as(t, "acfic_hs", "POST", "/api/v1/exemptions", body), http.StatusConflict, "conflict", "a second application while one is under way")
		rej := ts.exAct(t, "insp_hs", id, "reject_application", map[string]any{"reason": "不属于容错免责情形"}).want(http.StatusOK).obj()
		got := ts.as(t, "ent_hs", "GET", exPath(id), nil).want(http.StatusOK).obj()
		if rej["status"] != "rejected" || got["reject_reason"] != "不属于容错免责情形" || got["status_label"] != "不予受理" {
			t.Errorf("rejected: %v / %v", rej, got)
		}
		if got := qaIDs(t, ts.as(t, "ent_hs", "GET", "/api/v1/exemptions", nil).want(http.StatusOK)); !slices.Equal(got, []string{id}) {
			t.Errorf("enterprise's list: %v", got)
		}
		if got := qaIDs(t, ts.as(t, "ent_yz", "GET", "/api/v1/exemptions", nil).want(http.StatusOK)); len(got) != 0 {
			t.Errorf("another enterprise's list: %v", got)
		}
	})
}

// TestExemptionRefusals: bad applications and bad steps answer 4xx and
// change nothing.
func TestExemptionRefusals(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		req := exAssigned(t, ts)
		other := ts.fileRequest(t, "ent_yz", "")["id"].(string)
		lead := ts.fileLead(t, "station_hs", nil)["id"].(string)
		c := "情况说明"
		for _, x := range []struct {
			name, user string
			body       map[string]any
			status     int
			field      string
		}{
			{"neither case", "dept_hs_scjg", map[string]any{"circumstances": c}, 400, "lead_id"},
			{"both cases", "dept_hs_scjg", map[string]any{"circumstances": c, "request_id": req, "lead_id": lead}, 400, "lead_id"},
			{"blank circumstances", "dept_hs_scjg", map[string]any{"circumstances": "  ", "request_id": req}, 400, "circumstances"},
			{"a request of another unit", "dept_hs_sw", map[string]any{"circumstances": c, "request_id": req}, 400, "request_id"},
			{"a lead the unit does not see", "dept_hs_scjg", map[string]any{"circumstances": c, "lead_id": lead}, 400, "lead_id"},
			{"a department naming a unit", "dept_hs_scjg", map[string]any{"circumstances": c, "request_id": req, "department_code": "sw"}, 400, "department_code"},
			{"工商联 without the enterprise", "acfic_hs", map[string]any{"circumstances": c, "request_id": req}, 400, "enterprise_id"},
			{"工商联 for another enterprise", "acfic_city", map[string]any{"circumstances": c, "request_id": req, "enterprise_id": ts.ids["ent_yz"]}, 400, "enterprise_id"},
			{"工商联 on a lead", "acfic_hs", map[string]any{"circumstances": c, "lead_id": lead, "enterprise_id": ts.ids["ent_hs"]}, 400, "lead_id"},
			{"工商联 outside its region", "acfic_hs", map[string]any{"circumstances": c, "request_id": other, "enterprise_id": ts.ids["ent_yz"]}, 400, "request_id"},
			{"an inspector without the unit", "insp_hs", map[string]any{"circumstances": c, "lead_id": lead}, 400, "department_code"},
			{"an inspector naming a unit outside its region", "insp_hs", map[string]any{"circumstances": c, "lead_id": lead,
				"department_code": "scjg", "unit_region_code": "330212"}, 403, ""},
			{"unknown field", "dept_hs_scjg", map[string]any{"circumstances": c, "request_id": req, "status": "filed"}, 400, "status"},
			{"an enterprise", "ent_hs", map[string]any{"circumstances": c, "request_id": req}, 403, ""},
			{"a station", "station_hs", map[string]any{"circumstances": c, "request_id": req}, 403, ""},
			{"an admin", "admin", map[string]any{"circumstances": c, "request_id": req}, 403, ""},
		} {
			res := ts.as(t, x.user, "POST", "/api/v1/exemptions", x.body)
			if qaExpect(t, res, x.status, "", x.name) && x.field != "" {
				qaField(t, res, x.field, x.name)
			}
		}
		if got := qaIDs(t, ts.as(t, "insp_city", "GET", "/api/v1/exemptions", nil).want(http.StatusOK)); len(got) != 0 {
			t.Fatalf("refused applications were filed: %v", got)
		}

		id := ts.as(t, "dept_hs_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": req, "circumstances": c}).
			want(http.StatusCreated).obj()["id"].(string)
		snap := func() string {
			e := ts.as(t, "insp_city", "GET", exPath(id), nil).want(http.StatusOK).obj()
			n := len(ts.as(t, "insp_city", "GET", exPath(id, "/events"), nil).want(http.StatusOK).obj()["items"].([]any))
			return fmt.Sprintf("%v %v %d", e["status"], e["version"], n)
		}
		before := snap()
		for _, x := range []struct {
			name, user, action string
			body               map[string]any
			status             int
			code, field        string
		}{
			{"unknown action", "insp_hs", "pardon", nil, 400, "", "action"},
			{"the applicant accepts", "dept_hs_scjg", "accept", nil, 403, "", ""},
			{"工商联 accepts", "acfic_hs", "accept", nil, 403, "", ""},
			{"an inspector of another district", "insp_yz", "accept", nil, 404, "", ""},
			{"a step out of order", "insp_hs", "determine", map[string]any{"outcome": "exempt", "members": []string{"a", "b", "c"}, "meeting_at": exMeeting(ts)}, 409, "", ""},
			{"a field of another step", "insp_hs", "accept", map[string]any{"findings": "x"}, 400, "", "findings"},
			{"a stale version", "insp_hs", "accept", map[string]any{"expected_version": 7}, 409, "conflict", ""},
			{"reject without reason", "insp_hs", "reject_application", nil, 400, "", "reason"},
			{"a bad meeting time", "insp_hs", "accept", map[string]any{"meeting_at": "yesterday"}, 400, "", "meeting_at"},
		} {
			res := ts.exAct(t, x.user, id, x.action, x.body)
			if qaExpect(t, res, x.status, x.code, x.name) && x.field != "" {
				qaField(t, res, x.field, x.name)
			}
		}
		if after := snap(); after != before {
			t.Errorf("refused steps changed the application: %s → %s", before, after)
		}
		ts.exAct(t, "insp_hs", id, "accept", nil).want(http.StatusOK)
		ts.exAct(t, "insp_hs", id, "verify_facts", map[string]any{"findings": "属实"}).want(http.StatusOK)
		before = snap()
		for _, x := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"below the quorum", map[string]any{"outcome": "exempt", "members": []string{"张纪", "李监"}, "meeting_at": exMeeting(ts)}, "members"},
			{"an unknown outcome", map[string]any{"outcome": "pardon", "members": []string{"张纪", "李监", "王察"}, "meeting_at": exMeeting(ts)}, "outcome"},
			{"a meeting still to come", map[string]any{"outcome": "exempt", "members": []string{"张纪", "李监", "王察"},
				"meeting_at": ts.clock.Now().Add(24 * time.Hour).Format(time.RFC3339)}, "meeting_at"},
			{"no members", map[string]any{"outcome": "exempt", "meeting_at": exMeeting(ts)}, "members"},
		} {
			res := ts.exAct(t, "insp_hs", id, "determine", x.body)
			if qaExpect(t, res, http.StatusBadRequest, "", x.name) {
				qaField(t, res, x.field, x.name)
			}
		}
		if after := snap(); after != before {
			t.Errorf("refused determinations changed the application: %s → %s", before, after)
		}
		qaExpect(t, ts.as(t, "insp_hs", "GET", exPath("999999"), nil), http.StatusNotFound, "", "an unknown application")
		qaExpect(t, ts.as(t, "insp_hs", "GET", exPath("abc"), nil), http.StatusNotFound, "", "a malformed id")
	})
}

// TestExemptionLeadConfidential: an application about a lead is seen only
// by whoever sees the lead; the unit concerned does not learn of a lead
// through it; the lead is not changed by the procedure.
func TestExemptionLeadConfidential(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		lead := ts.fileLead(t, "station_hs", nil)["id"].(string)
		ts.leadAct(t, "insp_hs", lead, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", lead, "investigate", map[string]any{"notes": "当事人称系为企业加快办理"}).want(http.StatusOK)
		e := ts.as(t, "insp_hs", "POST", "/api/v1/exemptions", map[string]any{"lead_id": lead, "department_code": "scjg",
			"unit_region_code": "330203", "official_name": "窗口工作人员", "circumstances": "当事人书面申请容错：为企业赶工期先行受理。"}).
			want(http.StatusCreated).obj()
		id := e["id"].(string)
		if e["lead_id"] != lead || e["applicant_role"] != "inspector" {
			t.Errorf("application: %v", e)
		}
		// insp_city recuses itself from the lead: the application goes with it
		ts.leadAct(t, "insp_city", lead, "recuse", map[string]any{"reason": "与当事人系亲属"}).want(http.StatusOK)
		ver := ldGet(t, ts, "insp_hs", lead)["version"]
		for user, want := range map[string]int{"insp_hs": 200, "insp_city": 404, "insp_yz": 404, "dept_hs_scjg": 404,
			"acfic_hs": 404, "ent_hs": 404, "station_hs": 403} {
			qaExpect(t, ts.as(t, user, "GET", exPath(id), nil), want, "", user+" reads an application about a lead")
		}
		if got := qaIDs(t, ts.as(t, "insp_city", "GET", "/api/v1/exemptions", nil).want(http.StatusOK)); len(got) != 0 {
			t.Errorf("a recused inspector lists %v", got)
		}
		if got := qaIDs(t, ts.as(t, "dept_hs_scjg", "GET", "/api/v1/exemptions", nil).want(http.StatusOK)); len(got) != 0 {
			t.Errorf("the unit concerned lists %v", got)
		}
		// the list body carries nothing of the lead beyond its id
		v := ts.as(t, "insp_hs", "GET", exPath(id), nil).want(http.StatusOK).obj()
		for _, k := range []string{"content", "reporter", "evidence", "subject_name"} {
			if _, ok := v[k]; ok {
				t.Errorf("the application shows the lead's %s", k)
			}
		}
		done := exDrive(t, ts, id, "not_exempt")
		if done["status"] != "filed" || done["outcome"] != "not_exempt" {
			t.Errorf("filed: %v", done)
		}
		l := ldGet(t, ts, "insp_hs", lead)
		if l["status"] != "investigating" || l["version"] != ver {
			t.Errorf("the lead changed under the procedure: %v %v (version %v before)", l["status"], l["version"], ver)
		}
	})
}

// exReads is GET /exemptions/{id} by account × application: E1 filed by
// 市场监管@海曙 about its request (330203), E2 by 工商联@鄞州 for ent_yz
// (330212), E3 by 市场监管@宁波市 about a request of ent_hs_town it handles
// (330200).
var exReads = map[string][3]int{
	//                 E1   E2   E3
	"ent_hs":         {404, 404, 404},
	"ent_hs_town":    {404, 404, 404},
	"ent_yz":         {404, 200, 404},
	"station_hs":     {403, 403, 403},
	"station_yz":     {403, 403, 403},
	"acfic_city":     {404, 200, 404},
	"acfic_hs":       {404, 404, 404},
	"acfic_yz":       {404, 200, 404},
	"dept_hs_scjg":   {200, 404, 404},
	"dept_hs_sw":     {404, 404, 404},
	"dept_yz_scjg":   {404, 404, 404},
	"dept_city_scjg": {404, 404, 200},
	"insp_city":      {200, 200, 200},
	"insp_hs":        {200, 404, 404},
	"insp_yz":        {404, 200, 404},
	"admin":          {403, 403, 403},
	"admin_hs":       {403, 403, 403},
}

// exAcceptWant is POST …/transitions accept by an account that read the
// application with status read: every refusal changes nothing, and the
// successes are taken last.
func exAcceptWant(user string, read int) int {
	switch {
	case read == 403 || user[:4] != "insp":
		return 403 // the role never takes the step
	default:
		return read // 404 out of sight, 200 for the inspector in reach
	}
}

func TestAuthzExemptions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		r1 := exAssigned(t, ts)
		r2 := ts.fileRequest(t, "ent_yz", "")["id"].(string)
		r3 := ts.fileRequest(t, "ent_hs_town", "")["id"].(string)
		ts.act(t, "acfic_city", r3, "assign", map[string]any{"department_code": "scjg", "region_code": "330200"}).want(http.StatusOK)
		ids := []string{
			ts.as(t, "dept_hs_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": r1, "circumstances": "E1"}).want(201).obj()["id"].(string),
			ts.as(t, "acfic_yz", "POST", "/api/v1/exemptions", map[string]any{"request_id": r2, "enterprise_id": ts.ids["ent_yz"], "circumstances": "E2"}).want(201).obj()["id"].(string),
			ts.as(t, "dept_city_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": r3, "circumstances": "E3"}).want(201).obj()["id"].(string),
		}
		for _, u := range mxUsers {
			row := exReads[u.name]
			var wantList []string
			for i, id := range ids {
				qaExpect(t, ts.as(t, u.name, "GET", exPath(id), nil), row[i], "", u.name+" GET "+id)
				qaExpect(t, ts.as(t, u.name, "GET", exPath(id, "/transitions"), nil), row[i], "", u.name+" GET transitions "+id)
				ev := row[i]
				if u.role != "inspector" && ev != 403 {
					ev = 403
				}
				qaExpect(t, ts.as(t, u.name, "GET", exPath(id, "/events"), nil), ev, "", u.name+" GET events "+id)
				if row[i] == 200 {
					wantList = append(wantList, id)
				}
				if want := exAcceptWant(u.name, row[i]); want != 200 {
					qaExpect(t, ts.exAct(t, u.name, id, "accept", nil), want, "", u.name+" accepts "+id)
				}
			}
			res := ts.as(t, u.name, "GET", "/api/v1/exemptions", nil)
			if row[0] == 403 {
				qaExpect(t, res, http.StatusForbidden, "", u.name+" lists")
				continue
			}
			if got := qaIDs(t, res.want(http.StatusOK)); !qaSameSet(got, wantList) && !(len(got) == 0 && len(wantList) == 0) {
				t.Errorf("%s lists %v, want %v", u.name, got, wantList)
			}
		}
		// each application is accepted by an inspector within reach, once
		for i, user := range []string{"insp_hs", "insp_yz", "insp_city"} {
			ts.exAct(t, user, ids[i], "accept", nil).want(http.StatusOK)
		}
		for _, rt := range []struct{ method, path string }{{"GET", "/api/v1/exemptions"}, {"POST", "/api/v1/exemptions"},
			{"GET", exPath(ids[0])}, {"GET", exPath(ids[0], "/transitions")}, {"POST", exPath(ids[0], "/transitions")}, {"GET", exPath(ids[0], "/events")}} {
			qaExpect(t, ts.do(t, "", rt.method, rt.path, map[string]any{"action": "accept"}), http.StatusUnauthorized, "", "anonymous "+rt.method+" "+rt.path)
		}
	})
}

// TestExemptionIndicator: T14 counts the applications filed in the period
// whose determination exempted or mitigated, by the region concerned; it
// is shown with the lead indicators (inspectors, whole months).
func TestExemptionIndicator(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cst := time.FixedZone("CST", 8*3600)
		ldSetClock(ts, time.Date(2026, 11, 20, 10, 0, 0, 0, cst))
		apply := func() string {
			req := exAssigned(t, ts)
			return ts.as(t, "dept_hs_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": req, "circumstances": "先行先试"}).
				want(http.StatusCreated).obj()["id"].(string)
		}
		exDrive(t, ts, apply(), "exempt")
		exDrive(t, ts, apply(), "mitigated")
		exDrive(t, ts, apply(), "not_exempt")
		open := apply()
		ts.exAct(t, "insp_hs", open, "accept", nil).want(http.StatusOK)
		ldSetClock(ts, time.Date(2026, 12, 2, 10, 0, 0, 0, cst))
		exDrive(t, ts, apply(), "exempt") // filed in December
		t13 := func(user, query string) any {
			t.Helper()
			got := ts.as(t, user, "GET", "/api/v1/stats?"+query, nil).want(http.StatusOK).obj()
			for _, x := range got["indicators"].([]any) {
				if ind := x.(map[string]any); ind["code"] == "T14" {
					if ind["name"] != "容错免责认定数" || ind["unit"] != "件" {
						t.Errorf("T14: %v", ind)
					}
					return ind["value"]
				}
			}
			return nil
		}
		for _, c := range []struct {
			user, query string
			want        any
		}{
			{"insp_hs", "region_code=330203&period=2026-11", 2.0},
			{"insp_city", "region_code=330200&period=2026-11", 2.0},
			{"insp_hs", "region_code=330203&period=2026-12", 1.0},
			{"insp_city", "region_code=330212&period=2026-11", 0.0}, // none: a count of 0, not missing
			{"insp_hs", "region_code=330203&from=2026-11-01&to=2026-11-20", nil},
			{"acfic_hs", "region_code=330203&period=2026-11", nil},
			{"dept_hs_scjg", "region_code=330203&period=2026-11", nil},
		} {
			if got := t13(c.user, c.query); got != c.want {
				t.Errorf("%s %s: T14 %v, want %v", c.user, c.query, got, c.want)
			}
		}
	})
}
