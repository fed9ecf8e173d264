package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// 函询 (written inquiry, docs/design.md#written-inquiry) through the API: a
// decision sends a letter to a unit with a reply deadline of 15 working days
// (configs/leads.yaml), the reply is recorded, and the inspector concludes:
// 了结 closes the lead, further handling returns it to investigation. The
// inquiry's steps are on the deadline board and the scanner's; the unit the
// letter went to never sees the lead or the letter through the service.

const ldLetter = "请就企业反映的窗口推诿问题，于十五个工作日内作出书面说明。"

// ldInquiry takes a new lead of 海曙 to an inquiry of 市场监管@海曙 and answers it.
func ldInquiry(t *testing.T, ts *testServer) (string, map[string]any) {
	t.Helper()
	id := ldInState(t, ts, "investigating")
	return id, ts.leadAct(t, "insp_hs", id, "decide", ldDecideBodies["written_inquiry"]).want(http.StatusOK).obj()
}

func TestLeadInquiryLoop(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id, got := ldInquiry(t, ts)
		// Sent Wednesday 2026-11-25: 15 working days end on Wednesday 12-16.
		q, _ := got["inquiry"].(map[string]any)
		if got["status"] != "inquiring" || got["status_label"] != "函询中" || got["step"] != "inquiry_reply" ||
			got["due_at"] != "2026-12-16T23:59:59+08:00" || got["disposal"] != "written_inquiry" || got["rectification"] != nil {
			t.Fatalf("inquiring: %v", got)
		}
		if q == nil || q["letter"] != ldLetter || q["department_code"] != "scjg" || q["unit_region_code"] != "330203" ||
			q["due_at"] != got["due_at"] || q["sent_at"] == nil || q["reply"] != nil || q["conclusion"] != nil {
			t.Errorf("inquiry: %v", q)
		}

		// The unit the letter went to sees nothing of it through the service.
		ts.as(t, "dept_hs_scjg", "GET", leadPath(id), nil).wantProblem(http.StatusNotFound, "not_found")
		ts.leadAct(t, "dept_hs_scjg", id, "record_inquiry_reply", map[string]any{"reply": "说明"}).wantProblem(http.StatusForbidden, "forbidden")
		board := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/deadlines?kind=lead", nil).want(http.StatusOK)
		if strings.Contains(string(board.body), `"id":"`+id+`"`) {
			t.Errorf("the unit's board shows the inquiry: %s", board.body)
		}
		// The inspectors' board shows the reply step at the unit.
		var b struct {
			Items []struct {
				ID, Step, Status, StatusLabel string
				DepartmentCode                *string `json:"department_code"`
				UnitRegionCode                *string `json:"unit_region_code"`
				DueAt                         string  `json:"due_at"`
			} `json:"items"`
		}
		ts.as(t, "insp_hs", "GET", "/api/v1/deadlines?kind=lead&department_code=scjg", nil).want(http.StatusOK).decode(&b)
		if len(b.Items) != 1 || b.Items[0].ID != id || b.Items[0].Step != "inquiry_reply" || b.Items[0].DepartmentCode == nil ||
			*b.Items[0].DepartmentCode != "scjg" || *b.Items[0].UnitRegionCode != "330203" || b.Items[0].DueAt != got["due_at"] {
			t.Errorf("inspector's board: %+v", b.Items)
		}
		ts.as(t, "insp_hs", "GET", "/api/v1/deadlines?kind=lead&department_code=sw", nil).want(http.StatusOK).decode(&b)
		if len(b.Items) != 0 {
			t.Errorf("board for sw: %+v", b.Items)
		}

		// Refusals: the conclusion waits for the reply; the reply is required.
		ts.leadAct(t, "insp_hs", id, "conclude_inquiry", map[string]any{"conclusion": "settled", "result": "x"}).
			wantProblem(http.StatusConflict, "invalid_transition")
		ts.leadAct(t, "insp_hs", id, "record_inquiry_reply", nil).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "reply")
		ts.leadAct(t, "insp_yz", id, "record_inquiry_reply", map[string]any{"reply": "说明"}).wantProblem(http.StatusNotFound, "not_found")

		// No reply in time: the scanner marks the reply step overdue once.
		ldSetClock(ts, time.Date(2026, 12, 17, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		if res, err := ts.store.Scan(context.Background()); err != nil || res.Overdue != 1 {
			t.Fatalf("scan: %+v, %v", res, err)
		}
		if got := ldGet(t, ts, "insp_hs", id); got["overdue"] != true {
			t.Errorf("after the deadline: %v", got)
		}
		got = ts.leadAct(t, "insp_hs", id, "record_inquiry_reply", map[string]any{"reply": "窗口负责人书面说明：已批评教育当事人。"}).
			want(http.StatusOK).obj()
		q = got["inquiry"].(map[string]any)
		if got["status"] != "inquiry_replied" || got["step"] != "inquiry_conclude" || got["overdue"] != false ||
			q["reply"] != "窗口负责人书面说明：已批评教育当事人。" || q["replied_at"] == nil {
			t.Fatalf("replied: %v", got)
		}
		ts.leadAct(t, "insp_hs", id, "conclude_inquiry", map[string]any{"conclusion": "closed", "result": "x"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "conclusion")
		ts.leadAct(t, "insp_hs", id, "conclude_inquiry", map[string]any{"conclusion": "settled"}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "result")

		// Further handling: back to investigation, a new decision due, and
		// the inquiry kept with its conclusion.
		got = ts.leadAct(t, "insp_hs", id, "conclude_inquiry", map[string]any{"conclusion": "further_handling", "result": "说明避重就轻，需进一步处置。"}).
			want(http.StatusOK).obj()
		q = got["inquiry"].(map[string]any)
		if got["status"] != "investigating" || got["step"] != "decide" || got["disposal"] != nil || got["closed_at"] != nil ||
			q["conclusion"] != "further_handling" || q["conclusion_label"] != "转入进一步处置" || q["letter"] != ldLetter {
			t.Fatalf("further handling: %v", got)
		}
		got = ts.ldDecide(t, "insp_hs", id, ldRectify("talk_reminder", 5))
		if got["status"] != "rectifying" {
			t.Fatalf("decided after the inquiry: %v", got)
		}
		// The unit now has a rectification, and still sees no letter or reply.
		res := ts.as(t, "dept_hs_scjg", "GET", leadPath(id), nil).want(http.StatusOK)
		if body := string(res.body); strings.Contains(body, ldLetter) || strings.Contains(body, "inquiry") || strings.Contains(body, "批评教育当事人") {
			t.Errorf("the unit sees the inquiry: %s", body)
		}
		want := []string{"report", "register", "investigate", "decide", "overdue", "record_inquiry_reply", "conclude_inquiry", "decide"}
		if tl := ldTimeline(t, ts, "insp_hs", id); !slices.Equal(tl, want) {
			t.Errorf("timeline %v, want %v", tl, want)
		}
		if a := ts.verify(t); !a.OK {
			t.Errorf("audit: %+v", a)
		}
	})
}

