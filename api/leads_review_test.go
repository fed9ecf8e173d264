package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Lead review (报批, docs/design.md#lead-review) through the API: a decision
// on a disposal the configuration lists (no_issue, shelved) is a proposal
// that a second inspector of the lead's region or above approves or sends
// back; any disposal may be proposed; the proposer never reviews its own;
// a department never sees a proposal; every step is an event of the chain
// and a read of the lead.

// ldActions lists the actions GET …/transitions offers user on lead id.
func (ts *testServer) ldOffered(t testing.TB, user, id string) []string {
	t.Helper()
	var v struct {
		Items []struct {
			Action string   `json:"action"`
			Label  string   `json:"label"`
			Fields []string `json:"fields"`
		} `json:"items"`
	}
	ts.as(t, user, "GET", leadPath(id, "/transitions"), nil).want(http.StatusOK).decode(&v)
	out := []string{}
	for _, it := range v.Items {
		out = append(out, it.Action)
	}
	return out
}

func TestLeadReviewDecideNeedsApproval(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ldInState(t, ts, "investigating")
		due := ldGet(t, ts, "insp_hs", id)["due_at"]

		// decide with no_issue is a proposal: the lead waits, the decision's
		// deadline runs on, and nothing is decided yet.
		got := ts.leadAct(t, "insp_hs", id, "decide", ldDecideBodies["no_issue"]).want(http.StatusOK).obj()
		if got["status"] != "pending_approval" || got["status_label"] != "待审批" || got["disposal"] != nil ||
			got["closed_at"] != nil || got["step"] != "decide" || got["due_at"] != due {
			t.Fatalf("proposed: %v", got)
		}
		p, _ := got["proposal"].(map[string]any)
		if p == nil || p["disposal"] != "no_issue" || p["disposal_label"] != "予以了结" || p["assessment"] != ldDecideBodies["no_issue"]["assessment"] ||
			p["proposed_by"] != ts.ids["user_insp_hs"] || p["proposed_at"] == nil || p["days"] != nil {
			t.Errorf("proposal: %v", p)
		}

		// The proposer is not offered the review and is refused it.
		if got := ts.ldOffered(t, "insp_hs", id); !slices.Equal(got, []string{"set_subject", "recuse"}) {
			t.Errorf("the proposer is offered %v", got)
		}
		for _, a := range []string{"approve_disposal", "send_back_disposal"} {
			pb := ts.leadAct(t, "insp_hs", id, a, map[string]any{"reason": "自审"}).wantProblem(http.StatusForbidden, "forbidden")
			if !strings.Contains(pb.Detail, "不能审批本人提出的处置意见") {
				t.Errorf("%s by the proposer: %q", a, pb.Detail)
			}
		}
		// An inspector of another district does not see the lead; a second
		// inspector above it is offered the review.
		ts.leadAct(t, "insp_yz", id, "approve_disposal", nil).wantProblem(http.StatusNotFound, "not_found")
		if got := ts.ldOffered(t, "insp_city", id); !slices.Equal(got, []string{"approve_disposal", "send_back_disposal", "set_subject", "recuse"}) {
			t.Errorf("the reviewer is offered %v", got)
		}
		// The reporter sees the status only; no department sees the lead.
		if r := ldGet(t, ts, "station_hs", id); r["status"] != "pending_approval" || r["proposal"] != nil || r["disposal"] != nil {
			t.Errorf("reporter's view: %v", r)
		}
		for _, d := range []string{"dept_hs_scjg", "dept_city_scjg"} {
			ts.as(t, d, "GET", leadPath(id), nil).wantProblem(http.StatusNotFound, "not_found")
		}
		// Nothing else is open while the proposal waits.
		ts.leadAct(t, "insp_city", id, "decide", ldDecideBodies["shelved"]).wantProblem(http.StatusConflict, "invalid_transition")
		ts.leadAct(t, "insp_city", id, "investigate", map[string]any{"notes": "再核查"}).wantProblem(http.StatusConflict, "invalid_transition")
		ts.leadAct(t, "insp_city", id, "approve_disposal", map[string]any{"note": "同意", "expected_version": 1}).
			wantProblem(http.StatusConflict, "conflict")
		ts.leadAct(t, "insp_city", id, "approve_disposal", map[string]any{"reason": "x"}).wantProblem(http.StatusBadRequest, "validation_failed").
			wantField(t, "reason")

		qaAdvance(ts, 2*time.Hour)
		got = ts.leadAct(t, "insp_city", id, "approve_disposal", map[string]any{"note": "同意予以了结。"}).want(http.StatusOK).obj()
		if got["status"] != "closed" || got["disposal"] != "no_issue" || got["assessment"] != ldDecideBodies["no_issue"]["assessment"] ||
			got["proposal"] != nil || got["closed_at"] == nil {
			t.Fatalf("approved: %v", got)
		}
		ts.leadAct(t, "insp_city", id, "approve_disposal", nil).wantProblem(http.StatusConflict, "invalid_transition")

		// The timeline: the proposal and its approval, each with who and
		// what; the approval records the decision it took.
		var tl struct {
			Items []struct {
				Action    string         `json:"action"`
				ActorID   string         `json:"actor_id"`
				FromState string         `json:"from_status"`
				ToState   string         `json:"to_status"`
				Payload   map[string]any `json:"payload"`
			} `json:"items"`
		}
		ts.as(t, "insp_city", "GET", leadPath(id, "/events"), nil).want(http.StatusOK).decode(&tl)
		n := len(tl.Items)
		prop, appr := tl.Items[n-2], tl.Items[n-1]
		if prop.Action != "propose_disposal" || prop.ActorID != ts.ids["user_insp_hs"] || prop.ToState != "pending_approval" ||
			prop.Payload["disposal"] != "no_issue" {
			t.Errorf("proposal event: %+v", prop)
		}
		if appr.Action != "approve_disposal" || appr.ActorID != ts.ids["user_insp_city"] || appr.FromState != "pending_approval" ||
			appr.ToState != "closed" || appr.Payload["disposal"] != "no_issue" || appr.Payload["note"] != "同意予以了结。" {
			t.Errorf("approval event: %+v", appr)
		}
		// Both are in the hash chain, and the reviewer's answer was a read.
		if a := ts.verify(t); !a.OK || a.BrokenEvents != 0 {
			t.Errorf("audit: %+v", a)
		}
		var reads struct {
			Items []struct {
				Username, What string
			} `json:"items"`
		}
		ts.as(t, "insp_city", "GET", leadPath(id, "/reads"), nil).want(http.StatusOK).decode(&reads)
		if len(reads.Items) == 0 || reads.Items[0].Username != "insp_city" || reads.Items[1].What != "transition" {
			t.Errorf("reads: %+v", reads.Items)
		}
	})
}

