package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Feedback to the reporter (反馈, docs/design.md#feedback) through the API:
// closing a lead whose reporter is named starts the feedback step, due 15
// working days later (feedback_due_at) and on the inspectors' deadline
// board; record_feedback says how, when and what; an anonymous reporter gets
// a short outcome text it reads through its receipt.

// ldBoardLeads lists the lead items of user's deadline board as id → step.
func ldBoardLeads(t testing.TB, ts *testServer, user string) map[string]string {
	t.Helper()
	var b struct {
		Items []struct {
			ID, Step string
			Overdue  bool
		} `json:"items"`
	}
	ts.as(t, user, "GET", "/api/v1/deadlines?kind=lead&page_size=100", nil).want(http.StatusOK).decode(&b)
	out := map[string]string{}
	for _, it := range b.Items {
		step := it.Step
		if it.Overdue {
			step += "!"
		}
		out[it.ID] = step
	}
	return out
}

func TestLeadFeedbackNamed(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ldInState(t, ts, "verifying")
		got := ts.leadAct(t, "insp_hs", id, "verify", map[string]any{"accepted": true, "result": "回访满意。"}).want(http.StatusOK).obj()
		// Closed Wednesday 2026-11-25: 15 working days end on 12-16.
		if got["status"] != "closed" || got["feedback_due_at"] != "2026-12-16T23:59:59+08:00" || got["feedback"] != nil ||
			got["step"] != nil || got["due_at"] != nil {
			t.Fatalf("closed: %v", got)
		}
		if _, ok := got["outcome"]; ok {
			t.Errorf("an outcome before any feedback: %v", got)
		}
		if b := ldBoardLeads(t, ts, "insp_hs"); b[id] != "feedback" {
			t.Errorf("inspector's board: %v", b)
		}
		// The unit that rectified sees its closed task, not the feedback.
		unit := ts.as(t, "dept_hs_scjg", "GET", leadPath(id), nil).want(http.StatusOK)
		if body := string(unit.body); strings.Contains(body, "feedback") || strings.Contains(body, `"due_at":"2026-12-16`) {
			t.Errorf("the unit sees the feedback step: %s", body)
		}
		if b := ldBoardLeads(t, ts, "dept_hs_scjg"); b[id] != "" {
			t.Errorf("the unit's board: %v", b)
		}
		if got := ts.ldOffered(t, "insp_hs", id); !slices.Equal(got, []string{"record_feedback"}) {
			t.Errorf("offered %v", got)
		}

		// Refusals: how and when are required; not before the closure, not
		// in the future; the inspector's alone.
		now := ts.clock.Now()
		fb := func(method, at, content string) map[string]any {
			b := map[string]any{"content": content}
			if method != "" {
				b["method"] = method
			}
			if at != "" {
				b["feedback_at"] = at
			}
			return b
		}
		at := now.Format(time.RFC3339)
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{fb("", at, "已告知"), "method"},
			{fb("wechat", at, "已告知"), "method"},
			{fb("phone", "", "已告知"), "feedback_at"},
			{fb("phone", "2026-13-01", "已告知"), "feedback_at"},
			{fb("phone", now.Add(time.Hour).Format(time.RFC3339), "已告知"), "feedback_at"},
			{fb("phone", now.Add(-48*time.Hour).Format(time.RFC3339), "已告知"), "feedback_at"},
			{fb("phone", at, " "), "content"},
		} {
			ts.leadAct(t, "insp_hs", id, "record_feedback", c.body).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, c.field)
		}
		ts.leadAct(t, "dept_hs_scjg", id, "record_feedback", fb("phone", at, "x")).wantProblem(http.StatusForbidden, "forbidden")
		ts.leadAct(t, "station_hs", id, "record_feedback", fb("phone", at, "x")).wantProblem(http.StatusForbidden, "forbidden")

		// Past the due date the scanner marks the feedback step overdue.
		ldSetClock(ts, time.Date(2026, 12, 17, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		if res, err := ts.store.Scan(context.Background()); err != nil || res.Overdue != 1 {
			t.Fatalf("scan: %+v, %v", res, err)
		}
		if b := ldBoardLeads(t, ts, "insp_hs"); b[id] != "feedback!" {
			t.Errorf("inspector's board after the deadline: %v", b)
		}
		when := ts.clock.Now().Add(-time.Hour).Format(time.RFC3339)
		got = ts.leadAct(t, "insp_city", id, "record_feedback", fb("phone", when, "已电话告知报告人：窗口已整改，企业表示满意。")).
			want(http.StatusOK).obj()
		f, _ := got["feedback"].(map[string]any)
		if f == nil || f["method"] != "phone" || f["method_label"] != "电话" || f["content"] != "已电话告知报告人：窗口已整改，企业表示满意。" ||
			f["recorded_at"] == nil || got["outcome"] != f["content"] || got["feedback_due_at"] != "2026-12-16T23:59:59+08:00" {
			t.Errorf("feedback: %v", got)
		}
		if b := ldBoardLeads(t, ts, "insp_hs"); b[id] != "" {
			t.Errorf("the board still lists the feedback: %v", b)
		}
		ts.leadAct(t, "insp_hs", id, "record_feedback", fb("phone", when, "again")).wantProblem(http.StatusConflict, "invalid_transition")
		// The named reporter reads what it was told.
		if r := ldGet(t, ts, "station_hs", id); r["outcome"] != "已电话告知报告人：窗口已整改，企业表示满意。" || r["feedback"] != nil {
			t.Errorf("reporter's view: %v", r)
		}
		tl := ldTimeline(t, ts, "insp_hs", id)
		if want := []string{"verify", "overdue", "record_feedback"}; !slices.Equal(tl[len(tl)-3:], want) {
			t.Errorf("timeline %v, want it to end with %v", tl, want)
		}
		if a := ts.verify(t); !a.OK {
			t.Errorf("audit: %+v", a)
		}
	})
}

