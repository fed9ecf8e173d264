package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Handler tests of the console's lead pages: each page for each role
// answers as the API does for the same lead; each role's page holds what
// its JSON holds and nothing more (leads_confidential_test.go asserts the
// JSON); every page that shows a lead is a read in the reads log; the forms
// take the API's refusals; the report form, the receipt shown once and the
// public lookup.

// leadPageUsers are the fixture accounts, every role.
var leadPageUsers = []string{"ent_hs", "ent_hs_town", "ent_yz", "station_hs", "station_yz", "acfic_city", "acfic_hs",
	"acfic_yz", "dept_hs_scjg", "dept_hs_sw", "dept_yz_scjg", "dept_city_scjg", "insp_city", "insp_hs", "insp_yz",
	"admin", "admin_hs"}

var (
	versionField = regexp.MustCompile(`name="expected_version" value="(\d+)"`)
	receiptText  = regexp.MustCompile(`XSQ(-[0-9A-Z]{4}){6}`)
)

// leadVersion is the version the lead page p shows in its forms.
func leadVersion(t testing.TB, p *page) string {
	t.Helper()
	m := versionField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page has no action form: %.1500s", p.body)
	}
	return m[1]
}

// leadReads lists the reads log of lead id as (username, what) pairs,
// through the API.
func leadReads(t testing.TB, ts *testServer, id string) [][2]string {
	t.Helper()
	var v struct {
		Items []struct{ Username, What string }
	}
	ts.as(t, "insp_city", "GET", leadPath(id, "/reads"), nil).want(http.StatusOK).decode(&v)
	out := make([][2]string, len(v.Items))
	for i, r := range v.Items {
		out[i] = [2]string{r.Username, r.What}
	}
	return out
}

// TestConsoleLeadPagesByRole: every lead page, for every role, answers the
// status the API gives the same account for the same lead (the subject of
// a lead included: 404), and the pages only reporters use answer 403 to
// the others.
func TestConsoleLeadPagesByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := cfRectifying(t, ts)
		// A lead about dept_hs_scjg's account, charged to its own unit:
		// the unit's other members see it, the subject never does.
		subj := ts.fileLead(t, "station_hs", map[string]any{"subject_username": "dept_hs_scjg"})["id"].(string)
		ts.leadAct(t, "insp_hs", subj, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", subj, "investigate", map[string]any{"notes": "核实中"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", subj, "decide", ldRectify("talk_reminder", 10)).want(http.StatusOK)
		for _, u := range leadPageUsers {
			cc := ts.consoleAs(t, u)
			for _, p := range []struct{ page, api string }{
				{"/leads", "/api/v1/leads"},
				{"/leads/" + id, leadPath(id)},
				{"/leads/" + subj, leadPath(subj)},
				{"/leads/999999", leadPath("999999")},
				{"/leads/abc", leadPath("abc")},
				{"/leads/" + id + "/reads", leadPath(id, "/reads")},
				{"/leads/" + subj + "/reads", leadPath(subj, "/reads")},
			} {
				want := ts.as(t, u, "GET", p.api, nil).status
				got := cc.get(p.page)
				if got.status != want {
					t.Errorf("%s: GET %s %d, the API answers %d", u, p.page, got.status, want)
				}
				switch got.status {
				case http.StatusOK:
					if cc := got.header.Get("Cache-Control"); cc != "no-store" {
						t.Errorf("%s: GET %s is cacheable (%q)", u, p.page, cc)
					}
				case http.StatusForbidden:
					got.wantText(t, "无权访问", "当前角色无权执行此操作")
				case http.StatusNotFound:
					got.wantText(t, "页面不存在", "该事项不存在，或者您无权查看")
				}
			}
			reporter := strings.HasPrefix(u, "ent_") || strings.HasPrefix(u, "station_")
			want := http.StatusForbidden
			if reporter {
				want = http.StatusOK
			}
			cc.get("/leads/new").want(t, want)
			cc.get("/leads/new/receipt").want(t, want)
			// Filing: a reporter's empty form is named in the form (400),
			// any other role is refused before anything is read (403).
			cc.get("/")
			if want == http.StatusOK {
				want = http.StatusBadRequest
			}
			cc.post("/leads", url.Values{"content": {""}}).want(t, want)
			cc.get("/leads/lookup").want(t, http.StatusOK)
			// A form for an action the role never takes: 403; on a lead out
			// of sight, or for the subject: 404 — the API's order.
			for _, lead := range []string{id, subj} {
				cc.get("/")
				wantAct := ts.leadAct(t, u, lead, "register", nil).status
				if got := cc.post("/leads/"+lead, url.Values{"action": {"register"}}).status; got != wantAct {
					t.Errorf("%s: POST register on %s: %d, the API answers %d", u, lead, got, wantAct)
				}
			}
		}
		// The subject's lists and 我的待办 do not show the lead; its unit's do.
		ref := ts.as(t, "insp_hs", "GET", leadPath(subj), nil).obj()["ref_no"].(string)
		ts.consoleAs(t, "dept_hs_scjg").get("/leads").want(t, http.StatusOK).wantNoText(t, ref, "/leads/"+subj+`"`)
		ts.consoleAs(t, "dept_hs_scjg").get("/").want(t, http.StatusOK).wantNoText(t, ref)
		ts.consoleAs(t, "dept_city_scjg").get("/leads").want(t, http.StatusOK).wantNoText(t, ref)
	})
}

