package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// 政企协商会 (docs/design.md#consultations): planning, 共性问题, the agenda
// published the configured days ahead, issues raised becoming requests
// with channel consultation, the meeting's figures and T15; refusals; the
// matrix of every account against the routes.

func mtPath(id string, rest ...string) string {
	p := "/api/v1/consultations/" + id
	for _, r := range rest {
		p += r
	}
	return p
}

func (ts *testServer) mtAct(t testing.TB, user, id, action string, fields map[string]any) *response {
	t.Helper()
	body := map[string]any{"action": action}
	for k, v := range fields {
		body[k] = v
	}
	return ts.as(t, user, "POST", mtPath(id, "/transitions"), body)
}

// mtPlan plans a meeting in 海曙区 on day, inviting ent_hs and ent_hs_town,
// 市场监管 and 税务, as acfic_hs.
func mtPlan(t testing.TB, ts *testServer, day string) map[string]any {
	t.Helper()
	return ts.as(t, "acfic_hs", "POST", "/api/v1/consultations", map[string]any{"theme": "🏭 制造业企业融资与审批协商会", "region_code": "330203",
		"held_on": day, "venue": "海曙区工商联三楼会议室", "invited_enterprise_ids": []string{ts.ids["ent_hs"], ts.ids["ent_hs_town"]},
		"invited_department_codes": []string{"scjg", "sw"}}).want(http.StatusCreated).obj()
}

var mtCST = time.FixedZone("CST", 8*3600)

