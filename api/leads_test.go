package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/model"
	"qinqing/workflow"
)

// The lead loop (问题线索, docs/design.md#lead-loop) through the API: every disposal from
// report to closure, the deadlines of every step, and every refusal. The
// confidentiality rules are in leads_confidential_test.go, the
// authorization matrix in leads_authz_test.go.

// ldBody is a complete lead report about 海曙区 市场监管 (scjg) citing N06.
func ldBody(extra map[string]any) map[string]any {
	b := map[string]any{
		"content":                 "企业办理食品经营许可延续时，窗口工作人员多次以材料不全为由推诿，暗示“找人”可以加快。",
		"evidence":                "企业提供的三次窗口受理回执照片。",
		"occurred_at":             "2026-11-02T10:30:00+08:00",
		"region_code":             "330203",
		"subject_department_code": "scjg",
		"subject_name":            "海曙区市场监管局行政审批科窗口",
		"rule_code":               "N06",
	}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// fileLead reports a lead as user and returns the answer.
func (ts *testServer) fileLead(t testing.TB, user string, extra map[string]any) map[string]any {
	t.Helper()
	return ts.as(t, user, "POST", "/api/v1/leads", ldBody(extra)).want(http.StatusCreated).obj()
}

// leadAct takes a lead transition and returns the answer.
func (ts *testServer) leadAct(t testing.TB, user, id, action string, fields map[string]any) *response {
	t.Helper()
	body := map[string]any{"action": action}
	for k, v := range fields {
		body[k] = v
	}
	return ts.as(t, user, "POST", leadPath(id, "/transitions"), body)
}

func leadPath(id string, rest ...string) string {
	return fmt.Sprintf("/api/v1/leads/%s%s", id, strings.Join(rest, ""))
}

// ldRectify is a decide body charging 市场监管@海曙 with days working days.
func ldRectify(disposal string, days int) map[string]any {
	return map[string]any{"assessment": "经核实，窗口存在推诿拖延的苗头性问题。", "disposal": disposal,
		"department_code": "scjg", "unit_region_code": "330203", "days": days}
}

// ldDecideBodies is a valid decide body for every disposal.
var ldDecideBodies = map[string]map[string]any{
	"talk_reminder": ldRectify("talk_reminder", 10),
	"written_inquiry": {"assessment": "反映的问题需要单位说明。", "disposal": "written_inquiry", "department_code": "scjg",
		"unit_region_code": "330203", "letter": "请就企业反映的窗口推诿问题，于十五个工作日内作出书面说明。"},
	"preliminary_verification": ldRectify("preliminary_verification", 10),
	"case_filing":              ldRectify("case_filing", 10),
	"tolerance": func() map[string]any {
		b := ldRectify("tolerance", 10)
		b["grounds"] = "属于先行先试中的非主观失误，符合容错免责情形。"
		return b
	}(),
	"transfer": {"assessment": "涉嫌职务违法，超出本级管辖。", "disposal": "transfer", "transfer_to": "宁波市纪委监委第三审查调查室"},
	"no_issue": {"assessment": "经核实，反映问题不属实。", "disposal": "no_issue"},
	"shelved":  {"assessment": "线索不具体，暂无核实条件。", "disposal": "shelved"},
}

// ldTimeline returns the actions of a lead's events as inspector user sees them.
func ldTimeline(t testing.TB, ts *testServer, user, id string) []string {
	t.Helper()
	var v struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	ts.as(t, user, "GET", leadPath(id, "/events?page_size=100"), nil).want(http.StatusOK).decode(&v)
	var out []string
	for _, e := range v.Items {
		out = append(out, e.Action)
	}
	return out
}

// ldGet reads a lead as user (expecting 200).
func ldGet(t testing.TB, ts *testServer, user, id string) map[string]any {
	t.Helper()
	return ts.as(t, user, "GET", leadPath(id), nil).want(http.StatusOK).obj()
}

// ldDecide takes a decision as user: decide, and where the disposal needs
// approval (报批, configs/leads.yaml: no_issue, shelved) the approval of a
// second inspector (insp_city, or insp_hs when user is insp_city). It
// answers what the step that took the decision answered.
func (ts *testServer) ldDecide(t testing.TB, user, id string, body map[string]any) map[string]any {
	t.Helper()
	got := ts.leadAct(t, user, id, "decide", body).want(http.StatusOK).obj()
	if got["status"] != "pending_approval" {
		return got
	}
	approver := "insp_city"
	if user == approver {
		approver = "insp_hs"
	}
	return ts.leadAct(t, approver, id, "approve_disposal", nil).want(http.StatusOK).obj()
}

// ldReviewed is the part of a timeline a decision of disposal takes: decide,
// or the proposal and its approval where the disposal needs approval.
func ldReviewed(disposal string) []string {
	if disposal == "no_issue" || disposal == "shelved" {
		return []string{"propose_disposal", "approve_disposal"}
	}
	return []string{"decide"}
}

// ldSetClock sets the shared clock and forgets the cached tokens.
func ldSetClock(ts *testServer, at time.Time) {
	qaAdvance(ts, at.Sub(ts.clock.Now()))
}

// TestLeadLoopRectification carries a lead reported by a station through
// registration, two rounds of investigation, a decision with rectification,
// a rejected rectification and a second one accepted at the return visit.
func TestLeadLoopRectification(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		l := ts.fileLead(t, "station_hs", map[string]any{"enterprise_id": ts.ids["ent_hs"]})
		id := l["id"].(string)
		if l["status"] != "reported" || l["status_label"] != "已上报" || !strings.HasPrefix(l["ref_no"].(string), "XS-") {
			t.Fatalf("reported lead: %v", l)
		}
		if _, ok := l["receipt"]; ok {
			t.Errorf("a named report got a receipt: %v", l)
		}
		step := func(user, action string, body map[string]any, status string) map[string]any {
			t.Helper()
			got := ts.leadAct(t, user, id, action, body).want(http.StatusOK).obj()
			if got["status"] != status {
				t.Fatalf("%s by %s: status %v, want %s", action, user, got["status"], status)
			}
			return got
		}
		got := step("insp_hs", "register", map[string]any{"note": "属于受理范围"}, "registered")
		if got["step"] != "decide" || got["due_at"] == nil {
			t.Errorf("registered: %v", got)
		}
		step("insp_hs", "investigate", map[string]any{"notes": "调取窗口受理记录三份。"}, "investigating")
		step("insp_hs", "investigate", map[string]any{"notes": "约谈窗口负责人，承认存在推诿。"}, "investigating")
		got = step("insp_hs", "decide", ldRectify("talk_reminder", 10), "rectifying")
		if got["disposal"] != "talk_reminder" || got["disposal_label"] != "谈话提醒" || got["step"] != "rectify" {
			t.Errorf("decided: %v", got)
		}
		rect, _ := got["rectification"].(map[string]any)
		if rect == nil || rect["department_code"] != "scjg" || rect["unit_region_code"] != "330203" || rect["days"] != float64(10) ||
			rect["due_at"] != got["due_at"] || rect["rule_code"] != "N06" || rect["report"] != nil {
			t.Errorf("rectification task: %v", rect)
		}
		notes := got["investigation_notes"].([]any)
		if len(notes) != 2 || notes[1].(map[string]any)["notes"] != "约谈窗口负责人，承认存在推诿。" {
			t.Errorf("investigation notes: %v", notes)
		}

		// The unit sees its task and what it may do.
		task := ldGet(t, ts, "dept_hs_scjg", id)
		if task["status"] != "rectifying" || task["rectification"] == nil || task["due_at"] == nil {
			t.Fatalf("department's task: %v", task)
		}
		tr := ts.as(t, "dept_hs_scjg", "GET", leadPath(id, "/transitions"), nil).want(http.StatusOK).obj()
		if items := tr["items"].([]any); len(items) != 1 || items[0].(map[string]any)["action"] != "complete_rectification" {
			t.Errorf("department transitions: %v", tr)
		}
		step("dept_hs_scjg", "complete_rectification", map[string]any{"report": "已对窗口人员批评教育，修订一次性告知清单。"}, "verifying")
		got = step("insp_hs", "verify", map[string]any{"accepted": false, "result": "回访企业，仍需补交材料，整改不到位。", "days": 5}, "rectifying")
		rect = got["rectification"].(map[string]any)
		if rect["days"] != float64(5) || rect["verification"].(map[string]any)["accepted"] != false {
			t.Errorf("rectification after rejection: %v", rect)
		}
		// The unit sees why it was sent back.
		task = ldGet(t, ts, "dept_hs_scjg", id)
		if v := task["rectification"].(map[string]any)["verification"].(map[string]any); v["result"] != "回访企业，仍需补交材料，整改不到位。" {
			t.Errorf("department does not see the verdict: %v", v)
		}
		step("dept_hs_scjg", "complete_rectification", map[string]any{"report": "已实行首问负责和限时办结。"}, "verifying")
		got = step("insp_hs", "verify", map[string]any{"accepted": true, "result": "回访企业，企业表示满意。"}, "closed")
		if got["closed_at"] == nil || got["due_at"] != nil || got["step"] != nil || got["overdue"] != false {
			t.Errorf("closed lead: %v", got)
		}

		// The station sees the status of what it reported.
		st := ldGet(t, ts, "station_hs", id)
		if st["status"] != "closed" || st["status_label"] != "已办结" {
			t.Errorf("station's view: %v", st)
		}
		want := []string{"report", "register", "investigate", "investigate", "decide", "complete_rectification", "verify",
			"complete_rectification", "verify"}
		if got := ldTimeline(t, ts, "insp_hs", id); !slices.Equal(got, want) {
			t.Errorf("timeline %v, want %v", got, want)
		}
	})
}