// TestConsoleLeadConfidential: the HTML a role receives holds what its JSON
// holds: a unit its task and never the reporter, the content, the
// investigation or the disposal; a reporter the status only; an inspector
// everything. Every showing is in the reads log, as the API's are.
func TestConsoleLeadConfidential(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := cfRectifying(t, ts)
		path := "/leads/" + id
		ref := ts.as(t, "insp_hs", "GET", leadPath(id), nil).obj()["ref_no"].(string)
		secrets := []string{cfContent, cfEvidence, cfSubject, cfNotes, cfAssessment, "谈话提醒", "station_hs", "海曙亲清家园",
			"报告人", "N06 "}

		dept := ts.consoleAs(t, "dept_hs_scjg")
		p := dept.get(path).want(t, http.StatusOK).wantText(t, ref, "整改任务", "海曙区 市场监管局", "10 个工作日", "确认整改完成",
			`name="report"`, "对企业合理诉求推诿扯皮").wantNoText(t, secrets[:len(secrets)-1]...)
		p.wantNoText(t, "办理过程", "查阅记录", "/reads")
		dept.post(path, url.Values{"action": {"complete_rectification"}, "expected_version": {leadVersion(t, p)}, "report": {cfReport}}).
			wantRedirect(t, path+"?done=complete_rectification")
		dept.get(path+"?done=complete_rectification").want(t, http.StatusOK).wantText(t, "已完成：整改完成", "监督回访", cfReport).
			wantNoText(t, secrets[:len(secrets)-1]...)
		for _, page := range []string{"/leads", "/", "/leads?status=verifying"} {
			dept.get(page).want(t, http.StatusOK).wantNoText(t, secrets...)
		}
		ts.consoleAs(t, "dept_city_scjg").get(path).want(t, http.StatusNotFound)

		// The station itself: its own name is in the page's header.
		secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == "station_hs" })
		station := ts.consoleAs(t, "station_hs")
		station.get(path).want(t, http.StatusOK).wantText(t, ref, "监督回访", "本页只显示办理状态", "实名").
			wantNoText(t, slices.Concat(secrets, []string{cfReport, "市场监管", "N06", "due-", "整改任务", "可执行的操作"})...)
		station.get("/leads").want(t, http.StatusOK).wantText(t, ref).wantNoText(t, slices.Concat(secrets, []string{cfReport, "市场监管", "due-"})...)

		insp := ts.consoleAs(t, "insp_hs")
		insp.get(path).want(t, http.StatusOK).wantText(t, cfContent, cfEvidence, cfSubject, cfNotes, cfAssessment, cfReport,
			"谈话提醒", "station_hs", "海曙亲清家园", "宁波海曙甬兴机械有限公司", "N06 对企业合理诉求推诿扯皮", "办理过程", "上报",
			"受理登记", "评估决策", "整改完成", "查阅记录", "确认监督回访")

		// The reads log: each page view above, newest first, and nothing
		// for the lists, 我的待办 or refused pages.
		ts.consoleAs(t, "insp_yz").get(path).want(t, http.StatusNotFound)
		got := leadReads(t, ts, id)
		want := [][2]string{{"insp_hs", "events"}, {"insp_hs", "detail"}, {"station_hs", "detail"},
			{"dept_hs_scjg", "detail"}, {"dept_hs_scjg", "transition"}, {"dept_hs_scjg", "detail"}}
		if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Errorf("reads log after the console's pages:\n %v\nwant it to start with\n %v", got, want)
		}
		n := len(got)
		// One line per account and second (the fake clock stands still):
		// insp_hs's page, station_hs, dept_hs_scjg's views and action,
		// insp_hs's API read and actions.
		r := insp.get(path+"/reads").want(t, http.StatusOK).wantText(t, "查阅记录", "dept_hs_scjg", "station_hs", "职能部门",
			"线索详情、办理过程", "线索详情、办理操作后的结果")
		if strings.Count(r.body, "<tr>") != 4+1 {
			t.Errorf("the reads page has %d rows, want 4 lines and a header", strings.Count(r.body, "<tr>")-1)
		}
		if len(leadReads(t, ts, id)) != n+0 {
			t.Error("showing the reads log was recorded as a read")
		}

		// Anonymous: the inspector sees that it is, and no reporter.
		anon := ts.fileLead(t, "ent_hs", map[string]any{"anonymous": true})["id"].(string)
		insp.get("/leads/"+anon).want(t, http.StatusOK).wantText(t, "匿名报告", "匿名报告人").wantNoText(t, "ent_hs", "宁波海曙甬兴机械有限公司")
		ts.consoleAs(t, "ent_hs").get("/leads/"+anon).want(t, http.StatusNotFound)
	})
}