func TestConsultationMeeting(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ldSetClock(ts, time.Date(2026, 12, 1, 10, 0, 0, 0, mtCST))
		m := mtPlan(t, ts, "2026-12-18")
		id := m["id"].(string)
		if m["status"] != "planned" || m["held_on"] != "2026-12-18" || m["agenda_due_at"] != "2026-12-13T00:00:00+08:00" ||
			len(m["invited_enterprise_ids"].([]any)) != 2 || m["stats"].(map[string]any)["issues"] != 0.0 {
			t.Errorf("planned: %v", m)
		}
		// 共性问题: open 审批 requests of two enterprises of 海曙区; 鄞州区's is not the meeting's
		r1 := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		r2 := ts.fileRequest(t, "ent_hs_town", "")["id"].(string)
		ts.fileRequest(t, "ent_yz", "")
		commonIssue := func() map[string]any {
			t.Helper()
			for _, x := range ts.as(t, "acfic_hs", "GET", mtPath(id, "/common-issues"), nil).want(http.StatusOK).obj()["items"].([]any) {
				if it := x.(map[string]any); it["category"] == "approval" {
					return it
				}
			}
			return nil
		}
		if ci := commonIssue(); ci == nil || ci["requests"] != 2.0 || ci["enterprises"] != 2.0 || ci["qualifies"] != true || ci["on_agenda"] != false {
			t.Errorf("common issue before gathering: %v", ci)
		}
		g := ts.mtAct(t, "acfic_hs", id, "gather_common_issues", map[string]any{"category": "approval"}).want(http.StatusOK).obj()
		if ci := commonIssue(); ci == nil || ci["on_agenda"] != true {
			t.Errorf("common issue after gathering: %v", ci)
		}
		items := g["agenda_items"].([]any)
		if len(items) != 1 {
			t.Fatalf("agenda items: %v", items)
		}
		it := items[0].(map[string]any)
		if it["enterprises"] != 2.0 || !qaSameSet(toStrings(it["request_ids"]), []string{r1, r2}) || it["category_label"] == "" || it["title"] == "" {
			t.Errorf("common issue: %v", it)
		}
		for _, x := range []struct {
			name string
			body map[string]any
		}{
			{"the same category again", map[string]any{"category": "approval"}},
			{"a category of one enterprise", map[string]any{"category": "policy"}},
			{"an unknown category", map[string]any{"category": "weather"}},
		} {
			if x.body["category"] == "policy" {
				ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": "政策咨询", "content": "稳岗补贴口径", "category": "policy"}).want(http.StatusCreated)
			}
			res := ts.mtAct(t, "acfic_hs", id, "gather_common_issues", x.body)
			if qaExpect(t, res, http.StatusBadRequest, "", x.name) {
				qaField(t, res, "category", x.name)
			}
		}
		// nothing is raised before the agenda is out; the enterprise does not see the meeting yet
		qaExpect(t, ts.as(t, "acfic_hs", "POST", mtPath(id, "/issues"), map[string]any{"title": "t", "content": "c", "category": "policy",
			"enterprise_id": ts.ids["ent_hs"]}), http.StatusConflict, "", "an issue before the agenda")
		qaExpect(t, ts.as(t, "ent_hs", "GET", mtPath(id), nil), http.StatusNotFound, "", "an invited enterprise before the agenda")
		pub := ts.mtAct(t, "acfic_hs", id, "publish_agenda", map[string]any{"agenda": "一、审批提速；二、融资对接"}).want(http.StatusOK).obj()
		if pub["status"] != "published" || pub["agenda_published_at"] == nil {
			t.Errorf("published: %v", pub)
		}
		got := ts.as(t, "ent_hs", "GET", mtPath(id), nil).want(http.StatusOK).obj()
		if got["agenda"] != "一、审批提速；二、融资对接" {
			t.Errorf("the enterprise's view: %v", got)
		}
		// issues raised become requests with channel consultation
		res := ts.as(t, "ent_hs", "POST", mtPath(id, "/issues"), map[string]any{"title": "设备融资租赁贴息", "content": "贴息申报材料要求不清", "category": "policy"}).
			want(http.StatusCreated)
		i1 := res.obj()
		if i1["channel"] != "consultation" || i1["consultation_id"] != id || i1["enterprise_id"] != ts.ids["ent_hs"] || i1["status"] != "submitted" {
			t.Errorf("issue: %v", i1)
		}
		if res.header.Get("Location") != reqPath(i1["id"].(string)) {
			t.Errorf("Location %q", res.header.Get("Location"))
		}
		i2 := ts.as(t, "acfic_hs", "POST", mtPath(id, "/issues"), map[string]any{"title": "厂房消防验收", "content": "验收排期长", "category": "approval",
			"enterprise_id": ts.ids["ent_hs_town"]}).want(http.StatusCreated).obj()
		if direct := ts.as(t, "ent_hs", "GET", reqPath(r1), nil).want(http.StatusOK).obj(); direct["channel"] != "direct" || direct["consultation_id"] != nil {
			t.Errorf("a request filed directly: %v", direct)
		}
		// the enterprise follows its issue as any request
		if got := qaIDs(t, ts.as(t, "ent_hs_town", "GET", "/api/v1/requests", nil).want(http.StatusOK)); !slices.Contains(got, i2["id"].(string)) {
			t.Errorf("ent_hs_town's requests %v lack its issue", got)
		}
		// the meeting is recorded on its day, not before
		if p := ts.mtAct(t, "acfic_hs", id, "record_meeting", nil).wantProblem(http.StatusConflict, "invalid_transition"); p.Detail != "会议日期未到，不能记录召开情况" {
			t.Errorf("recording before the day: %q", p.Detail)
		}
		ldSetClock(ts, time.Date(2026, 12, 18, 9, 0, 0, 0, mtCST))
		ts.mtAct(t, "acfic_hs", id, "record_meeting", map[string]any{"minutes": "与会企业8家，部门2个"}).want(http.StatusOK)
		// an issue raised at the meeting: assigned, answered in time, evaluated satisfied
		a := i1["id"].(string)
		ts.act(t, "acfic_hs", a, "assign", map[string]any{"department_code": "sw", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_sw", a, "claim", nil).want(http.StatusOK)
		ts.act(t, "dept_hs_sw", a, "respond", map[string]any{"response": "已明确申报材料清单"}).want(http.StatusOK)
		ts.act(t, "ent_hs", a, "evaluate", map[string]any{"score": 5}).want(http.StatusOK)
		st := ts.as(t, "dept_hs_scjg", "GET", mtPath(id), nil).want(http.StatusOK).obj()["stats"].(map[string]any)
		want := map[string]any{"issues": 2.0, "assigned": 1.0, "assign_rate": 50.0, "responded": 1.0, "responded_on_time": 1.0,
			"on_time_rate": 100.0, "evaluated": 1.0, "satisfied": 1.0, "satisfaction_rate": 100.0}
		for k, w := range want {
			if st[k] != w {
				t.Errorf("stats %s = %v, want %v", k, st[k], w)
			}
		}
		// the timeline names each issue
		ev := ts.as(t, "insp_hs", "GET", mtPath(id, "/events"), nil).want(http.StatusOK).obj()["items"].([]any)
		var acts []string
		for _, x := range ev {
			acts = append(acts, x.(map[string]any)["action"].(string))
		}
		if !slices.Equal(acts, []string{"plan", "gather_common_issues", "publish_agenda", "raise_issue", "raise_issue", "record_meeting"}) {
			t.Errorf("timeline: %v", acts)
		}
		if a := ts.as(t, "insp_city", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).obj(); a["ok"] != true || a["broken_events"] != 0.0 {
			t.Errorf("audit: %v", a)
		}
		// the console lists it with its figures, to those who see it
		ts.consoleAs(t, "dept_hs_scjg").get("/consultations").want(t, http.StatusOK).
			wantText(t, "制造业企业融资与审批协商会", "已召开", "2026-12-18", "交办率 50%，按时答复率 100%，满意率 100%", "共性问题：")
		ts.consoleAs(t, "ent_hs").get("/consultations").want(t, http.StatusOK).wantText(t, "协商会邀请", "制造业企业融资与审批协商会")
		ts.consoleAs(t, "ent_yz").get("/consultations").want(t, http.StatusOK).wantText(t, "没有协商会。")
		ts.consoleAs(t, "station_hs").get("/consultations").want(t, http.StatusForbidden)
		// T15 counts the meetings held on a day of the period, in the region
		for _, c := range []struct {
			user, query string
			want        float64
		}{
			{"acfic_hs", "region_code=330203&period=2026-12", 1},
			{"dept_city_scjg", "region_code=330200&period=2026-12", 1},
			{"acfic_city", "region_code=330212&period=2026-12", 0},
			{"acfic_hs", "region_code=330203&period=2026-11", 0},
		} {
			got := ts.as(t, c.user, "GET", "/api/v1/stats?"+c.query, nil).want(http.StatusOK).obj()
			found := false
			for _, x := range got["indicators"].([]any) {
				if ind := x.(map[string]any); ind["code"] == "T15" {
					found = true
					if ind["value"] != c.want || ind["name"] != "政企协商会召开数" {
						t.Errorf("%s %s: T15 %v", c.user, c.query, ind)
					}
				}
			}
			if !found {
				t.Errorf("%s %s: no T15", c.user, c.query)
			}
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestConsultationRefusals: bad meetings and bad steps answer 4xx and
// change nothing.
func TestConsultationRefusals(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ldSetClock(ts, time.Date(2026, 12, 1, 10, 0, 0, 0, mtCST))
		ok := map[string]any{"theme": "协商会", "region_code": "330203", "held_on": "2026-12-18",
			"invited_enterprise_ids": []string{ts.ids["ent_hs"]}, "invited_department_codes": []string{"scjg"}}
		with := func(k string, v any) map[string]any {
			b := map[string]any{}
			for x, y := range ok {
				b[x] = y
			}
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
			return b
		}
		for _, x := range []struct {
			name, user string
			body       map[string]any
			status     int
			field      string
		}{
			{"no theme", "acfic_hs", with("theme", " "), 400, "theme"},
			{"a day gone by", "acfic_hs", with("held_on", "2026-11-30"), 400, "held_on"},
			{"not a day", "acfic_hs", with("held_on", "18/12/2026"), 400, "held_on"},
			{"no enterprise", "acfic_hs", with("invited_enterprise_ids", []string{}), 400, "invited_enterprise_ids"},
			{"an enterprise of another district", "acfic_hs", with("invited_enterprise_ids", []string{ts.ids["ent_yz"]}), 400, "invited_enterprise_ids[0]"},
			{"an enterprise twice", "acfic_hs", with("invited_enterprise_ids", []string{ts.ids["ent_hs"], ts.ids["ent_hs"]}), 400, "invited_enterprise_ids[1]"},
			{"an unknown department", "acfic_hs", with("invited_department_codes", []string{"nope"}), 400, "invited_department_codes[0]"},
			{"no department", "acfic_hs", with("invited_department_codes", nil), 400, "invited_department_codes"},
			{"an unknown region", "acfic_hs", with("region_code", "999999"), 400, "region_code"},
			{"another district", "acfic_yz", with("invited_enterprise_ids", []string{ts.ids["ent_yz"]}), 403, ""},
			{"an unknown field", "acfic_hs", with("status", "held"), 400, "status"},
			{"a department", "dept_hs_scjg", ok, 403, ""},
			{"an enterprise", "ent_hs", ok, 403, ""},
			{"an inspector", "insp_hs", ok, 403, ""},
		} {
			res := ts.as(t, x.user, "POST", "/api/v1/consultations", x.body)
			if qaExpect(t, res, x.status, "", x.name) && x.field != "" {
				qaField(t, res, x.field, x.name)
			}
		}
		if got := qaIDs(t, ts.as(t, "acfic_city", "GET", "/api/v1/consultations", nil).want(http.StatusOK)); len(got) != 0 {
			t.Fatalf("refused meetings were planned: %v", got)
		}
		soon := mtPlan(t, ts, "2026-12-04")["id"].(string) // less than 5 days ahead
		detail := func(res *response, want string) {
			t.Helper()
			var p problemBody
			res.decode(&p)
			if p.Detail != want {
				t.Errorf("detail %q, want %q", p.Detail, want)
			}
		}
		res := ts.mtAct(t, "acfic_hs", soon, "publish_agenda", map[string]any{"agenda": "议程"})
		qaExpect(t, res, http.StatusConflict, "", "an agenda too late")
		detail(res, "已过议程最迟发布时间（会前 agenda_days 个自然日），请取消后另定会期")
		later := mtPlan(t, ts, "2026-12-28")["id"].(string)
		res = ts.mtAct(t, "acfic_hs", later, "publish_agenda", nil)
		qaExpect(t, res, http.StatusConflict, "", "an empty agenda")
		detail(res, "议程为空：请填写议程，或先汇集共性问题")
		for _, x := range []struct {
			name, user, action string
			body               map[string]any
			status             int
			field              string
		}{
			{"an unknown action", "acfic_hs", "adjourn", nil, 400, "action"},
			{"a department publishes", "dept_hs_scjg", "publish_agenda", map[string]any{"agenda": "x"}, 403, ""},
			{"an inspector cancels", "insp_hs", "cancel", map[string]any{"reason": "x"}, 403, ""},
			{"工商联 of another district", "acfic_yz", "publish_agenda", map[string]any{"agenda": "x"}, 404, ""},
			{"recording an unpublished meeting", "acfic_hs", "record_meeting", nil, 409, ""},
			{"cancel without reason", "acfic_hs", "cancel", nil, 400, "reason"},
			{"a stale version", "acfic_hs", "cancel", map[string]any{"reason": "x", "expected_version": 9}, 409, ""},
		} {
			res := ts.mtAct(t, x.user, later, x.action, x.body)
			code := ""
			if x.name == "a stale version" {
				code = "conflict"
			}
			if qaExpect(t, res, x.status, code, x.name) && x.field != "" {
				qaField(t, res, x.field, x.name)
			}
		}
		if v := ts.as(t, "acfic_hs", "GET", mtPath(later), nil).want(http.StatusOK).obj(); v["status"] != "planned" || v["version"] != 1.0 {
			t.Errorf("refused steps changed the meeting: %v", v)
		}
		ts.mtAct(t, "acfic_hs", later, "publish_agenda", map[string]any{"agenda": "议程"}).want(http.StatusOK)
		issue := map[string]any{"title": "t", "content": "c", "category": "policy"}
		for _, x := range []struct {
			name, user string
			body       map[string]any
			status     int
			field      string
		}{
			{"工商联 without the enterprise", "acfic_hs", issue, 400, "enterprise_id"},
			{"工商联 for an enterprise not invited", "acfic_hs", map[string]any{"title": "t", "content": "c", "category": "policy", "enterprise_id": ts.ids["ent_yz"]}, 400, "enterprise_id"},
			{"an enterprise naming one", "ent_hs", map[string]any{"title": "t", "content": "c", "category": "policy", "enterprise_id": ts.ids["ent_hs"]}, 400, "enterprise_id"},
			{"an unknown category", "ent_hs", map[string]any{"title": "t", "content": "c", "category": "weather"}, 400, "category"},
			{"an enterprise not invited", "ent_yz", issue, 404, ""},
			{"a department", "dept_hs_scjg", issue, 403, ""},
			{"a station", "station_hs", issue, 403, ""},
		} {
			res := ts.as(t, x.user, "POST", mtPath(later, "/issues"), x.body)
			if qaExpect(t, res, x.status, "", x.name) && x.field != "" {
				qaField(t, res, x.field, x.name)
			}
		}
		ts.mtAct(t, "acfic_hs", later, "cancel", map[string]any{"reason": "台风预警"}).want(http.StatusOK)
		qaExpect(t, ts.as(t, "ent_hs", "POST", mtPath(later, "/issues"), issue), http.StatusConflict, "", "an issue at a cancelled meeting")
		if got := qaIDs(t, ts.as(t, "acfic_city", "GET", "/api/v1/requests", nil).want(http.StatusOK)); len(got) != 0 {
			t.Errorf("refused issues were filed: %v", got)
		}
	})
}

// mtReads is GET /consultations/{id} by account × meeting: M1 by acfic_hs in
// 海曙区 inviting ent_hs_town and 市场监管, agenda published; M2 by acfic_yz
// in 鄞州区 inviting ent_yz and 税务, planned.
var mtReads = map[string][2]int{
	//                 M1   M2
	"ent_hs":         {404, 404},
	"ent_hs_town":    {200, 404},
	"ent_yz":         {404, 404}, // invited, but the agenda is not out
	"station_hs":     {403, 403},
	"station_yz":     {403, 403},
	"acfic_city":     {200, 200},
	"acfic_hs":       {200, 404},
	"acfic_yz":       {404, 200},
	"dept_hs_scjg":   {200, 404},
	"dept_hs_sw":     {404, 404},
	"dept_yz_scjg":   {404, 404},
	"dept_city_scjg": {200, 404},
	"insp_city":      {200, 200},
	"insp_hs":        {200, 404},
	"insp_yz":        {404, 200},
	"admin":          {403, 403},
	"admin_hs":       {403, 403},
}

func TestAuthzConsultations(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ldSetClock(ts, time.Date(2026, 12, 1, 10, 0, 0, 0, mtCST))
		m1 := ts.as(t, "acfic_hs", "POST", "/api/v1/consultations", map[string]any{"theme": "M1", "region_code": "330203", "held_on": "2026-12-18",
			"invited_enterprise_ids": []string{ts.ids["ent_hs_town"]}, "invited_department_codes": []string{"scjg"}}).want(201).obj()["id"].(string)
		ts.mtAct(t, "acfic_hs", m1, "publish_agenda", map[string]any{"agenda": "议程"}).want(http.StatusOK)
		m2 := ts.as(t, "acfic_yz", "POST", "/api/v1/consultations", map[string]any{"theme": "M2", "region_code": "330212", "held_on": "2026-12-18",
			"invited_enterprise_ids": []string{ts.ids["ent_yz"]}, "invited_department_codes": []string{"sw"}}).want(201).obj()["id"].(string)
		ids := []string{m1, m2}
		for _, u := range mxUsers {
			row := mtReads[u.name]
			var wantList []string
			for i, id := range ids {
				qaExpect(t, ts.as(t, u.name, "GET", mtPath(id), nil), row[i], "", u.name+" GET "+id)
				qaExpect(t, ts.as(t, u.name, "GET", mtPath(id, "/transitions"), nil), row[i], "", u.name+" GET transitions "+id)
				ev := row[i]
				if u.role != "acfic" && u.role != "inspector" {
					ev = 403
				}
				qaExpect(t, ts.as(t, u.name, "GET", mtPath(id, "/events"), nil), ev, "", u.name+" GET events "+id)
				if row[i] == 200 {
					wantList = append(wantList, id)
				}
				cancel := row[i]
				if u.role != "acfic" {
					cancel = 403
				}
				qaExpect(t, ts.as(t, u.name, "GET", mtPath(id, "/common-issues"), nil), cancel, "", u.name+" GET common-issues "+id)
				if cancel != 200 {
					qaExpect(t, ts.mtAct(t, u.name, id, "cancel", map[string]any{"reason": "x"}), cancel, "", u.name+" cancels "+id)
				}
			}
			res := ts.as(t, u.name, "GET", "/api/v1/consultations", nil)
			if row[0] == 403 {
				qaExpect(t, res, http.StatusForbidden, "", u.name+" lists")
				continue
			}
			if got := qaIDs(t, res.want(http.StatusOK)); !qaSameSet(got, wantList) && !(len(got) == 0 && len(wantList) == 0) {
				t.Errorf("%s lists %v, want %v", u.name, got, wantList)
			}
			// only 工商联 plans, and the enterprises invited raise their own issues
			create := map[string]int{"acfic": 201}[u.role]
			if create == 0 {
				qaExpect(t, ts.as(t, u.name, "POST", "/api/v1/consultations", map[string]any{"theme": "x", "region_code": u.region,
					"held_on": "2026-12-20", "invited_enterprise_ids": []string{ts.ids["ent_hs"]}, "invited_department_codes": []string{"scjg"}}),
					http.StatusForbidden, "", u.name+" plans")
			}
		}
		for _, rt := range []struct{ method, path string }{{"GET", "/api/v1/consultations"}, {"POST", "/api/v1/consultations"},
			{"GET", mtPath(m1)}, {"GET", mtPath(m1, "/transitions")}, {"POST", mtPath(m1, "/transitions")}, {"GET", mtPath(m1, "/events")},
			{"POST", mtPath(m1, "/issues")}, {"GET", mtPath(m1, "/common-issues")}} {
			qaExpect(t, ts.do(t, "", rt.method, rt.path, map[string]any{"action": "cancel"}), http.StatusUnauthorized, "", "anonymous "+rt.method+" "+rt.path)
		}
	})
}