func TestLeadFeedbackAnonymousAndReopen(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		created := ts.fileLead(t, "ent_hs", map[string]any{"anonymous": true})
		id, receipt := created["id"].(string), created["receipt"].(string)
		got := ts.leadAct(t, "insp_hs", id, "dismiss", map[string]any{"reason": "不属于受理范围"}).want(http.StatusOK).obj()
		if got["status"] != "dismissed" || got["feedback_due_at"] != nil {
			t.Fatalf("dismissed: %v", got)
		}
		if b := ldBoardLeads(t, ts, "insp_hs"); b[id] != "" {
			t.Errorf("an anonymous lead's feedback on the board: %v", b)
		}
		at := ts.clock.Now().Format(time.RFC3339)
		ts.leadAct(t, "insp_hs", id, "record_feedback", map[string]any{"content": "x", "method": "phone", "feedback_at": at}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "method")
		ts.leadAct(t, "insp_hs", id, "record_feedback", map[string]any{"content": strings.Repeat("字", 201)}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "content")
		const outcome = "经审查，反映的事项不属于本机关受理范围，已告知相关部门。"
		got = ts.leadAct(t, "insp_hs", id, "record_feedback", map[string]any{"content": outcome}).want(http.StatusOK).obj()
		if f := got["feedback"].(map[string]any); f["content"] != outcome || f["method"] != nil || f["at"] != nil {
			t.Errorf("anonymous feedback: %v", f)
		}
		// The reporter reads the outcome with its receipt, and nothing more.
		l := ts.as(t, "ent_hs", "POST", "/api/v1/leads/lookup", map[string]any{"receipt": receipt}).want(http.StatusOK).obj()
		if l["outcome"] != outcome || l["status"] != "dismissed" || l["feedback"] != nil || l["reporter"] != nil {
			t.Errorf("lookup: %v", l)
		}

		// A shelved lead reopened owes no feedback until it closes again.
		sh := ldInState(t, ts, "shelved")
		if b := ldBoardLeads(t, ts, "insp_hs"); b[sh] != "feedback" {
			t.Errorf("shelved lead not on the board: %v", b)
		}
		got = ts.leadAct(t, "insp_hs", sh, "reopen", map[string]any{"reason": "新情况。"}).want(http.StatusOK).obj()
		if got["feedback_due_at"] != nil || got["step"] != "decide" {
			t.Errorf("reopened: %v", got)
		}
		if b := ldBoardLeads(t, ts, "insp_hs"); b[sh] != "decide" {
			t.Errorf("board after reopening: %v", b)
		}
	})
}