func TestLeadInquirySettledAndRefusals(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		inv := ldInState(t, ts, "investigating")
		with := func(k string, v any) map[string]any {
			b := map[string]any{}
			for kk, vv := range ldDecideBodies["written_inquiry"] {
				b[kk] = vv
			}
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
			return b
		}
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"no letter", with("letter", nil), "letter"},
			{"blank letter", with("letter", "  "), "letter"},
			{"days", with("days", 10), "days"},
			{"no unit", with("department_code", nil), "department_code"},
			{"unit outside", with("unit_region_code", "330212"), "unit_region_code"},
			{"unknown department", with("department_code", "nope"), "department_code"},
		} {
			pb := ts.leadAct(t, "insp_hs", inv, "decide", c.body).wantProblem(http.StatusBadRequest, "validation_failed")
			pb.wantField(t, c.field)
		}
		if got := ldGet(t, ts, "insp_hs", inv); got["status"] != "investigating" || got["inquiry"] != nil {
			t.Errorf("refused inquiries changed the lead: %v", got)
		}

		id, _ := ldInquiry(t, ts)
		ts.leadAct(t, "insp_hs", id, "record_inquiry_reply", map[string]any{"reply": "已书面说明，情况属实并已纠正。"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "record_inquiry_reply", map[string]any{"reply": "again"}).wantProblem(http.StatusConflict, "invalid_transition")
		got := ts.leadAct(t, "insp_city", id, "conclude_inquiry", map[string]any{"conclusion": "settled", "result": "说明属实，予以了结。"}).
			want(http.StatusOK).obj()
		q := got["inquiry"].(map[string]any)
		if got["status"] != "closed" || got["closed_at"] == nil || got["disposal"] != "written_inquiry" ||
			q["conclusion_label"] != "予以了结" || q["result"] != "说明属实，予以了结。" || q["concluded_at"] == nil {
			t.Errorf("settled: %v", got)
		}
		if r := ldGet(t, ts, "station_hs", id); r["status"] != "closed" || r["inquiry"] != nil {
			t.Errorf("reporter's view: %v", r)
		}
	})
}