// TestLeadDisposals carries one lead through each disposal of docs/design.md#lead-loop:
// no_issue, shelved and transfer close at decision; the others go through
// rectification and the return visit.
func TestLeadDisposals(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		closes := map[string]bool{"transfer": true, "no_issue": true, "shelved": true}
		labels := map[string]string{"talk_reminder": "谈话提醒", "written_inquiry": "函询", "preliminary_verification": "初步核实",
			"case_filing": "立案审查", "transfer": "移送", "no_issue": "予以了结", "shelved": "暂存待查", "tolerance": "容错免责"}
		for _, d := range []string{"talk_reminder", "written_inquiry", "preliminary_verification", "case_filing", "transfer",
			"no_issue", "shelved", "tolerance"} {
			t.Run(d, func(t *testing.T) {
				reporter := "station_hs"
				if d == "transfer" || d == "no_issue" {
					reporter = "ent_hs"
				}
				id := ts.fileLead(t, reporter, nil)["id"].(string)
				ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
				ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "核查中。"}).want(http.StatusOK)
				got := ts.ldDecide(t, "insp_hs", id, ldDecideBodies[d])
				if got["disposal"] != d || got["disposal_label"] != labels[d] || got["assessment"] != ldDecideBodies[d]["assessment"] {
					t.Errorf("decided: %v", got)
				}
				want := append([]string{"report", "register", "investigate"}, ldReviewed(d)...)
				switch {
				case closes[d]:
					if got["status"] != "closed" || got["rectification"] != nil || got["closed_at"] == nil {
						t.Errorf("%s should close at decision: %v", d, got)
					}
				case d == "written_inquiry":
					// 函询: a letter, its reply, the conclusion (leads_inquiry_test.go)
					if got["status"] != "inquiring" || got["rectification"] != nil || got["inquiry"] == nil {
						t.Fatalf("%s should send a letter: %v", d, got)
					}
					ts.leadAct(t, "insp_hs", id, "record_inquiry_reply", map[string]any{"reply": "已书面说明。"}).want(http.StatusOK)
					got = ts.leadAct(t, "insp_hs", id, "conclude_inquiry", map[string]any{"conclusion": "settled", "result": "说明属实。"}).
						want(http.StatusOK).obj()
					if got["status"] != "closed" {
						t.Errorf("after the conclusion: %v", got)
					}
					want = append(want, "record_inquiry_reply", "conclude_inquiry")
				default:
					if got["status"] != "rectifying" || got["rectification"] == nil {
						t.Fatalf("%s should go to rectification: %v", d, got)
					}
					ts.leadAct(t, "dept_hs_scjg", id, "complete_rectification", map[string]any{"report": "整改完成。"}).want(http.StatusOK)
					got = ts.leadAct(t, "insp_hs", id, "verify", map[string]any{"accepted": true, "result": "回访满意。"}).want(http.StatusOK).obj()
					if got["status"] != "closed" {
						t.Errorf("after verify: %v", got)
					}
					want = append(want, "complete_rectification", "verify")
				}
				switch d {
				case "transfer":
					if got["transfer_to"] != "宁波市纪委监委第三审查调查室" || got["grounds"] != nil {
						t.Errorf("transfer: %v", got)
					}
				case "tolerance":
					if got["grounds"] != "属于先行先试中的非主观失误，符合容错免责情形。" || got["transfer_to"] != nil {
						t.Errorf("tolerance: %v", got)
					}
				default:
					if got["transfer_to"] != nil || got["grounds"] != nil {
						t.Errorf("%s carries transfer_to or grounds: %v", d, got)
					}
				}
				if tl := ldTimeline(t, ts, "insp_hs", id); !slices.Equal(tl, want) {
					t.Errorf("timeline %v, want %v", tl, want)
				}
				// Only a shelved lead can be reopened.
				tr := ts.as(t, "insp_hs", "GET", leadPath(id, "/transitions"), nil).want(http.StatusOK).obj()
				var actions []string
				for _, it := range tr["items"].([]any) {
					actions = append(actions, it.(map[string]any)["action"].(string))
				}
				// … and every closed lead's reporter is fed back once.
				if d == "shelved" {
					if !slices.Equal(actions, []string{"reopen", "record_feedback"}) {
						t.Errorf("shelved lead transitions: %v", actions)
					}
				} else if !slices.Equal(actions, []string{"record_feedback"}) {
					t.Errorf("closed %s lead transitions: %v", d, actions)
				}
				// The reporter sees the status only.
				if r := ldGet(t, ts, reporter, id); r["status"] != "closed" || r["disposal"] != nil {
					t.Errorf("reporter's view: %v", r)
				}
			})
		}
	})
}