func TestLeadReviewSendBackAndPropose(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ldInState(t, ts, "investigating")
		ts.leadAct(t, "insp_hs", id, "decide", ldDecideBodies["shelved"]).want(http.StatusOK)

		// Sent back: a reason is required; the lead is investigated again
		// and the proposal is gone.
		ts.leadAct(t, "insp_city", id, "send_back_disposal", nil).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "reason")
		got := ts.leadAct(t, "insp_city", id, "send_back_disposal", map[string]any{"reason": "事实尚未查清，请补充核实。"}).want(http.StatusOK).obj()
		if got["status"] != "investigating" || got["proposal"] != nil || got["disposal"] != nil || got["step"] != "decide" {
			t.Fatalf("sent back: %v", got)
		}
		ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "补充核实。"}).want(http.StatusOK)

		// A disposal that needs no approval may still be proposed, checked
		// as the decision it would be.
		bad := ldRectify("talk_reminder", 10)
		bad["unit_region_code"] = "330212"
		ts.leadAct(t, "insp_hs", id, "propose_disposal", bad).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "unit_region_code")
		noIssueDays := map[string]any{"assessment": "不属实", "disposal": "no_issue", "days": 3}
		ts.leadAct(t, "insp_hs", id, "propose_disposal", noIssueDays).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "days")
		got = ts.leadAct(t, "insp_hs", id, "propose_disposal", ldRectify("talk_reminder", 5)).want(http.StatusOK).obj()
		if got["status"] != "pending_approval" || got["rectification"] != nil {
			t.Fatalf("proposed talk_reminder: %v", got)
		}
		if p := got["proposal"].(map[string]any); p["days"] != float64(5) || p["department_code"] != "scjg" || p["unit_region_code"] != "330203" {
			t.Errorf("proposal: %v", p)
		}
		ts.as(t, "dept_hs_scjg", "GET", leadPath(id), nil).wantProblem(http.StatusNotFound, "not_found")

		// Approved a day later: the rectification period counts from the approval.
		qaAdvance(ts, 24*time.Hour)
		got = ts.leadAct(t, "insp_city", id, "approve_disposal", nil).want(http.StatusOK).obj()
		rect, _ := got["rectification"].(map[string]any)
		if got["status"] != "rectifying" || got["disposal"] != "talk_reminder" || rect == nil || rect["days"] != float64(5) {
			t.Fatalf("approved: %v", got)
		}
		// Proposed Wednesday 2026-11-25, approved Thursday: five working
		// days from the approval end on Thursday 12-03 (from the proposal
		// they would have ended on 12-02).
		if rect["due_at"] != "2026-12-03T23:59:59+08:00" {
			t.Errorf("rectification due %v, want 2026-12-03T23:59:59+08:00 (5 working days from the approval)", rect["due_at"])
		}
		// The unit now sees its task, and nothing of the review.
		task := ldGet(t, ts, "dept_hs_scjg", id)
		if task["status"] != "rectifying" || task["proposal"] != nil || task["assessment"] != nil {
			t.Errorf("unit's view: %v", task)
		}
		want := []string{"report", "register", "investigate", "propose_disposal", "send_back_disposal", "investigate",
			"propose_disposal", "approve_disposal"}
		if tl := ldTimeline(t, ts, "insp_hs", id); !slices.Equal(tl, want) {
			t.Errorf("timeline %v, want %v", tl, want)
		}
		if a := ts.verify(t); !a.OK {
			t.Errorf("audit: %+v", a)
		}
	})
}