// TestConsultationIssuesAtOnce: issues raised at the same time by the
// invited enterprise and by 工商联 are all filed, each with its event on
// the meeting's chain, and none is refused as a conflict.
func TestConsultationIssuesAtOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ldSetClock(ts, time.Date(2026, 12, 1, 10, 0, 0, 0, mtCST))
		id := mtPlan(t, ts, "2026-12-18")["id"].(string)
		ts.mtAct(t, "acfic_hs", id, "publish_agenda", map[string]any{"agenda": "议程"}).want(http.StatusOK)
		const n = 8
		var wg sync.WaitGroup
		status := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user, body := "ent_hs", map[string]any{"title": "问题", "content": "内容", "category": "policy"}
				if i%2 == 1 {
					user, body["enterprise_id"] = "acfic_hs", ts.ids["ent_hs_town"]
				}
				status[i] = ts.as(t, user, "POST", mtPath(id, "/issues"), body).status
			}()
		}
		wg.Wait()
		for i, st := range status {
			if st != http.StatusCreated {
				t.Errorf("issue %d: status %d", i, st)
			}
		}
		m := ts.as(t, "acfic_hs", "GET", mtPath(id), nil).want(http.StatusOK).obj()
		if m["stats"].(map[string]any)["issues"] != float64(n) || m["version"] != float64(2+n) {
			t.Errorf("after %d issues at once: %v", n, m)
		}
		if a := ts.as(t, "insp_city", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).obj(); a["ok"] != true {
			t.Errorf("audit: %v", a)
		}
	})
}