// TestLeadShelvedReopen: a shelved lead is reopened by an inspector, with a
// fresh decision deadline, investigated again and decided anew.
func TestLeadShelvedReopen(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileLead(t, "station_hs", nil)["id"].(string)
		ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "线索不具体。"}).want(http.StatusOK)
		ts.ldDecide(t, "insp_hs", id, ldDecideBodies["shelved"])
		qaAdvance(ts, 48*time.Hour)
		got := ts.leadAct(t, "insp_city", id, "reopen", map[string]any{"reason": "企业补充了新的线索。"}).want(http.StatusOK).obj()
		if got["status"] != "investigating" || got["disposal"] != nil || got["closed_at"] != nil || got["step"] != "decide" {
			t.Fatalf("reopened: %v", got)
		}
		due, err := time.Parse(time.RFC3339, got["due_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		// One month from the reopening, not from the first receipt.
		if want := ts.clock.Now().AddDate(0, 1, 0); due.Sub(want) > 24*time.Hour || want.Sub(due) > 24*time.Hour {
			t.Errorf("decision due %v after reopening at %v", due, ts.clock.Now())
		}
		ts.leadAct(t, "insp_hs", id, "reopen", map[string]any{"reason": "again"}).wantProblem(http.StatusConflict, "invalid_transition")
		ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "补充核实。"}).want(http.StatusOK)
		got = ts.ldDecide(t, "insp_hs", id, ldDecideBodies["no_issue"])
		if got["status"] != "closed" || got["disposal"] != "no_issue" {
			t.Errorf("decided again: %v", got)
		}
		ts.leadAct(t, "insp_hs", id, "reopen", map[string]any{"reason": "again"}).wantProblem(http.StatusConflict, "invalid_transition")
		want := []string{"report", "register", "investigate", "propose_disposal", "approve_disposal", "reopen", "investigate",
			"propose_disposal", "approve_disposal"}
		if tl := ldTimeline(t, ts, "insp_city", id); !slices.Equal(tl, want) {
			t.Errorf("timeline %v, want %v", tl, want)
		}
	})
}

// TestLeadParallelDecisions: eight inspectors' clients decide one lead at
// once, four to close it and four to send it to rectification; exactly one
// wins, every other gets 409, and the timeline holds one decision.
func TestLeadParallelDecisions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ldInState(t, ts, "investigating")
		toks := []string{ts.login(t, "insp_hs"), ts.login(t, "insp_city")}
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := ldDecideBodies["no_issue"]
				if i%2 == 1 {
					body = ldRectify("case_filing", 10)
				}
				b := map[string]any{"action": "decide"}
				for k, v := range body {
					b[k] = v
				}
				<-start
				res := ts.do(t, toks[i%2], "POST", leadPath(id, "/transitions"), b)
				statuses[i] = res.status
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
			default:
				t.Errorf("client %d: status %d", i, s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d clients succeeded, want exactly 1 (statuses %v)", ok, statuses)
		}
		decisions := 0
		for _, a := range ldTimeline(t, ts, "insp_city", id) {
			if a == "decide" || a == "propose_disposal" {
				decisions++
			}
		}
		if got := ldSnapshot(t, ts, id); decisions != 1 || got.Version != 4 {
			t.Errorf("after the race: %d decisions, %+v", decisions, got)
		}
	})
}

// TestLeadDismiss: an inspector dismisses a lead that is out of scope.
func TestLeadDismiss(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileLead(t, "ent_hs", nil)["id"].(string)
		got := ts.leadAct(t, "insp_hs", id, "dismiss", map[string]any{"reason": "属于民事纠纷，不属于政商交往问题。"}).want(http.StatusOK).obj()
		if got["status"] != "dismissed" || got["status_label"] != "不予受理" || got["closed_at"] == nil || got["due_at"] != nil {
			t.Errorf("dismissed: %v", got)
		}
		// The named reporter gets feedback within 15 working days of closure.
		if got["feedback_due_at"] == nil {
			t.Errorf("no feedback deadline for a named reporter: %v", got)
		}
		if r := ldGet(t, ts, "ent_hs", id); r["status"] != "dismissed" {
			t.Errorf("reporter's view: %v", r)
		}
		for _, a := range []string{"register", "investigate", "decide", "reopen"} {
			ts.leadAct(t, "insp_hs", id, a, map[string]any{"reason": "x"}).wantProblem(http.StatusConflict, "invalid_transition")
		}
	})
}