// TestLeadReviewRecusal: the review is no way around recusal. An inspector
// who declared a conflict, or who is the lead's subject, does not find the
// proposal (404) and cannot approve it; the one who may is offered it.
func TestLeadReviewRecusal(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		// insp_city is the subject: it never sees the lead.
		id := ts.fileLead(t, "station_hs", map[string]any{"subject_username": "insp_city"})["id"].(string)
		ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "decide", ldDecideBodies["no_issue"]).want(http.StatusOK)
		ts.leadAct(t, "insp_city", id, "approve_disposal", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "insp_city", "GET", leadPath(id, "/transitions"), nil).wantProblem(http.StatusNotFound, "not_found")

		// insp_hs proposes on another lead; insp_city declares a conflict
		// before reviewing it and loses sight of it.
		other := ldInState(t, ts, "pending")
		if got := ts.ldOffered(t, "insp_city", other); !slices.Contains(got, "approve_disposal") {
			t.Fatalf("insp_city is not offered the review: %v", got)
		}
		ts.leadAct(t, "insp_city", other, "recuse", map[string]any{"reason": "与被反映单位负责人系亲属"}).want(http.StatusOK)
		ts.leadAct(t, "insp_city", other, "approve_disposal", nil).wantProblem(http.StatusNotFound, "not_found")
		if got := ldGet(t, ts, "insp_hs", other); got["status"] != "pending_approval" {
			t.Errorf("after the recusal: %v", got)
		}
	})
}
