package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestExtensionMovesTheDeadline: an extension approved in time adds its
// working days to the deadline; one approved after the deadline passed still
// moves it, but the step stays late (overdue, 督办) — nothing that happened is
// cleared.
func TestExtensionMovesTheDeadline(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		// The clock starts on Wednesday 2026-11-25 10:00 Beijing time.
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string) // 审批服务: respond within 15 working days
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		r := ts.act(t, "dept_hs_scjg", id, "claim", nil).want(http.StatusOK).obj()
		// 15 working days after 11-25: 11-26 … 12-16 (weekends skipped).
		if r["due_at"] != "2026-12-16T23:59:59+08:00" {
			t.Fatalf("respond due %v, want 2026-12-16T23:59:59+08:00", r["due_at"])
		}
		ts.act(t, "dept_hs_scjg", id, "request_extension", map[string]any{"days": 3, "reason": "需现场核查"}).want(http.StatusOK)
		r = ts.act(t, "acfic_hs", id, "approve_extension", map[string]any{"note": "同意"}).want(http.StatusOK).obj()
		if r["due_at"] != "2026-12-21T23:59:59+08:00" || r["overdue"] != false || r["pending_extension_days"] != float64(0) {
			t.Fatalf("after approving 3 days: due %v overdue %v pending %v, want 2026-12-21T23:59:59+08:00 (12-17, 12-18, 12-21), not overdue, none pending",
				r["due_at"], r["overdue"], r["pending_extension_days"])
		}
		// Let the new deadline pass: the scanner marks it overdue and escalates.
		ts.clock.Advance(27 * 24 * time.Hour) // 2026-12-22 10:00
		if _, err := ts.store.Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		ts.act(t, "dept_hs_scjg", id, "request_extension", map[string]any{"days": 2, "reason": "再延"}).want(http.StatusOK)
		r = ts.act(t, "acfic_hs", id, "approve_extension", nil).want(http.StatusOK).obj()
		if r["due_at"] != "2026-12-23T23:59:59+08:00" {
			t.Errorf("late approval: due %v, want 2026-12-23T23:59:59+08:00", r["due_at"])
		}
		if r["overdue"] != true || r["supervised"] != true {
			t.Errorf("late approval cleared what happened: overdue %v supervised %v", r["overdue"], r["supervised"])
		}
		// The step completes late and counts so: 按期办结 is 0 of 1 once it closes.
		ts.act(t, "dept_hs_scjg", id, "respond", map[string]any{"response": "已办结"}).want(http.StatusOK)
		ts.act(t, "ent_hs", id, "evaluate", map[string]any{"score": 4}).want(http.StatusOK)
		st := ts.as(t, "acfic_hs", "GET", "/api/v1/stats?region_code=330203&from=2026-11-01&to=2026-12-31", nil).want(http.StatusOK).obj()
		for _, x := range st["indicators"].([]any) {
			if ind := x.(map[string]any); ind["code"] == "T02" && (ind["numerator"] != float64(0) || ind["denominator"] != float64(1)) {
				t.Errorf("按期办结 %v/%v, want 0/1", ind["numerator"], ind["denominator"])
			}
		}
	})
}