// TestLeadDeadlines pins every step's deadline to the calendar: a lead
// reported on Wednesday 23 September 2026, before 中秋 and 国庆.
func TestLeadDeadlines(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cst := time.FixedZone("CST", 8*3600)
		at := func(s string) time.Time {
			v, err := time.ParseInLocation("2006-01-02 15:04:05", s, cst)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		wantDue := func(got map[string]any, step, due string) {
			t.Helper()
			if got["step"] != step {
				t.Errorf("step %v, want %s", got["step"], step)
			}
			d, err := time.Parse(time.RFC3339, fmt.Sprint(got["due_at"]))
			if err != nil || !d.Equal(at(due)) {
				t.Errorf("%s due_at %v, want %s +08:00", step, got["due_at"], due)
			}
		}
		ldSetClock(ts, at("2026-09-23 10:00:00"))
		id := ts.fileLead(t, "station_hs", map[string]any{"occurred_at": "2026-09-20T09:00:00+08:00"})["id"].(string)
		// 受理登记: 5 working days: 9-24, 9-28, 9-29, 9-30, 10-08 (中秋 and 国庆 in between).
		wantDue(ldGet(t, ts, "insp_hs", id), "register", "2026-10-08 23:59:59")
		ldSetClock(ts, at("2026-09-24 09:00:00"))
		// 评估决策: one month from receipt, not from registration.
		wantDue(ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK).obj(), "decide", "2026-10-23 10:00:00")
		wantDue(ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK).obj(),
			"decide", "2026-10-23 10:00:00")
		// 整改: 3 working days from the decision, counting the 调休 Saturday 10-10.
		ldSetClock(ts, at("2026-10-09 15:00:00"))
		got := ts.leadAct(t, "insp_hs", id, "decide", ldRectify("preliminary_verification", 3)).want(http.StatusOK).obj()
		wantDue(got, "rectify", "2026-10-13 23:59:59")
		if got["rectification"].(map[string]any)["due_at"] != got["due_at"] {
			t.Errorf("rectification due_at %v, lead due_at %v", got["rectification"], got["due_at"])
		}
		// Overdue once the rectification deadline passed.
		ldSetClock(ts, at("2026-10-14 09:00:00"))
		got = ldGet(t, ts, "dept_hs_scjg", id)
		if got["overdue"] != true || got["remaining_seconds"].(float64) >= 0 || !strings.HasPrefix(got["remaining"].(string), "已超期") {
			t.Errorf("overdue rectification: %v", got)
		}
		ids := qaIDs(t, ts.as(t, "insp_hs", "GET", "/api/v1/leads?overdue=true", nil).want(http.StatusOK))
		if !slices.Equal(ids, []string{id}) {
			t.Errorf("overdue list %v, want [%s]", ids, id)
		}
		if ids := qaIDs(t, ts.as(t, "insp_hs", "GET", "/api/v1/leads?overdue=false", nil).want(http.StatusOK)); len(ids) != 0 {
			t.Errorf("not-overdue list %v, want none", ids)
		}
		// 监督回访: 10 working days from the completed rectification.
		ldSetClock(ts, at("2026-10-14 10:00:00"))
		got = ts.leadAct(t, "dept_hs_scjg", id, "complete_rectification", map[string]any{"report": "已整改。"}).want(http.StatusOK).obj()
		wantDue(got, "verify", "2026-10-28 23:59:59")
		if got["overdue"] != false {
			t.Errorf("a fresh step is overdue: %v", got)
		}

		// The steps' events record their deadlines and whether they were met
		// (the indicators 线索按期处置率 and 整改完成率 use them).
		var evs []model.Event
		if err := ts.db.Where("case_kind = ? AND case_id = ? AND step <> ?", "lead", id, "").Order("id").Find(&evs).Error; err != nil {
			t.Fatal(err)
		}
		type stepRow struct {
			action, step string
			onTime       bool
		}
		var rows []stepRow
		for _, e := range evs {
			if e.OnTime == nil || e.StepDueAt == nil {
				t.Errorf("event %s without deadline record", e.Action)
				continue
			}
			rows = append(rows, stepRow{e.Action, e.Step, *e.OnTime})
		}
		want := []stepRow{{"register", "register", true}, {"decide", "decide", true}, {"complete_rectification", "rectify", false}}
		if !slices.Equal(rows, want) {
			t.Errorf("step events %v, want %v", rows, want)
		}
	})
}

// TestLeadDemoLimit: QINQING_DEMO_LIMIT replaces every lead limit, the
// rectification period set at decision included.
func TestLeadDemoLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", func(c *configs.Config) { c.DemoLimit = workflow.Limit{Duration: 2 * time.Second} })
	ts.seed(t)
	check := func(got map[string]any) {
		t.Helper()
		due, err := time.Parse(time.RFC3339, fmt.Sprint(got["due_at"]))
		if err != nil {
			t.Fatalf("due_at %v", got["due_at"])
		}
		if d := due.Sub(ts.clock.Now()); d < 1*time.Second || d > 3*time.Second {
			t.Errorf("status %v: due in %v, want 2s", got["status"], d)
		}
	}
	id := ts.fileLead(t, "station_hs", nil)["id"].(string)
	check(ldGet(t, ts, "insp_hs", id))
	check(ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK).obj())
	ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
	check(ts.leadAct(t, "insp_hs", id, "decide", ldRectify("talk_reminder", 30)).want(http.StatusOK).obj())
	check(ts.leadAct(t, "dept_hs_scjg", id, "complete_rectification", map[string]any{"report": "已整改。"}).want(http.StatusOK).obj())
	ts.clock.Advance(3 * time.Second)
	if got := ldGet(t, ts, "insp_hs", id); got["overdue"] != true {
		t.Errorf("not overdue after the demo limit: %v", got)
	}
}

// ldState is what a refusal must leave untouched.
type ldState struct {
	Status  string
	Version float64
	Events  int
}

func ldSnapshot(t testing.TB, ts *testServer, id string) ldState {
	t.Helper()
	l := ts.as(t, "insp_city", "GET", leadPath(id), nil).want(http.StatusOK).obj()
	return ldState{Status: l["status"].(string), Version: l["version"].(float64), Events: len(ldTimeline(t, ts, "insp_city", id))}
}

// ldInState reports a lead as station_hs and takes it to state (rectifying
// and later with 市场监管@海曙 as the unit; closed through no_issue).
func ldInState(t testing.TB, ts *testServer, state string) string {
	t.Helper()
	id := ts.fileLead(t, "station_hs", nil)["id"].(string)
	step := func(user, action string, body map[string]any) {
		t.Helper()
		if action == "decide" {
			ts.ldDecide(t, user, id, body)
			return
		}
		ts.leadAct(t, user, id, action, body).want(http.StatusOK)
	}
	switch state {
	case "reported":
	case "dismissed":
		step("insp_hs", "dismiss", map[string]any{"reason": "不属于受理范围"})
	case "shelved":
		step("insp_hs", "register", nil)
		step("insp_hs", "investigate", map[string]any{"notes": "核查。"})
		step("insp_hs", "decide", ldDecideBodies["shelved"])
	case "pending":
		step("insp_hs", "register", nil)
		step("insp_hs", "investigate", map[string]any{"notes": "核查。"})
		ts.leadAct(t, "insp_hs", id, "propose_disposal", ldDecideBodies["shelved"]).want(http.StatusOK)
	case "inquiring", "replied":
		step("insp_hs", "register", nil)
		step("insp_hs", "investigate", map[string]any{"notes": "核查。"})
		step("insp_hs", "decide", ldDecideBodies["written_inquiry"])
		if state == "replied" {
			step("insp_hs", "record_inquiry_reply", map[string]any{"reply": "已书面说明。"})
		}
	default:
		step("insp_hs", "register", nil)
		if state == "registered" {
			break
		}
		step("insp_hs", "investigate", map[string]any{"notes": "核查。"})
		if state == "investigating" {
			break
		}
		if state == "closed" {
			step("insp_hs", "decide", ldDecideBodies["no_issue"])
			break
		}
		step("insp_hs", "decide", ldRectify("talk_reminder", 10))
		if state == "rectifying" {
			break
		}
		step("dept_hs_scjg", "complete_rectification", map[string]any{"report": "整改完成。"})
	}
	return id
}