// TestExemptionAndMeetingPages: both lists page newest first with a cursor.
func TestExemptionAndMeetingPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ldSetClock(ts, time.Date(2026, 12, 1, 10, 0, 0, 0, mtCST))
		var exs, mts []string
		for range 3 {
			req := exAssigned(t, ts)
			exs = append([]string{ts.as(t, "dept_hs_scjg", "POST", "/api/v1/exemptions", map[string]any{"request_id": req, "circumstances": "x"}).
				want(http.StatusCreated).obj()["id"].(string)}, exs...)
			mts = append([]string{mtPlan(t, ts, "2026-12-18")["id"].(string)}, mts...)
		}
		for _, l := range []struct {
			user, path string
			want       []string
		}{{"insp_hs", "/api/v1/exemptions", exs}, {"acfic_hs", "/api/v1/consultations", mts}} {
			first := ts.as(t, l.user, "GET", l.path+"?page_size=2", nil).want(http.StatusOK)
			cur, _ := first.obj()["next_cursor"].(string)
			if got := qaIDs(t, first); !slices.Equal(got, l.want[:2]) || cur == "" {
				t.Fatalf("%s first page %v (cursor %q), want %v", l.path, got, cur, l.want[:2])
			}
			second := ts.as(t, l.user, "GET", l.path+"?page_size=2&cursor="+cur, nil).want(http.StatusOK)
			if got := qaIDs(t, second); !slices.Equal(got, l.want[2:]) || second.obj()["next_cursor"] != nil {
				t.Errorf("%s second page %v, want %v", l.path, got, l.want[2:])
			}
		}
	})
}