// TestConsoleLeadForms: the inspector carries a lead through its forms,
// the decision's fields following the disposal and refused as the API
// refuses them; the unit reports its rectification; a stale page is
// refused; a shelved lead is reopened.
func TestConsoleLeadForms(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileLead(t, "station_hs", nil)["id"].(string)
		path := "/leads/" + id
		insp := ts.consoleAs(t, "insp_hs")
		p := insp.get(path).want(t, http.StatusOK).wantText(t, "受理登记", "不予受理", "登记期限").wantNoText(t, "评估决策")
		insp.post(path, url.Values{"action": {"register"}, "expected_version": {leadVersion(t, p)}, "note": {"属于受理范围"}}).
			wantRedirect(t, path+"?done=register")
		p = insp.get(path+"?done=register").want(t, http.StatusOK).wantText(t, "已完成：受理登记", "已登记", "调查核实")
		insp.post(path, url.Values{"action": {"investigate"}, "expected_version": {leadVersion(t, p)}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>调查核实情况</b>", "为必填字段", `<details class="action" open>`)
		insp.post(path, url.Values{"action": {"investigate"}, "notes": {"调取窗口受理记录三份"}}).wantRedirect(t, path+"?done=investigate")

		// The decision form: each field that follows the disposal says
		// for which ones, for the script and in words.
		p = insp.get(path).want(t, http.StatusOK).wantText(t, "调取窗口受理记录三份", "确认评估决策",
			`data-show-when="disposal=talk_reminder,written_inquiry,preliminary_verification,case_filing,tolerance"`, `data-show-when="disposal=talk_reminder,preliminary_verification,case_filing,tolerance"`, `data-show-when="disposal=written_inquiry"`, "函询函内容",
			`data-show-when="disposal=transfer"`, `data-show-when="disposal=tolerance"`, "处置方式为移送时填写",
			`<option value="no_issue">予以了结（须报批）</option>`, `<option value="transfer">移送（决策后办结）</option>`, `max="60"`)
		v := leadVersion(t, p)
		decide := func(fields url.Values) *page {
			f := url.Values{"action": {"decide"}, "expected_version": {v}, "assessment": {"经核实，存在推诿苗头"}}
			for k, vs := range fields {
				f[k] = vs
			}
			return insp.post(path, f)
		}
		// Without the script every field is sent: the API's rules answer.
		decide(url.Values{"disposal": {"no_issue"}, "days": {"10"}}).want(t, http.StatusBadRequest).
			wantText(t, "<b>整改期限（工作日）</b>：该处置方式不接受此字段", `<option value="no_issue" selected>`)
		decide(url.Values{"disposal": {"talk_reminder"}, "days": {"10"}}).want(t, http.StatusBadRequest).
			wantText(t, "<b>整改或函询单位（部门）</b>：该处置方式必须填写此字段", "<b>整改或函询单位所在区划</b>", `value="10"`)
		decide(url.Values{"disposal": {"tolerance"}, "department_code": {"scjg"}, "unit_region_code": {"330203"}, "days": {"10"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>容错免责依据</b>：该处置方式必须填写此字段")
		decide(url.Values{"disposal": {"talk_reminder"}, "department_code": {"scjg"}, "unit_region_code": {"330212"}, "days": {"10"}}).
			want(t, http.StatusBadRequest).wantText(t, "只能交由本辖区内的单位整改")
		decide(url.Values{"disposal": {"talk_reminder"}, "department_code": {"scjg"}, "unit_region_code": {"330203"}, "days": {"61"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>整改期限（工作日）</b>")
		if st := ldGet(t, ts, "insp_hs", id)["status"]; st != "investigating" {
			t.Fatalf("refused decisions changed the lead to %v", st)
		}
		// The region choice offers the lead's region and those above it
		// within the inspector's, and starts empty (it may be left out).
		unit := p.body[strings.Index(p.body, `name="unit_region_code"`):]
		unit = unit[:strings.Index(unit, "</select>")]
		if !strings.Contains(unit, `<option value="">请选择区划</option>`) || !strings.Contains(unit, `value="330203"`) ||
			strings.Contains(unit, `value="330200"`) || strings.Contains(unit, " selected") {
			t.Errorf("the unit's regions for insp_hs: %s", unit)
		}
		decide(url.Values{"disposal": {"talk_reminder"}, "department_code": {"scjg"}, "unit_region_code": {"330203"}, "days": {"10"}}).
			wantRedirect(t, path+"?done=decide")
		insp.get(path).want(t, http.StatusOK).wantText(t, "整改中", "谈话提醒", "海曙区 市场监管局", "整改期限：")

		// The unit reports; a stale page is refused and shown as it is now.
		dept := ts.consoleAs(t, "dept_hs_scjg")
		p = dept.get(path).want(t, http.StatusOK)
		dv := leadVersion(t, p)
		ts.consoleAs(t, "dept_hs_sw").post(path, url.Values{"action": {"complete_rectification"}, "report": {"x"}}).want(t, http.StatusNotFound)
		dept.post(path, url.Values{"action": {"complete_rectification"}, "expected_version": {dv}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>整改情况报告</b>")
		dept.post(path, url.Values{"action": {"complete_rectification"}, "expected_version": {dv}, "report": {"已当面致歉并整改"}}).
			wantRedirect(t, path+"?done=complete_rectification")
		dept.post(path, url.Values{"action": {"complete_rectification"}, "expected_version": {dv}, "report": {"再报一次"}}).
			want(t, http.StatusConflict).wantText(t, "数据已被他人修改", "监督回访")
		dept.post(path, url.Values{"action": {"decide"}, "disposal": {"no_issue"}}).want(t, http.StatusForbidden)

		// The return visit: new days only when not accepted.
		p = insp.get(path).want(t, http.StatusOK).wantText(t, "确认监督回访", `data-show-when="accepted=false"`, "整改未通过时填写",
			`type="radio"`, "已当面致歉并整改")
		insp.post(path, url.Values{"action": {"verify"}, "accepted": {"true"}, "result": {"企业表示满意"}, "days": {"5"}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>新的整改期限（工作日）</b>", "整改通过时不接受此字段", `value="true" checked`)
		insp.post(path, url.Values{"action": {"verify"}, "accepted": {"false"}, "result": {"仍有推诿"}, "days": {"5"}}).
			wantRedirect(t, path+"?done=verify")
		insp.get(path).want(t, http.StatusOK).wantText(t, "整改中", "整改未到位，重新整改", "仍有推诿", "5 个工作日")
		dept.get(path)
		dept.post(path, url.Values{"action": {"complete_rectification"}, "report": {"已建立首问负责制"}}).wantRedirect(t, path+"?")
		insp.get(path)
		insp.post(path, url.Values{"action": {"verify"}, "accepted": {"true"}, "result": {"回访企业，问题已解决"}}).wantRedirect(t, path+"?")
		// Closed: what is left is the feedback to the named reporter, how, when and what.
		p = insp.get(path).want(t, http.StatusOK).wantText(t, "已办结", "整改到位，予以办结", "回访企业，问题已解决",
			"反馈期限", "反馈报告人", "反馈方式", "请选择反馈方式", "电话", "反馈时间", "反馈内容")
		insp.post(path, url.Values{"action": {"record_feedback"}, "expected_version": {leadVersion(t, p)}, "method": {"phone"},
			"content": {"已电话告知整改结果"}}).want(t, http.StatusBadRequest).wantText(t, "<b>反馈时间</b>", "为必填字段")
		insp.get("/").want(t, http.StatusOK).wantText(t, "待反馈报告人的线索", ldGet(t, ts, "insp_hs", id)["ref_no"].(string))
		at := ts.clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")
		insp.post(path, url.Values{"action": {"record_feedback"}, "expected_version": {leadVersion(t, p)}, "method": {"phone"},
			"feedback_at": {at}, "content": {"已电话告知整改结果"}}).wantRedirect(t, path+"?done=record_feedback")
		insp.get(path).want(t, http.StatusOK).wantText(t, "已反馈", "已电话告知整改结果").wantNoText(t, "可执行的操作")
		insp.get("/").want(t, http.StatusOK).wantText(t, "待反馈报告人的线索", "没有待反馈的线索。")

		// Shelved, then reopened with a reason.
		sh := ts.fileLead(t, "ent_hs", nil)["id"].(string)
		ts.leadAct(t, "insp_hs", sh, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", sh, "investigate", map[string]any{"notes": "线索不具体"}).want(http.StatusOK)
		ts.ldDecide(t, "insp_hs", sh, ldDecideBodies["shelved"])
		insp.get("/leads/"+sh).want(t, http.StatusOK).wantText(t, "暂存待查", "重新启动", "重新启动的理由")
		insp.post("/leads/"+sh, url.Values{"action": {"reopen"}, "reason": {"企业补充了新的情况"}}).wantRedirect(t, "/leads/"+sh+"?done=reopen")
		insp.get("/leads/"+sh).want(t, http.StatusOK).wantText(t, "调查核实", "企业补充了新的情况")

		// CSRF: a form without the session's token does nothing.
		for _, token := range []string{"", "x" + insp.csrf} {
			insp.send("POST", "/leads/"+sh, url.Values{"csrf": {token}, "action": {"investigate"}, "notes": {"伪造"}}).
				want(t, http.StatusForbidden).wantText(t, "请求已失效")
		}
		if notes := ldGet(t, ts, "insp_hs", sh)["investigation_notes"].([]any); len(notes) != 1 {
			t.Errorf("a forged form added a note: %v", notes)
		}
	})
}

// TestConsoleLeadList: the list takes the API's filters, offers each only
// to the roles that may use it (the API answers 403 otherwise, and so does
// the page), and pages with the cursor.
func TestConsoleLeadList(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	var ids []string
	for range 21 {
		ids = append(ids, ts.fileLead(t, "station_hs", nil)["id"].(string))
	}
	yz := ts.fileLead(t, "station_yz", map[string]any{"region_code": "330212"})["id"].(string)
	ts.leadAct(t, "insp_hs", ids[0], "dismiss", map[string]any{"reason": "不属于受理范围"}).want(http.StatusOK)
	insp := ts.consoleAs(t, "insp_city")
	p := insp.get("/leads").want(t, http.StatusOK).wantText(t, `name="region_code"`, `name="disposal"`, `name="overdue"`, "发生地")
	if n := strings.Count(p.body, `<td data-label="编号">`); n != 20 {
		t.Errorf("the first page has %d rows, want 20", n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no next page")
	}
	p = insp.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(t, http.StatusOK).wantText(t, "第一页")
	if n := strings.Count(p.body, `<td data-label="编号">`); n != 2 {
		t.Errorf("the second page has %d rows, want 2", n)
	}
	insp.get("/leads?status=dismissed&region_code=&disposal=").want(t, http.StatusOK).wantText(t, "/leads/"+ids[0]+`"`, "不予受理").
		wantNoText(t, "/leads/"+ids[1]+`"`)
	insp.get("/leads?region_code=330212").want(t, http.StatusOK).wantText(t, "/leads/"+yz+`"`).wantNoText(t, "/leads/"+ids[1]+`"`)
	insp.get("/leads?disposal=no_issue").want(t, http.StatusOK).wantText(t, "没有符合条件的线索")
	insp.get("/leads?status=bogus").want(t, http.StatusBadRequest).wantText(t, "<b>状态</b>", "未知的状态")
	ts.consoleAs(t, "insp_hs").get("/leads").want(t, http.StatusOK).wantNoText(t, "/leads/"+yz+`"`)

	// A unit: no place or disposal filter, and a hand-made one is refused.
	dept := ts.consoleAs(t, "dept_hs_scjg")
	dept.get("/leads").want(t, http.StatusOK).wantText(t, "整改任务", `name="overdue"`, "还没有交由本单位的整改任务").
		wantNoText(t, `name="region_code"`, `name="disposal"`)
	dept.get("/leads?region_code=330203").want(t, http.StatusForbidden)
	// A reporter: the status filter only.
	st := ts.consoleAs(t, "station_hs")
	st.get("/leads").want(t, http.StatusOK).wantText(t, "我报告的线索", "/leads/"+ids[1]+`"`).
		wantNoText(t, `name="region_code"`, `name="disposal"`, `name="overdue"`, "发生地", "/leads/"+yz+`"`)
	st.get("/leads?overdue=true").want(t, http.StatusForbidden)
	ts.consoleAs(t, "acfic_city").get("/leads").want(t, http.StatusForbidden)
}

// TestConsoleLeadMenuAndHome: the menu names the lead pages each role may
// use, and 我的待办 links its leads to their pages.
func TestConsoleLeadMenuAndHome(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	for _, c := range []struct {
		user     string
		has, not []string
	}{
		{"ent_hs", []string{`href="/leads">我报告的线索`, `href="/leads/new">报告线索`, `href="/leads/lookup">查询码查询`}, []string{">线索<", "整改任务"}},
		{"station_hs", []string{`href="/leads">我报告的线索`, `href="/leads/new">报告线索`, `href="/leads/lookup">`}, []string{">线索<"}},
		{"insp_hs", []string{`href="/leads">线索`}, []string{`href="/leads/new"`, "整改任务", "我报告的线索", `href="/leads/lookup"`}},
		{"dept_hs_scjg", []string{`href="/leads">整改任务`}, []string{`href="/leads/new"`, ">线索<", "我报告的线索"}},
		{"acfic_hs", nil, []string{`href="/leads`}},
		{"admin", nil, []string{`href="/leads`}},
	} {
		p := ts.consoleAs(t, c.user).get("/").want(t, http.StatusOK)
		menu := p.body[strings.Index(p.body, `class="menu"`):]
		menu = menu[:strings.Index(menu, "</nav>")]
		for _, h := range c.has {
			if !strings.Contains(menu, h) {
				t.Errorf("%s: the menu lacks %s: %s", c.user, h, menu)
			}
		}
		for _, h := range c.not {
			if strings.Contains(menu, h) {
				t.Errorf("%s: the menu offers %s", c.user, h)
			}
		}
	}
	id := ts.fileLead(t, "station_hs", nil)["id"].(string)
	ts.consoleAs(t, "insp_hs").get("/").want(t, http.StatusOK).
		wantText(t, `href="/leads/`+id+`"`, `href="/leads?status=reported"`)
	ts.consoleAs(t, "insp_hs").get("/leads?status=registered,investigating").want(t, http.StatusOK).wantText(t, "已登记、调查核实")
}

// TestConsoleLeadReport: the report form files through the API's rules; a
// named report leads to its page (status only); an anonymous one to its
// receipt, shown once, on a page no cache keeps, never in a URL.
func TestConsoleLeadReport(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		st := ts.consoleAs(t, "station_hs")
		st.get("/leads/new").want(t, http.StatusOK).wantText(t, "线索内容", "发生地", "涉及的企业", "宁波海曙甬兴机械有限公司",
			`<optgroup label="负面清单">`, "N06 对企业合理诉求推诿扯皮", `name="anonymous"`).
			wantNoText(t, "宁波鄞州甬创科技有限公司", `value="330212"`)
		st.post("/leads", url.Values{"content": {""}, "region_code": {"330203"}}).want(t, http.StatusBadRequest).
			wantText(t, "<b>线索内容</b>")
		st.post("/leads", url.Values{"content": {"窗口推诿"}, "region_code": {"330203"}}).want(t, http.StatusBadRequest).
			wantText(t, "<b>涉及人员或单位名称</b>")
		st.post("/leads", url.Values{"content": {"窗口推诿"}, "region_code": {"330203"}, "subject_name": {"窗口"},
			"occurred_at": {"2099-01-01T10:00"}}).want(t, http.StatusBadRequest).wantText(t, "<b>发生时间</b>：发生时间不能晚于当前时间",
			`>窗口推诿</textarea>`, `value="2099-01-01T10:00"`)
		st.post("/leads", url.Values{"content": {"窗口推诿"}, "region_code": {"330203"}, "subject_name": {"窗口"},
			"occurred_at": {"昨天"}}).want(t, http.StatusBadRequest).wantText(t, "<b>发生时间</b>")
		st.post("/leads", url.Values{"content": {"窗口推诿"}, "region_code": {"330203"}, "subject_name": {"窗口"},
			"enterprise_id": {ts.ids["ent_yz"]}}).want(t, http.StatusBadRequest).wantText(t, "<b>涉及企业</b>", "不在本站点服务范围内")
		st.post("/leads", url.Values{"content": {"窗口推诿"}, "region_code": {"330212"}, "subject_name": {"窗口"}}).
			want(t, http.StatusForbidden)
		if n := len(qaIDs(t, ts.as(t, "insp_city", "GET", "/api/v1/leads", nil))); n != 0 {
			t.Fatalf("refused reports filed %d leads", n)
		}

		// Named: the lead's page, status only.
		loc := st.post("/leads", url.Values{"content": {"窗口人员暗示“找人”可以加快"}, "region_code": {"330203"},
			"subject_department_code": {"scjg"}, "occurred_at": {"2026-11-02T10:30"}, "rule_code": {"N06"},
			"enterprise_id": {ts.ids["ent_hs"]}, "evidence": {"受理回执"}}).wantRedirect(t, "/leads/").header.Get("Location")
		if !strings.HasSuffix(loc, "?done=reported") {
			t.Fatalf("a named report goes to %s", loc)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/leads/"), "?done=reported")
		st.get(loc).want(t, http.StatusOK).wantText(t, "线索已提交", "已上报", "实名").wantNoText(t, "找人", "受理回执")
		got := ldGet(t, ts, "insp_hs", id)
		if got["content"] != "窗口人员暗示“找人”可以加快" || got["occurred_at"] != "2026-11-02T10:30:00+08:00" || got["rule_code"] != "N06" ||
			got["enterprise_id"] != ts.ids["ent_hs"] || got["subject_department_code"] != "scjg" || got["anonymous"] != false {
			t.Errorf("the inspector sees the console's report as %v", got)
		}

		// Anonymous: a redirect without the receipt, the receipt once.
		ent := ts.consoleAs(t, "ent_hs")
		ent.get("/leads/new").want(t, http.StatusOK).wantNoText(t, `name="enterprise_id"`)
		res := ent.post("/leads", url.Values{"content": {"匿名反映：审批拖延"}, "region_code": {"330203"}, "subject_name": {"审批科"},
			"anonymous": {"true"}}).wantRedirect(t, "/leads/new/receipt")
		if l := res.header.Get("Location"); l != "/leads/new/receipt" {
			t.Errorf("an anonymous report goes to %q", l)
		}
		sealed := sessionCookie(t, res, "qinqing_receipt")
		if !sealed.HttpOnly || sealed.SameSite != http.SameSiteStrictMode || receiptText.MatchString(sealed.Value) || sealed.MaxAge <= 0 {
			t.Errorf("the receipt cookie %+v", sealed)
		}
		p := ent.get("/leads/new/receipt").want(t, http.StatusOK).wantText(t, "只显示这一次", "已上报")
		if cc := p.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("the receipt page is cacheable: %q", cc)
		}
		receipt := receiptText.FindString(p.body)
		if receipt == "" {
			t.Fatalf("no receipt on the page: %.2000s", p.body)
		}
		ent.get("/leads/new/receipt").want(t, http.StatusOK).wantText(t, "现已不再显示").wantNoText(t, receipt)
		ts.as(t, "ent_hs", "POST", "/api/v1/leads/lookup", map[string]string{"receipt": receipt}).want(http.StatusOK)
		ent.get("/leads").want(t, http.StatusOK).wantNoText(t, "审批拖延")
		var anon string
		for _, l := range qaIDs(t, ts.as(t, "insp_hs", "GET", "/api/v1/leads", nil)) {
			if l != id {
				anon = l
			}
		}
		if v := ldGet(t, ts, "insp_hs", anon); v["anonymous"] != true || v["reporter"] != nil || v["enterprise_id"] != nil {
			t.Errorf("the anonymous report as the inspector sees it: %v", v)
		}
		// The sealed receipt opens for its own session only.
		res = ent.post("/leads", url.Values{"content": {"第二件"}, "region_code": {"330203"}, "subject_name": {"某人"},
			"anonymous": {"true"}}).wantRedirect(t, "/leads/new/receipt")
		other := ts.consoleAs(t, "ent_hs")
		u, _ := url.Parse(ts.url)
		other.hc.Jar.SetCookies(u, []*http.Cookie{sessionCookie(t, res, "qinqing_receipt")})
		other.get("/leads/new/receipt").want(t, http.StatusOK).wantText(t, "现已不再显示")
		if receiptText.MatchString(other.get("/leads/new/receipt").body) {
			t.Error("another session opened the receipt")
		}

		// CSRF: a report without the session's token files nothing.
		n := len(qaIDs(t, ts.as(t, "insp_hs", "GET", "/api/v1/leads", nil)))
		st.send("POST", "/leads", url.Values{"content": {"伪造"}, "region_code": {"330203"}, "subject_name": {"x"}}).
			want(t, http.StatusForbidden)
		if len(qaIDs(t, ts.as(t, "insp_hs", "GET", "/api/v1/leads", nil))) != n {
			t.Error("a forged report was filed")
		}
	})
}

// TestConsoleLeadLookup: the public lookup page shows an anonymous lead's
// status for its receipt, to anyone, and nothing else; it is protected by
// its form token and stops answering an address that keeps guessing.
func TestConsoleLeadLookup(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	created := ts.fileLead(t, "station_hs", map[string]any{"anonymous": true})
	receipt, id := created["receipt"].(string), created["id"].(string)
	ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
	token := regexp.MustCompile(`action="/leads/lookup"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"`)
	lookup := func(cc *consoleClient, r string) *page {
		t.Helper()
		p := cc.get("/leads/lookup").want(t, http.StatusOK)
		m := token.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no lookup form: %.1500s", p.body)
		}
		return cc.send("POST", "/leads/lookup", url.Values{"csrf": {m[1]}, "receipt": {r}})
	}

	pub := ts.browser(t)
	p := pub.get("/leads/lookup").want(t, http.StatusOK).wantText(t, "匿名线索查询", "查询码").wantNoText(t, `class="menu"`)
	if p.header.Get("Cache-Control") != "no-store" {
		t.Error("the lookup page is cacheable")
	}
	typed := " " + strings.ToLower(strings.ReplaceAll(receipt, "-", "")) + " "
	p = lookup(pub, typed).want(t, http.StatusOK).wantText(t, created["ref_no"].(string), "已登记")
	p.wantNoText(t, ldBody(nil)["content"].(string), "海曙区", "市场监管", "station_hs", receipt)
	if p.header.Get("Cache-Control") != "no-store" {
		t.Error("the lookup's answer is cacheable")
	}
	// Signed in, the page keeps the menu and answers the same.
	lookup(ts.consoleAs(t, "ent_yz"), receipt).want(t, http.StatusOK).wantText(t, "已登记", `class="menu"`)
	// Without the form's token: refused.
	pub.send("POST", "/leads/lookup", url.Values{"receipt": {receipt}}).want(t, http.StatusForbidden).wantText(t, "请求已失效")
	lookup(pub, "").want(t, http.StatusBadRequest).wantText(t, "<b>查询码</b>")
	// Guessing: 20 misses from an address, then no lookups for a while.
	for i := range 20 {
		lookup(pub, "XSQ-0000-0000-0000-0000-0000-000"+string(rune('0'+i%10))).want(t, http.StatusNotFound).wantText(t, "没有找到")
	}
	p = lookup(pub, receipt).want(t, http.StatusTooManyRequests).wantText(t, "查询失败次数过多").wantNoText(t, "已登记")
	if p.header.Get("Retry-After") == "" {
		t.Error("a throttled lookup has no Retry-After")
	}
	ts.clock.Advance(16 * time.Minute)
	lookup(pub, receipt).want(t, http.StatusOK).wantText(t, "已登记").wantNoText(t, "办理结果</dt>")
	// Once the inspectors record the outcome, the reporter reads it there.
	ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
	ts.ldDecide(t, "insp_hs", id, ldDecideBodies["no_issue"])
	ts.consoleAs(t, "insp_hs").get("/leads/"+id).want(t, http.StatusOK).wantText(t, "反馈报告人", "办理结果", "报告人凭查询码可见").
		wantNoText(t, "反馈方式", "反馈时间")
	ts.leadAct(t, "insp_hs", id, "record_feedback", map[string]any{"content": "经核实，反映的问题不属实。"}).want(http.StatusOK)
	lookup(pub, receipt).want(t, http.StatusOK).wantText(t, "已办结", "办理结果", "经核实，反映的问题不属实。")
	// The inspector's page records it as the outcome, without how and when.
	ts.consoleAs(t, "insp_hs").get("/leads/"+id).want(t, http.StatusOK).wantText(t, "办理结果", "经核实，反映的问题不属实。").
		wantNoText(t, "确认反馈报告人")
}

// TestConsoleLeadReview: 报批 on the lead page. The proposer sees its
// proposal and is offered no review; a second inspector sees the proposal
// with the review's forms, in Chinese, and approves it; a department never
// sees the lead while it waits.
func TestConsoleLeadReview(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ldInState(t, ts, "investigating")
		path := "/leads/" + id
		insp := ts.consoleAs(t, "insp_hs")
		p := insp.get(path).want(t, http.StatusOK).wantText(t, "提出处置意见报批", "确认提出处置意见报批")
		insp.post(path, url.Values{"action": {"decide"}, "expected_version": {leadVersion(t, p)}, "disposal": {"shelved"},
			"assessment": {"线索不具体，暂无核实条件"}}).wantRedirect(t, path+"?done=decide")
		insp.get(path).want(t, http.StatusOK).wantText(t, "待审批", "待审批的处置意见", "暂存待查", "线索不具体，暂无核实条件",
			"须由另一名纪检监察人员审批").wantNoText(t, "审批同意", "退回重议")
		ts.consoleAs(t, "dept_hs_scjg").get(path).want(t, http.StatusNotFound)
		ref := ldGet(t, ts, "insp_hs", id)["ref_no"].(string)
		insp.get("/").want(t, http.StatusOK).wantText(t, "待我审批的处置意见", "没有待审批的处置意见。").wantNoText(t, ref)

		city := ts.consoleAs(t, "insp_city")
		city.get("/").want(t, http.StatusOK).wantText(t, "待我审批的处置意见", ref)
		p = city.get(path).want(t, http.StatusOK).wantText(t, "待审批的处置意见", "审批同意", "退回重议", "审批意见", "退回理由",
			"确定同意该处置意见？")
		city.post(path, url.Values{"action": {"send_back_disposal"}, "expected_version": {leadVersion(t, p)}}).
			want(t, http.StatusBadRequest).wantText(t, "<b>退回理由</b>", "为必填字段")
		city.post(path, url.Values{"action": {"approve_disposal"}, "expected_version": {leadVersion(t, p)}, "note": {"同意暂存"}}).
			wantRedirect(t, path+"?done=approve_disposal")
		city.get(path).want(t, http.StatusOK).wantText(t, "已办结", "暂存待查", "提出处置意见报批", "审批同意", "同意暂存").
			wantNoText(t, "待审批的处置意见")
	})
}

// TestConsoleLeadInquiry: 函询 on the lead page: the letter, the reply's
// and the conclusion's forms with their Chinese labels and choices.
func TestConsoleLeadInquiry(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ldInState(t, ts, "investigating")
		path := "/leads/" + id
		insp := ts.consoleAs(t, "insp_hs")
		p := insp.get(path).want(t, http.StatusOK).wantText(t, `<option value="written_inquiry">函询（向单位发函，限期书面回复）</option>`,
			"函询函内容", "处置方式为函询时填写")
		insp.post(path, url.Values{"action": {"decide"}, "expected_version": {leadVersion(t, p)}, "disposal": {"written_inquiry"},
			"assessment": {"需单位说明"}, "department_code": {"scjg"}, "unit_region_code": {"330203"}, "letter": {ldLetter}}).
			wantRedirect(t, path+"?done=decide")
		p = insp.get(path).want(t, http.StatusOK).wantText(t, "函询中", "函询回复期限", ldLetter, "尚未回复", "登记函询回复", "函询回复内容")
		insp.get("/").want(t, http.StatusOK).wantText(t, "函询中的线索", ldGet(t, ts, "insp_hs", id)["ref_no"].(string))
		insp.post(path, url.Values{"action": {"record_inquiry_reply"}, "expected_version": {leadVersion(t, p)},
			"reply": {"已书面说明"}}).wantRedirect(t, path+"?done=record_inquiry_reply")
		p = insp.get(path).want(t, http.StatusOK).wantText(t, "函询已回复", "已书面说明", "函询了结", "了结方式", "予以了结", "转入进一步处置", "了结意见")
		insp.post(path, url.Values{"action": {"conclude_inquiry"}, "expected_version": {leadVersion(t, p)}, "conclusion": {"settled"},
			"result": {"说明属实"}}).wantRedirect(t, path+"?done=conclude_inquiry")
		insp.get(path).want(t, http.StatusOK).wantText(t, "已办结", "说明属实", "登记函询回复", "函询了结")
		ts.consoleAs(t, "dept_hs_scjg").get(path).want(t, http.StatusNotFound)
	})
}