// ldActionBodies is a valid body for every lead action, by its party.
var ldActionBodies = map[string]struct {
	user string
	body map[string]any
}{
	"register":               {"insp_hs", map[string]any{"note": "受理"}},
	"dismiss":                {"insp_hs", map[string]any{"reason": "不属于受理范围"}},
	"investigate":            {"insp_hs", map[string]any{"notes": "核查。"}},
	"decide":                 {"insp_hs", ldRectify("talk_reminder", 10)},
	"complete_rectification": {"dept_hs_scjg", map[string]any{"report": "整改完成。"}},
	"verify":                 {"insp_hs", map[string]any{"accepted": true, "result": "回访满意。"}},
	"reopen":                 {"insp_hs", map[string]any{"reason": "新情况。"}},
	"propose_disposal":       {"insp_hs", ldDecideBodies["shelved"]},
	"approve_disposal":       {"insp_city", map[string]any{"note": "同意。"}},
	"send_back_disposal":     {"insp_city", map[string]any{"reason": "事实尚未查清。"}},
	"record_inquiry_reply":   {"insp_hs", map[string]any{"reply": "已书面说明。"}},
	"conclude_inquiry":       {"insp_hs", map[string]any{"conclusion": "settled", "result": "说明属实。"}},
	// the harness clock stands still in the tables' tests: the closure and
	// the feedback are at its start
	"record_feedback": {"insp_hs", map[string]any{"method": "phone", "feedback_at": harnessEpoch.Format(time.RFC3339), "content": "已告知。"}},
}

var ldActions = []string{"register", "dismiss", "investigate", "decide", "complete_rectification", "verify", "reopen",
	"propose_disposal", "approve_disposal", "send_back_disposal", "record_inquiry_reply", "conclude_inquiry", "record_feedback"}

// ldStates are the columns of ldByState; "shelved" is closed with the
// disposal shelved, "closed" closed with no_issue, "pending" a proposal of
// insp_hs waiting for approval, "inquiring" a written inquiry waiting for
// the reply, "replied" one waiting for its conclusion.
var ldStates = []string{"reported", "dismissed", "registered", "investigating", "rectifying", "verifying", "closed", "shelved", "pending",
	"inquiring", "replied"}

// ldByState is the answer to each action, by its party with a valid body,
// in each state; 200 where docs/design.md#lead-loop allows it. The rectifying unit never
// sees a lead that was not given to it for rectification: 404.
var ldByState = map[string][11]int{
	//                          rept dism regd invg rect verf clos shel pend inqu repl
	"register":               {200, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409},
	"dismiss":                {200, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409},
	"investigate":            {409, 409, 200, 200, 409, 409, 409, 409, 409, 409, 409},
	"decide":                 {409, 409, 409, 200, 409, 409, 409, 409, 409, 409, 409},
	"complete_rectification": {404, 404, 404, 404, 200, 409, 404, 404, 404, 404, 404},
	"verify":                 {409, 409, 409, 409, 409, 200, 409, 409, 409, 409, 409},
	"reopen":                 {409, 409, 409, 409, 409, 409, 409, 200, 409, 409, 409},
	"propose_disposal":       {409, 409, 409, 200, 409, 409, 409, 409, 409, 409, 409},
	"approve_disposal":       {409, 409, 409, 409, 409, 409, 409, 409, 200, 409, 409},
	"send_back_disposal":     {409, 409, 409, 409, 409, 409, 409, 409, 200, 409, 409},
	"record_inquiry_reply":   {409, 409, 409, 409, 409, 409, 409, 409, 409, 200, 409},
	"conclude_inquiry":       {409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 200},
	"record_feedback":        {409, 200, 409, 409, 409, 409, 200, 200, 409, 409, 409},
}

// TestLeadRefusalsByState: every action in every state; where the state
// refuses it the lead is left as it was.
func TestLeadRefusalsByState(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for i, state := range ldStates {
			for _, action := range ldActions {
				id := ldInState(t, ts, state)
				want := ldByState[action][i]
				before := ldSnapshot(t, ts, id)
				a := ldActionBodies[action]
				res := ts.leadAct(t, a.user, id, action, a.body)
				what := fmt.Sprintf("%s in %s by %s", action, state, a.user)
				if !qaExpect(t, res, want, "", what) || want == http.StatusOK {
					continue
				}
				if after := ldSnapshot(t, ts, id); after != before {
					t.Errorf("%s changed the lead: %+v → %+v", what, before, after)
				}
			}
		}
	})
}

// TestLeadRefusals: bad bodies, stale versions, the configured limits and
// the unit checks of a decision. Each answers a problem and changes nothing.
func TestLeadRefusals(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		inv := ldInState(t, ts, "investigating")
		ver := ldInState(t, ts, "verifying")
		reg := ldInState(t, ts, "registered")
		with := func(b map[string]any, k string, v any) map[string]any {
			out := map[string]any{}
			for key, val := range b {
				out[key] = val
			}
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
			return out
		}
		cases := []struct {
			name, user, id, action string
			body                   map[string]any
			status                 int
			code, field            string
		}{
			{"unknown action", "insp_hs", inv, "fly", nil, 400, "", "action"},
			{"a request action", "insp_hs", inv, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}, 400, "", "action"},
			{"stale version", "insp_hs", inv, "investigate", map[string]any{"notes": "x", "expected_version": 1}, 409, "conflict", ""},
			{"investigate without notes", "insp_hs", inv, "investigate", nil, 400, "", "notes"},
			{"investigate with blank notes", "insp_hs", inv, "investigate", map[string]any{"notes": " \u3000 "}, 400, "", "notes"},
			{"investigate with a foreign field", "insp_hs", inv, "investigate", map[string]any{"notes": "x", "score": 5}, 400, "", "score"},
			{"an unknown field", "insp_hs", inv, "investigate", map[string]any{"notes": "x", "status": "closed"}, 400, "", "status"},
			{"dismiss without reason", "insp_hs", ldInState(t, ts, "reported"), "dismiss", nil, 400, "", "reason"},
			{"decide without disposal", "insp_hs", inv, "decide", map[string]any{"assessment": "x"}, 400, "", "disposal"},
			{"decide without assessment", "insp_hs", inv, "decide", with(ldRectify("talk_reminder", 5), "assessment", nil), 400, "", "assessment"},
			{"unknown disposal", "insp_hs", inv, "decide", map[string]any{"assessment": "x", "disposal": "warning"}, 400, "", "disposal"},
			{"rectification without unit", "insp_hs", inv, "decide", with(ldRectify("case_filing", 5), "department_code", nil), 400, "", "department_code"},
			{"rectification without days", "insp_hs", inv, "decide", with(ldRectify("case_filing", 5), "days", nil), 400, "", "days"},
			{"days above the configured 60", "insp_hs", inv, "decide", ldRectify("talk_reminder", 61), 400, "", "days"},
			{"days of zero", "insp_hs", inv, "decide", ldRectify("talk_reminder", 0), 400, "", "days"},
			{"unknown department", "insp_hs", inv, "decide", with(ldRectify("talk_reminder", 5), "department_code", "nosuch"), 400, "", "department_code"},
			{"unknown unit region", "insp_hs", inv, "decide", with(ldRectify("talk_reminder", 5), "unit_region_code", "999999"), 400, "", "unit_region_code"},
			{"unit outside the inspector's region", "insp_hs", inv, "decide", with(ldRectify("talk_reminder", 5), "unit_region_code", "330212"), 400, "", "unit_region_code"},
			{"unit without jurisdiction over the lead", "insp_hs", inv, "decide", with(ldRectify("talk_reminder", 5), "unit_region_code", "330203-T01"), 400, "", "unit_region_code"},
			{"transfer without organ", "insp_hs", inv, "decide", map[string]any{"assessment": "x", "disposal": "transfer"}, 400, "", "transfer_to"},
			{"transfer with a unit", "insp_hs", inv, "decide", with(ldDecideBodies["transfer"], "days", 5), 400, "", "days"},
			{"tolerance without grounds", "insp_hs", inv, "decide", ldRectify("tolerance", 5), 400, "", "grounds"},
			{"no_issue with grounds", "insp_hs", inv, "decide", with(ldDecideBodies["no_issue"], "grounds", "x"), 400, "", "grounds"},
			{"verify without accepted", "insp_hs", ver, "verify", map[string]any{"result": "x"}, 400, "", "accepted"},
			{"verify without result", "insp_hs", ver, "verify", map[string]any{"accepted": true}, 400, "", "result"},
			{"accepted with new days", "insp_hs", ver, "verify", map[string]any{"accepted": true, "result": "x", "days": 5}, 400, "", "days"},
			{"rejected with too many days", "insp_hs", ver, "verify", map[string]any{"accepted": false, "result": "x", "days": 61}, 400, "", "days"},
			{"complete_rectification by an inspector", "insp_hs", ver, "complete_rectification", map[string]any{"report": "x"}, 403, "", ""},
			{"register by a station", "station_hs", reg, "register", nil, 403, "", ""},
			{"decide by a department", "dept_hs_scjg", inv, "decide", ldRectify("talk_reminder", 5), 403, "", ""},
			{"verify by 工商联", "acfic_hs", ver, "verify", map[string]any{"accepted": true, "result": "x"}, 403, "", ""},
			{"an action by admin", "admin", inv, "investigate", map[string]any{"notes": "x"}, 403, "", ""},
			{"out of region", "insp_yz", inv, "investigate", map[string]any{"notes": "x"}, 404, "", ""},
			{"no such lead", "insp_hs", "999999999", "investigate", map[string]any{"notes": "x"}, 404, "", ""},
			{"malformed id", "insp_hs", "x1", "investigate", map[string]any{"notes": "x"}, 404, "", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var before ldState
				if c.id != "999999999" && c.id != "x1" {
					before = ldSnapshot(t, ts, c.id)
				}
				res := ts.leadAct(t, c.user, c.id, c.action, c.body)
				if !qaExpect(t, res, c.status, c.code, c.name) {
					return
				}
				if c.field != "" {
					var p problemBody
					res.decode(&p)
					p.wantField(t, c.field)
				}
				if c.id != "999999999" && c.id != "x1" {
					if after := ldSnapshot(t, ts, c.id); after != before {
						t.Errorf("%s changed the lead: %+v → %+v", c.name, before, after)
					}
				}
			})
		}
		// A transition with the current version goes through.
		v := ldSnapshot(t, ts, inv).Version
		ts.leadAct(t, "insp_hs", inv, "investigate", map[string]any{"notes": "x", "expected_version": v}).want(http.StatusOK)
	})
}

// TestLeadReportRefusals: what POST /leads refuses, and that it files nothing then.
func TestLeadReportRefusals(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		future := ts.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
		cases := []struct {
			name, user string
			body       map[string]any
			status     int
			field      string
		}{
			{"no content", "station_hs", ldBody(map[string]any{"content": ""}), 400, "content"},
			{"blank content", "station_hs", ldBody(map[string]any{"content": "  \n "}), 400, "content"},
			{"content too long", "station_hs", ldBody(map[string]any{"content": strings.Repeat("字", 5001)}), 400, "content"},
			{"no region", "station_hs", ldBody(map[string]any{"region_code": ""}), 400, "region_code"},
			{"unknown region", "station_hs", ldBody(map[string]any{"region_code": "999999"}), 400, "region_code"},
			{"in the future", "station_hs", ldBody(map[string]any{"occurred_at": future}), 400, "occurred_at"},
			{"not a time", "station_hs", ldBody(map[string]any{"occurred_at": "上周二"}), 400, "occurred_at"},
			{"a one-digit hour", "station_hs", ldBody(map[string]any{"occurred_at": "2026-01-01T0:00:00Z"}), 400, "occurred_at"},
			{"a date without time", "station_hs", ldBody(map[string]any{"occurred_at": "2026-11-02"}), 400, "occurred_at"},
			{"before 1970", "station_hs", ldBody(map[string]any{"occurred_at": "0000-01-01T00:00:00Z"}), 400, "occurred_at"},
			{"a number for a time", "station_hs", ldBody(map[string]any{"occurred_at": 20261102}), 400, "occurred_at"},
			{"no subject", "station_hs", ldBody(map[string]any{"subject_department_code": "", "subject_name": ""}), 400, "subject_name"},
			{"unknown subject department", "station_hs", ldBody(map[string]any{"subject_department_code": "nosuch"}), 400, "subject_department_code"},
			{"unknown rule", "station_hs", ldBody(map[string]any{"rule_code": "N99"}), 400, "rule_code"},
			{"enterprise names an enterprise", "ent_hs", ldBody(map[string]any{"enterprise_id": ts.ids["ent_yz"]}), 400, "enterprise_id"},
			{"station names an enterprise elsewhere", "station_hs", ldBody(map[string]any{"enterprise_id": ts.ids["ent_yz"]}), 400, "enterprise_id"},
			{"station names no enterprise", "station_hs", ldBody(map[string]any{"enterprise_id": "x"}), 400, "enterprise_id"},
			{"sets its status", "station_hs", ldBody(map[string]any{"status": "closed"}), 400, "status"},
			{"sets the reporter", "ent_hs", ldBody(map[string]any{"reporter_account_id": "1"}), 400, "reporter_account_id"},
			{"anonymous as a string", "ent_hs", ldBody(map[string]any{"anonymous": "yes"}), 400, "anonymous"},
			{"outside the reporter's region", "station_hs", ldBody(map[string]any{"region_code": "330212"}), 403, ""},
			{"above the reporter's region", "ent_hs_town", ldBody(map[string]any{"region_code": "330203"}), 403, ""},
			{"by an inspector", "insp_hs", ldBody(nil), 403, ""},
			{"by a department", "dept_hs_scjg", ldBody(nil), 403, ""},
			{"by 工商联", "acfic_hs", ldBody(nil), 403, ""},
			{"by admin", "admin", ldBody(nil), 403, ""},
		}
		for _, c := range cases {
			res := ts.as(t, c.user, "POST", "/api/v1/leads", c.body)
			if !qaExpect(t, res, c.status, "", c.name) {
				continue
			}
			if c.field != "" {
				var p problemBody
				res.decode(&p)
				p.wantField(t, c.field)
			}
		}
		if ids := qaIDs(t, ts.as(t, "insp_city", "GET", "/api/v1/leads", nil).want(http.StatusOK)); len(ids) != 0 {
			t.Errorf("refused reports filed leads: %v", ids)
		}
		// A town enterprise reports in its own region; the district's inspectors see it.
		id := ts.fileLead(t, "ent_hs_town", map[string]any{"region_code": "330203-T01"})["id"].(string)
		ldGet(t, ts, "insp_hs", id)
	})
}

// TestLeadLists: filters, pages and their refusals.
func TestLeadLists(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		rep := ldInState(t, ts, "reported")
		inv := ldInState(t, ts, "investigating")
		rect := ldInState(t, ts, "rectifying")
		closed := ldInState(t, ts, "closed")
		town := ts.fileLead(t, "ent_hs_town", map[string]any{"region_code": "330203-T01"})["id"].(string)
		yz := ts.fileLead(t, "station_yz", map[string]any{"region_code": "330212"})["id"].(string)
		cases := []struct {
			user, query string
			want        []string
		}{
			{"insp_city", "", []string{yz, town, closed, rect, inv, rep}},
			{"insp_hs", "", []string{town, closed, rect, inv, rep}},
			{"insp_hs", "?status=reported", []string{town, rep}},
			{"insp_hs", "?status=investigating,rectifying", []string{rect, inv}},
			{"insp_city", "?region_code=330212", []string{yz}},
			{"insp_city", "?region_code=330203-T01", []string{town}},
			{"insp_hs", "?region_code=330212", nil},
			{"insp_hs", "?disposal=talk_reminder", []string{rect}},
			{"insp_hs", "?disposal=no_issue,shelved", []string{closed}},
			{"insp_yz", "", []string{yz}},
			{"dept_hs_scjg", "", []string{rect}},
			{"dept_hs_scjg", "?overdue=false", []string{rect}},
			{"dept_hs_sw", "", nil},
			{"station_hs", "", []string{closed, rect, inv, rep}},
			{"station_hs", "?status=closed", []string{closed}},
			{"station_yz", "", []string{yz}},
			{"ent_hs_town", "", []string{town}},
			{"ent_hs", "", nil},
		}
		for _, c := range cases {
			res := ts.as(t, c.user, "GET", "/api/v1/leads"+c.query, nil).want(http.StatusOK)
			if got := qaIDs(t, res); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("GET /leads%s as %s: %v, want %v", c.query, c.user, got, c.want)
			}
		}
		// Pages: newest first, stable, no overlap.
		first := ts.as(t, "insp_city", "GET", "/api/v1/leads?page_size=4", nil).want(http.StatusOK)
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		first.decode(&page)
		if page.NextCursor == nil {
			t.Fatal("no next_cursor")
		}
		second := ts.as(t, "insp_city", "GET", "/api/v1/leads?page_size=4&cursor="+*page.NextCursor, nil).want(http.StatusOK)
		if got := append(qaIDs(t, first), qaIDs(t, second)...); !slices.Equal(got, []string{yz, town, closed, rect, inv, rep}) {
			t.Errorf("two pages: %v", got)
		}
		refusals := []struct {
			user, query string
			status      int
		}{
			{"insp_hs", "?status=lost", 400},
			{"insp_hs", "?disposal=warning", 400},
			{"insp_hs", "?region_code=999999", 400},
			{"insp_hs", "?overdue=maybe", 400},
			{"insp_hs", "?colour=red", 400},
			{"insp_hs", "?cursor=%21", 400},
			{"station_hs", "?disposal=no_issue", 403},
			{"station_hs", "?overdue=true", 403},
			{"ent_hs", "?region_code=330203", 403},
			{"dept_hs_scjg", "?disposal=talk_reminder", 403},
			{"dept_hs_scjg", "?region_code=330203", 403},
			{"acfic_hs", "", 403},
			{"admin", "", 403},
		}
		for _, r := range refusals {
			qaExpect(t, ts.as(t, r.user, "GET", "/api/v1/leads"+r.query, nil), r.status, "", "GET /leads"+r.query+" as "+r.user)
		}
	})
}

// TestInteractionRules: the reference lists a lead may cite.
func TestInteractionRules(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	var v struct {
		Items []struct {
			Code, List, ListLabel, Title string
		} `json:"items"`
	}
	ts.as(t, "ent_hs", "GET", "/api/v1/interaction-rules", nil).want(http.StatusOK).decode(&v)
	if len(v.Items) != len(ts.ref.InteractionRules) || len(v.Items) == 0 {
		t.Fatalf("%d rules, configs has %d", len(v.Items), len(ts.ref.InteractionRules))
	}
	lists := map[string]bool{}
	for _, r := range v.Items {
		if r.Code == "" || r.Title == "" {
			t.Errorf("rule %+v", r)
		}
		lists[r.List] = true
	}
	if !lists["positive"] || !lists["negative"] || !lists["advocacy"] {
		t.Errorf("lists %v, want positive, negative and advocacy", lists)
	}
	raw := string(ts.as(t, "station_hs", "GET", "/api/v1/interaction-rules", nil).want(http.StatusOK).body)
	if !strings.Contains(raw, `"list_label":"负面清单"`) {
		t.Errorf("no list labels: %.300s", raw)
	}
	ts.do(t, "", "GET", "/api/v1/interaction-rules", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
}

// TestLeadScannerAndBoard: the deadline scanner marks an overdue lead step
// once, and the deadline board lists lead steps to the officials handling
// them, without any confidential field.
func TestLeadScannerAndBoard(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileLead(t, "station_hs", nil)["id"].(string)
		board := func(user, query string) []map[string]any {
			t.Helper()
			var v struct {
				Items []map[string]any `json:"items"`
			}
			ts.as(t, user, "GET", "/api/v1/deadlines?kind=lead"+query, nil).want(http.StatusOK).decode(&v)
			return v.Items
		}
		items := board("insp_hs", "")
		if len(items) != 1 || items[0]["id"] != id || items[0]["kind"] != "lead" || items[0]["title"] != nil ||
			items[0]["step"] != "register" || items[0]["overdue"] != false || items[0]["region_code"] != "330203" {
			t.Fatalf("board as insp_hs: %v", items)
		}
		for _, user := range []string{"insp_yz", "acfic_hs", "dept_hs_scjg"} {
			if got := board(user, ""); len(got) != 0 {
				t.Errorf("board as %s: %v", user, got)
			}
		}
		// Ten days later the register step is overdue: marked once, with one event.
		qaAdvance(ts, 10*24*time.Hour)
		for range 2 {
			if _, err := ts.store.Scan(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if got := ldGet(t, ts, "insp_hs", id); got["overdue"] != true {
			t.Errorf("after the scan: %v", got)
		}
		if tl := ldTimeline(t, ts, "insp_hs", id); !slices.Equal(tl, []string{"report", "overdue"}) {
			t.Errorf("timeline %v", tl)
		}
		if items := board("insp_city", "&state=overdue"); len(items) != 1 || items[0]["id"] != id {
			t.Errorf("overdue board: %v", items)
		}
		// Registering completes the step late and starts the next one afresh.
		got := ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK).obj()
		if got["overdue"] != false || got["step"] != "decide" {
			t.Errorf("registered: %v", got)
		}
		ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "decide", ldRectify("talk_reminder", 5)).want(http.StatusOK)
		// The unit sees its rectification, placed at its own region.
		items = board("dept_hs_scjg", "")
		if len(items) != 1 || items[0]["step"] != "rectify" || items[0]["department_code"] != "scjg" || items[0]["region_code"] != "330203" {
			t.Errorf("board as the unit: %v", items)
		}
		if items := board("dept_city_scjg", "&department_code=scjg&region_code=330203"); len(items) != 0 {
			t.Errorf("board as the city's scjg: %v; want nothing (the district unit's task)", items)
		}
		for _, user := range []string{"dept_hs_sw", "dept_yz_scjg"} {
			if got := board(user, ""); len(got) != 0 {
				t.Errorf("board as %s: %v", user, got)
			}
		}
	})
}

// TestLeadStats checks the lead indicators of /stats (docs/index-method.md#tracker-indicators, T10–T12)
// against counts made by hand.
func TestLeadStats(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cst := time.FixedZone("CST", 8*3600)
		ldSetClock(ts, time.Date(2026, 11, 25, 10, 0, 0, 0, cst))
		file := func() string { return ts.fileLead(t, "station_hs", nil)["id"].(string) }
		ok := func(user, id, action string, body map[string]any) {
			t.Helper()
			if action == "decide" {
				ts.ldDecide(t, user, id, body) // an approval decides as of when it is given
				return
			}
			ts.leadAct(t, user, id, action, body).want(http.StatusOK)
		}
		notes := map[string]any{"notes": "核查。"}
		a, b, c, d, e := file(), file(), file(), file(), file()
		y := ts.fileLead(t, "station_yz", map[string]any{"region_code": "330212"})["id"].(string)
		for _, id := range []string{a, c, d} {
			ok("insp_hs", id, "register", nil) // on time
			ok("insp_hs", id, "investigate", notes)
		}
		ldSetClock(ts, time.Date(2026, 12, 5, 10, 0, 0, 0, cst))         // register was due 12-02
		ok("insp_hs", b, "register", nil)                                // late
		ok("insp_hs", e, "dismiss", map[string]any{"reason": "不属于受理范围"}) // late
		ok("insp_yz", y, "register", nil)                                // late, 鄞州
		ok("insp_hs", a, "decide", ldDecideBodies["no_issue"])           // on time (due 12-25 10:00)
		ok("insp_hs", c, "decide", ldRectify("talk_reminder", 3))        // rectify due 12-09
		ok("insp_hs", d, "decide", ldRectify("talk_reminder", 3))        // rectify due 12-09
		ldSetClock(ts, time.Date(2026, 12, 8, 10, 0, 0, 0, cst))
		ok("dept_hs_scjg", c, "complete_rectification", map[string]any{"report": "已整改。"}) // on time
		ok("insp_hs", b, "investigate", notes)
		ldSetClock(ts, time.Date(2026, 12, 26, 10, 0, 0, 0, cst))
		ok("insp_hs", b, "decide", ldDecideBodies["no_issue"]) // late; d is still rectifying, past its due date

		// By hand, for 海曙: register a c d on time, b late, dismiss e late → 3/5;
		// decide a c d on time, b late → 3/4; rectification due by now: c done
		// on time, d not done → 1/2. 鄞州's late registration is not counted.
		want := map[string][3]float64{"T10": {3, 5, 60}, "T11": {3, 4, 75}, "T12": {1, 2, 50}}
		check := func(user, region string, want map[string][3]float64) {
			t.Helper()
			got := ts.as(t, user, "GET", "/api/v1/stats?region_code="+region+"&from=2026-11-01&to=2026-12-31", nil).want(http.StatusOK).obj()
			seen := 0
			for _, x := range got["indicators"].([]any) {
				ind := x.(map[string]any)
				w, ok := want[ind["code"].(string)]
				if !ok {
					continue
				}
				seen++
				if ind["numerator"] != w[0] || ind["denominator"] != w[1] || ind["value"] != w[2] {
					t.Errorf("%s %s in %s: %v/%v = %v, want %v/%v = %v", user, ind["code"], region,
						ind["numerator"], ind["denominator"], ind["value"], w[0], w[1], w[2])
				}
			}
			if seen != len(want) {
				t.Errorf("%s saw %d of %d lead indicators", user, seen, len(want))
			}
		}
		check("insp_hs", "330203", want)
		check("insp_yz", "330212", map[string][3]float64{"T10": {0, 1, 0}})
	})
}

// FuzzLeadBodies sends arbitrary bodies to every lead POST route, as
// accounts that may use each: whatever the body, never a 5xx.
func FuzzLeadBodies(f *testing.F) {
	ts := newTestServer(f, "sqlite", nil)
	ts.seed(f)
	id := ldInState(f, ts, "rectifying")
	routes := []struct{ user, path string }{
		{"station_hs", "/api/v1/leads"},
		{"ent_hs", "/api/v1/leads"},
		{"ent_hs", "/api/v1/leads/lookup"},
		{"insp_hs", leadPath(id, "/transitions")},
		{"dept_hs_scjg", leadPath(id, "/transitions")},
	}
	for i, seed := range []string{
		`{"content":"𠮷🏭","region_code":"330203","subject_name":"某","anonymous":true}`,
		`{"content":"c","region_code":"330203","subject_department_code":"scjg","enterprise_id":"1","occurred_at":"2026-01-01T00:00:00Z"}`,
		`{"receipt":"XSQ-0000-0000-0000-0000-0000-0000"}`,
		`{"action":"decide","assessment":"a","disposal":"talk_reminder","department_code":"scjg","unit_region_code":"330203","days":1e309}`,
		`{"action":"complete_rectification","report":"r","expected_version":-1}`,
		`{"action":"verify","accepted":"yes","result":"r","days":99999999999}`,
		`[]`, `null`, `{"action":{}}`, `{"content":null,"rule_code":["N06"]}`,
	} {
		f.Add(uint8(i), seed)
	}
	// Hostile input: duplicate keys, NUL and bidirectional controls, ids
	// beyond a signed 64-bit column.
	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{0, `{"content":"c","content":"d","region_code":"330203","subject_name":"某"}`},
		{0, `{"content":"c\u202e","region_code":"330203","subject_name":"某\u2067"}`},
		{0, `{"content":"c","region_code":"330203","subject_name":"某","enterprise_id":"18446744073709551615"}`},
		{2, `{"receipt":"XSQ\u0000"}`},
		{3, `{"action":"decide","action":"close"}`},
	} {
		f.Add(seed.route, seed.body)
	}
	tokens := map[string]string{}
	for _, r := range routes {
		tokens[r.user] = ts.login(f, r.user)
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := routes[int(route)%len(routes)]
		res := ts.do(t, tokens[r.user], "POST", r.path, body)
		if res.status >= 500 {
			t.Fatalf("POST %s as %q with %q: %d %s", r.path, r.user, body, res.status, res.body)
		}
	})
}
